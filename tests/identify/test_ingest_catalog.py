"""Catalog ingest into the store: later import wins, quarantine, ingest log, skip on same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from devicepark.errors import InputError
from devicepark.ingest.catalog import ingest_catalogs
from devicepark.store import Store

FIRST = """tac,manufacturer,brand,model,device_type
86753104,Xiaomi Inc,Redmi,Redmi Note 11,smartphone
35332811,Samsung Korea,Samsung,SM-G991B,smartphone
1234567x,Samsung Korea,Samsung,bad,smartphone
35332811,Samsung Korea,Samsung,SM-G991U,smartphone
"""
SECOND = """TAC|Marketing Name|Manufacturer|Brand Name|Model Name|Device Type
35332811|Galaxy S21|Samsung Electronics Co., Ltd.|Samsung|SM-G991B/DS|Smartphone
01326600|Nokia 105|HMD Global Oy|Nokia|TA-1010|Mobile Phone/Feature phone
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_two_imports_later_wins(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "store")
    first, second = write(tmp_path / "first.csv", FIRST), write(tmp_path / "second.txt", SECOND)
    calls: list[tuple[str, float, float | None]] = []
    with store.transaction() as tx:
        summaries = ingest_catalogs(tx, [first], progress=lambda *a: calls.append(a))
    assert summaries == [
        {
            "file": str(first),
            "layout": "own",
            "rows": 4,
            "imported": 2,
            "rejected": 1,
            "duplicates": 1,
            "conflicts": 1,
            "reasons": {"bad_tac": 1, "conflict": 1},
            "repaired": 0,
            "skipped": False,
        }
    ]
    assert calls[-1] == ("tac catalogs", 1.0, 1.0)
    with store.transaction() as tx:
        summaries = ingest_catalogs(tx, [second])
    assert summaries[0]["layout"] == "gsma" and summaries[0]["imported"] == 2
    store = store.refresh()
    catalog = {r["tac"]: r for r in store.read("catalog").to_pylist()}
    assert sorted(catalog) == ["01326600", "35332811", "86753104"]
    assert catalog["35332811"]["model"] == "SM-G991B/DS"  # the later import wins
    assert catalog["35332811"]["layout"] == "gsma" and catalog["86753104"]["layout"] == "own"
    assert catalog["86753104"]["vendor"] == "Xiaomi" and catalog["01326600"]["vendor"] == "Nokia"
    seqs = {catalog["86753104"]["import_seq"], catalog["35332811"]["import_seq"]}
    assert len(seqs) == 2 and catalog["01326600"]["import_seq"] == max(seqs)

    quarantine = store.read("quarantine").to_pylist()
    assert [
        (q["table"], q["file"], q["line_no"], q["column"], q["reason"]) for q in quarantine
    ] == [
        # the conflicting row 3 is merged (a duplicate of row 2's TAC), not rejected
        ("catalog", str(first), 4, "tac", "bad_tac"),
    ]
    log = store.read("ingests").to_pylist()
    assert [
        (r["kind"], r["file"], r["rows"], r["accepted"], r["rejected"], r["duplicates"])
        for r in log
    ] == [("tac", str(first), 4, 2, 1, 1), ("tac", str(second), 2, 2, 0, 0)]
    assert len({r["ingest_seq"] for r in log}) == 2


def test_same_bytes_are_skipped(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "store")
    first = write(tmp_path / "first.csv", FIRST)
    with store.transaction() as tx:
        ingest_catalogs(tx, [first])
    version = store.refresh().version
    copy = write(tmp_path / "copy.csv", FIRST)
    with store.transaction() as tx:
        summaries = ingest_catalogs(tx, [copy])
    assert summaries[0]["skipped"] is True and summaries[0]["imported"] == 0
    assert store.refresh().version == version  # nothing written, no commit


def test_one_call_many_files_and_bad_file_changes_nothing(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "store")
    first, second = write(tmp_path / "first.csv", FIRST), write(tmp_path / "second.txt", SECOND)
    with store.transaction() as tx:
        summaries = ingest_catalogs(tx, [first, second])
    assert [s["imported"] for s in summaries] == [2, 2]
    assert store.refresh().read("catalog").num_rows == 3
    version = store.refresh().version
    with pytest.raises(InputError, match="missing.csv"):
        with store.transaction() as tx:
            ingest_catalogs(tx, [second, tmp_path / "missing.csv"])
    assert store.refresh().version == version


def test_real_osmocom_into_store(tmp_path: Path, shared_data: Path) -> None:
    store = Store.create(tmp_path / "store")
    with store.transaction() as tx:
        [summary] = ingest_catalogs(tx, [shared_data / "tac" / "osmocom_tacdb.csv"])
    assert (summary["rows"], summary["imported"], summary["rejected"], summary["duplicates"]) == (
        22_527,
        22_524,
        0,
        3,
    )
    assert summary["repaired"] == 4 and summary["conflicts"] == 1
    store = store.refresh()
    assert store.read("catalog").num_rows == 22_524
    # its one conflict (line 4021) is merged, not rejected: nothing is quarantined
    assert store.read("quarantine").num_rows == 0
