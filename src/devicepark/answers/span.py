"""The dates the store has data for, and the one-line warning when a question asks outside them.

The span comes from the Parquet footers of the tenures files (each row group records the minimum
``first_date`` and maximum ``last_date``): no scan, whatever the store's size. Every answer that
needs the span (the warning, the milestones' and report's default dates, the dashboard) reads it
here.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pyarrow.parquet as pq

from devicepark.store import Store


def data_dates(store: Store) -> tuple[dt.date, dt.date] | None:
    """(first, last) local dates of the store's sightings, or None when it has none. A row group
    written without statistics (another writer's file) is read instead: two columns."""
    lo: dt.date | None = None
    hi: dt.date | None = None
    for path in store.files("tenures"):
        meta = pq.ParquetFile(path).metadata
        names = meta.schema.to_arrow_schema().names
        first, last = names.index("first_date"), names.index("last_date")
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            if not group.num_rows:
                continue
            a, b = group.column(first).statistics, group.column(last).statistics
            if a is not None and b is not None and a.has_min_max and b.has_min_max:
                a_min, b_max = a.min, b.max
            else:
                cols = pq.ParquetFile(path).read_row_group(g, ["first_date", "last_date"])
                a_min = pc.min(cols["first_date"]).as_py()
                b_max = pc.max(cols["last_date"]).as_py()
                if a_min is None or b_max is None:
                    continue
            lo = a_min if lo is None else min(lo, a_min)
            hi = b_max if hi is None else max(hi, b_max)
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
