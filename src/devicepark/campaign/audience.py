"""Whom to tell: the lines eligible for a campaign at its start date, split treatment / holdout.

Eligible at the campaign's first local day D (the base semantics of docs/ARCHITECTURE.md):

- the line is active at D and its operator brand is one of the campaign's;
- its segment is one of ``audience.segments`` (default consumer and business);
- when ``exclude_vendors`` or ``min_device_age_months`` is set, the line must be identified at D
  (a device of unknown vendor or age cannot be shown to qualify); its vendor must not be excluded
  and its device age, in whole calendar months since the current handset was first seen on the
  line, must be at least the minimum (``first + N months <= D``, day clamped to the month's end).

Each line goes to ``holdout`` when ``HMAC-SHA256(key, "devicepark/assignment/v1" 0x00 campaign id
":" line)`` read as a number in [0, 1) is below ``holdout_share``, else to ``treatment``: the
same key and campaign always give the same split. Only pseudonyms leave this module.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from typing import Any

import ibis
import pyarrow as pa
from ibis.expr.types import Table

from devicepark.base.common import active_at, add_months, lines_in_scope, with_catalog
from devicepark.base.snapshot import device_at
from devicepark.campaign.spec import Audience, Campaign
from devicepark.ingest.pseudonym import pseudonym
from devicepark.store.engine import Tables

GROUPS = ("treatment", "holdout")

AUDIENCE_SCHEMA = pa.schema(
    [
        ("campaign", pa.string()),
        ("line", pa.string()),
        ("customer", pa.string()),
        ("operator_brand", pa.string()),
        ("segment", pa.string()),
        ("vendor", pa.string()),
        ("model", pa.string()),
        ("device_first_seen", pa.date32()),
        ("device_age_months", pa.int32()),
        ("group", pa.string()),
    ]
)


def eligible_lines(tables: Tables, campaign: Campaign, lookback_days: int = 30) -> Table:
    """The eligible lines at the campaign's first day: an Ibis expression.

    Columns: line, customer, operator_brand, segment, vendor, model, device_first_seen.
    """
    audience = campaign.audience or Audience()
    day = campaign.first_day
    lines = lines_in_scope(tables.lines, include_m2m="m2m" in audience.segments)
    lines = lines.filter(
        active_at(lines, day)
        & lines.segment.isin(list(audience.segments))
        & lines.operator_brand.isin(list(campaign.operator_brands))
    )
    dev = device_at(tables, day, lookback_days).rename(_dline="line")
    j = lines.left_join(dev, lines.line == dev._dline)
    j = j.mutate(identified=j._dline.notnull())
    j = with_catalog(j, tables.catalog)
    if audience.exclude_vendors or audience.min_device_age_months:
        j = j.filter(j.identified)
    if audience.exclude_vendors:
        j = j.filter(~j.vendor.isin(list(audience.exclude_vendors)))
    if audience.min_device_age_months:
        j = j.filter(add_months(j.first_date, audience.min_device_age_months) <= ibis.literal(day))
    return j.select(
        "line",
        "customer",
        "operator_brand",
        "segment",
        "vendor",
        "model",
        device_first_seen=j.first_date,
    )


def months_between(first: dt.date, day: dt.date) -> int:
    """Whole calendar months from ``first`` to ``day``: the largest n with first + n months <= day.

    >>> months_between(dt.date(2020, 1, 31), dt.date(2020, 2, 29))
    1
    >>> first = dt.date(2020, 2, 3)
    >>> months_between(first, dt.date(2022, 2, 2)), months_between(first, dt.date(2022, 2, 3))
    (23, 24)
    """
    n = (day.year - first.year) * 12 + (day.month - first.month)
    if n > 0 and _add_months(first, n) > day:
        n -= 1
    return max(n, 0)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def assignment(key: bytes, campaign_id: str, line: str, holdout_share: float) -> str:
    """``treatment`` or ``holdout`` for one line, from a keyed hash (reruns agree).

    >>> assignment(bytes(32), "c", "ab" * 16, 0.0), assignment(bytes(32), "c", "ab" * 16, 0.999999)
    ('treatment', 'holdout')
    """
    return "holdout" if draw(key, campaign_id, line) < holdout_share else "treatment"


def draw(key: bytes, campaign_id: str, line: str) -> float:
    """The line's uniform draw in [0, 1): the first 64 bits of its assignment HMAC."""
    return int(pseudonym(key, "assignment", f"{campaign_id}:{line}")[:16], 16) / 2**64


def assign(eligible: pa.Table, campaign: Campaign, key: bytes) -> pa.Table:
    """The audience file's table: eligible lines with their device age and group, sorted by line."""
    audience = campaign.audience or Audience()
    day = campaign.first_day
    rows = sorted(eligible.to_pylist(), key=lambda r: r["line"])
    out = []
    for r in rows:
        first = r.get("device_first_seen")
        out.append(
            {
                "campaign": campaign.id,
                "line": r["line"],
                "customer": r.get("customer"),
                "operator_brand": r.get("operator_brand"),
                "segment": r.get("segment"),
                "vendor": r.get("vendor"),
                "model": r.get("model"),
                "device_first_seen": first,
                "device_age_months": months_between(first, day) if first is not None else None,
                "group": assignment(key, campaign.id, r["line"], audience.holdout_share),
            }
        )
    return pa.Table.from_pylist(out, schema=AUDIENCE_SCHEMA)


def audience_counts(table: pa.Table) -> list[dict[str, Any]]:
    """Lines per segment and operator brand, split by group, plus a total row (sorted)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for seg, brand, group in zip(
        table.column("segment").to_pylist(),
        table.column("operator_brand").to_pylist(),
        table.column("group").to_pylist(),
        strict=True,
    ):
        counts[(seg, brand, group)] += 1
    keys = sorted({(s, b) for s, b, _ in counts})
    rows: list[dict[str, Any]] = []
    total_t = total_h = 0
    for seg, brand in keys:
        t, h = counts[(seg, brand, "treatment")], counts[(seg, brand, "holdout")]
        total_t, total_h = total_t + t, total_h + h
        rows.append(
            {"segment": seg, "operator_brand": brand, "lines": t + h, "treatment": t, "holdout": h}
        )
    rows.append(
        {
            "segment": "total",
            "operator_brand": "",
            "lines": total_t + total_h,
            "treatment": total_t,
            "holdout": total_h,
        }
    )
    return rows
