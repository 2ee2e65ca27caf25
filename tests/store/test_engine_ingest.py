"""The ingest connection is bounded: DuckDB's default memory limit (80 % of the RAM) let a 2 M-line
export's dedup and tenure fold reach 14 GB, so the connection ingest uses gets a limit of its own
and a spill folder, unless the caller gives one."""

from __future__ import annotations

from devicepark.store.engine import duckdb_connection, ingest_memory_limit, temp_directory


def _setting(con, name: str) -> str:
    return con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def _bytes(text: str) -> float:
    number, unit = text.split()
    scale = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "KB": 1e3, "MB": 1e6, "GB": 1e9}
    return float(number) * scale[unit]


def test_ingest_connection_has_a_bounded_memory_limit():
    con = duckdb_connection()
    limit = _bytes(_setting(con, "memory_limit"))
    assert 100e6 <= limit <= 2.2e9  # 2 GiB at most, whatever the machine's RAM
    assert _setting(con, "temp_directory") == temp_directory()


def test_default_is_two_gib_or_a_quarter_of_the_ram():
    mb = int(ingest_memory_limit().removesuffix("MB"))
    assert 128 <= mb <= 2048


def test_an_explicit_limit_wins():
    con = duckdb_connection("300MB")
    assert 250e6 <= _bytes(_setting(con, "memory_limit")) <= 300e6
