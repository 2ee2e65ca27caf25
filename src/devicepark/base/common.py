"""What every base query shares: the grouping keys and units (the registry that
``devicepark.questions`` validates against), active lines, the catalog attributes of a TAC and
device-age buckets (tenures live in ``devicepark.tenure``).

Adding a ``--by`` key that is a catalog or line attribute means adding it to ``CATALOG_KEYS`` or
``LINE_KEYS`` here (with its ``UNKNOWN`` value for a catalog key): the queries, the options'
help and the API's parameter list all read these tuples.
"""

from __future__ import annotations

import datetime as dt

import ibis
from ibis.expr.types import Table

CATALOG_KEYS = ("vendor", "brand", "model", "device_type")
LINE_KEYS = ("operator_brand", "segment", "plan", "region")
BY_KEYS = (*CATALOG_KEYS, *LINE_KEYS, "device_age")  # --by of base and series
ADDS_KEYS = (*CATALOG_KEYS, *LINE_KEYS)  # --by of adds
SWITCH_KEYS = ("vendor", "brand")  # --by of switches
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

# Cell keys (cell-key perturbation, devicepark.publish.cellkey): each line's record key is the
# integer value of the first two hex characters of its keyed pseudonym (0..255); a cell's key is
# the sum of its lines' record keys modulo CELL_KEYS. The pseudonym is an HMAC with the store's
# secret key, so both engines and every rerun agree and an outsider cannot compute it.
CELL_KEYS = 256
_HEX = "0123456789abcdef"


def record_key(line: ibis.expr.types.StringValue) -> ibis.expr.types.IntegerValue:
    """The record key of a line pseudonym: ``int(line[:2], 16)``, as an engine expression."""
    hexdigits = ibis.literal(_HEX)
    high = hexdigits.find(line.substr(0, 1))
    low = hexdigits.find(line.substr(1, 1))
    return (high * 16 + low).cast("int64")


def cell_key(rkeys: ibis.expr.types.IntegerColumn) -> ibis.expr.types.IntegerValue:
    """A cell's key from its lines' record keys: their sum modulo ``CELL_KEYS``."""
    return (rkeys.sum() % CELL_KEYS).cast("int64")


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
