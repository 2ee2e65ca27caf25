"""``devicepark campaign check|offers|audience|measure``: plan, target and measure a promotion."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    KeyFileOpt,
    StoreOpt,
    TableJsonOpt,
    TableOrJson,
    open_store,
    out,
    print_json,
    print_table,
    progress_bar,
    with_engine,
)
from devicepark.errors import ConfigError
from devicepark.questions import EngineOptions, MeasureQuestion

FileArg = Annotated[Path, typer.Argument(help="Campaign file (TOML).", show_default=False)]


class Channel(StrEnum):
    store = "store"
    online = "online"


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Campaigns: check a campaign file, its prices, its audience and its effect.",
        no_args_is_help=True,
    )
    group.command("check")(check)
    group.command("offers")(offers)
    group.command("audience")(audience)
    group.command("measure")(measure)
    app.add_typer(group, name="campaign")


def check(
    file: FileArg,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="Store whose TAC catalog the offers' models are checked against."
        ),
    ] = None,
    fmt: TableJsonOpt = TableOrJson.table,
) -> None:
    """Validate a campaign file and summarise it; warn about models missing from the catalog."""
    from devicepark.campaign.spec import check_campaign, load_campaign
    from devicepark.campaign.spec import summary as campaign_summary

    campaign = load_campaign(file)
    warnings: list[str] = []
    if store is not None:
        from devicepark.store import Store

        catalog = Store.open(store).read("catalog", columns=["tac", "model", "marketing_name"])
        names = [m for m in catalog.column("model").to_pylist() if m] + [
            m for m in catalog.column("marketing_name").to_pylist() if m
        ]
        tacs = [t for t in catalog.column("tac").to_pylist() if t]
        warnings = check_campaign(campaign, names, tacs)
    summary = campaign_summary(campaign)
    if fmt is TableOrJson.json:
        print_json({**summary, "valid": True, "warnings": warnings})
        return
    out.print(f"[bold]{campaign.name}[/bold] ({campaign.id}): valid / valide")
    for key in (
        "vendor",
        "timezone",
        "starts",
        "ends",
        "days",
        "channels",
        "operator_brands",
        "stack",
    ):
        value = summary[key]
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        out.print(f"  {key}: {value}")
    rows = [
        {
            "phase": ph or "",
            "model": o.label,
            "list_price": f"{o.list_price:.2f}",
            "discount": f"{o.discount_amount:.2f}"
            if o.discount_amount is not None
            else f"{o.discount_percent:g} %",
            "price": f"{o.price:.2f}",
            "channels": ", ".join(o.channels),
        }
        for ph, o in campaign.all_offers()
    ]
    if rows:
        cols = ["phase", "model", "list_price", "discount", "price", "channels"]
        print_table(rows, cols, title="Offers / Offres", right=["list_price", "discount", "price"])
    for phase in summary["phases"]:
        out.print(f"  phase {phase['name']}: {phase['starts']} -> {phase['ends']} (exclusive)")
    if summary["audience"] is not None:
        a = summary["audience"]
        out.print(
            f"  audience: segments {', '.join(a['segments'])}; exclude vendors "
            f"{', '.join(a['exclude_vendors']) or '-'}; "
            f"min device age {a['min_device_age_months']} months; holdout {a['holdout_share']:.0%}"
        )
    if store is None:
        out.print("  (models not checked: pass --store DIR to check them against the catalog)")
    for w in warnings:
        out.print(f"[yellow]warning / avertissement:[/yellow] {w}")


def offers(
    file: FileArg,
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="Instant, e.g. 2022-02-04T10:00 (campaign's time zone) or with an offset.",
            show_default=False,
        ),
    ],
    channel: Annotated[
        Channel | None, typer.Option("--channel", help="store or online (default: best of both).")
    ] = None,
    fmt: TableJsonOpt = TableOrJson.table,
) -> None:
    """The price to charge at an instant: best single discount per model unless stack = true."""
    from devicepark.campaign.offers import offers_at, parse_at
    from devicepark.campaign.spec import load_campaign

    campaign = load_campaign(file)
    instant = parse_at(at, campaign.timezone)
    result = offers_at(campaign, instant, channel.value if channel else None,
                       with_channels=fmt is not TableOrJson.json)
    if fmt is TableOrJson.json:
        print_json(result)
        return
    state = "active / en cours" if result["active"] else "not active / hors campagne"
    out.print(f"{campaign.id} at {result['at']}: {state}")
    if result["offers"]:
        rows = [
            {
                **r,
                "list_price": f"{r['list_price']:.2f}",
                "price": f"{r['price']:.2f}",
                "discount": f"{r['discount']:.2f}",
                "channels": ", ".join(r["channels"]),
            }
            for r in result["offers"]
        ]
        cols = ["model", "list_price", "discount", "price", "phase", "channels"]
        print_table(rows, cols, right=["list_price", "discount", "price"])


@with_engine
def audience(
    file: FileArg,
    store: StoreOpt,
    out_file: Annotated[
        Path, typer.Option("--out", help="Parquet file to write.", show_default=False)
    ],
    key_file: KeyFileOpt = None,
    fmt: TableJsonOpt = TableOrJson.table,
    *,
    engine: EngineOptions,
) -> None:
    """Write the eligible lines at the campaign start (pseudonyms only), split treatment/holdout."""
    import pyarrow.parquet as pq

    from devicepark import answers
    from devicepark.campaign.audience import audience_counts
    from devicepark.campaign.spec import load_campaign
    from devicepark.ingest.pseudonym import load_key

    campaign = load_campaign(file)
    key = load_key(key_file)
    st, con, tables = open_store(store, engine)
    st.check_key(key)  # the holdout hash and the pseudonyms must share the store's key
    table = answers.audience(con, tables, campaign, key)
    if out_file.suffix.lower() != ".parquet":
        raise ConfigError(f"--out: {out_file} must be a .parquet file")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(f".{out_file.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out_file)
    counts = audience_counts(table)
    if fmt is TableOrJson.json:
        print_json(
            {
                "campaign": campaign.id,
                "as_of": campaign.first_day,
                "out": str(out_file),
                "lines": table.num_rows,
                "counts": counts,
            }
        )
        return
    out.print(
        f"{campaign.id}: {table.num_rows:,} eligible lines on {campaign.first_day} "
        f"/ lignes éligibles, written to {out_file}"
    )
    rows = [{**r, **{k: f"{r[k]:,}" for k in ("lines", "treatment", "holdout")}} for r in counts]
    print_table(
        rows,
        ["segment", "operator_brand", "lines", "treatment", "holdout"],
        title="Audience by segment and operator brand / par segment et marque",
        right=["lines", "treatment", "holdout"],
    )


@with_engine
def measure(
    file: FileArg,
    store: StoreOpt,
    audience_file: Annotated[
        Path | None,
        typer.Option(
            "--audience", help="Audience Parquet file (for the treatment/holdout difference)."
        ),
    ] = None,
    after_days: Annotated[
        int,
        typer.Option("--after-days", help="Days watched after the window (14-28).", min=14, max=28),
    ] = 21,
    fmt: TableJsonOpt = TableOrJson.table,
    *,
    engine: EngineOptions,
) -> None:
    """Estimate the campaign's effect on the vendor's daily gross adds, with 95 % intervals."""
    import pyarrow.parquet as pq

    from devicepark import answers
    from devicepark.campaign.spec import load_campaign

    campaign = load_campaign(file)
    audience_table = None
    if audience_file is not None:
        try:
            audience_table = pq.read_table(audience_file, columns=["campaign", "line", "group"])
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(
                f"--audience: {audience_file} is not an audience file of `devicepark campaign "
                f"audience` ({type(exc).__name__})"
            ) from None
        ids = set(audience_table.column("campaign").to_pylist())
        if ids - {campaign.id}:
            raise ConfigError(
                f"--audience: {audience_file} was drawn for campaign {', '.join(sorted(ids))}, "
                f"not {campaign.id}"
            )
    q = MeasureQuestion(campaign, after_days=after_days, audience=audience_table)
    _, con, tables = open_store(store, engine)
    with progress_bar() as cb:
        cb("measure", 0, 1)
        answer, details = answers.measure(con, tables, q)
        cb("measure", 1, 1)
    if fmt is TableOrJson.json:
        print_json(answer)
        return
    _print_measure(answer, {**details, "audience": audience_file})


def _print_measure(answer: dict[str, Any], details: dict[str, Any]) -> None:
    def interval(e: dict[str, Any] | None) -> str:
        if e is None:
            return "n/a"
        sig = "significant / significatif" if e["low"] > 0 or e["high"] < 0 else "not significant"
        return f"{e['cumulative']:+,.1f} [{e['low']:+,.1f}, {e['high']:+,.1f}] ({sig})"

    w = answer["window"]
    out.print(
        f"[bold]{answer['campaign']}[/bold]: {answer['vendor']} gross adds in "
        f"{', '.join(answer['operator_brands'])}, {w['starts']} to {w['ends']}"
    )
    pre = details["pre_period"]
    out.print(
        f"  counterfactual: {details['model']}, fitted on {pre['starts']} to {pre['ends']} "
        f"({pre['days']} days); "
        f"control: {details['control_series'] if details['control'] else 'none'}"
    )
    out.print(f"  effect (window) / effet (fenêtre): {interval(answer['effect'])}")
    out.print(f"  after ({details['after_days']} days) / après: {interval(answer['after'])}")
    rate = answer["placebo_false_positive_rate"]
    out.print(
        "  placebo false-positive rate / taux de faux positifs: "
        + ("n/a" if rate is None else f"{rate:.0%} of {details['placebos']} fake windows")
    )
    h = answer["holdout"]
    if h is None:
        why = (
            "the audience has no holdout lines"
            if details.get("audience") is not None
            else "pass --audience FILE from `devicepark campaign audience`"
        )
        out.print(f"  holdout: none ({why})")
    else:
        out.print(
            f"  adoption treatment {h['treatment']['rate']:.2%} "
            f"({h['treatment']['lines']:,} lines) "
            f"vs holdout {h['holdout']['rate']:.2%} ({h['holdout']['lines']:,}): "
            f"{h['difference']:+.2%} [{h['low']:+.2%}, {h['high']:+.2%}]"
        )
    rows = [
        {
            "date": d["date"],
            "observed": d["observed"],
            "expected": f"{d['expected']:.1f}",
            "low": f"{d['low']:.1f}",
            "high": f"{d['high']:.1f}",
            "incremental": f"{d['observed'] - d['expected']:+.1f}",
        }
        for d in answer["daily"]
    ]
    cols = ["date", "observed", "expected", "low", "high", "incremental"]
    print_table(rows, cols, title="Daily gross adds / ajouts bruts quotidiens", right=cols[1:])

