"""The safe door for analysts: one DuckDB view per store table, bound to the manifest's live files.

A table's folder can hold files the manifest no longer lists (a nightly ingest writes the new
tenures beside the superseded ones; a failed run can leave staging debris), so globbing
``tables/<table>/*.parquet`` can count rows twice. The manifest is the truth: these views read
exactly its files, at the version the store had when they were bound.

>>> import duckdb
>>> from pathlib import Path
>>> from devicepark.store.store import Manifest, Store
>>> con = duckdb.connect()
>>> sorted(bind_views(con, Store(Path("/nowhere"), Manifest())))[:4]
['catalog', 'daily', 'ingests', 'lines']
>>> con.sql("SELECT count(*) FROM lines").fetchall()
[(0,)]
"""

from __future__ import annotations

from typing import Any

from devicepark.store.schema import SCHEMAS
from devicepark.store.store import Store


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def bind_views(con: Any, store: Store, *, prefix: str = "") -> list[str]:
    """Create (or replace) a view ``<prefix><table>`` on the DuckDB connection ``con`` for every
    table of the store: its live files, or an empty table of its schema when it has none.
    Returns the view names. Nothing is copied; the store is only read."""
    names = sorted(set(SCHEMAS) | set(store.manifest.tables))
    bound = []
    for name in names:
        view = f"{prefix}{name}"
        quoted = '"' + view.replace('"', '""') + '"'
        files = store.files(name)
        if files:
            paths = "[" + ", ".join(_lit(f) for f in files) + "]"
            sql = f"CREATE OR REPLACE VIEW {quoted} AS SELECT * FROM read_parquet({paths})"
            con.execute(sql).fetchall()
        elif name in SCHEMAS:
            con.from_arrow(SCHEMAS[name].empty_table()).create_view(view, replace=True)
        else:
            continue
        bound.append(view)
    return bound
