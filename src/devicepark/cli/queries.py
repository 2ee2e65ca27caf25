"""``devicepark base``, ``series``, ``switches``, ``adds`` and ``milestones``: connect, run the
answers of ``devicepark.answers`` and render them as a table, JSON or CSV.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    AsOfOpt,
    ByOpt,
    EveryOpt,
    Format,
    FormatOpt,
    FromOpt,
    StoreOpt,
    ToOpt,
    UnitOpt,
    VendorOpt,
    busy,
    err,
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
from devicepark.questions import (
    AddsQuestion,
    BaseQuestion,
    EngineOptions,
    MilestonesQuestion,
    SeriesQuestion,
    SwitchesQuestion,
)


def _group_rows(groups: list[dict[str, Any]], by: list[str], unit: str) -> list[dict[str, Any]]:
    return [
        {
            **{k: ("" if g[k] is None else g[k]) for k in by},
            unit: thousands(g[unit]),
            "share": percent(g["share"]),
            "share_of_identified": percent(g["share_of_identified"]),
        }
        for g in groups
    ]


def _flat_points(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """One CSV row per (point, group), totals repeated."""
    rows = []
    for p in answer["points"]:
        head = {k: v for k, v in p.items() if k != "groups"}
        for g in p["groups"] or [{}]:
            rows.append({**head, **g})
    return rows


@with_engine
@with_scope
def base(
    store: StoreOpt,
    as_of: AsOfOpt,
    by: ByOpt = "vendor",
    unit: UnitOpt = "lines",
    fmt: FormatOpt = Format.table,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """The installed base at one date, by vendor (or other keys)."""
    from devicepark import answers

    q = BaseQuestion.parse(as_of, by, unit, **scope)
    keys, unit = list(q.by), q.unit
    st, con, tables = open_store(store, engine)
    with busy("base"):
        a = answers.base(con, tables, q)
    warn_dates(st, q.as_of)  # once the answer stands: an error stays one line
    if fmt == Format.json:
        print_json(a)
        return
    if fmt == Format.csv:
        print_csv(
            [{"as_of": a["as_of"], **g} for g in a["groups"]],
            ["as_of", *keys, unit, "share", "share_of_identified"],
        )
        return
    title = (
        f"Installed base on {a['as_of']}: {thousands(a['total_lines'])} lines, "
        f"{thousands(a['identified_lines'])} identified"
    )
    if unit == "customers":
        title += (
            f"; {thousands(a['total_customers'])} customers, "
            f"{thousands(a['identified_customers'])} identified"
        )
    if unit == "handsets":
        title += f"; {thousands(a['identified_handsets'])} handsets"
    print_table(
        _group_rows(a["groups"], keys, unit),
        [*keys, unit, "share", "share_of_identified"],
        title=title,
        right=(unit, "share", "share_of_identified"),
    )


@with_engine
@with_scope
def series(
    store: StoreOpt,
    d1: FromOpt,
    d2: ToOpt,
    every: EveryOpt = "day",
    by: ByOpt = "vendor",
    unit: UnitOpt = "lines",
    fmt: FormatOpt = Format.table,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """The installed base on every day, each Sunday or each month's last day of a period."""
    from devicepark import answers

    q = SeriesQuestion.parse(d1, d2, every, by, unit, **scope)
    keys, unit = list(q.by), q.unit
    st, con, tables = open_store(store, engine)
    with busy("series"):
        a = answers.series(con, tables, q)
    warn_dates(st, q.start, q.end)  # once the answer stands: an error stays one line
    if fmt == Format.json:
        print_json(a)
        return
    rows = _flat_points(a)
    if fmt == Format.csv:
        cols = [
            "date",
            "total_lines",
            "identified_lines",
            *keys,
            unit,
            "share",
            "share_of_identified",
        ]
        print_csv(rows, cols)
        return
    table = [
        {
            "date": r["date"],
            "total_lines": thousands(r["total_lines"]),
            "identified_lines": thousands(r["identified_lines"]),
            **{k: ("" if r.get(k) is None else r.get(k)) for k in keys},
            unit: thousands(r.get(unit)),
            "share": percent(r.get("share")),
            "share_of_identified": percent(r.get("share_of_identified")),
        }
        for r in rows
    ]
    print_table(
        table,
        ["date", "total_lines", "identified_lines", *keys, unit, "share", "share_of_identified"],
        title=f"Installed base, every {a['every']}",
        right=("total_lines", "identified_lines", unit, "share", "share_of_identified"),
        drop=("share_of_identified", "identified_lines", "total_lines", "share"),
    )


