"""``devicepark synth``: write a synthetic French operator's exports and their ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from devicepark.cli._common import (
    Format,
    SeedOpt,
    err,
    out,
    percent,
    print_json,
    print_table,
    progress_bar,
    thousands,
)
from devicepark.questions import parse_date


def synth(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory to write into.", show_default=False)
    ],
    lines: Annotated[
        int, typer.Option("--lines", help="Rows of lines.csv (1,055,000 is 1:20 of Orange France).")
    ] = 1_055_000,
    seed: SeedOpt = 20220203,
    start: Annotated[
        str, typer.Option("--start", help="First day of observations (YYYY-MM-DD).")
    ] = "2020-01-01",
    end: Annotated[
        str, typer.Option("--end", help="Last day of observations (YYYY-MM-DD).")
    ] = "2022-06-30",
    sightings_per_month: Annotated[
        float,
        typer.Option("--sightings-per-month", help="Mean sightings of an active line per month."),
    ] = 1.1,
    campaign: Annotated[
        Path | None,
        typer.Option("--campaign", help="Campaign file (TOML) to plant.", show_default=False),
    ] = None,
    uplift: Annotated[
        float,
        typer.Option(
            "--uplift",
            help="Planted rise of the campaign vendor's share of new handsets (0.3 = +30 %).",
        ),
    ] = 0.0,
    gzip: Annotated[
        bool,
        typer.Option(
            "--gzip",
            help="Write lines and observations as .csv.gz (the TAC catalog stays plain CSV).",
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
) -> None:
    """Write lines, observations and a TAC catalog in the input contract, plus truth.json.

    Écrit les lignes, les observations et un catalogue TAC au format d'entrée, et truth.json.
    """
    from devicepark.synth import generate

    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    with progress_bar() as cb:
        result = generate(
            out_dir,
            lines=lines,
            seed=seed,
            start=first,
            end=last,
            sightings_per_month=sightings_per_month,
            campaign=campaign,
            uplift=uplift,
            progress=cb,
            gzip=gzip,
        )
    summary = result.summary()
    if fmt is Format.json:
        print_json(summary)
        return
    cal = summary["calibration"]
    rows = [
        {"file": str(result.lines_path), "rows": thousands(result.lines)},
        {"file": str(result.observations_path), "rows": thousands(result.observations)},
        {"file": str(result.tac_path), "rows": thousands(result.tacs)},
        {"file": str(result.truth_path), "rows": ""},
    ]
    if fmt is Format.csv:
        from devicepark.cli._common import print_csv

        print_csv(
            [{"file": r["file"], "rows": r["rows"].replace(",", "")} for r in rows],
            ["file", "rows"],
        )
        return
    print_table(
        rows,
        ["file", "rows"],
        title=f"Synthetic operator, seed {seed}: {result.customers:,} customers",
        right=["rows"],
    )
    if cal:
        x, total = cal["lines"], cal["total_lines"]
        out.print(
            f"Ground truth on {cal['as_of']}: Xiaomi {thousands(x)} of {thousands(total)} lines, "
            f"{percent(cal['share'])} (target {percent(cal['target_share'])})"
        )
        fr_share = f"{100 * cal['share']:.2f}".replace(".", ",")
        fr_x, fr_total = (thousands(v).replace(",", "\u202f") for v in (x, total))
        out.print(
            f"Vérité terrain au {cal['as_of']} : Xiaomi {fr_x} lignes sur {fr_total}, {fr_share} %"
        )
    camp = summary["campaign"]
    if camp:
        out.print(
            f"Campaign {camp['id']}: {camp['vendor']} uplift {camp['uplift']:g}; planted extra "
            f"gross adds {camp['planted_extra_expected']:.1f} expected, "
            f"{camp['realised_extra']} realised"
        )
    err.print(f"synth took {result.seconds:.1f} s")


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
