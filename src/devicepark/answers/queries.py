"""The installed-base answers: execute the ``devicepark.base`` expressions of a question and shape
the rows into the JSON contracts (dates as ``YYYY-MM-DD`` strings; see ``devicepark.base.shape``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.answers.vendors import resolve_vendors
from devicepark.base import adds as adds_q
from devicepark.base import milestones as milestones_q
from devicepark.base import switches as switches_q
from devicepark.base.series import point_dates, series_rows
from devicepark.base.shape import base_answer, iso, series_answer
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


def base(con: ibis.BaseBackend, tables: Tables, q: BaseQuestion) -> dict[str, Any]:
    """``{"as_of", "by", "unit", "total_lines", "identified_lines", "groups": [...]}``."""
    keys = list(q.by)
    expr = installed_base(
        tables, q.as_of, keys, q.unit, q.scope.lookback_days, q.scope.include_m2m
    )
    return base_answer(rows(con, expr), q.as_of, keys, q.unit)


def series(con: ibis.BaseBackend, tables: Tables, q: SeriesQuestion) -> dict[str, Any]:
    """``{"by", "every", "points": [{"date", "total_lines", "identified_lines", "groups"}]}``."""
    keys = list(q.by)
    dates = point_dates(q.start, q.end, q.every)
    if not dates:
        return {"by": keys, "every": q.every, "points": []}
    expr = series_rows(
        tables, q.start, q.end, q.every, keys, q.unit, q.scope.lookback_days, q.scope.include_m2m
    )
    return series_answer(rows(con, expr), dates, keys, q.unit, q.every)


def switches(con: ibis.BaseBackend, tables: Tables, q: SwitchesQuestion) -> dict[str, Any]:
    """``{"from", "to", "flows": [{"from_vendor", "to_vendor", "lines"}], "summary": [...]}``."""
    expr = switches_q.flows(
        tables, q.start, q.end, q.by, q.scope.lookback_days, q.scope.include_m2m
    )
    return switches_q.answer(rows(con, expr), q.start, q.end, q.by)


def adds(con: ibis.BaseBackend, tables: Tables, q: AddsQuestion) -> dict[str, Any]:
    """``{"from", "to", "vendor", "by", "kind", "points": [{"date", "adds", "groups"}]}``."""
    keys = list(q.by)
    vendor = resolve_vendors(con, tables, [q.vendor])[0] if q.vendor else None
    expr = adds_q.daily_adds(
        tables, q.start, q.end, vendor, keys, q.scope.lookback_days, q.scope.include_m2m, q.kind
    )
    return adds_q.answer(rows(con, expr), q.start, q.end, vendor, keys, q.kind)


def data_span(con: ibis.BaseBackend, tables: Tables) -> tuple[dt.date, dt.date] | None:
    """First and last local dates of the store's tenures (None when there are none)."""
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
) -> dict[str, Any]:
    """Threshold crossings of the vendor's daily line count and a forecast of the next one.

    The series runs from ``q.start`` (default: the first date the store has observations for
    plus the lookback, when the base is fully formed) to ``q.end`` (default: the last observed
    date).
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
    expr = series_rows(tables, a, b, "day", ["vendor"], "lines", lookback, q.scope.include_m2m)
    expr = expr.filter((expr.level == "group") & (expr.vendor == vendor))
    got = {r["date"]: int(r["lines"]) for r in rows(con, expr)}
    dates = point_dates(a, b, "day")
    counts = [got.get(d, 0) for d in dates]
    result = milestones_q.milestones(
        dates,
        counts,
        every=q.step,
        thresholds=list(q.thresholds) if q.thresholds else None,
        paths=paths,
        seed=seed,
    )
    return {"vendor": vendor, "from": iso(a), "to": iso(b), **result}
