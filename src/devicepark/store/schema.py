"""The store's logical tables and their Arrow schemas: the one contract between stages.

Pseudonyms (``line``, ``customer``, ``handset``) are 32 lowercase hex characters: the first
128 bits of a keyed HMAC-SHA256 (see ``devicepark.ingest.pseudonym``). No raw MSISDN, IMSI or
IMEI is ever stored. Instants are UTC; ``local_date`` columns are calendar days in the store's
time zone, computed once at ingest so that no query does time-zone arithmetic.
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

CATALOG = pa.schema(
    [
        ("tac", pa.string()),  # exactly 8 ASCII digits
        ("vendor", pa.string()),  # normalised company, as market-share tables name it
        ("brand", pa.string()),  # normalised marketed brand (Redmi, POCO, ...)
        ("model", pa.string()),
        ("marketing_name", pa.string()),
        (
            "device_type",
            pa.string(),
        ),  # smartphone | feature phone | tablet | modem/dongle | module/IoT | wearable | other
        ("os", pa.string()),
        ("release_year", pa.int32()),
        ("manufacturer_raw", pa.string()),
        ("brand_raw", pa.string()),
        ("model_raw", pa.string()),
        ("device_type_raw", pa.string()),
        ("source", pa.string()),  # file name the row came from
        ("layout", pa.string()),  # own | gsma17 | gsma20 | gsma25 | osmocom
        ("import_seq", pa.int64()),  # ingest sequence; the latest import of a TAC wins
    ]
)

LINES = pa.schema(
    [
        ("line", pa.string()),
        ("customer", pa.string()),
        ("operator_brand", pa.string()),
        ("segment", pa.string()),  # consumer | business | m2m
        ("plan", pa.string()),  # postpaid | prepaid | null
        ("region", pa.string()),
        ("activated_on", pa.date32()),
        ("terminated_on", pa.date32()),  # first day no longer active; null while active
        ("ingest_seq", pa.int64()),
    ]
)

OBSERVATIONS = pa.schema(
    [
        ("line", pa.string()),
        ("handset", pa.string()),  # pseudonym of the 14-digit IMEI body (TAC + serial)
        ("tac", pa.string()),
        ("kind", pa.string()),  # IMEI | IMEI14 | IMEISV
        ("observed_at", UTC_TS),
        ("local_date", pa.date32()),
        ("ingest_seq", pa.int64()),
    ]
)

# One row per run of consecutive observations of one handset on one line (ordered by
# (observed_at, handset)); a run is split when the handset changes or when the line goes
# unobserved for more than the store's tenure gap (its default lookback).
TENURES = pa.schema(
    [
        ("line", pa.string()),
        ("seq", pa.int64()),  # 1, 2, ... per line, in time order
        ("handset", pa.string()),
        ("tac", pa.string()),
        ("first_seen", UTC_TS),
        ("last_seen", UTC_TS),
        ("first_date", pa.date32()),
        ("last_date", pa.date32()),
        ("observations", pa.int64()),
    ]
)

QUARANTINE = pa.schema(
    [
        ("ingest_seq", pa.int64()),
        ("table", pa.string()),  # lines | observations | catalog
        ("file", pa.string()),
        ("line_no", pa.int64()),  # physical line in the file, header = 1
        ("column", pa.string()),
        ("reason", pa.string()),
    ]
)

INGESTS = pa.schema(
    [
        ("ingest_seq", pa.int64()),
        ("kind", pa.string()),  # lines | observations | tac
        ("file", pa.string()),
        ("sha256", pa.string()),
        ("rows", pa.int64()),
        ("accepted", pa.int64()),
        ("rejected", pa.int64()),
        ("duplicates", pa.int64()),
        ("orphans", pa.int64()),
        ("committed_at", UTC_TS),
    ]
)

# The daily aggregate (devicepark.base.daily): the base's +1/-1 events summed per day and group,
# at the default lookback. Derived from lines, catalog and tenures: a transaction that changes one
# of them without writing it again drops it (``store.DERIVED``), and queries fold exactly.
DAILY = pa.schema(
    [
        ("kind", pa.string()),  # group (identified lines) | total (every active line)
        ("day", pa.date32()),
        ("vendor", pa.string()),  # the catalog keys: null for kind total
        ("brand", pa.string()),
        ("device_type", pa.string()),
        ("operator_brand", pa.string()),
        ("segment", pa.string()),  # consumer | business | m2m (M2M kept: a filter drops it)
        ("plan", pa.string()),
        ("region", pa.string()),
        ("delta", pa.int64()),  # lines starting (+) and ending (-) on the day
        ("kdelta", pa.int64()),  # the same, summing their record keys
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "catalog": CATALOG,
    "lines": LINES,
    "observations": OBSERVATIONS,
    "tenures": TENURES,
    "quarantine": QUARANTINE,
    "ingests": INGESTS,
    "daily": DAILY,
}


def register(name: str, schema: pa.Schema) -> None:
    """Declare a further table (market shares, privacy ledger, ...) owned by a later stage."""
    existing = SCHEMAS.get(name)
    if existing is not None and not existing.equals(schema):
        raise ValueError(f"table {name!r} is already declared with another schema")
    SCHEMAS[name] = schema
