"""What every base query shares: parameters (dates, --by keys, units), active lines, the
catalog attributes of a TAC and device-age buckets (tenures live in ``devicepark.tenure``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.errors import ConfigError

CATALOG_KEYS = ("vendor", "brand", "model", "device_type")
LINE_KEYS = ("operator_brand", "segment", "plan", "region")
BY_KEYS = (*CATALOG_KEYS, *LINE_KEYS, "device_age")
UNITS = ("lines", "customers", "handsets")
UNKNOWN = {"vendor": "Unknown", "brand": "Unknown", "model": "Unknown", "device_type": "other"}

# Device age: whole calendar months since the current handset was first seen on the line.
# A line is in bucket (label, lo, hi) when first + lo months <= D < first + hi months, where
# "first + n months" is calendar-month addition with the day clamped to the month's end
# (2022-01-31 + 1 month = 2022-02-28), as both DuckDB and Spark add months.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-6", 0, 6),
    ("6-12", 6, 12),
    ("12-24", 12, 24),
    ("24-36", 24, 36),
    ("36+", 36, None),
)

FAR = dt.date(9999, 1, 1)  # "no end": open intervals end here


MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # date arithmetic stays in range
MAX_LOOKBACK_DAYS = 3660


def as_date(value: Any, name: str = "date") -> dt.date:
    """A calendar date from a ``date`` or a ``YYYY-MM-DD`` string; ConfigError otherwise.

    >>> as_date("2022-02-03")
    datetime.date(2022, 2, 3)
    >>> as_date("2022-02-30", "--as-of")
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: --as-of: '2022-02-30' is not a date (expected YYYY-MM-DD)
    """
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a date (expected YYYY-MM-DD)") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ConfigError(f"{name}: {day.isoformat()} is outside {MIN_DATE.year}-{MAX_DATE.year}")
    return day


def parse_by(by: str | Iterable[str] | None, allowed: Sequence[str] = BY_KEYS) -> list[str]:
    """``--by`` keys from a comma list or a sequence, checked and deduplicated in order.

    >>> parse_by("vendor, brand")
    ['vendor', 'brand']
    >>> parse_by("colour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: --by: unknown key 'colour'; choose among: vendor, brand, ...
    """
    if by is None:
        return []
    items = by.split(",") if isinstance(by, str) else list(by)
    keys: list[str] = []
    for item in items:
        key = str(item).strip().lower()
        if not key:
            continue
        if key not in allowed:
            raise ConfigError(f"--by: unknown key {item!r}; choose among: {', '.join(allowed)}")
        if key not in keys:
            keys.append(key)
    return keys


def parse_unit(unit: str | None) -> str:
    unit = (unit or "lines").strip().lower()
    if unit not in UNITS:
        raise ConfigError(f"--unit: unknown unit {unit!r}; choose among: {', '.join(UNITS)}")
    return unit


def check_lookback(lookback_days: int) -> int:
    if not 1 <= int(lookback_days) <= MAX_LOOKBACK_DAYS:
        raise ConfigError(
            f"--lookback-days must lie in 1..{MAX_LOOKBACK_DAYS}, got {lookback_days}"
        )
    return int(lookback_days)


def lines_in_scope(lines: Table, include_m2m: bool) -> Table:
    """Lines with their attributes, segment defaulting to consumer, M2M dropped unless asked."""
    seg = lines.segment.fill_null("consumer")
    t = lines.select(
        "line",
        "customer",
        "operator_brand",
        "plan",
        "region",
        "activated_on",
        "terminated_on",
        segment=seg,
    )
    if not include_m2m:
        t = t.filter(t.segment != "m2m")
    return t


def active_at(lines: Table, day: dt.date) -> ibis.expr.types.BooleanValue:
    d = ibis.literal(day)
    return (lines.activated_on <= d) & (lines.terminated_on.isnull() | (lines.terminated_on > d))


def catalog_latest(catalog: Table) -> Table:
    """One row per TAC (the latest import wins), with normalised attributes."""
    w = ibis.window(
        group_by=catalog.tac, order_by=[ibis.desc(catalog.import_seq), ibis.desc(catalog.vendor)]
    )
    ranked = catalog.mutate(_rn=ibis.row_number().over(w))
    latest = ranked.filter(ranked._rn == 0)
    return latest.select("tac", *CATALOG_KEYS)


def with_catalog(t: Table, catalog: Table) -> Table:
    """Left-join catalog attributes by TAC; a TAC in no catalog is Unknown/other.

    ``t`` must have ``tac`` and an ``identified`` boolean; unidentified rows keep null attributes.
    """
    cat = catalog_latest(catalog).rename(_ctac="tac")
    j = t.left_join(cat, t.tac == cat._ctac)
    return j.mutate(
        **{
            k: ibis.ifelse(j.identified, j[k].fill_null(UNKNOWN[k]), ibis.null(str))
            for k in CATALOG_KEYS
        }
    ).drop("_ctac")


def add_months(d: ibis.expr.types.DateValue, months: int) -> ibis.expr.types.DateValue:
    return (d + ibis.interval(months=months)).cast("date")


def age_label(origin: ibis.expr.types.DateValue, day: dt.date) -> ibis.expr.types.StringValue:
    """The device-age bucket at ``day`` of a handset first seen on ``origin``."""
    d = ibis.literal(day)
    case = ibis.cases(
        *[(d < add_months(origin, hi), label) for label, _lo, hi in AGE_BUCKETS if hi is not None],
        else_=AGE_BUCKETS[-1][0],
    )
    return case


def null_str() -> ibis.expr.types.StringValue:
    return ibis.null(str)
