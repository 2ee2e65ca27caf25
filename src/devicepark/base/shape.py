"""Pure shaping of executed query rows into the JSON contracts (no engine, no I/O).

Shares are full-precision floats. ``share`` divides by the unit's total (``total_lines``, or
``total_customers`` for unit customers; there is no meaningful total of handsets, so with unit
handsets ``share`` is null); ``share_of_identified`` divides by the unit's identified count.
A zero denominator gives 0.0 (it only happens when there are no groups at all).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from devicepark.base.common import CELL_KEYS

Row = Mapping[str, Any]

# A keyed answer (``devicepark.answers`` with ``keyed=True``) carries the cell key of each count
# beside it, under these names, for ``devicepark.publish.cellkey`` to perturb and strip.
CKEY = "_ckey"
CKEYS = "_ckeys"
COUNTS = "_counts"  # a keyed milestones answer: its daily counts and their keys


def iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def ratio(num: int | None, den: int | None) -> float | None:
    if num is None or den is None:
        return None
    return float(num) / float(den) if den else 0.0


def sort_groups(
    groups: list[dict[str, Any]], count_key: str, by: list[str]
) -> list[dict[str, Any]]:
    """Largest first, then by keys (nulls last) for a stable order."""

    def key(g: dict[str, Any]) -> tuple[Any, ...]:
        return (
            -int(g[count_key] or 0),
            *[(g[k] is None, "" if g[k] is None else str(g[k])) for k in by],
        )

    return sorted(groups, key=key)


def _counts(rows: Iterable[Row], by: list[str], unit: str) -> dict[str, Any]:
    """Totals and groups of one date from ``count_rows``-shaped rows."""
    groups: list[dict[str, Any]] = []
    total_lines = identified_lines = None
    total_u = identified_u = None
    summed_all = summed_groups = 0
    for r in rows:
        level = r["level"]
        n = int(r["lines"] or 0)
        if level == "group":
            summed_all += n
            summed_groups += n
            count = n if unit == "lines" else int(r[unit] or 0)
            if count:
                groups.append({**{k: r[k] for k in by}, unit: count})
        elif level == "unidentified":
            summed_all += n
        elif level == "total":
            total_lines = n
            total_u = None if r.get(unit) is None else int(r[unit])
        elif level == "identified":
            identified_lines = n
            identified_u = None if r.get(unit) is None else int(r[unit])
    total_lines = summed_all if total_lines is None else total_lines
    identified_lines = summed_groups if identified_lines is None else identified_lines
    out: dict[str, Any] = {"total_lines": total_lines, "identified_lines": identified_lines}
    if unit == "lines":
        den_total, den_ident = total_lines, identified_lines
    elif unit == "customers":
        den_total, den_ident = total_u or 0, identified_u or 0
        out["total_customers"] = den_total
        out["identified_customers"] = den_ident
    else:
        den_total, den_ident = None, identified_u or 0
        out["identified_handsets"] = den_ident
    for g in groups:
        g["share"] = ratio(g[unit], den_total)
        g["share_of_identified"] = ratio(g[unit], den_ident)
    out["groups"] = sort_groups(groups, unit, by)
    return out


def base_answer(rows: Iterable[Row], as_of: dt.date, by: list[str], unit: str) -> dict[str, Any]:
    """The base JSON contract from the rows of ``installed_base``.

    >>> rows = [{"level": "group", "vendor": "Xiaomi", "lines": 1},
    ...         {"level": "group", "vendor": "Apple", "lines": 2},
    ...         {"level": "unidentified", "vendor": None, "lines": 1}]
    >>> a = base_answer(rows, dt.date(2022, 2, 3), ["vendor"], "lines")
    >>> (a["total_lines"], a["identified_lines"], [g["vendor"] for g in a["groups"]])
    (4, 3, ['Apple', 'Xiaomi'])
    >>> a["groups"][1]["share"], a["groups"][1]["share_of_identified"]
    (0.25, 0.3333333333333333)
    """
    return {"as_of": iso(as_of), "by": list(by), "unit": unit, **_counts(rows, by, unit)}


def series_answer(
    rows: Iterable[Row], dates: list[dt.date], by: list[str], unit: str, every: str
) -> dict[str, Any]:
    """The series JSON contract: one point per date, each shaped as a base answer."""
    per_date: dict[dt.date, list[Row]] = defaultdict(list)
    for r in rows:
        d = r["date"]
        d = d.date() if isinstance(d, dt.datetime) else d
        per_date[d].append(r)
    points = []
    for d in dates:
        points.append({"date": iso(d), **_counts(per_date.get(d, []), by, unit)})
    return {"by": list(by), "every": every, "points": points}


def join_keys(keys: Iterable[int]) -> int:
    """The key of a union of disjoint cells: the sum of their keys, modulo the key range.

    >>> join_keys([200, 100]), join_keys([])
    (44, 0)
    """
    return sum(int(k) for k in keys) % CELL_KEYS


def attach_keys(counts: dict[str, Any], rows: Iterable[Row], by: list[str]) -> dict[str, Any]:
    """Put the cell keys of one date's keyed rows on its base-shaped dict, in place: each
    group's ``_ckey`` and the totals' ``_ckeys``. The identified lines are the union of the
    groups, so their key is the sum of the groups' keys (modulo the key range); the total's is
    its own row's (series) or the identified key plus the unidentified row's (base).

    >>> rows = [{"level": "group", "vendor": "A", "lines": 2, "ckey": 200},
    ...         {"level": "group", "vendor": "B", "lines": 1, "ckey": 100},
    ...         {"level": "unidentified", "vendor": None, "lines": 1, "ckey": 7}]
    >>> c = {"groups": [{"vendor": "A", "lines": 2}, {"vendor": "B", "lines": 1}]}
    >>> attach_keys(c, rows, ["vendor"])["_ckeys"], [g["_ckey"] for g in c["groups"]]
    ({'total_lines': 51, 'identified_lines': 44}, [200, 100])
    """
    keys: dict[tuple[Any, ...], int] = {}
    unidentified: list[int] = []  # one row per value of the line keys among ``by``
    total = None
    for r in rows:
        level = r["level"]
        if level == "group":
            keys[tuple(r[k] for k in by)] = int(r["ckey"])
        elif level == "unidentified":
            unidentified.append(int(r["ckey"]))
        elif level == "total":
            total = int(r["ckey"])
    for g in counts.get("groups", []):
        g[CKEY] = keys[tuple(g[k] for k in by)]
    identified = join_keys(keys.values())
    if total is None:
        total = join_keys([identified, *unidentified])
    counts[CKEYS] = {"total_lines": total, "identified_lines": identified}
    return counts
