"""The installed base at one date: each line's device in force, then counts per group.

Semantics in docs/ARCHITECTURE.md ("the installed base at date D"); everything here is pure
Ibis: tables in, an expression out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import ibis
from ibis.expr.types import Table

from devicepark.base.common import (
    CATALOG_KEYS,
    active_at,
    age_label,
    cell_key,
    lines_in_scope,
    null_str,
    record_key,
    with_catalog,
)
from devicepark.store.engine import Tables
from devicepark.tenure import tenures_for


def device_at(
    source: Tables | Table,
    as_of: dt.date,
    lookback_days: int = 30,
    gap_days: int | None = None,
    *,
    with_origin: bool = True,
) -> Table:
    """Per identified line at ``as_of``: ``line, handset, tac, first_date``.

    The device is the handset of the run in force (largest ``seq`` with ``first_date <= D``)
    when that run's ``last_date >= D - L + 1``. Runs meeting both conditions are exactly the
    candidates: a later run always has a later ``last_date``, so the largest ``seq`` among them
    is the run in force. ``first_date`` is the first day this handset was seen on the line (the
    origin of its device age); ``with_origin=False`` skips that column's extra aggregate.

    ``source`` is the store's ``Tables`` (the lookback decides between stored tenures and an
    on-the-fly fold, see ``tenures_for``) or a tenures table folded with ``gap_days``.
    Lines are not filtered here: join with the lines to drop orphans and inactive lines.
    """
    day, lookback = as_of, lookback_days
    ten = tenures_for(source, lookback, gap_days)
    lo = day - dt.timedelta(days=lookback - 1)
    cand = ten.filter((ten.first_date <= ibis.literal(day)) & (ten.last_date >= ibis.literal(lo)))
    # arg_max by seq (unique per line): FIRST(... ORDER BY seq DESC) on DuckDB, max_by on
    # Spark; cheaper than a row_number window over the candidates.
    cur = cand.group_by("line").aggregate(
        handset=cand.handset.argmax(cand.seq), tac=cand.tac.argmax(cand.seq)
    )
    if not with_origin:
        return cur
    seen = ten.filter(ten.first_date <= ibis.literal(day))
    origin = seen.group_by(["line", "handset"]).aggregate(first_date=seen.first_date.min())
    origin = origin.rename(_oline="line", _ohandset="handset")
    j = cur.join(origin, (cur.line == origin._oline) & (cur.handset == origin._ohandset))
    return j.select("line", "handset", "tac", "first_date")


def base_lines(
    tables: Tables,
    as_of: dt.date,
    lookback_days: int = 30,
    include_m2m: bool = False,
    *,
    with_age: bool = True,
) -> Table:
    """One row per line in the base at ``as_of`` with its device and every ``--by`` attribute.

    Columns: line, customer, handset, identified, vendor, brand, model, device_type,
    operator_brand, segment, plan, region, device_age (null when unidentified or not asked).
    """
    day = as_of
    lines = lines_in_scope(tables.lines, include_m2m)
    lines = lines.filter(active_at(lines, day))
    dev = device_at(tables, day, lookback_days, with_origin=with_age).rename(_dline="line")
    j = lines.left_join(dev, lines.line == dev._dline)
    j = j.mutate(identified=j._dline.notnull())
    age = age_label(j.first_date, day) if with_age else null_str()
    j = j.mutate(device_age=ibis.ifelse(j.identified, age, null_str()))
    j = with_catalog(j, tables.catalog)
    return j.select(
        "line",
        "customer",
        "handset",
        "identified",
        *CATALOG_KEYS,
        "operator_brand",
        "segment",
        "plan",
        "region",
        "device_age",
    )


def customer_key(t: Table) -> ibis.expr.types.StringValue:
    """A line with no customer counts as its own customer (line pseudonyms never collide
    with customer pseudonyms: the prefix keeps the two name spaces apart)."""
    return t.customer.fill_null("line:" + t.line)


def unit_column(t: Table, unit: str) -> ibis.expr.types.StringValue | None:
    if unit == "customers":
        return customer_key(t)
    if unit == "handsets":
        return t.handset
    return None


def count_rows(
    t: Table, by: list[str], unit: str, extra: Iterable[str] = (), *, keyed: bool = False
) -> Table:
    """The base's result rows from per-line rows (one interval per line at each date).

    Columns: ``*extra, level, *by, lines[, customers|handsets][, ckey]``. ``level`` is
    ``group`` (identified lines of one group), ``unidentified`` (unit lines: the rest, so that
    totals add up from one aggregate), ``total`` and ``identified`` (other units: distinct
    counts over all lines and over identified lines, which groups cannot be summed into).
    ``keyed`` (unit lines only) adds each row's cell key (``common.cell_key``); the keys of the
    totals are sums of these, modulo the key range, since the rows partition the lines.
    """
    extra = list(extra)
    col = unit_column(t, unit)
    if col is not None:
        t = t.mutate(_unit=col)
    if unit == "lines":
        keys = {"ckey": cell_key(record_key(t.line))} if keyed else {}
        agg = t.group_by([*extra, "identified", *by]).aggregate(lines=t.count(), **keys)
        agg = agg.mutate(level=ibis.ifelse(agg.identified, "group", "unidentified"))
        return agg.select(*extra, "level", *by, "lines", *keys)
    if keyed:
        raise ValueError("cell keys are for counts of lines (unit lines)")
    groups = t.filter(t.identified)
    g = groups.group_by([*extra, *by]).aggregate(lines=groups.count(), _u=groups._unit.nunique())
    g = g.mutate(level=ibis.literal("group"))
    nulls = {k: null_str() for k in by}
    tot = (
        t.group_by(extra).aggregate(lines=t.count(), _u=t._unit.nunique())
        if extra
        else t.aggregate(lines=t.count(), _u=t._unit.nunique())
    )
    tot = tot.mutate(level=ibis.literal("total"), **nulls)
    if unit == "handsets":  # not meaningful over lines with no handset
        tot = tot.mutate(_u=ibis.null("int64"))
    ide = (
        groups.group_by(extra).aggregate(lines=groups.count(), _u=groups._unit.nunique())
        if extra
        else (groups.aggregate(lines=groups.count(), _u=groups._unit.nunique()))
    )
    ide = ide.mutate(level=ibis.literal("identified"), **nulls)
    cols = [*extra, "level", *by, "lines", "_u"]
    out = ibis.union(g.select(cols), tot.select(cols), ide.select(cols))
    return out.rename({unit: "_u"})


def installed_base(
    tables: Tables,
    as_of: dt.date,
    by: Sequence[str] = ("vendor",),
    unit: str = "lines",
    lookback_days: int = 30,
    include_m2m: bool = False,
    *,
    keyed: bool = False,
) -> Table:
    """The installed base at ``as_of``, grouped ``by`` (see ``count_rows`` for the rows).

    Groups partition the identified lines; ``unit`` counts distinct customer or handset
    pseudonyms per group instead of lines (``devicepark.base.shape.base_answer`` makes the
    JSON contract of it); ``keyed`` adds each row's cell key.
    """
    keys = list(by)
    t = base_lines(tables, as_of, lookback_days, include_m2m, with_age="device_age" in keys)
    return count_rows(t, keys, unit, keyed=keyed)
