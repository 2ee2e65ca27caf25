"""The daily aggregate: the base's +1/-1 events summed per day and group, so that ``base`` and
``series`` on the common cuts read a small table instead of folding tenures at query time.

Each run of a line covers ``[start, end)`` under the lookback (``tenure.run_intervals``), cut
to the line's active days ``[activated_on, terminated_on)``; it gives +1 on ``start`` and -1 on
``end`` (and +rkey, -rkey beside them: the line's record key, ``common.record_key``). Kind
``group`` sums them per (day, vendor, brand, device_type, operator_brand, segment, plan,
region), the catalog keys taken from the latest catalog row of the run's TAC (Unknown/other for
a TAC in no catalog), as the exact queries do. Kind ``total`` does the same for every active
line (line keys only, the catalog keys null). M2M lines are kept (segment is a key): the
scope's filter is a filter on the events.

The base at D in a group is the sum of its deltas with ``day <= D``; a series is their running
sum; a cell's key is the running sum of the record keys modulo the key range (sums of record
keys are additive). The functions here give exactly the rows ``snapshot.count_rows`` and
``series.series_rows`` give for unit lines at ``DAILY_LOOKBACK`` with ``by`` among
``DAILY_KEYS``; ``fits`` says when. Everything here is pure Ibis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from devicepark.base.common import (
    CELL_KEYS,
    FAR,
    LINE_KEYS,
    lines_in_scope,
    null_str,
    record_key,
    with_catalog,
)
from devicepark.base.series import _point_of, cumulate, point_dates
from devicepark.errors import ConfigError
from devicepark.tenure import run_intervals

DAILY_LOOKBACK = 30  # the lookback the aggregate is built at (the default of every question)
DAILY_CATALOG_KEYS = ("vendor", "brand", "device_type")
DAILY_KEYS = (*DAILY_CATALOG_KEYS, *LINE_KEYS)
COLUMNS = ["kind", "day", *DAILY_KEYS, "delta", "kdelta"]


def fits(by: Sequence[str], unit: str, lookback_days: int) -> bool:
    """Whether the aggregate answers a question of base or series exactly."""
    return unit == "lines" and lookback_days == DAILY_LOOKBACK and set(by) <= set(DAILY_KEYS)


def _signs() -> Table:
    return ibis.memtable(pa.table({"_sign": pa.array([1, -1], pa.int64())}))


def _events(t: Table, keys: list[str]) -> Table:
    """+1 (+rkey) on ``start``, -1 (-rkey) on ``end``, summed per (keys, day)."""
    x = t.select(*keys, "start", "end", _rkey=record_key(t.line)).cross_join(_signs())
    x = x.select(
        *keys,
        day=ibis.ifelse(x._sign > 0, x.start, x.end),
        delta=x._sign,
        kdelta=x._sign * x._rkey,
    )
    return x.group_by([*keys, "day"]).aggregate(delta=x.delta.sum(), kdelta=x.kdelta.sum())


def run_events(
    runs: Table,
    lines: Table,
    catalog: Table,
    *,
    following: Table | None = None,
    last: bool = False,
    lookback_days: int = DAILY_LOOKBACK,
) -> Table:
    """Kind ``group`` events of ``runs`` (tenure rows; the runs that may follow them in
    ``following``, by default ``runs``; ``last``: each is its line's last, followed by none):
    each run's coverage cut to its line's active days, +1
    (+rkey) on its start and -1 (-rkey) on its end, summed per day and ``DAILY_KEYS``. A run of a
    line not in ``lines`` (an orphan) gives none."""
    act = _active(lines)
    if last:
        end = (runs.last_date + ibis.interval(days=lookback_days)).cast("date")
        iv = runs.select("line", "tac", start=runs.first_date, end=end)
    else:
        iv = run_intervals(runs, lookback_days, with_origin=False, following=following)
    iv = iv.rename(_rline="line")
    j = act.join(iv, act.line == iv._rline)
    s = ibis.ifelse(j.start_right > j.start, j.start_right, j.start)
    e = ibis.ifelse(j.end_right < j.end, j.end_right, j.end)
    cut = j.select("line", "tac", *LINE_KEYS, start=s, end=e)
    cut = cut.filter(cut.start < cut.end)
    # Sum per TAC first, so that the catalog joins a small table, not every interval.
    g = _events(cut, ["tac", *LINE_KEYS])
    g = with_catalog(g.mutate(identified=ibis.literal(True)), catalog)
    g = g.group_by([*DAILY_KEYS, "day"]).aggregate(delta=g.delta.sum(), kdelta=g.kdelta.sum())
    return g.mutate(kind=ibis.literal("group")).select(COLUMNS)


def total_events(lines: Table) -> Table:
    """Kind ``total`` events: every active line, +1 on its activation and -1 on its termination
    (line keys only, the catalog keys null)."""
    tot = _events(_active(lines), list(LINE_KEYS))
    tot = tot.mutate(kind=ibis.literal("total"), **{k: null_str() for k in DAILY_CATALOG_KEYS})
    return tot.select(COLUMNS)


def combine(parts: Sequence[tuple[Table, int]]) -> Table:
    """Events summed per kind, day and keys over ``parts`` (each an events table and a sign,
    +1 or -1), those that cancel out dropped: the daily table's rows."""
    if len(parts) == 1 and parts[0][1] == 1:  # already one row per kind, day and keys
        t = parts[0][0]
        return t.filter((t.delta != 0) | (t.kdelta != 0)).select(COLUMNS)
    signed = [
        t.mutate(delta=t.delta * sign, kdelta=t.kdelta * sign).select(COLUMNS) for t, sign in parts
    ]
    u = ibis.union(*signed) if len(signed) > 1 else signed[0]
    keys = ["kind", "day", *DAILY_KEYS]
    out = u.group_by(keys).aggregate(delta=u.delta.sum(), kdelta=u.kdelta.sum())
    out = out.filter((out.delta != 0) | (out.kdelta != 0))
    return out.select(*keys, delta=out.delta.cast("int64"), kdelta=out.kdelta.cast("int64"))


def _active(lines: Table) -> Table:
    t = lines_in_scope(lines, include_m2m=True)
    t = t.mutate(start=t.activated_on, end=t.terminated_on.fill_null(ibis.literal(FAR)))
    return t.filter(t.start < t.end)


def _scoped(daily: Table, include_m2m: bool) -> Table:
    return daily if include_m2m else daily.filter(daily.segment != "m2m")


def _mod(k: ibis.expr.types.IntegerValue) -> ibis.expr.types.IntegerValue:
    return (((k % CELL_KEYS) + CELL_KEYS) % CELL_KEYS).cast("int64")


def base_rows(daily: Table, as_of: dt.date, by: Sequence[str], include_m2m: bool) -> Table:
    """The rows of ``snapshot.count_rows`` (unit lines, keyed) at ``as_of``: level ``group``
    per identified group (zero groups dropped) and one ``unidentified`` row (the active lines
    less the identified ones, its key likewise), all with ``ckey``."""
    keys = list(by)
    t = _scoped(daily, include_m2m)
    t = t.filter(t.day <= ibis.literal(as_of))
    gt = t.filter(t.kind == "group")
    sums = dict(lines=gt.delta.sum(), _k=gt.kdelta.sum())
    g = gt.group_by(keys).aggregate(**sums) if keys else gt.aggregate(**sums)
    g = g.filter(g.lines != 0)
    tt = t.filter(t.kind == "total")
    tot = tt.aggregate(_tl=tt.delta.sum(), _tk=tt.kdelta.sum())
    ide = g.aggregate(_gl=g.lines.sum(), _gk=g._k.sum())
    u = tot.cross_join(ide)
    u = u.select(
        level=ibis.literal("unidentified"),
        **{k: null_str() for k in keys},
        lines=(u._tl.fill_null(0) - u._gl.fill_null(0)).cast("int64"),
        ckey=_mod(u._tk.fill_null(0) - u._gk.fill_null(0)),
    )
    groups = g.select(
        level=ibis.literal("group"),
        **{k: g[k] for k in keys},
        lines=g.lines.cast("int64"),
        ckey=_mod(g._k),
    )
    return ibis.union(groups, u)


def series_rows(
    daily: Table,
    d1: dt.date,
    d2: dt.date,
    every: str,
    by: Sequence[str],
    include_m2m: bool,
    *,
    keyed: bool = False,
) -> Table:
    """The rows of ``series.series_rows`` (unit lines) from the aggregate: each event moved to
    the first point on or after its day, then the same running sums."""
    keys = list(by)
    dates = point_dates(d1, d2, every)
    if not dates:
        raise ConfigError(f"no {every} point between {d1} and {d2}")
    first, last = dates[0], dates[-1]
    t = _scoped(daily, include_m2m)
    t = t.filter(t.day <= ibis.literal(last))
    total = t.kind == "total"
    t = t.select(
        level=t.kind,
        **{k: ibis.ifelse(total, null_str(), t[k]) for k in keys},
        date=_point_of(t.day, every, first),
        delta=t.delta,
        kdelta=t.kdelta,
    )
    sums = ["delta", "kdelta"] if keyed else ["delta"]
    agg = t.group_by(["level", *keys, "date"]).aggregate(**{c: t[c].sum() for c in sums})
    agg = agg.select("level", *keys, "date", *sums)
    return cumulate(agg, keys, dates, keyed)
