"""Switching flows between two dates: where each line's vendor (or brand) went.

A line's state at a date is its vendor, ``(unidentified)`` (in the base, no device) or
``(not active)`` (outside the base: not yet activated, terminated, or M2M when excluded).
Lines outside the base at both dates do not appear. Diagonal flows (from V to V) are the
lines that kept V, so the flows into V add up to base(D2)[V] and the flows out of V to
base(D1)[V]; hence per vendor ``gained - lost = base(D2) - base(D1)`` exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.base.common import active_at, catalog_latest, cell_key, lines_in_scope, record_key
from devicepark.base.shape import iso
from devicepark.base.snapshot import device_at
from devicepark.store.engine import Tables

NOT_ACTIVE = "(not active)"
UNIDENTIFIED = "(unidentified)"
RESERVED = (NOT_ACTIVE, UNIDENTIFIED)


def _state(tables: Tables, lines: Table, day: dt.date, key: str, lookback: int, tag: str) -> Table:
    dev = device_at(tables, day, lookback, with_origin=False)
    cat = catalog_latest(tables.catalog).select(_ctac="tac", _cval=key)
    dev = dev.left_join(cat, dev.tac == cat._ctac)
    dev = dev.select(_dline=dev.line, _val=dev._cval.fill_null("Unknown"))
    j = lines.left_join(dev, lines.line == dev._dline)
    state = ibis.cases(
        (~active_at(j, day), ibis.literal(NOT_ACTIVE)),
        (j._dline.isnull(), ibis.literal(UNIDENTIFIED)),
        else_=j._val,
    )
    return j.select(_sline=j.line, **{tag: state})


def flows(
    tables: Tables,
    d1: dt.date,
    d2: dt.date,
    by: str = "vendor",
    lookback_days: int = 30,
    include_m2m: bool = False,
    *,
    keyed: bool = False,
) -> Table:
    """Rows ``from_<by>, to_<by>, lines``: lines per (state at D1, state at D2) pair;
    ``keyed`` adds each flow's cell key ``ckey``."""
    key, a, b = by, d1, d2
    lines = lines_in_scope(tables.lines, include_m2m)
    lines = lines.filter(active_at(lines, a) | active_at(lines, b))
    s1 = _state(tables, lines, a, key, lookback_days, f"from_{key}")
    s2 = _state(tables, lines, b, key, lookback_days, f"to_{key}").rename(_tline="_sline")
    j = s1.join(s2, s1._sline == s2._tline)
    keys = {"ckey": cell_key(record_key(j._sline))} if keyed else {}
    return j.group_by([f"from_{key}", f"to_{key}"]).aggregate(lines=j.count(), **keys)


def summary(flow_rows: Iterable[Mapping[str, Any]], by: str = "vendor") -> list[dict[str, Any]]:
    """Per value: gained (from another state), lost (to another state), kept, loyalty.

    ``loyalty = kept / (kept + lost)``: the share of the value's lines at D1 that still have it
    at D2 (null when it had none at D1). Reserved states get no summary row.

    >>> rows = [{"from_vendor": "Apple", "to_vendor": "Xiaomi", "lines": 2},
    ...         {"from_vendor": "Apple", "to_vendor": "Apple", "lines": 6},
    ...         {"from_vendor": "(not active)", "to_vendor": "Xiaomi", "lines": 1}]
    >>> [tuple(s.values()) for s in summary(rows)]
    [('Apple', 0, 2, 6, 0.75), ('Xiaomi', 3, 0, 0, None)]
    """
    key = by
    stats: dict[str, dict[str, int]] = defaultdict(lambda: {"gained": 0, "lost": 0, "kept": 0})
    for r in flow_rows:
        f, t, n = r[f"from_{key}"], r[f"to_{key}"], int(r["lines"])
        if f == t:
            if f not in RESERVED:
                stats[f]["kept"] += n
            continue
        if f not in RESERVED:
            stats[f]["lost"] += n
        if t not in RESERVED:
            stats[t]["gained"] += n
    out = []
    for value, s in stats.items():
        held = s["kept"] + s["lost"]
        out.append({key: value, **s, "loyalty": (s["kept"] / held) if held else None})
    return sorted(out, key=lambda r: (-(r["kept"] + r["gained"]), str(r[key])))


def answer(
    flow_rows: list[dict[str, Any]], d1: dt.date, d2: dt.date, by: str = "vendor"
) -> dict[str, Any]:
    """The switches JSON contract; flows largest first, then by keys."""
    key = by
    fk, tk = f"from_{key}", f"to_{key}"
    fl = [{fk: r[fk], tk: r[tk], "lines": int(r["lines"])} for r in flow_rows]
    fl.sort(key=lambda r: (-r["lines"], str(r[fk]), str(r[tk])))
    return {"from": iso(d1), "to": iso(d2), "flows": fl, "summary": summary(fl, key)}
