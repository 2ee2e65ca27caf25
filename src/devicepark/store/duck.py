"""DuckDB SQL text for the writers (ingest, the tenures' refold, the store's layout and upgrade,
the daily aggregate): string literals, typed select lists, and statements whose results are
always drained.

DuckDB 2 refuses other work on a connection (``register``...) while a result is still open, so
every writer sends its statements through ``execute`` or ``scalar``, which fetch all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

# The COPY options of every store file DuckDB writes. zstd's level 1 writes the tenures' open part
# (5 M lines) in 3.6 s against 5.1-5.7 s at DuckDB's default level 3, into a file no larger:
# pseudonyms are random and barely compress at any level.
PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"


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


# DuckDB's name of each Arrow type the store's schemas use (timestamps are UTC instants).
_DUCK_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "date32[day]": "DATE"}


def typed_columns(schema: pa.Schema) -> str:
    """A select list casting every column of ``schema`` to its exact store type, in order.

    A writer's COPY needs it: DuckDB computes running sums as 128-bit integers (Parquet would
    get a DOUBLE) and some dates as timestamps, and Ibis drops a cast it believes is a no-op.

    >>> typed_columns(pa.schema([("day", pa.date32()), ("n", pa.int64())]))
    'CAST("day" AS DATE) AS "day", CAST("n" AS BIGINT) AS "n"'
    """
    return ", ".join(
        f'CAST("{f.name}" AS {_DUCK_TYPES.get(str(f.type), "TIMESTAMPTZ")}) AS "{f.name}"'
        for f in schema
    )
