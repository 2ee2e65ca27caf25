"""The generator's own answer: the installed base on every day, from the rows actually written.

Independent of ``devicepark.base``: each valid, non-orphan row (sorted by line and instant) is the
line's device on the local days ``[d, min(d_next - 1, d + lookback - 1)]`` (``d_next`` the local day
of the line's next valid row), clipped to the days the line is active. Summing these intervals per
(group, brand) with difference arrays gives every day's base at once. Instants are distinct within
a line, so the tie rule of docs/ARCHITECTURE.md never has to choose between two handsets.
"""

from __future__ import annotations

import numpy as np

from devicepark.synth import clock
from devicepark.synth import model as M
from devicepark.synth.catalog import VENDORS, DeviceWorld
from devicepark.synth.population import NO_TERMINATION, Lines

UNKNOWN = "Unknown"


def brand_labels(world: DeviceWorld) -> tuple[list[str], list[str], np.ndarray]:
    """(brand labels, vendor of each brand, brand index per TAC row); unlisted TACs -> Unknown."""
    labels: list[str] = []
    vendors: list[str] = []
    for i in range(len(world.model_name)):
        b = world.model_brand[i]
        if b not in labels and VENDORS[world.model_vendor[i]] != "Unlisted":
            labels.append(b)
            vendors.append(VENDORS[world.model_vendor[i]])
    labels.append(UNKNOWN)
    vendors.append(UNKNOWN)
    tac_brand = np.array(
        [
            labels.index(world.model_brand[m]) if ok else len(labels) - 1
            for m, ok in zip(world.tac_model, world.tac_listed, strict=True)
        ],
        dtype=np.int64,
    )
    return labels, vendors, tac_brand


class DailyBase:
    """Counts per (group, brand, day) and active lines per (group, day), days ``d0 .. d1``."""

    def __init__(
        self,
        lines: Lines,
        row_line: np.ndarray,
        row_t: np.ndarray,
        row_brand: np.ndarray,
        n_brands: int,
        d0: int,
        d1: int,
        lookback: int = 30,
    ) -> None:
        """``row_*``: the valid, non-orphan rows, sorted by (line, instant)."""
        self.d0, self.d1, self.n_brands = d0, d1, n_brands
        nd = d1 - d0 + 1
        ng = len(M.GROUPS)
        ld = clock.paris_day(row_t).astype(np.int32)  # int32 days: half the memory at scale
        same_next = np.zeros(len(row_line), dtype=bool)
        same_next[:-1] = row_line[1:] == row_line[:-1]
        nxt = np.empty_like(ld)
        nxt[:-1] = ld[1:]
        end = ld + lookback - 1
        end = np.where(same_next, np.minimum(end, nxt - 1), end)
        lo = np.maximum(np.maximum(ld, lines.act_day[row_line]), np.int32(d0))
        hi = np.minimum(np.minimum(end, lines.term_day[row_line] - 1), np.int32(d1))
        del ld, nxt, end
        ok = lo <= hi
        cell = lines.group[row_line].astype(np.int64) * n_brands + row_brand
        size = ng * n_brands * (nd + 1)
        diff = np.bincount(cell[ok] * (nd + 1) + (lo[ok] - d0), minlength=size) - np.bincount(
            cell[ok] * (nd + 1) + (hi[ok] + 1 - d0), minlength=size
        )
        self.counts = np.cumsum(diff.reshape(ng, n_brands, nd + 1), axis=2)[:, :, :nd]
        # active lines per group and day
        real = np.arange(lines.n)
        a = np.maximum(lines.act_day[real].astype(np.int64), d0)
        t = lines.term_day[real].astype(np.int64)
        b = np.minimum(np.where(t == NO_TERMINATION, d1 + 1, t) - 1, d1)
        ok = a <= b
        g = lines.group[real].astype(np.int64)
        size = ng * (nd + 1)
        diff = np.bincount(g[ok] * (nd + 1) + (a[ok] - d0), minlength=size) - np.bincount(
            g[ok] * (nd + 1) + (b[ok] + 1 - d0), minlength=size
        )
        self.active = np.cumsum(diff.reshape(ng, nd + 1), axis=1)[:, :nd]

    def groups_of(self, brand: str | None = None, m2m: bool = False) -> list[int]:
        out = []
        for g in range(len(M.GROUPS)):
            if (g == M.M2M_GROUP) != m2m:
                continue
            if brand is not None and M.GROUP_BRAND[g] != brand:
                continue
            out.append(g)
        return out


def snapshot(daily: DailyBase, day: int, brands: list[str], brand_vendor: list[str]) -> dict:
    """The base at one day: totals, by vendor, by brand, by operator brand, and M2M aside."""
    i = day - daily.d0

    def block(groups: list[int], with_brands: bool) -> dict:
        c = daily.counts[groups, :, i].sum(axis=0)
        vend: dict[str, int] = {}
        for b, n in enumerate(c):
            if n:
                vend[brand_vendor[b]] = vend.get(brand_vendor[b], 0) + int(n)
        out = {
            "total_lines": int(daily.active[groups, i].sum()),
            "identified_lines": int(c.sum()),
            "vendors": dict(sorted(vend.items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        if with_brands:
            bb = {brands[b]: int(n) for b, n in enumerate(c) if n}
            out["brands"] = dict(sorted(bb.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    snap = {"as_of": clock.day_date(day).isoformat(), **block(daily.groups_of(), True)}
    snap["by_operator_brand"] = {
        b: block(daily.groups_of(b), False) for b in sorted(set(M.GROUP_BRAND))
    }
    snap["m2m"] = block(daily.groups_of(m2m=True), False)
    return snap


def daily_series(daily: DailyBase, brand_vendor: list[str]) -> dict:
    """Every day's total, identified and per-vendor lines (non-M2M), as lists."""
    groups = daily.groups_of()
    c = daily.counts[groups].sum(axis=0)  # brands x days
    vend: dict[str, np.ndarray] = {}
    for b, v in enumerate(brand_vendor):
        vend[v] = vend.get(v, 0) + c[b]
    return {
        "from": clock.day_date(daily.d0).isoformat(),
        "to": clock.day_date(daily.d1).isoformat(),
        "total_lines": daily.active[groups].sum(axis=0).tolist(),
        "identified_lines": c.sum(axis=0).tolist(),
        "vendors": {v: s.tolist() for v, s in sorted(vend.items()) if np.any(s)},
    }


def crossings(series: list[int], d0: int, step: int, settle: int = 30) -> list[dict]:
    """First day each multiple of ``step`` was reached, and whether the count later fell back.

    The first ``settle - 1`` days are skipped (the lookback is still filling up), and only
    thresholds above the count on the first settled day are listed.

    >>> [(c["threshold"], c["first_date"], c["fell_back"])
    ...  for c in crossings([0, 5, 9, 10, 12, 9, 21], 0, 10, settle=2)]
    [(10, '1970-01-04', True), (20, '1970-01-07', False)]
    """
    s = np.asarray(series)[settle - 1 :]
    out: list[dict] = []
    if step <= 0 or not s.size:
        return out
    k = int(s[0] // step) + 1
    while k * step <= s.max():
        level = k * step
        first = int(np.argmax(s >= level))
        out.append(
            {
                "threshold": level,
                "first_date": clock.day_date(d0 + settle - 1 + first).isoformat(),
                "fell_back": bool((s[first:] < level).any()),
            }
        )
        k += 1
    return out
