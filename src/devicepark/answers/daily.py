"""Write the daily aggregate (``devicepark.base.daily``) into a store's transaction: the ingest's
hook after the refold (``ingest(..., derive=refresh_daily)``), and ``devicepark store upgrade``
for a store written before it existed.

The aggregate is rebuilt whole from the transaction's lines, catalog and tenures (one pass over
the tenures). A store without it, or whose sources changed in a transaction that did not write
it again (``store.DERIVED`` drops it then), answers through the exact fold.
"""

from __future__ import annotations

from typing import Any

import ibis

from devicepark.base.daily import daily_events
from devicepark.store.engine import Tables
from devicepark.store.schema import DAILY, SCHEMAS
from devicepark.store.store import Transaction


def refresh_daily(tx: Transaction, con: Any) -> None:
    """Rebuild the daily aggregate from what ``tx`` would commit, on the DuckDB connection
    ``con`` (session time zone UTC), and make it the table's whole content."""
    backend = ibis.duckdb.from_connection(con)

    def bind(name: str) -> ibis.Table:
        files = tx.files(name)
        if not files:
            return ibis.memtable(SCHEMAS[name].empty_table())
        return backend.read_parquet(files)

    names = ("lines", "observations", "tenures", "catalog", "quarantine", "ingests")
    tables = Tables(store=tx.base, **{n: bind(n) for n in names})
    path = tx.new_path("daily")
    # A view, then a COPY casting each column to the table's type: DuckDB computes some dates as
    # timestamps and sums as 128-bit integers where Ibis types them as dates and int64 (and
    # drops a cast to the type it already sees), which a plain COPY would write as they are.
    view = f"devicepark_daily_{tx.txid.replace('-', '_')}"
    backend.create_view(view, daily_events(tables), overwrite=True)
    cols = ", ".join(f'CAST("{f.name}" AS {_SQL[str(f.type)]}) AS "{f.name}"' for f in DAILY)
    target = str(path).replace("'", "''")
    try:
        con.execute(
            f"COPY (SELECT {cols} FROM {view}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        ).fetchall()
    finally:
        con.execute(f"DROP VIEW IF EXISTS {view}").fetchall()
    tx.replace("daily", [path])


_SQL = {"string": "VARCHAR", "date32[day]": "DATE", "int64": "BIGINT"}
