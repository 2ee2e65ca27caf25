"""The faces' kit: execute the base queries on a connection and return the JSON-contract dicts.

Each function takes ``(con, tables, **params)``; ``cli``, ``api`` and ``publish`` call them and
only render. Dates come back as ``YYYY-MM-DD`` strings; see ``devicepark.base.shape`` for shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.base import adds as adds_q
from devicepark.base import milestones as milestones_q
from devicepark.base import switches as switches_q
from devicepark.base.common import as_date, check_lookback, parse_by, parse_unit
from devicepark.base.series import point_dates, series_rows
from devicepark.base.shape import base_answer, iso, series_answer
from devicepark.base.snapshot import installed_base
from devicepark.errors import ConfigError
from devicepark.store.engine import Tables


def rows(con: ibis.BaseBackend, expr: Table) -> list[dict[str, Any]]:
    """Execute ``expr`` on ``con`` into a list of plain dicts (dates as ``datetime.date``)."""
    return con.to_pyarrow(expr).to_pylist()


def base(
    con: ibis.BaseBackend,
    tables: Tables,
    as_of: dt.date | str,
    by: str | Iterable[str] | None = ("vendor",),
    unit: str = "lines",
    lookback_days: int = 30,
    include_m2m: bool = False,
) -> dict[str, Any]:
    """``{"as_of", "by", "unit", "total_lines", "identified_lines", "groups": [...]}``."""
    day = as_date(as_of, "--as-of")
    keys, unit = parse_by(by), parse_unit(unit)
    expr = installed_base(tables, day, keys, unit, lookback_days, include_m2m)
    return base_answer(rows(con, expr), day, keys, unit)


def series(
    con: ibis.BaseBackend,
    tables: Tables,
    d1: dt.date | str,
    d2: dt.date | str,
    every: str = "day",
    by: str | Iterable[str] | None = ("vendor",),
    unit: str = "lines",
    lookback_days: int = 30,
    include_m2m: bool = False,
) -> dict[str, Any]:
    """``{"by", "every", "points": [{"date", "total_lines", "identified_lines", "groups"}]}``."""
    keys, unit = parse_by(by), parse_unit(unit)
    dates = point_dates(d1, d2, every)
    if not dates:
        return {"by": keys, "every": every, "points": []}
    expr = series_rows(tables, d1, d2, every, keys, unit, lookback_days, include_m2m)
    return series_answer(rows(con, expr), dates, keys, unit, every)


def switches(
    con: ibis.BaseBackend,
    tables: Tables,
    d1: dt.date | str,
    d2: dt.date | str,
    by: str = "vendor",
    lookback_days: int = 30,
    include_m2m: bool = False,
) -> dict[str, Any]:
    """``{"from", "to", "flows": [{"from_vendor", "to_vendor", "lines"}], "summary": [...]}``."""
    a, b = as_date(d1, "--from"), as_date(d2, "--to")
    expr = switches_q.flows(tables, a, b, by, lookback_days, include_m2m)
    return switches_q.answer(rows(con, expr), a, b, by)


def adds(
    con: ibis.BaseBackend,
    tables: Tables,
    d1: dt.date | str,
    d2: dt.date | str,
    vendor: str | None = None,
    by: str | Iterable[str] | None = None,
    lookback_days: int = 30,
    include_m2m: bool = False,
    kind: str = "entries",
) -> dict[str, Any]:
    """``{"from", "to", "vendor", "by", "kind", "points": [{"date", "adds", "groups"}]}``."""
    a, b = as_date(d1, "--from"), as_date(d2, "--to")
    keys = parse_by(by, adds_q.ADDS_KEYS)
    expr = adds_q.daily_adds(tables, a, b, vendor, keys, lookback_days, include_m2m, kind)
    return adds_q.answer(rows(con, expr), a, b, vendor, keys, kind)


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
    vendor: str,
    every: int = 250_000,
    thresholds: Sequence[int] | None = None,
    d1: dt.date | str | None = None,
    d2: dt.date | str | None = None,
    lookback_days: int = 30,
    include_m2m: bool = False,
    paths: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """Threshold crossings of the vendor's daily line count and a forecast of the next one.

    The series runs from ``d1`` (default: the first date the store has observations for plus
    the lookback, when the base is fully formed) to ``d2`` (default: the last observed date).
    """
    lookback = check_lookback(lookback_days)
    if d1 is None or d2 is None:
        span = data_span(con, tables)
        if span is None:
            raise ConfigError("the store has no observations yet; ingest some first")
        lo, hi = span
        a = as_date(d1) if d1 is not None else min(lo + dt.timedelta(days=lookback - 1), hi)
        b = as_date(d2) if d2 is not None else hi
    else:
        a, b = as_date(d1, "--from"), as_date(d2, "--to")
    expr = series_rows(tables, a, b, "day", ["vendor"], "lines", lookback, include_m2m)
    expr = expr.filter((expr.level == "group") & (expr.vendor == vendor))
    got = {r["date"]: int(r["lines"]) for r in rows(con, expr)}
    dates = point_dates(a, b, "day")
    counts = [got.get(d, 0) for d in dates]
    result = milestones_q.milestones(
        dates, counts, every=every, thresholds=thresholds, paths=paths, seed=seed
    )
    return {"vendor": vendor, "from": iso(a), "to": iso(b), **result}
