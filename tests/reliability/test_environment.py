"""Clear errors for every environment fault (issue 18, item 9): one line, exit code 2, no
traceback, and the store at its previous version.

The read-only store and the full disk are real where this machine lets a root user mount a
small tmpfs (CI does); the simulated variants (the writer raising ENOSPC, DuckDB's COPY failing)
run everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reliakit import BAD, KEY, cli, run_script, store_state

from devicepark.ingest.pseudonym import canonical_line_id, pseudonym
from devicepark.store import Store

LINES = BAD / "base_lines.csv"
OBS = "line_id,imei,observed_at\n" + "+33600000001,860000010001013,2022-01-10T10:00:00Z\n" * 3


def one_line(code: int, err: str, start: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(start), err


def ingest(store: Path, *files: str) -> tuple[int, str, str, BaseException | None]:
    return cli("ingest", "--store", str(store), *files, "--format", "json")


def test_a_store_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "store"
    target.write_text("not a store")
    code, _, err, exc = ingest(target, "--lines", str(LINES))
    assert exc is None
    one_line(code, err, f"error: {target}: is a file, not a directory")
    assert target.read_text() == "not a store"
    proc = run_script("ingest", "--store", str(target), "--lines", str(LINES))  # a real process
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_store_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "store"
    code, _, err, exc = ingest(target, "--lines", str(LINES))
    assert exc is None
    one_line(code, err, f"error: {target}: lies under {tmp_path / 'file'}, which is a file")


@contextlib.contextmanager
def tmpfs(size: str) -> Iterator[Path | None]:
    """A fresh tmpfs of ``size`` (root only; None where mounting is not allowed)."""
    mount = shutil.which("mount")
    point = Path(f"/tmp/devicepark-tmpfs-{uuid.uuid4().hex[:8]}")
    if os.geteuid() != 0 or mount is None:
        yield None
        return
    point.mkdir()
    ok = subprocess.run([mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                        capture_output=True).returncode == 0  # fmt: skip
    try:
        yield point if ok else None
    finally:
        if ok:
            subprocess.run(["umount", str(point)], capture_output=True)
        point.rmdir()


def test_a_read_only_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    obs = tmp_path / "obs.csv"
    obs.write_text(OBS)
    with tmpfs("8m") as fs:
        if fs is not None:  # a real read-only file system
            store = fs / "store"
            assert ingest(store, "--lines", str(LINES))[0] == 0
            before = store_state(store)
            subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
        else:  # the lock file cannot be opened, as on a read-only file system
            store = tmp_path / "store"
            assert ingest(store, "--lines", str(LINES))[0] == 0
            before = store_state(store)
            import devicepark.store.store as store_module

            def read_only(path: object, *args: object, **kw: object) -> object:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

            monkeypatch.setattr(store_module, "open", read_only, raising=False)
        code, _, err, exc = ingest(store, "--observations", str(obs))
        assert exc is None
        one_line(code, err, f"error: {store}: cannot take the store's lock (Read-only file system)")
        assert store_state(store) == before


def test_a_full_disk_leaves_the_store_at_its_version(tmp_path: Path) -> None:
    """A real full disk: a 1 MiB tmpfs holds the first ingest, not the second."""
    big = tmp_path / "lines.csv"
    rows = [
        f"+3361{i:07d},C{i},Orange,consumer,postpaid,Bretagne,2020-01-01," for i in range(40_000)
    ]
    header = "line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on"
    big.write_text("\n".join([header, *rows]) + "\n")
    with tmpfs("1m") as fs:
        if fs is None:
            pytest.skip("no tmpfs here: the simulated full disks below still run")
        store = fs / "store"
        assert ingest(store, "--lines", str(LINES))[0] == 0
        before = store_state(store)
        code, _, err, exc = ingest(store, "--lines", str(big))
        assert exc is None
        one_line(code, err, f"error: {store}: cannot write the store's files (no space left")
        assert store_state(store) == before
        assert Store.open(store).version == 1


@pytest.mark.parametrize("where", ["parquet writer", "duckdb copy"])
def test_a_simulated_full_disk(where: str, fresh_store: Path, monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:  # fmt: skip
    obs = tmp_path / "obs.csv"
    obs.write_text(OBS)
    if where == "parquet writer":

        def full(self: object, *args: object, **kw: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    else:
        from devicepark.store import duck

        real = duck.execute

        def copy_fails(con: duckdb.DuckDBPyConnection, sql: str) -> list:
            if sql.lstrip().startswith("COPY"):
                raise duckdb.IOException('Could not write file "x": No space left on device')
            return real(con, sql)

        for module in ("lines", "observations", "reconcile"):
            monkeypatch.setattr(f"devicepark.ingest.{module}.execute", copy_fails)
    before = store_state(fresh_store)
    code, _, err, exc = ingest(fresh_store, "--observations", str(obs))
    assert exc is None
    one_line(code, err, f"error: {fresh_store}: cannot write the store's files (no space left")
    assert store_state(fresh_store) == before


def test_any_other_os_error_is_one_line(fresh_store: Path, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:  # fmt: skip
    obs = tmp_path / "obs.csv"
    obs.write_text(OBS)

    def denied(path: object, chunk: int = 0) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr("devicepark.ingest.log.file_sha256", denied)
    code, _, err, exc = ingest(fresh_store, "--observations", str(obs))
    assert exc is None
    one_line(code, err, f"error: {obs}: Permission denied [EACCES]")


@pytest.mark.parametrize(
    ("column", "values", "what"),
    [
        ("line_id", pa.array([{"msisdn": "+33600000001"}]), "a struct"),
        ("imei", pa.array([["860000010001013"]]), "a list"),
        ("observed_at", pa.array([[("a", "b")]], pa.map_(pa.string(), pa.string())), "a map"),
    ],
)
def test_nested_parquet_columns_are_refused_naming_them(
    column: str, values: pa.Array, what: str, tmp_path: Path
) -> None:
    cols = {"line_id": ["+33600000001"], "imei": ["860000010001013"], "observed_at": ["2022"]}
    table = pa.table({c: values if c == column else pa.array(v) for c, v in cols.items()})
    path = tmp_path / "obs.parquet"
    pq.write_table(table, path)
    code, _, err, exc = ingest(tmp_path / "s", "--observations", str(path))
    assert exc is None
    one_line(code, err, f"error: {path}: column {column}: column '{column}' holds nested values")
    assert f"({what})" in err


def test_a_dictionary_encoded_line_id_is_text(fresh_store: Path, tmp_path: Path) -> None:
    """pandas categoricals reach Parquet as dictionary-encoded strings: read as text."""
    frame = pd.DataFrame(
        {
            "line_id": pd.Categorical(["+33600000001", "06 00 00 00 02", "+33600000001"]),
            "imei": pd.Categorical(["860000010001013"] * 3),
            "observed_at": ["2022-01-10T10:00:00Z", "2022-01-11T10:00:00Z", "2022-01-12T10:00:00Z"],
        }
    )
    path = tmp_path / "obs.parquet"
    frame.to_parquet(path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("line_id").type)
    code, out, err, exc = ingest(fresh_store, "--observations", str(path))
    assert exc is None and code == 0, err
    lines = set(Store.open(fresh_store).read("observations")["line"].to_pylist())
    key = bytes.fromhex(KEY)
    assert lines == {
        pseudonym(key, "line", canonical_line_id(v)) for v in ("+33600000001", "+33600000002")
    }
