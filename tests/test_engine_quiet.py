"""DuckDB must never draw its progress bar: it writes to the process's stdout (even a pipe or a
file), so a long ingest or query would put bar characters inside a ``--format json`` answer.
Every DuckDB connection devicepark opens has it switched off."""

from __future__ import annotations

from devicepark.store.engine import connect, duckdb_connection

SETTING = "SELECT current_setting('enable_progress_bar')"


def test_ingest_connection_is_quiet():
    assert duckdb_connection().execute(SETTING).fetchall() == [(False,)]


def test_query_connection_is_quiet():
    assert connect("duckdb").raw_sql(SETTING).fetchall() == [(False,)]
