"""The installed-base answers: execute the ``devicepark.base`` expressions of a question and shape
the rows into the JSON contracts (dates as ``YYYY-MM-DD`` strings; see ``devicepark.base.shape``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.answers.span import data_dates
from devicepark.answers.vendors import resolve_vendors
from devicepark.base import adds as adds_q
from devicepark.base import daily as daily_q
from devicepark.base import milestones as milestones_q
from devicepark.base import switches as switches_q
from devicepark.base.common import AGE_BUCKETS, CATALOG_KEYS, LINE_KEYS, catalog_latest
from devicepark.base.series import point_dates, series_rows
from devicepark.base.shape import (
    CKEY,
    COUNTS,
    attach_keys,
    base_answer,
    iso,
    join_keys,
    series_answer,
)
from devicepark.base.snapshot import installed_base
from devicepark.errors import ConfigError
from devicepark.questions import (
    AddsQuestion,
    BaseQuestion,
    MilestonesQuestion,
    SeriesQuestion,
    SwitchesQuestion,
    check_points,
)
from devicepark.store.engine import Tables


def rows(con: ibis.BaseBackend, expr: Table) -> list[dict[str, Any]]:
    """Execute ``expr`` on ``con`` into a list of plain dicts (dates as ``datetime.date``)."""
    return con.to_pyarrow(expr).to_pylist()


# ``keyed=True`` (counts of lines only) asks for the cell key of every count beside it
# (``_ckey`` on groups, flows and days, ``_ckeys`` for totals): the form that
# ``devicepark.publish.cellkey`` perturbs for publication. Without it the answers are the JSON
# contracts exactly.


def _daily(tables: Tables, by: list[str], unit: str, lookback_days: int) -> Table | None:
    """The daily aggregate when it answers the question exactly (``base.daily.fits``) and the
    store has it (bound on DuckDB only); else None: the exact fold answers."""
    if not daily_q.fits(by, unit, lookback_days):
        return None
    return tables.aggregate()


def base(
    con: ibis.BaseBackend, tables: Tables, q: BaseQuestion, *, keyed: bool = False
) -> dict[str, Any]:
    """``{"as_of", "by", "unit", "total_lines", "identified_lines", "groups": [...]}``."""
    keys = list(q.by)
    daily = _daily(tables, keys, q.unit, q.scope.lookback_days)
    if daily is not None:
        expr = daily_q.base_rows(daily, q.as_of, keys, q.scope.include_m2m)
    else:
        expr = installed_base(
            tables, q.as_of, keys, q.unit, q.scope.lookback_days, q.scope.include_m2m, keyed=keyed
        )
    got = rows(con, expr)
    answer = base_answer(got, q.as_of, keys, q.unit)
    return attach_keys(answer, got, keys) if keyed else answer


def series(
    con: ibis.BaseBackend, tables: Tables, q: SeriesQuestion, *, keyed: bool = False
) -> dict[str, Any]:
    """``{"by", "every", "points": [{"date", "total_lines", "identified_lines", "groups"}]}``."""
    keys = list(q.by)
    dates = point_dates(q.start, q.end, q.every)
    if not dates:
        return {"by": keys, "every": q.every, "points": []}
    scope = q.scope
    daily = _daily(tables, keys, q.unit, scope.lookback_days)
    if daily is not None:
        expr = daily_q.series_rows(
            daily, q.start, q.end, q.every, keys, scope.include_m2m, keyed=keyed
        )
    else:
        expr = series_rows(
            tables, q.start, q.end, q.every, keys, q.unit, scope.lookback_days,
            scope.include_m2m, keyed=keyed,
        )  # fmt: skip
    got = rows(con, expr)
    answer = series_answer(got, dates, keys, q.unit, q.every)
    if keyed:
        per_date: dict[str, list[dict[str, Any]]] = {}
        for r in got:
            per_date.setdefault(iso(r["date"]), []).append(r)
        for point in answer["points"]:
            attach_keys(point, per_date.get(point["date"], []), keys)
    return answer


def switches(
    con: ibis.BaseBackend, tables: Tables, q: SwitchesQuestion, *, keyed: bool = False
) -> dict[str, Any]:
    """``{"from", "to", "flows": [{"from_vendor", "to_vendor", "lines"}], "summary": [...]}``."""
    expr = switches_q.flows(
        tables, q.start, q.end, q.by, q.scope.lookback_days, q.scope.include_m2m, keyed=keyed
    )
    got = rows(con, expr)
    answer = switches_q.answer(got, q.start, q.end, q.by)
    if keyed:
        fk, tk = f"from_{q.by}", f"to_{q.by}"
        found = {(r[fk], r[tk]): int(r["ckey"]) for r in got}
        for f in answer["flows"]:
            f[CKEY] = found[(f[fk], f[tk])]
    return answer


def adds(
    con: ibis.BaseBackend, tables: Tables, q: AddsQuestion, *, keyed: bool = False
) -> dict[str, Any]:
    """``{"from", "to", "vendor", "by", "kind", "points": [{"date", "adds", "groups"}]}``."""
    keys = list(q.by)
    vendor = resolve_vendors(con, tables, [q.vendor])[0] if q.vendor else None
    scope = q.scope
    expr = adds_q.daily_adds(
        tables, q.start, q.end, vendor, keys, scope.lookback_days, scope.include_m2m, q.kind,
        keyed=keyed,
    )  # fmt: skip
    got = rows(con, expr)
    answer = adds_q.answer(got, q.start, q.end, vendor, keys, q.kind)
    if keyed:
        found: dict[str, dict[tuple[Any, ...], int]] = {}
        for r in got:
            found.setdefault(iso(r["date"]), {})[tuple(r[k] for k in keys)] = int(r["ckey"])
        for p in answer["points"]:
            day = found.get(p["date"], {})
            p[CKEY] = join_keys(day.values())  # the day's adds: the union of its groups
            for g in p["groups"]:
                g[CKEY] = day[tuple(g[k] for k in keys)]
    return answer


def data_span(con: ibis.BaseBackend, tables: Tables) -> tuple[dt.date, dt.date] | None:
    """First and last local dates of the store's tenures (None when there are none), from the
    Parquet footers of the version ``tables`` reads (``span.data_dates``: no query). Tables not
    backed by the store's files (in-memory ones) are asked."""
    if tables.store.files("tenures"):
        return data_dates(tables.store)
    t = tables.tenures
    r = rows(con, t.aggregate(lo=t.first_date.min(), hi=t.last_date.max()))
    if not r or r[0]["lo"] is None:
        return None
    return r[0]["lo"], r[0]["hi"]


