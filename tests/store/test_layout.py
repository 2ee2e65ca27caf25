"""The tenures' layout over many nights: closed files gathered and merged, the open part exact,
and the same runs as one ingest of everything (late data included)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
from devicepark.store.layout import OPEN

DATA = Path(__file__).resolve().parents[1] / "data" / "core"
X, Y, Z = "860000010001013", "350000020002024", "490154203237518"


def sightings(day: int) -> list[str]:
    """Line 1 changes handset every night (a new run each time); line 2 keeps its own."""
    rows = [f"+33600000001,{X if day % 2 else Y},2022-03-{day:02d}T01:00:00Z"]
    rows.append(f"+33600000002,{Z},2022-03-{day:02d}T02:00:00Z")
    return rows


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("line_id,imei,observed_at\n" + "".join(r + "\n" for r in rows))
    return path


def load(store: Path, **files: list[Path]) -> None:
    ingest(Store.create(store), duckdb_connection(), load_key(), max_reject_rate=0.5, **files)


def runs(store: Path) -> list[tuple]:
    return sorted(
        tuple(r.values())
        for f in Store.open(store).files("tenures")
        for r in pq.read_table(f).to_pylist()
    )


def test_nights_gather_merge_and_match_one_ingest(
    tmp_path: Path,
    key_env: str,
    monkeypatch: pytest.MonkeyPatch,
    check_open_part: Callable[[Path], None],
) -> None:
    monkeypatch.setattr(importlib.import_module("devicepark.tenure.refold"), "MAX_CLOSED_FILES", 2)
    nightly, once = tmp_path / "nightly", tmp_path / "once"
    first = write(tmp_path / "n1.csv", sightings(1))
    load(nightly, lines=[DATA / "lines.csv"], observations=[first])
    counts = []
    for day in range(2, 9):
        load(nightly, observations=[write(tmp_path / f"n{day}.csv", sightings(day))])
        check_open_part(nightly)
        s = Store.open(nightly)
        counts.append(len(s.files("tenures")) - len(s.part_files("tenures", OPEN)))
    # one closed file more each night; a night that finds two merges them with its own
    assert counts == [1, 2, 1, 2, 1, 2, 1]
    every = [r for day in range(1, 9) for r in sightings(day)]
    load(once, lines=[DATA / "lines.csv"], observations=[write(tmp_path / "all.csv", every)])
    assert runs(nightly) == runs(once)
    assert len(runs(once)) == 8 + 1  # line 1: a run a night; line 2: one run
    # late data: a sighting before the stored last ones refolds the line, the table is rewritten
    late = [f"+33600000002,{X},2022-03-04T12:00:00Z"]
    load(nightly, observations=[write(tmp_path / "late.csv", late)])
    load(once, observations=[write(tmp_path / "late-once.csv", late)])
    check_open_part(nightly)
    assert runs(nightly) == runs(once)
    s = Store.open(nightly)
    assert len(s.files("tenures")) == 2  # the whole table again: closed runs and the open part
