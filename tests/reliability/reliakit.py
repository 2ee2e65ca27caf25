"""Helpers of the reliability tests: run the CLI in-process or as a script, snapshot a store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.questions import BaseQuestion

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"  # as tests/conftest.py
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str, BaseException | None]:
    """Run ``devicepark ARGS`` in-process: (exit code, stdout, stderr, unexpected exception)."""
    result = runner.invoke(app, list(args), env={"DEVICEPARK_KEY": KEY})
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return result.exit_code, result.stdout, result.stderr, exc


def devicepark_cmd() -> list[str]:
    exe = shutil.which("devicepark")
    return [exe] if exe else [sys.executable, "-m", "devicepark.cli.main"]


def run_script(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the real ``devicepark`` console script in a subprocess."""
    env = {**os.environ, "DEVICEPARK_KEY": KEY}
    return subprocess.run([*devicepark_cmd(), *args], capture_output=True, text=True, env=env, **kw)


def store_state(path: Path) -> dict[str, Any]:
    """What a reader can see of a store: the manifest and the bytes of every file it names."""
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    files = {rel: (path / rel).read_bytes() for t in manifest["tables"].values() for rel in t}
    return {"manifest": manifest, "files": files}


def scratch() -> tempfile.TemporaryDirectory[str]:
    """A throwaway directory, in memory where the system has one (store commits fsync)."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(
        dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    )


def ingest_files(
    store: Path,
    *,
    lines: list[Path] = (),  # type: ignore[assignment]
    observations: list[Path] = (),  # type: ignore[assignment]
    tac: list[Path] = (),  # type: ignore[assignment]
) -> Any:
    """One ``devicepark ingest`` run through the library (what the CLI calls), at rate 100 %."""
    from devicepark.answers.daily import refresh_daily
    from devicepark.ingest.pseudonym import parse_key
    from devicepark.ingest.run import ingest
    from devicepark.store import Store
    from devicepark.store.engine import duckdb_connection

    con = duckdb_connection()
    try:
        return ingest(
            Store.create(store),
            con,
            parse_key(KEY, "test"),
            lines=lines,
            observations=observations,
            tac=tac,
            max_reject_rate=1.0,
            derive=refresh_daily,  # as the CLI's ingest
        )
    finally:
        con.close()


def base_answers(store: Path, days: list[Any]) -> list[dict[str, Any]]:
    """``answers.base`` by vendor at each day, on a fresh DuckDB connection."""
    from devicepark import answers
    from devicepark.store import Store, connect, open_tables

    con = connect("duckdb")
    try:
        tables = open_tables(con, Store.open(store))
        return [answers.base(con, tables, BaseQuestion.parse(d, by=["vendor"])) for d in days]
    finally:
        con.disconnect()


def table_rows(store: Path, table: str, drop: tuple[str, ...] = ("ingest_seq",)) -> list[tuple]:
    """A table's rows as sorted tuples, without the columns that depend on ingest order."""
    from devicepark.store import Store

    t = Store.open(store).read(table)
    t = t.drop_columns([c for c in drop if c in t.column_names])
    return sorted((tuple(r.values()) for r in t.to_pylist()), key=repr)
