"""The installed base on many dates at once, from the interval form of tenures.

Each run covers ``[start, end)`` (see ``tenure.run_intervals``); intersected with the line's
active interval ``[activated_on, terminated_on)`` it becomes one +1 event and one -1 event. Each
event is moved to the first point date on or after it, events are summed per (point, group),
and a cumulative sum per group over a dense calendar gives every point. One pass over the
tenures whatever the number of points: a 2-year daily series costs less than two snapshots
(benchmarks/results/series.md).

Distinct customers and handsets do not add up that way (two lines of one customer). For those
units each point is evaluated directly: the intervals are range-joined with the point dates
(``start <= date < end``) and counted distinct per point, which costs in proportion to the
number of points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from devicepark.base.common import (
    AGE_BUCKETS,
    CATALOG_KEYS,
    CELL_KEYS,
    FAR,
    add_months,
    lines_in_scope,
    null_str,
    record_key,
    with_catalog,
)
from devicepark.base.snapshot import unit_column
from devicepark.errors import ConfigError
from devicepark.store.engine import Tables
from devicepark.tenure import run_intervals, tenures_for

EVERY = ("day", "week", "month")


def point_dates(a: dt.date, b: dt.date, every: str = "day") -> list[dt.date]:
    """Every day, each Sunday, or each month's last day within ``[a, b]`` (none when a > b).

    >>> D = dt.date
    >>> [d.isoformat() for d in point_dates(D(2022, 1, 30), D(2022, 2, 14), "week")]
    ['2022-01-30', '2022-02-06', '2022-02-13']
    >>> [d.isoformat() for d in point_dates(D(2022, 1, 31), D(2022, 3, 30), "month")]
    ['2022-01-31', '2022-02-28']
    """
    days = [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]
    if every == "week":
        return [d for d in days if d.weekday() == 6]
    if every == "month":
        return [d for d in days if (d + dt.timedelta(days=1)).day == 1]
    return days


def calendar(dates: list[dt.date]) -> Table:
    return ibis.memtable(pa.table({"date": pa.array(dates, pa.date32())}))


def _point_of(d: ibis.expr.types.DateValue, every: str, d1: dt.date) -> ibis.expr.types.DateValue:
    """The first point date on or after ``max(d, d1)`` (possibly after the last point)."""
    lo = ibis.literal(d1)
    x = ibis.ifelse(d < lo, lo, d)
    if every == "week":  # weeks are ISO (start Monday), so their Sunday is Monday + 6
        return (x.truncate("W").cast("date") + ibis.interval(days=6)).cast("date")
    if every == "month":
        return (add_months(x.truncate("M").cast("date"), 1) - ibis.interval(days=1)).cast("date")
    return x


def intervals(
    tables: Tables,
    by: list[str],
    lookback_days: int,
    include_m2m: bool,
    span: tuple[dt.date, dt.date] | None = None,
) -> tuple[Table, Table]:
    """(identified intervals, active-line intervals), all ``[start, end)``, no catalog yet.

    With ``device_age`` among the keys, a run's interval is cut where its age bucket changes:
    each interval is crossed with the five buckets and clipped to each bucket's days.

    With ``span=(d1, d2)`` runs and lines that cannot cover a day of [d1, d2] are dropped
    first. That is exact: a run kept has its next run kept too unless that one starts after d2,
    where its end no longer matters. (Not with device age, whose origin needs earlier runs.)
    """
    lines = lines_in_scope(tables.lines, include_m2m)
    act = lines.mutate(
        start=lines.activated_on, end=lines.terminated_on.fill_null(ibis.literal(FAR))
    ).filter(lambda t: t.start < t.end)
    aged = "device_age" in by
    ten = tenures_for(tables, lookback_days)
    if span is not None:
        d1, d2 = span
        act = act.filter((act.end > ibis.literal(d1)) & (act.start <= ibis.literal(d2)))
        if not aged:
            lo = d1 - dt.timedelta(days=lookback_days - 1)
            ten = ten.filter(
                (ten.last_date >= ibis.literal(lo)) & (ten.first_date <= ibis.literal(d2))
            )
    runs = run_intervals(ten, lookback_days, with_origin=aged)
    runs = runs.rename(_rline="line")
    j = act.join(runs, act.line == runs._rline)
    s = ibis.ifelse(j.start_right > j.start, j.start_right, j.start)
    e = ibis.ifelse(j.end_right < j.end, j.end_right, j.end)
    keep = ["line", "customer", "handset", "tac", "operator_brand", "segment", "plan", "region"]
    iv = j.select(*keep, *(["origin"] if aged else []), start=s, end=e)
    iv = iv.filter(iv.start < iv.end)
    if not aged:
        return iv.mutate(device_age=null_str()), act
    buckets = ibis.memtable(
        pa.table(
            {
                "_bucket": pa.array(range(len(AGE_BUCKETS)), pa.int64()),
                "device_age": [label for label, _lo, _hi in AGE_BUCKETS],
            }
        )
    )
    bounds = [add_months(iv.origin, lo) for _label, lo, _hi in AGE_BUCKETS]
    iv = iv.mutate(**{f"_b{i}": b for i, b in enumerate(bounds)})
    x = iv.cross_join(buckets)
    n = len(AGE_BUCKETS)
    lo = ibis.cases(*[(x._bucket == i, x[f"_b{i}"]) for i in range(n)])
    hi = ibis.cases(
        *[(x._bucket == i, x[f"_b{i + 1}"]) for i in range(n - 1)], else_=ibis.literal(FAR)
    )
    x = x.mutate(
        start=ibis.ifelse(lo > x.start, lo, x.start), end=ibis.ifelse(hi < x.end, hi, x.end)
    )
    x = x.filter(x.start < x.end)
    return x.select(*keep, "start", "end", "device_age"), act


def series_rows(
    tables: Tables,
    d1: dt.date,
    d2: dt.date,
    every: str = "day",
    by: Sequence[str] = ("vendor",),
    unit: str = "lines",
    lookback_days: int = 30,
    include_m2m: bool = False,
    *,
    keyed: bool = False,
) -> Table:
    """Rows ``date, level, *by, lines[, unit]`` for every point date, shaped like
    ``snapshot.count_rows`` so that each point reads exactly like ``installed_base`` at it.

    Level ``total`` carries ``total_lines``; level ``group`` the identified groups (zero-count
    groups dropped); for units customers/handsets also level ``identified``. ``keyed`` (unit
    lines) adds each row's cell key ``ckey``: the same events carry +rkey and -rkey beside +1
    and -1, so a cumulative sum gives the sum of the record keys of the lines in the cell.
    """
    keys, lookback = list(by), lookback_days
    dates = point_dates(d1, d2, every)
    if not dates:
        raise ConfigError(f"no {every} point between {d1} and {d2}")
    iv, act = intervals(tables, keys, lookback, include_m2m, (dates[0], dates[-1]))
    if unit == "lines":
        return _events(iv, act, tables.catalog, keys, dates, every, keyed)
    if keyed:
        raise ValueError("cell keys are for counts of lines (unit lines)")
    return _per_point(iv, act, tables.catalog, keys, unit, dates)


def _signs() -> Table:
    return ibis.memtable(pa.table({"_sign": pa.array([1, -1], pa.int64())}))


def _events(
    iv: Table,
    act: Table,
    catalog: Table,
    by: list[str],
    dates: list[dt.date],
    every: str,
    keyed: bool = False,
) -> Table:
    first, last = dates[0], dates[-1]
    nulls = {k: null_str() for k in by}
    cat_keys = [k for k in by if k in CATALOG_KEYS]
    raw = [k for k in by if k not in CATALOG_KEYS] + (["tac"] if cat_keys else [])
    sums = ["delta", "kdelta"] if keyed else ["delta"]

    def events(t: Table, keys: list[str]) -> Table:
        """+1 at the point of ``start``, -1 at the point of ``end``, summed per point (and
        +rkey, -rkey beside them when keyed)."""
        rk = {"_rkey": record_key(t.line)} if keyed else {}
        x = t.select(*keys, "start", "end", **rk).cross_join(_signs())
        when = ibis.ifelse(
            x._sign > 0, _point_of(x.start, every, first), _point_of(x.end, every, first)
        )
        kd = {"kdelta": x._sign * x._rkey} if keyed else {}
        x = x.select(*keys, date=when, delta=x._sign, **kd)
        x = x.filter(x.date <= ibis.literal(last))
        return x.group_by([*keys, "date"]).aggregate(**{c: x[c].sum() for c in sums})

    # Aggregate on the raw keys (the TAC for catalog keys) first, so that the catalog joins a
    # table of a few thousand rows per point instead of every interval.
    g = events(iv, raw)
    if cat_keys:
        g = with_catalog(g.mutate(identified=ibis.literal(True)), catalog)
        g = g.group_by([*by, "date"]).aggregate(**{c: g[c].sum() for c in sums})
    g = g.mutate(level=ibis.literal("group"))
    tot = events(act, []).mutate(level=ibis.literal("total"), **nulls)
    cols = ["level", *by, "date", *sums]
    agg = ibis.union(g.select(cols), tot.select(cols))
    return cumulate(agg, by, dates, keyed)


def cumulate(agg: Table, by: list[str], dates: list[dt.date], keyed: bool = False) -> Table:
    """Rows ``date, level, *by, lines[, ckey]`` at each point of ``dates`` from events summed
    per point (``level, *by, date, delta[, kdelta]``, each event already at its point)."""
    # Cumulative sum per group over its event dates, then each point takes the value of the
    # latest event date on or before it: a range join with the calendar on [date, next date).
    # (agg is read once: a dense group x calendar grid would read it twice.)
    w = ibis.window(group_by=[agg.level, *[agg[k] for k in by]], order_by=agg.date)
    wc = ibis.window(
        group_by=[agg.level, *[agg[k] for k in by]], order_by=agg.date, preceding=None, following=0
    )
    ck = {"ckey": (agg.kdelta.sum().over(wc) % CELL_KEYS).cast("int64")} if keyed else {}
    run = agg.mutate(
        lines=agg.delta.sum().over(wc).cast("int64"),
        _until=agg.date.lead().over(w).fill_null(ibis.literal(FAR)),
        **ck,
    ).rename(_from="date")
    run = run.filter(run.lines != 0)
    cal = calendar(dates)
    out = run.join(cal, (cal.date >= run._from) & (cal.date < run._until))
    return out.select("date", "level", *by, "lines", *ck)


def _per_point(
    iv: Table, act: Table, catalog: Table, by: list[str], unit: str, dates: list[dt.date]
) -> Table:
    cal = calendar(dates)
    iv = with_catalog(iv.mutate(identified=ibis.literal(True)), catalog)
    nulls = {k: null_str() for k in by}
    ivu = iv.mutate(_unit=unit_column(iv, unit))
    acu = act.mutate(handset=null_str())
    acu = acu.mutate(_unit=unit_column(acu, unit))
    gi = ivu.join(cal, (cal.date >= ivu.start) & (cal.date < ivu.end))
    ga = acu.join(cal, (cal.date >= acu.start) & (cal.date < acu.end))
    g = gi.group_by(["date", *by]).aggregate(lines=gi.count(), _u=gi._unit.nunique())
    g = g.mutate(level=ibis.literal("group"))
    ide = gi.group_by("date").aggregate(lines=gi.count(), _u=gi._unit.nunique())
    ide = ide.mutate(level=ibis.literal("identified"), **nulls)
    tot = ga.group_by("date").aggregate(lines=ga.count(), _u=ga._unit.nunique())
    tot = tot.mutate(level=ibis.literal("total"), **nulls)
    if unit == "handsets":
        tot = tot.mutate(_u=ibis.null("int64"))
    cols = ["date", "level", *by, "lines", "_u"]
    out = ibis.union(g.select(cols), ide.select(cols), tot.select(cols))
    return out.rename({unit: "_u"})
