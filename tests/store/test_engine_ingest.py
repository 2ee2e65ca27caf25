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


def test_the_default_follows_the_ram(monkeypatch):
    """A quarter of the RAM, between DuckDB's 128 MB floor and 2 GiB (worked out by hand)."""
    import os

    for ram_mib, want in ((64 * 1024, "2048MB"), (4 * 1024, "1024MB"), (256, "128MB")):
        pages = ram_mib * 2**20 // 4096
        monkeypatch.setattr(
            os, "sysconf", lambda name, p=pages: 4096 if name == "SC_PAGE_SIZE" else p
        )
        assert ingest_memory_limit() == want, ram_mib