def milestones(
    con: ibis.BaseBackend,
    tables: Tables,
    q: MilestonesQuestion,
    paths: int = 500,
    seed: int = 0,
    *,
    keyed: bool = False,
) -> dict[str, Any]:
    """Threshold crossings of the vendor's daily line count and a forecast of the next one.

    The series runs from ``q.start`` (default: the first date the store has observations for
    plus the lookback, when the base is fully formed) to ``q.end`` (default: the last observed
    date). ``keyed`` adds ``_counts``: the daily counts, their cell keys and the thresholds,
    from which ``publish.cellkey.perturb_milestones`` reads the published milestones again.
    """
    lookback = q.scope.lookback_days
    (vendor,) = resolve_vendors(con, tables, [q.vendor])
    a, b = q.start, q.end
    if a is None or b is None:
        span = data_span(con, tables)
        if span is None:
            raise ConfigError("the store has no observations yet; ingest some first")
        lo, hi = span
        a = a if a is not None else min(lo + dt.timedelta(days=lookback - 1), hi)
        b = b if b is not None else hi
        if a <= b:
            check_points(a, b, "day", q.max_points)
    expr = series_rows(
        tables, a, b, "day", ["vendor"], "lines", lookback, q.scope.include_m2m, keyed=keyed
    )
    expr = expr.filter((expr.level == "group") & (expr.vendor == vendor))
    found = rows(con, expr)
    got = {r["date"]: int(r["lines"]) for r in found}
    dates = point_dates(a, b, "day")
    counts = [got.get(d, 0) for d in dates]
    thresholds = list(q.thresholds) if q.thresholds else None
    result = milestones_q.milestones(
        dates,
        counts,
        every=q.step,
        thresholds=thresholds,
        paths=paths,
        seed=seed,
    )
    answer = {"vendor": vendor, "from": iso(a), "to": iso(b), **result}
    if keyed:
        keys = {r["date"]: int(r["ckey"]) for r in found}
        answer[COUNTS] = {
            "dates": [iso(d) for d in dates],
            "lines": counts,
            "keys": [keys.get(d, 0) for d in dates],
            "thresholds": thresholds,
        }
    return answer


def cardinalities(con: ibis.BaseBackend, tables: Tables) -> dict[str, int]:
    """How many values each grouping key can take in the store (distinct values, plus one for
    Unknown or a missing value): the bound on the groups of a question, before it runs."""
    cat = catalog_latest(tables.catalog)
    lines = tables.lines
    aggs = {k: cat[k].nunique() for k in CATALOG_KEYS}
    found = rows(con, cat.aggregate(**aggs))[0] if aggs else {}
    line_aggs = {k: lines[k].nunique() for k in LINE_KEYS}
    found.update(rows(con, lines.aggregate(**line_aggs))[0])
    out = {k: int(v or 0) + 1 for k, v in found.items()}
    out["device_age"] = len(AGE_BUCKETS)
    return out
