"""``devicepark demo``: synthesise a French operator, ingest it, and count its Xiaomi users."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from devicepark.cli._common import (
    SeedOpt,
    err,
    out,
    percent,
    print_table,
    progress_bar,
    thousands,
)

DEMO_DATE = dt.date(2022, 2, 3)
FULL_SCALE_LINES = 21_100_000
# The demo synthesises sightings from October 2021 to February 2022 only (the headline needs 30
# days of them; handsets are still simulated from 2020). Over those five months about 8 % of the
# lines synth writes are M2M, not yet active or already gone on the demo date, so it writes
# lines / ACTIVE_RATIO rows for the base to hold about `lines` lines.
DEMO_START, DEMO_END = dt.date(2021, 10, 1), dt.date(2022, 2, 28)
ACTIVE_RATIO = 0.92


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo writes its files and store.")
    ] = Path("devicepark-demo"),
    lines: Annotated[
        int,
        typer.Option(
            "--lines",
            help="About how many active lines the base holds (1:20 of France by default).",
        ),
    ] = FULL_SCALE_LINES // 20,
    seed: SeedOpt = 20220203,
    as_of: Annotated[
        str, typer.Option("--as-of", help="Date of the headline count.")
    ] = DEMO_DATE.isoformat(),
    vendor: Annotated[str, typer.Option("--vendor", help="Vendor of the headline.")] = "Xiaomi",
) -> None:
    """Run synth, then ingest, then base on 2022-02-03, and print the vendor table and headline."""
    from devicepark.answers import base
    from devicepark.answers.daily import refresh_daily
    from devicepark.ingest.pseudonym import load_key, new_key
    from devicepark.ingest.run import ingest
    from devicepark.publish import locale
    from devicepark.questions import BaseQuestion
    from devicepark.store import Store, connect, open_tables
    from devicepark.store.engine import duckdb_connection
    from devicepark.synth import generate

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter(f"--as-of takes YYYY-MM-DD, got {as_of!r}") from None
    data_dir, store_dir = directory / "data", directory / "store"
    key_file = directory / "demo.key"  # the key lives beside the store, never inside it
    if store_dir.exists():
        shutil.rmtree(store_dir)
    directory.mkdir(parents=True, exist_ok=True)
    if os.environ.get("DEVICEPARK_KEY"):
        key = load_key()
    else:
        if not key_file.exists():
            key_file.write_text(new_key() + "\n", encoding="ascii")
            key_file.chmod(0o600)
        key = load_key(key_file)

    timings: dict[str, float] = {}
    with progress_bar(True) as cb:
        t0 = time.perf_counter()
        result = generate(
            data_dir,
            lines=max(10, round(lines / ACTIVE_RATIO)),
            seed=seed,
            start=DEMO_START,
            end=DEMO_END,
            progress=cb,
        )
        timings["synth"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        store = Store.create(store_dir)
        files = result.files if hasattr(result, "files") else {}
        report = ingest(
            store,
            duckdb_connection(),
            key,
            lines=[files.get("lines", data_dir / "lines.csv")],
            observations=[files.get("observations", data_dir / "observations.csv")],
            tac=[files.get("tac", data_dir / "tac.csv")],
            max_reject_rate=0.05,
            progress=cb,
            derive=refresh_daily,
        )
        timings["ingest"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        cb("base", 0, 1)
        con = connect("duckdb")
        answer = base(con, open_tables(con, Store.open(store_dir)), BaseQuestion(day))
        cb("base", 1, 1)
        timings["base"] = time.perf_counter() - t0

    for f in report.files:
        err.print(
            f"{Path(f['file']).name}: {f['rows']:,} rows = {f['accepted']:,} accepted "
            f"+ {f['rejected']:,} rejected"
            f" + {f['duplicates']:,} duplicates + {f['orphans']:,} orphans"
        )
    total, identified = answer["total_lines"], answer["identified_lines"]
    rows = [
        {
            "vendor": g["vendor"],
            "lines": thousands(g["lines"]),
            "share": percent(g["share"]),
            "share_of_identified": percent(g["share_of_identified"]),
        }
        for g in answer["groups"]
    ]
    print_table(
        rows,
        ["vendor", "lines", "share", "share_of_identified"],
        title=f"Installed base on {day.isoformat()}: {total:,} active lines, "
        f"{identified:,} identified",
        right=["lines", "share", "share_of_identified"],
    )
    hit = next((g for g in answer["groups"] if g["vendor"].lower() == vendor.lower()), None)
    count = hit["lines"] if hit else 0
    share = hit["share"] if hit else 0.0
    out.print(
        f"[bold]{vendor}: {count:,} lines, {100 * share:.2f} % of the base[/bold] "
        "(active lines, M2M excluded, 30-day lookback)"
    )
    out.print(
        f"[bold]{vendor} : {locale.integer(count, 'fr')} lignes, "
        f"{locale.percent(share, 'fr')} de la base[/bold]"
        " (lignes actives, hors M2M, 30 jours d'observation)"
    )
    err.print(
        "timings: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f"; store at {store_dir}, try: devicepark base --store {store_dir} --as-of {day} "
        "--by vendor,operator_brand"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
