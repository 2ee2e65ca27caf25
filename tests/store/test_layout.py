"""The tenures' layout over many nights: closed files gathered and merged, the open part exact,
and the same runs as one ingest of everything (late data included)."""

from __future__ import annotations

import datetime as dt
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


W = "356938035643809"  # a fourth handset


def mixed_night(day: str, n: int) -> list[str]:
    """One night of each kind of line the nightly path meets: a line sighted once that keeps its
    handset (2), one that changes it (1), a line first seen on night 2 (3), a line sighted twice
    in the night with a change in between (4), a line back after a silence longer than the gap
    on the last night (5, same handset: a new run), and an orphan (not in the lines file)."""
    rows = [
        f"+33600000001,{X if n % 2 else Y},{day}T01:00:00Z",
        f"+33600000002,{Z},{day}T02:00:00Z",
        f"+33600000004,{Y},{day}T03:00:00Z",
        f"+33600000004,{W if n % 2 else Y},{day}T04:00:00Z",
        f"+33699999999,{W},{day}T05:00:00Z",
    ]
    if n >= 2:
        rows.append(f"+33600000003,{W},{day}T06:00:00Z")
    if n in (1, 4):
        rows.append(f"+33600000005,{X},{day}T07:00:00Z")
    return rows


def test_nightly_snapshots_of_every_kind_match_one_ingest(
    tmp_path: Path, key_env: str, check_open_part: Callable[[Path], None]
) -> None:
    """Nights through the nightly path (no late data: the closed files stay) give the runs of one
    ingest of every night, and the open part holds each line's last run."""
    days = ["2022-03-01", "2022-03-02", "2022-03-03", "2022-04-20"]
    nights = [mixed_night(day, n) for n, day in enumerate(days, start=1)]
    nightly, once = tmp_path / "nightly", tmp_path / "once"
    load(nightly, lines=[DATA / "lines.csv"], observations=[write(tmp_path / "n1.csv", nights[0])])
    for n, rows in enumerate(nights[1:], start=2):
        before = Store.open(nightly)
        closed_before = set(before.files("tenures")) - set(before.part_files("tenures", OPEN))
        load(nightly, observations=[write(tmp_path / f"n{n}.csv", rows)])
        check_open_part(nightly)
        assert closed_before <= set(Store.open(nightly).files("tenures"))  # appended, not rewritten
    every = [r for rows in nights for r in rows]
    load(once, lines=[DATA / "lines.csv"], observations=[write(tmp_path / "all.csv", every)])
    assert runs(nightly) == runs(once)
    by_line: dict[str, int] = {}
    for r in runs(once):
        by_line[r[0]] = by_line.get(r[0], 0) + 1
    assert sorted(by_line.values()) == sorted(_naive_run_counts(nights))


def _naive_run_counts(nights: list[list[str]], gap_days: int = 30) -> list[int]:
    """Runs per line by the rule itself, over every sighting in time order: a new run when the
    handset changes or the silence since the line's previous sighting exceeds the gap."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for rows in nights:
        for row in rows:
            line, imei, at = row.split(",")
            seen.setdefault(line, []).append((at, imei))
    counts = []
    for sightings_ in seen.values():
        sightings_.sort()
        n, prev = 0, None
        for at, imei in sightings_:
            day = dt.date.fromisoformat(at[:10])
            if prev is None or imei != prev[1] or (day - prev[0]).days > gap_days:
                n += 1
            prev = (day, imei)
        counts.append(n)
    return counts
