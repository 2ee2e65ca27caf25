"""Every case of the bad-input corpus (tests/data/bad/cases.toml) through the ``devicepark`` CLI.

A whole-file problem exits 2 with one line naming file, line and column, and commits nothing; a
row-level problem is counted under its reason code, listed in the quarantine with its line and
column, and the file reconciles: rows = accepted + rejected + duplicates + orphans.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
from reliakit import BAD, cli, run_script, store_state

from devicepark.store import Store

CASES = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))["case"]
COUNTS = ("rows", "accepted", "rejected", "duplicates", "orphans")


def raw_identifiers(path: Path, kind: str) -> set[str]:
    """Line ids, customer ids and IMEIs of a case file (values with 6+ digits), as written."""
    if kind == "tac":
        return set()
    data = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        try:
            data = gzip.decompress(data)
        except (EOFError, OSError):
            import zlib

            data = zlib.decompressobj(wbits=31).decompress(data)
    needles = set()
    for row in data.decode("utf-8", errors="replace").splitlines():
        for value in row.split(",")[:2]:
            value = value.strip('"').strip()
            if sum(ch.isdecimal() for ch in value) >= 6 and len(value) < 64:
                needles.add(value)
                needles.add(re.sub(r"\D", "", value))
    return {n for n in needles if len(n) >= 6}


def invoke(store: Path, case: dict[str, Any]) -> tuple[int, str, str, BaseException | None]:
    path = BAD / case["file"]
    rate = str(case.get("max_reject_rate", 1.0))
    return cli(
        "ingest",
        "--store",
        str(store),
        f"--{case['kind']}",
        str(path),
        "--max-reject-rate",
        rate,
        "--format",
        "json",
    )


def expected_prefix(case: dict[str, Any]) -> str:
    where = str(BAD / case["file"])
    if "line" in case:
        where += f":{case['line']}"
    if "column" in case:
        where += f": column {case['column']}"
    return f"error: {where}: "


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], fresh_store: Path, key_env: str) -> None:
    before = store_state(fresh_store)
    code, out, err, exc = invoke(fresh_store, case)
    assert exc is None, f"unexpected {type(exc).__name__}: {exc}"
    assert code == case["exit"], err
    assert "Traceback" not in out + err
    for needle in raw_identifiers(BAD / case["file"], case["kind"]):
        assert needle not in out and needle not in err, f"raw identifier {needle!r} in the output"

    if case["exit"] == 2:
        assert err.count("\n") == 1 and err.endswith("\n"), err  # exactly one line
        assert err.startswith(expected_prefix(case)), err
        assert case["message"] in err
        assert store_state(fresh_store) == before  # nothing committed
        return

    report = [f for f in json.loads(out)["files"] if f["kind"] == case["kind"]]
    assert len(report) == 1
    rep = report[0]
    assert {k: rep[k] for k in case["counts"]} == case["counts"]
    assert rep["rows"] == rep["accepted"] + rep["rejected"] + rep["duplicates"] + rep["orphans"]
    assert rep["reasons"] == case["reasons"]

    store = Store.open(fresh_store)
    seq = rep["ingest_seq"] if case["kind"] != "tac" else _tac_seq(store)
    q = store.read("quarantine")
    q = q.filter(pc.equal(q["ingest_seq"], seq)).to_pylist()
    assert sorted([r["line_no"], r["column"], r["reason"]] for r in q) == sorted(case["quarantine"])
    logged = [r for r in store.read("ingests").to_pylist() if r["ingest_seq"] == seq]
    assert len(logged) == 1 and {k: logged[0][k] for k in COUNTS} == {k: rep[k] for k in COUNTS}

    if "instants" in case or "local_dates" in case:
        obs = store.read("observations")
        obs = obs.filter(pc.equal(obs["ingest_seq"], seq)).to_pylist()
        utc = sorted(
            r["observed_at"].astimezone(dt.UTC).replace(tzinfo=None).isoformat() for r in obs
        )
        if "instants" in case:
            assert utc == case["instants"]
        if "local_dates" in case:
            assert sorted(r["local_date"].isoformat() for r in obs) == case["local_dates"]
    if "catalog" in case:
        _check_catalog(store, case["catalog"])


def _tac_seq(store: Store) -> int:
    log = [r for r in store.read("ingests").to_pylist() if r["kind"] == "tac"]
    return max(r["ingest_seq"] for r in log)


def _check_catalog(store: Store, expected: dict[str, str]) -> None:
    got = {r["tac"]: r["vendor"] for r in store.read("catalog").to_pylist()}
    assert got == expected


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "tac"], ids=lambda c: c["id"])
def test_tac_import_command_agrees(case: dict[str, Any], fresh_store: Path) -> None:
    """``devicepark tac import`` gives the same catalog and account as ``ingest --tac``."""
    code, out, err, exc = cli(
        "tac", "import", str(BAD / case["file"]), "--store", str(fresh_store), "--format", "json"
    )
    assert code == case["exit"] and exc is None, err
    summary = json.loads(out)["files"][0]
    assert summary["rows"] == case["counts"]["rows"]
    assert summary["imported"] == case["counts"]["accepted"]
    assert summary["rejected"] == case["counts"]["rejected"]
    assert summary["conflicts"] == case.get("conflicts", 0)
    _check_catalog(Store.open(fresh_store), case["catalog"])


def test_unterminated_quote_keeps_every_following_row(fresh_store: Path, key_env: str) -> None:
    """The rows after an unterminated quote are the accepted ones, by line number."""
    code, out, err, _ = invoke(
        fresh_store, next(c for c in CASES if c["id"] == "unterminated_quote")
    )
    assert code == 0, err
    store = Store.open(fresh_store)
    accepted = store.read("observations").num_rows
    assert accepted == 3
    quarantined = {r["line_no"] for r in store.read("quarantine").to_pylist()}
    assert quarantined == {3, 5, 7}  # lines 2, 4 and 6 are the three accepted rows


def test_console_script_shape_on_a_real_process(tmp_path: Path) -> None:
    """The installed script, not only the in-process app: one line, exit 2, no traceback."""
    case = next(c for c in CASES if c["id"] == "truncated_gzip")
    proc = run_script(
        "ingest", "--store", str(tmp_path / "s"), "--observations", str(BAD / case["file"])
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(expected_prefix(case)) and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr + proc.stdout


ACCEPTED_CASES = [pytest.param(c, id=c["id"]) for c in CASES if c["exit"] == 0]


@pytest.mark.parametrize("case", ACCEPTED_CASES)
def test_quarantine_holds_exactly_the_rejected_rows(
    case: dict[str, Any], fresh_store: Path, key_env: str
) -> None:
    """docs/ARCHITECTURE.md: quarantine has one row per rejected input row."""
    code, out, err, _ = invoke(fresh_store, case)
    assert code == 0, err
    rep = next(f for f in json.loads(out)["files"] if f["kind"] == case["kind"])
    store = Store.open(fresh_store)
    seq = rep["ingest_seq"] if case["kind"] != "tac" else _tac_seq(store)
    q = store.read("quarantine")
    assert q.filter(pc.equal(q["ingest_seq"], seq)).num_rows == rep["rejected"]
