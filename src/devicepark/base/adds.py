"""Daily gross adds: lines whose device changed to a vendor, counted the day it happened.

Definition (``kind="entries"``, the default). Take a line's runs that are ever in force (a run
whose next run starts the same day never is). A run is a gross add of vendor V on its
``first_date`` when
- its handset differs from the previous run in force's handset, or there is none (the first
  handset of a line is an add: a new line is a gross add);
- V, its vendor, differs from the previous handset's vendor, or there is none: an upgrade
  within the same vendor (iPhone to iPhone) is not an entry into the vendor;
- the line is in the base that day (active; M2M only with ``include_m2m``).
A silence that splits a tenure without a change of handset is not an add. ``kind="changes"``
counts every change of handset whatever the vendors (the "all handset changes" control).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.base.common import (
    CATALOG_KEYS,
    UNKNOWN,
    catalog_latest,
    cell_key,
    lines_in_scope,
    record_key,
)
from devicepark.base.shape import iso
from devicepark.store.engine import Tables
from devicepark.tenure import run_intervals, tenures_for


def daily_adds(
    tables: Tables,
    d1: dt.date,
    d2: dt.date,
    vendor: str | None = None,
    by: Sequence[str] = (),
    lookback_days: int = 30,
    include_m2m: bool = False,
    kind: str = "entries",
    *,
    keyed: bool = False,
) -> Table:
    """Rows ``date, *by, adds`` (days with no add are absent) for ``first_date`` in [d1, d2];
    ``keyed`` adds each row's cell key ``ckey`` (a line adds at most once a day)."""
    a, b, keys, lookback = d1, d2, list(by or ()), lookback_days
    runs = run_intervals(tenures_for(tables, lookback), lookback, with_origin=False)
    runs = runs.filter(runs.start < runs.end)  # ever in force
    cat = catalog_latest(tables.catalog)
    c1 = cat.rename(**{f"_c{k}": k for k in ("tac", *CATALOG_KEYS)})
    runs = runs.left_join(c1, runs.tac == c1._ctac)
    runs = runs.mutate(**{k: runs[f"_c{k}"].fill_null(UNKNOWN[k]) for k in CATALOG_KEYS})
    w = ibis.window(group_by=runs.line, order_by=runs.seq)
    runs = runs.mutate(
        _prev_handset=runs.handset.lag().over(w), _prev_vendor=runs.vendor.lag().over(w)
    )
    changed = runs._prev_handset.isnull() | (runs._prev_handset != runs.handset)
    if kind == "entries":
        changed = changed & (runs._prev_vendor.isnull() | (runs._prev_vendor != runs.vendor))
    day = runs.first_date
    cand = runs.filter(changed & (day >= ibis.literal(a)) & (day <= ibis.literal(b)))
    if vendor is not None:
        cand = cand.filter(cand.vendor == vendor)
    lines = lines_in_scope(tables.lines, include_m2m).rename(_lline="line")
    j = cand.join(lines, cand.line == lines._lline)
    j = j.filter(
        (j.activated_on <= j.first_date)
        & (j.terminated_on.isnull() | (j.terminated_on > j.first_date))
    )
    j = j.mutate(date=j.first_date)
    ck = {"ckey": cell_key(record_key(j.line))} if keyed else {}
    return j.group_by(["date", *keys]).aggregate(adds=j.count(), **ck)


def answer(
    add_rows: Iterable[Mapping[str, Any]],
    d1: dt.date,
    d2: dt.date,
    vendor: str | None,
    by: list[str],
    kind: str = "entries",
) -> dict[str, Any]:
    """``{"from", "to", "vendor", "by", "kind", "points": [{"date", "adds", "groups"}]}``:
    one point per day of [d1, d2] (zero days included), groups largest first."""
    per: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for r in add_rows:
        per[r["date"]].append({**{k: r[k] for k in by}, "adds": int(r["adds"])})
    points = []
    d = d1
    while d <= d2:
        groups = sorted(per.get(d, []), key=lambda g: (-g["adds"], *[str(g[k]) for k in by]))
        points.append(
            {"date": iso(d), "adds": sum(g["adds"] for g in groups), "groups": groups if by else []}
        )
        d += dt.timedelta(days=1)
    return {
        "from": iso(d1),
        "to": iso(d2),
        "vendor": vendor,
        "by": list(by),
        "kind": kind,
        "points": points,
    }
