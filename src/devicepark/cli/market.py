"""``devicepark market import|compare`` and ``devicepark claim check``: base against market."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    EngineOpt,
    Format,
    MemoryLimitOpt,
    SparkConfOpt,
    SparkMasterOpt,
    StoreOpt,
    TableOrJson,
    connect_engine,
    out,
    percent,
    print_csv,
    print_json,
    print_table,
    thousands,
)
from devicepark.errors import ConfigError


class Kind(StrEnum):
    usage = "usage"
    shipments = "shipments"
    installed = "installed"


class Every(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class By(StrEnum):
    operator_brand = "operator_brand"


def register(app: typer.Typer) -> None:
    market = typer.Typer(
        help="Market-share tables: import them, compare our base with them.", no_args_is_help=True
    )
    market.command("import")(import_)
    market.command("compare")(compare)
    app.add_typer(market, name="market")
    claim = typer.Typer(help="Public claims: does the store support them?", no_args_is_help=True)
    claim.command("check")(check)
    app.add_typer(claim, name="claim")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} takes a date YYYY-MM-DD, not {value!r}") from None


M2mOpt = Annotated[
    bool, typer.Option("--include-m2m", help="Count M2M SIMs too (excluded by default).")
]
LookbackOpt = Annotated[
    int, typer.Option("--lookback-days", help="Days of observations that identify a device.")
]


def _connect(
    engine: Any, spark_master: str | None, spark_conf: list[str] | None, memory_limit: str | None
) -> Any:
    return connect_engine(engine, spark_master, spark_conf, memory_limit)


def _vendor(name: str) -> str:
    try:
        from devicepark.identify.vendors import vendor_of
    except ImportError:
        return name.strip()
    return vendor_of(name) or name.strip()


# -- market import ------------------------------------------------------------------------------


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="Long CSV (period,vendor,share[,source]) or StatCounter's wide export.",
            show_default=False,
        ),
    ],
    store: StoreOpt,
    name: Annotated[
        str,
        typer.Option(
            "--name",
            help="The market's name in the store; importing the same name again replaces it.",
            show_default=False,
        ),
    ],
    kind: Annotated[
        Kind, typer.Option("--kind", help="usage, shipments or installed.")
    ] = Kind.usage,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Who published the figures "
            "(default: StatCounter Global Stats for its export, "
            "else the file name).",
        ),
    ] = None,
    fmt: Annotated[
        TableOrJson, typer.Option("--format", help="table or json.")
    ] = TableOrJson.table,
) -> None:
    """Import a market-share table into the store, reporting what it had to fix or skip."""
    from devicepark.market import table
    from devicepark.market.reader import read_market
    from devicepark.store import Store

    if not name.strip():
        raise ConfigError("--name must not be empty")
    st = Store.open(store)
    parsed = read_market(file, source=source)
    if source is None:
        source = "StatCounter Global Stats" if parsed.layout == "statcounter" else file.name
    rows = table.save(st, parsed, name=name, kind=kind.value, source=source)
    periods = parsed.periods
    report: dict[str, Any] = {
        "market": name,
        "kind": kind.value,
        "source": source,
        "file": str(file),
        "layout": parsed.layout,
        "unit": parsed.unit,
        "periods": len(periods),
        "first_period": periods[0].label,
        "last_period": periods[-1].label,
        "vendors": parsed.vendors,
        "rows": rows,
        "notices": [n.to_dict() for n in parsed.notices],
    }
    if fmt is TableOrJson.json:
        print_json(report)
        return
    out.print(
        f"[bold]{name}[/bold] ({kind.value}, {source}): {len(periods)} periods "
        f"{periods[0].label} to {periods[-1].label}, {len(parsed.vendors)} vendors, "
        f"{rows} rows; {parsed.layout} layout, shares in {parsed.unit}"
    )
    if parsed.notices:
        print_table(
            [n.to_dict() for n in parsed.notices],
            ["code", "line", "message"],
            title="Notices",
            right=["line"],
        )


# -- market compare -----------------------------------------------------------------------------

COMPARE_COLUMNS = [
    "as_of",
    "period",
    "operator_brand",
    "vendor",
    "base_share",
    "market_share",
    "index",
    "gap_lines",
]


def compare(
    store: StoreOpt,
    market: Annotated[
        str, typer.Option("--market", help="Market name given at import.", show_default=False)
    ],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD.")] = None,
    by: Annotated[
        By | None, typer.Option("--by", help="operator_brand: one comparison per brand.")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="Series start YYYY-MM-DD.")] = None,
    stop: Annotated[str | None, typer.Option("--to", help="Series end YYYY-MM-DD.")] = None,
    every: Annotated[Every, typer.Option("--every", help="Series step.")] = Every.month,
    lookback_days: LookbackOpt = 30,
    include_m2m: M2mOpt = False,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    memory_limit: MemoryLimitOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
) -> None:
    """Per vendor: base share, market share, index (base / market x 100) and gap in lines."""
    from devicepark.market.compare import compare_store, series_store
    from devicepark.market.table import load
    from devicepark.store import Store

    day, d1, d2 = _date(as_of, "--as-of"), _date(start, "--from"), _date(stop, "--to")
    if (d1 is None) != (d2 is None):
        raise ConfigError("--from and --to go together")
    if day is None and d1 is None:
        raise ConfigError("give --as-of D, or --from D1 --to D2 for a series")
    if day is not None and d1 is not None:
        raise ConfigError("give either --as-of or --from/--to, not both")
    st = Store.open(store)
    shares = load(st, market)
    con = _connect(engine, spark_master, spark_conf, memory_limit)
    by_col = by.value if by else None
    result: dict[str, Any]
    if day is not None:
        result = compare_store(
            con,
            st,
            shares,
            market=market,
            as_of=day,
            by=by_col,
            lookback_days=lookback_days,
            include_m2m=include_m2m,
        )
        points = [result]
    else:
        assert d1 is not None and d2 is not None
        result = series_store(
            con,
            st,
            shares,
            market=market,
            start=d1,
            stop=d2,
            every=every.value,
            by=by_col,
            lookback_days=lookback_days,
            include_m2m=include_m2m,
        )
        points = result["points"]
    if fmt is Format.json:
        print_json(result)
        return
    columns = [c for c in COMPARE_COLUMNS if by_col or c != "operator_brand"]
    rows = [{"as_of": p["as_of"], "period": p["period"], **v} for p in points for v in p["vendors"]]
    if fmt is Format.csv:
        print_csv(rows, columns)
        return
    for p in points:
        shown = [
            {
                **v,
                "base_share": percent(v["base_share"]),
                "market_share": percent(v["market_share"]),
                "index": "" if v["index"] is None else f"{v['index']:.0f}",
                "gap_lines": ""
                if v["gap_lines"] is None
                else f"{v['gap_lines']:+,}"
                if v["gap_lines"]
                else "0",
            }
            for v in p["vendors"]
        ]
        print_table(
            shown,
            [c for c in columns if c not in ("as_of", "period")],
            title=f"{market}, period {p['period']}, base on {p['as_of']}",
            right=["base_share", "market_share", "index", "gap_lines"],
        )


# -- claim check --------------------------------------------------------------------------------


def check(
    store: StoreOpt,
    vendor: Annotated[
        str, typer.Option("--vendor", help="Vendor claimed, e.g. Xiaomi.", show_default=False)
    ],
    count: Annotated[
        int, typer.Option("--count", help="Count claimed, e.g. 1000000.", show_default=False)
    ],
    as_of: Annotated[
        str, typer.Option("--as-of", help="Date of the claim YYYY-MM-DD.", show_default=False)
    ],
    of: Annotated[
        int | None, typer.Option("--of", help="Denominator claimed, e.g. 21000000.")
    ] = None,
    share: Annotated[
        float | None, typer.Option("--share", help="Share printed, in percent (4.74 means 4.74 %).")
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option("--tolerance", help="Relative gap at which a denominator still matches."),
    ] = 0.01,
    lookback_days: LookbackOpt = 30,
    include_m2m: M2mOpt = False,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    memory_limit: MemoryLimitOpt = None,
    fmt: Annotated[
        TableOrJson, typer.Option("--format", help="table or json.")
    ] = TableOrJson.table,
) -> None:
    """Whether the store supports a public claim; exit 0 whatever the verdict (it is a report)."""
    from devicepark.market.claim import claim_store
    from devicepark.store import Store

    day = _date(as_of, "--as-of")
    assert day is not None
    st = Store.open(store)
    con = _connect(engine, spark_master, spark_conf, memory_limit)
    report = claim_store(
        con,
        st,
        vendor=_vendor(vendor),
        as_of=day,
        count=count,
        of=of,
        share=None if share is None else share / 100,
        tolerance=tolerance,
        lookback_days=lookback_days,
        include_m2m=include_m2m,
    )
    if fmt is TableOrJson.json:
        print_json(report)
        return
    m, c = report["measured"], report["claim"]
    out.print(
        f"[bold]{report['vendor']}[/bold] on {report['as_of']}: [bold]{report['verdict']}[/bold]"
    )
    rows = [
        {"figure": "claimed count", "value": thousands(c["count"])},
        {"figure": "measured lines", "value": thousands(m["lines"])},
        {
            "figure": "total lines (share)",
            "value": f"{thousands(m['total_lines'])} ({percent(m['share'])})",
        },
        {
            "figure": "identified lines (share)",
            "value": f"{thousands(m['identified_lines'])} ({percent(m['share_of_identified'])})",
        },
    ]
    if m["total_customers"] is not None:
        rows.append(
            {
                "figure": "customers (share)",
                "value": f"{thousands(m['total_customers'])} ({percent(m['share_of_customers'])})",
            }
        )
    if c["of"] is not None:
        rows.append({"figure": "count / of", "value": percent(c["arithmetic_share"])})
    if c["implied_denominator"] is not None:
        rows.append(
            {
                "figure": "denominator the share implies",
                "value": thousands(c["implied_denominator"]),
            }
        )
    rows.append(
        {"figure": "largest round figure supported", "value": thousands(report["supported_count"])}
    )
    rows.append({"figure": "share to print", "value": percent(report["careful_share"])})
    print_table(rows, ["figure", "value"], right=["value"])
    for reason in report["reasons"]:
        out.print(f"- {reason}")
    out.print(report["careful_text"]["en"])
    out.print(report["careful_text"]["fr"])
