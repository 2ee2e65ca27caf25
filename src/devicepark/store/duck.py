"""DuckDB SQL text for the writers (ingest, the tenures' refold, the store's layout and upgrade):
string literals, and statements whose results are always drained.

DuckDB 2 refuses other work on a connection (``register``...) while a result is still open, so
every writer sends its statements through ``execute`` or ``scalar``, which fetch all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb


def lit(value: str | Path) -> str:
    """A SQL string literal (paths may contain quotes)."""
    return "'" + str(value).replace("'", "''") + "'"


def paths_sql(paths: Sequence[str | Path]) -> str:
    """A DuckDB list of string literals, e.g. for ``read_parquet``."""
    return "[" + ", ".join(lit(p) for p in paths) + "]"


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """Execute ``sql`` and drain its result; return its rows."""
    return con.execute(sql).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The first column of the first row (None without rows); the result is drained."""
    rows = execute(con, sql)
    return rows[0][0] if rows else None