@with_engine
@with_scope
def switches(
    store: StoreOpt,
    d1: FromOpt,
    d2: ToOpt,
    by: Annotated[str, typer.Option("--by", help="vendor or brand.")] = "vendor",
    fmt: FormatOpt = Format.table,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """Switching flows between two dates, and per vendor: gained, lost, kept, loyalty."""
    from devicepark import answers

    q = SwitchesQuestion.parse(d1, d2, by, **scope)
    key = q.by
    st, con, tables = open_store(store, engine)
    with busy("switches"):
        a = answers.switches(con, tables, q)
    warn_dates(st, q.start, q.end)  # once the answer stands: an error stays one line
    if fmt == Format.json:
        print_json(a)
        return
    fk, tk = f"from_{key}", f"to_{key}"
    if fmt == Format.csv:
        print_csv(a["flows"], [fk, tk, "lines"])
        return
    print_table(
        [
            {
                key: s[key],
                "gained": thousands(s["gained"]),
                "lost": thousands(s["lost"]),
                "kept": thousands(s["kept"]),
                "loyalty": percent(s["loyalty"]),
            }
            for s in a["summary"]
        ],
        [key, "gained", "lost", "kept", "loyalty"],
        title=f"Switches from {a['from']} to {a['to']}: per {key}",
        right=("gained", "lost", "kept", "loyalty"),
    )
    print_table(
        [{**f, "lines": thousands(f["lines"])} for f in a["flows"]],
        [fk, tk, "lines"],
        title="Flows",
        right=("lines",),
    )


@with_engine
@with_scope
def adds(
    store: StoreOpt,
    d1: FromOpt,
    d2: ToOpt,
    vendor: Annotated[str | None, typer.Option("--vendor", help="Only this vendor.")] = None,
    by: Annotated[str, typer.Option("--by", help="Comma list, e.g. operator_brand.")] = "",
    changes: Annotated[
        bool,
        typer.Option(
            "--all-changes", help="Count every change of handset, not only entries into a vendor."
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """Daily gross adds: lines whose device changed to the vendor."""
    from devicepark import answers

    q = AddsQuestion.parse(d1, d2, vendor, by, changes, **scope)
    keys = list(q.by)
    st, con, tables = open_store(store, engine)
    with busy("adds"):
        a = answers.adds(con, tables, q)
    warn_dates(st, q.start, q.end)  # once the answer stands: an error stays one line
    if fmt == Format.json:
        print_json(a)
        return
    rows = []
    for p in a["points"]:
        if keys:
            rows += [{"date": p["date"], **g} for g in p["groups"]]
        else:
            rows.append({"date": p["date"], "adds": p["adds"]})
    if fmt == Format.csv:
        print_csv(rows, ["date", *keys, "adds"])
        return
    what = f"{vendor} " if vendor else ""
    print_table(
        [{**r, "adds": thousands(r["adds"])} for r in rows],
        ["date", *keys, "adds"],
        title=f"Daily gross adds {what}from {a['from']} to {a['to']}",
        right=("adds",),
    )


@with_engine
@with_scope
def milestones(
    store: StoreOpt,
    vendor: VendorOpt,
    step: Annotated[int, typer.Option("--step", help="Round step of the thresholds.")] = 250_000,
    threshold: Annotated[
        list[int] | None, typer.Option("--threshold", help="A threshold; repeatable.")
    ] = None,
    d1: Annotated[
        str | None, typer.Option("--from", help="First date (default: start of data).")
    ] = None,
    d2: Annotated[
        str | None, typer.Option("--to", help="Last date (default: end of data).")
    ] = None,
    fmt: FormatOpt = Format.table,
    every: Annotated[
        int | None, typer.Option("--every", hidden=True, help="Deprecated name of --step.")
    ] = None,
    *,
    scope: dict[str, Any],
    engine: EngineOptions,
) -> None:
    """When the vendor crossed each round threshold, and when it should cross the next."""
    from devicepark import answers

    if every is not None:  # the former name of --step (--every is a period in series)
        err.print("warning: milestones --every is deprecated; use --step")
        step = every
    q = MilestonesQuestion.parse(vendor, step, threshold, d1, d2, **scope)
    st, con, tables = open_store(store, engine)
    with busy("milestones"):
        a = answers.milestones(con, tables, q)
    warn_dates(st, q.start, q.end)  # once the answer stands: an error stays one line
    if fmt == Format.json:
        print_json(a)
        return
    if fmt == Format.csv:
        print_csv(
            a["milestones"],
            ["threshold", "first_crossed", "fell_back", "last_fell_back", "above_now"],
        )
        return
    print_table(
        [
            {
                **m,
                "threshold": thousands(m["threshold"]),
                # reached on the series' first day: crossed before the data, date unknown
                "first_crossed": f"before {a['from']}"
                if m["first_crossed"] == a["from"]
                else m["first_crossed"],
                "fell_back": "yes" if m["fell_back"] else "no",
                "above_now": "yes" if m["above_now"] else "no",
            }
            for m in a["milestones"]
        ],
        ["threshold", "first_crossed", "fell_back", "last_fell_back", "above_now"],
        title=f"{a['vendor']}: {thousands(a['last_count'])} lines on {a['last_date']}",
        right=("threshold",),
    )
    n = a["next"]
    if n.get("date"):
        high = n["high"] or "after " + str(n.get("horizon"))
        out.print(
            f"Next: {thousands(n['threshold'])} around {n['date']} "
            f"(80 % interval {n['low']} to {high}; {n['method']})"
        )
    else:
        out.print(
            f"Next: {thousands(n['threshold'])}: no forecast "
            f"({n.get('note') or 'not within the horizon'})"
        )


def register(app: typer.Typer) -> None:
    """Add the query commands to the app."""
    app.command("base")(base)
    app.command("series")(series)
    app.command("switches")(switches)
    app.command("adds")(adds)
    app.command("milestones")(milestones)
