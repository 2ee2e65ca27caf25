"""``devicepark market import|compare`` and ``devicepark claim check``: base against market."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    EveryOpt,
    Format,
    FormatOpt,
    StoreOpt,
    TableJsonOpt,
    TableOrJson,
    open_store,
    out,
    percent,
    print_csv,
    print_json,
    print_table,
    thousands,
    warn_dates,
    with_engine,
    with_scope,
)
from devicepark.errors import ConfigError
from devicepark.questions import ClaimQuestion, CompareQuestion, EngineOptions

Kind = StrEnum("Kind", "usage shipments installed")


By = StrEnum("By", "operator_brand")


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


@with_engine
@with_scope
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
    every: EveryOpt = "month",
    fmt: FormatOpt = Format.table,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """Per vendor: base share, market share, index (base / market x 100) and gap in lines."""
    from devicepark import answers

    by_col = by.value if by else None
    q = CompareQuestion.parse(market, as_of, start, stop, every, by_col, **scope)
    st, con, tables = open_store(store, engine)
    result = answers.compare(con, tables, q)
    warn_dates(st, q.as_of, q.start, q.end)
    points = [result] if q.as_of is not None else result["points"]
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


@with_engine
@with_scope
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
    fmt: TableJsonOpt = TableOrJson.table,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """Whether the store supports a public claim; exit 0 whatever the verdict (it is a report)."""
    from devicepark import answers

    q = ClaimQuestion.parse(vendor, count, as_of, of, share, tolerance, **scope)
    st, con, tables = open_store(store, engine)
    report = answers.claim(con, tables, q)
    warn_dates(st, q.as_of)
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
