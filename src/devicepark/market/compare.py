"""Our base against the market: per vendor, base share, market share, index and gap in lines.

``compare`` and ``compare_series`` are pure (base dicts and market shares in, the JSON contract
out); ``devicepark.answers.compare`` runs the base they need on a store.

JSON (keys fixed)::

    {"as_of": "2022-02-03", "market": "statcounter-fr", "period": "2022-02",
     "vendors": [{"vendor": "Xiaomi", "base_share": 0.0488, "market_share": 0.2301,
                  "index": 21.2, "gap_lines": 3717050}, ...]}

- ``base_share``: the vendor's lines / identified lines at ``as_of`` (of the operator brand with
  ``--by operator_brand``; then each row starts with ``operator_brand``).
- ``market_share``: the market's share for the period containing ``as_of``, or else the latest
  period ending before it (a month wins over a quarter that also contains the day).
- ``index`` = base_share / market_share x 100 (100: as in the market; below: under-represented).
- ``gap_lines`` = market_share x identified_lines - lines, to the nearest line (halves to even):
  positive is the number of lines the vendor would gain if our base matched the market, negative
  the lines it holds above it. (Example: 1,000,000 Xiaomi lines of 20,500,000 identified, market
  23.01 %: 0.2301 x 20,500,000 - 1,000,000 = +3,717,050.)
- A vendor in the market but not in the base: base_share 0, index 0, gap_lines its whole share.
  A vendor the market names with share 0: index null, gap_lines = -lines.
  A vendor the market does not name at all (it is inside the market's "Other"): market_share,
  index and gap_lines are null. ``Unknown`` and ``Other`` are compared like any vendor: on our
  side ``Unknown`` is a TAC no catalog knows; on the market's side, what it could not name.
- Rows are sorted by market share (largest first, nulls last), then lines, then name.

Series (``--from D1 --to D2 --every month``): ``{"market", "every", "points": [<the object above>,
...]}``, one point per date of ``devicepark series`` (every day, each Sunday, or each month's last
day within [D1, D2]), each compared with the market period holding it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from devicepark.errors import ConfigError
from devicepark.market.periods import period_for
from devicepark.market.reader import Share

BY = ("operator_brand",)


def compare(
    base: Mapping[str, Any],
    shares: Sequence[Share],
    *,
    market: str,
    as_of: dt.date,
    by: str | None = None,
) -> dict[str, Any]:
    """The comparison object for one date, from a base dict (unit lines, by vendor [+ brand])."""
    if by is not None and by not in BY:
        raise ConfigError(f"--by takes {', '.join(BY)}, not {by!r}")
    period = period_for(as_of, {s.period for s in shares})
    if period is None:
        first = min(s.period for s in shares)
        raise ConfigError(
            f"market {market!r} has no period at or before {as_of.isoformat()} "
            f"(it starts with {first.label})"
        )
    market_share: dict[str, float] = {}
    for s in shares:
        if s.period == period:
            market_share[s.vendor] = market_share.get(s.vendor, 0.0) + s.share

    # lines per (group, vendor); identified lines per group ('' when not split)
    lines: dict[str | None, dict[str, int]] = {}
    for g in base.get("groups", []):
        vendor = g.get("vendor")
        if vendor is None or vendor == "":  # unidentified lines, if a base lists them
            continue
        key = g.get(by) if by else ""
        bucket = lines.setdefault(key, {})
        bucket[vendor] = bucket.get(vendor, 0) + int(g["lines"])
    if not by:
        lines.setdefault("", {})

    rows: list[dict[str, Any]] = []
    for key in sorted(lines, key=lambda k: (k is None, k or "")):
        counts = lines[key]
        identified = sum(counts.values())
        group_rows = []
        for vendor in set(counts) | set(market_share):
            n = counts.get(vendor, 0)
            ms = market_share.get(vendor)
            bs = n / identified if identified else None
            index = n * 100 / (identified * ms) if (ms and identified) else None
            gap = round(ms * identified - n) if ms is not None else None
            row: dict[str, Any] = {"operator_brand": key} if by else {}
            row.update(vendor=vendor, base_share=bs, market_share=ms, index=index, gap_lines=gap)
            group_rows.append((row, n))
        group_rows.sort(
            key=lambda rn: (
                rn[0]["market_share"] is None,
                -(rn[0]["market_share"] or 0.0),
                -rn[1],
                rn[0]["vendor"].casefold(),
            )
        )
        rows.extend(r for r, _ in group_rows)
    return {"as_of": as_of.isoformat(), "market": market, "period": period.label, "vendors": rows}


def compare_series(
    series: Mapping[str, Any], shares: Sequence[Share], *, market: str, by: str | None = None
) -> dict[str, Any]:
    """One comparison per point of a series dict: ``{"market", "every", "points"}``."""
    points = [
        compare(p, shares, market=market, as_of=dt.date.fromisoformat(str(p["date"])), by=by)
        for p in series["points"]
    ]
    return {"market": market, "every": series["every"], "points": points}
