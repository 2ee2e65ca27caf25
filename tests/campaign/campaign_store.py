"""Helpers for campaign tests: a hand-made store (lines, tenures, catalog written directly)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from devicepark.store import Store
from devicepark.store.schema import SCHEMAS

D = dt.date


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)


def write_store(path: Path, lines: list[dict], tenures: list[dict], catalog: list[dict]) -> Store:
    store = Store.create(path)
    with store.transaction() as tx:
        tx.write("lines", _table("lines", lines))
        tx.write("tenures", _table("tenures", tenures))
        tx.write("catalog", _table("catalog", catalog))
    return Store.open(path)


def pseudo(n: int) -> str:
    return f"{n:032x}"


CATALOG = [
    {
        "tac": "35000001",
        "vendor": "Samsung",
        "brand": "Samsung",
        "model": "Galaxy S10",
        "import_seq": 1,
    },
    {
        "tac": "86000001",
        "vendor": "Xiaomi",
        "brand": "Redmi",
        "model": "Redmi Note 11",
        "import_seq": 1,
    },
    {"tac": "35000002", "vendor": "Apple", "brand": "Apple", "model": "iPhone 11", "import_seq": 1},
]


def line(
    n: int,
    brand: str = "Orange",
    segment: str = "consumer",
    activated: dt.date | None = None,
    terminated: dt.date | None = None,
) -> dict:
    return {
        "line": pseudo(n),
        "customer": pseudo(10_000 + n),
        "operator_brand": brand,
        "segment": segment,
        "activated_on": activated or D(2018, 1, 1),
        "terminated_on": terminated,
    }


def run(n: int, seq: int, handset: int, tac: str, first: dt.date, last: dt.date) -> dict:
    return {
        "line": pseudo(n),
        "seq": seq,
        "handset": pseudo(90_000 + handset),
        "tac": tac,
        "first_seen": dt.datetime.combine(first, dt.time(12), dt.UTC),
        "last_seen": dt.datetime.combine(last, dt.time(12), dt.UTC),
        "first_date": first,
        "last_date": last,
        "observations": 2,
    }
