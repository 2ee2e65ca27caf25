"""The dates the store has data for, and the one-line warning when a question asks outside them.

The span comes from the Parquet footers of the tenures files (each row group records the minimum
``first_date`` and maximum ``last_date``): no scan, whatever the store's size.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq

from devicepark.store import Store


def data_dates(store: Store) -> tuple[dt.date, dt.date] | None:
    """(first, last) local dates of the store's sightings, or None when it has none."""
    lo: dt.date | None = None
    hi: dt.date | None = None
    for path in store.files("tenures"):
        meta = pq.ParquetFile(path).metadata
        names = meta.schema.to_arrow_schema().names
        first, last = names.index("first_date"), names.index("last_date")
        for g in range(meta.num_row_groups):
            a, b = (
                meta.row_group(g).column(first).statistics,
                meta.row_group(g).column(last).statistics,
            )
            if a is None or b is None or not (a.has_min_max and b.has_min_max):
                continue
            lo = a.min if lo is None else min(lo, a.min)
            hi = b.max if hi is None else max(hi, b.max)
    return None if lo is None or hi is None else (lo, hi)


def outside(store: Store, *days: dt.date | None) -> str | None:
    """A one-line warning when a date lies outside the store's data, naming the data's range.

    >>> from pathlib import Path
    >>> from devicepark.store.store import Manifest
    >>> outside(Store(Path("/nowhere"), Manifest()), dt.date(2022, 2, 3))
    'the store has no data yet: every figure is 0'
    """
    span = data_dates(store)
    if span is None:
        return "the store has no data yet: every figure is 0"
    lo, hi = span
    far = sorted({d.isoformat() for d in days if d is not None and not lo <= d <= hi})
    if not far:
        return None
    return (
        f"{', '.join(far)} outside the dates the store has sightings for "
        f"({lo.isoformat()} to {hi.isoformat()})"
    )
