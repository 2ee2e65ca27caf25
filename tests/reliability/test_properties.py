"""Whole-pipeline properties on small random exports written as CSV and ingested for real.

- the base equals a naive reference computed from the input rows (tests/reliability/pipeline.py);
- the order of ingests and the splitting of files change no answer;
- re-ingesting (the same files, or the same rows cut differently) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pipeline import (
    IMEIS,
    LINE_HEADER,
    OBS_HEADER,
    OFFSETS,
    START,
    TAC_CSV,
    Export,
    ObsRow,
    answer_summary,
    reference_base,
    scenarios,
    split,
    write,
)
from reliakit import base_answers, ingest_files, scratch, table_rows

# Each example ingests real files several times: a third of the profile's budget, in the slow ring.
BUDGET = settings(max_examples=max(5, min(10, settings.default.max_examples // 3)))
pytestmark = pytest.mark.slow


def _files(tmp: Path, export: Export) -> dict[str, Path]:
    tac = tmp / "tac.csv"
    tac.write_text(TAC_CSV, encoding="utf-8")
    return {
        "tac": tac,
        "lines": write(tmp / "lines.csv", LINE_HEADER, list(export.lines)),
        "observations": write(tmp / "obs.csv", OBS_HEADER, list(export.obs)),
    }


@BUDGET
@given(scenario=scenarios())
def test_base_equals_naive_reference(scenario: tuple[Export, list[dt.date]]) -> None:
    export, days = scenario
    with scratch() as d:
        tmp = Path(d)
        f = _files(tmp, export)
        report = ingest_files(
            tmp / "s", lines=[f["lines"]], observations=[f["observations"]], tac=[f["tac"]]
        )
        for rep in report.files:
            assert (
                rep["rows"]
                == rep["accepted"] + rep["rejected"] + rep["duplicates"] + rep["orphans"]
            )
            assert rep["rejected"] == 0
        got = [answer_summary(a) for a in base_answers(tmp / "s", days)]
    assert got == [reference_base(export, day) for day in days]


@BUDGET
@given(
    scenario=scenarios(),
    parts=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    order=st.permutations(range(3)),
)
def test_order_and_splitting_change_no_answer(
    scenario: tuple[Export, list[dt.date]], parts: int, seed: int, order: list[int]
) -> None:
    export, days = scenario
    with scratch() as d:
        tmp = Path(d)
        f = _files(tmp, export)
        ingest_files(
            tmp / "one", lines=[f["lines"]], observations=[f["observations"]], tac=[f["tac"]]
        )
        # The same rows as separate ingests, in any order, the observations cut into parts.
        pieces = [
            write(tmp / f"obs-{i}.csv", OBS_HEADER, rows)
            for i, rows in enumerate(split(list(export.obs), parts, seed))
        ]
        runs = [{"tac": [f["tac"]]}, {"lines": [f["lines"]]}, {"observations": pieces[:1]}]
        for i in order:
            ingest_files(tmp / "split", **runs[i])
        for piece in reversed(pieces[1:]):
            ingest_files(tmp / "split", observations=[piece])
        a, b = tmp / "one", tmp / "split"
        assert base_answers(a, days) == base_answers(b, days)
        for table in ("lines", "observations", "tenures"):
            assert table_rows(a, table) == table_rows(b, table), table


@st.composite
def runs_of_sightings(draw: st.DrawFn) -> tuple[Export, list[dt.date]]:
    """An export whose lines keep a handset for a while: 1-4 runs per line, each of 1-5
    sightings hours to weeks apart (some silences longer than the 30-day gap), so that a cut
    by time often falls inside a run and the next ingest has to continue it."""
    export, days = draw(scenarios())
    obs = []
    for line in [r.line_id for r in export.lines]:
        at = START + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
        for _ in range(draw(st.integers(1, 4))):
            imei = draw(st.sampled_from(IMEIS))
            for _ in range(draw(st.integers(1, 5))):
                obs.append(ObsRow(line, imei, at, draw(st.sampled_from(OFFSETS))))
                # 90 minutes, 30 hours, 9 days, and silences either side of the gap
                steps = [90, 60 * 30, 60 * 24 * 9, 60 * 24 * 30, 60 * 24 * 31, 60 * 24 * 33]
                at += dt.timedelta(minutes=draw(st.sampled_from(steps)))
    return Export(export.lines, tuple(obs)), days


@BUDGET
@given(
    scenario=runs_of_sightings(),
    cuts=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
    swap=st.booleans(),
)
def test_nightly_ingests_give_the_tenures_of_one_ingest(
    scenario: tuple[Export, list[dt.date]], cuts: list[int], swap: bool
) -> None:
    """Observations cut by time and ingested one export after another (the incremental path:
    each run folds only its own rows and continues the stored last runs), optionally with two
    exports swapped (late data: the lines it touches are folded again), give exactly the
    tenures of one ingest of everything."""
    export, days = scenario
    rows = sorted(export.obs, key=lambda r: (r.at, r.line_id, r.imei))
    bounds = sorted({c * len(rows) // 10_000 for c in cuts} | {0, len(rows)})
    pieces = [rows[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    if swap and len(pieces) > 1:
        pieces[-1], pieces[-2] = pieces[-2], pieces[-1]
    with scratch() as d:
        tmp = Path(d)
        f = _files(tmp, export)
        ingest_files(
            tmp / "one", lines=[f["lines"]], observations=[f["observations"]], tac=[f["tac"]]
        )
        ingest_files(tmp / "nightly", lines=[f["lines"]], tac=[f["tac"]])
        for i, piece in enumerate(pieces):
            ingest_files(
                tmp / "nightly", observations=[write(tmp / f"night-{i}.csv", OBS_HEADER, piece)]
            )
        a, b = tmp / "one", tmp / "nightly"
        assert table_rows(a, "tenures") == table_rows(b, "tenures")
        assert base_answers(a, days) == base_answers(b, days)


@BUDGET
@given(scenario=scenarios(), parts=st.integers(2, 3), seed=st.integers(0, 2**16))
def test_reingest_is_idempotent(
    scenario: tuple[Export, list[dt.date]], parts: int, seed: int
) -> None:
    export, days = scenario
    with scratch() as d:
        tmp = Path(d)
        f = _files(tmp, export)
        s = tmp / "s"
        args = {"lines": [f["lines"]], "observations": [f["observations"]], "tac": [f["tac"]]}
        ingest_files(s, **args)
        manifest = (s / "manifest.json").read_text(encoding="utf-8")
        answers = base_answers(s, days)
        again = ingest_files(s, **args)  # the same bytes: skipped, nothing written
        assert all(rep["skipped"] for rep in again.files)
        assert (s / "manifest.json").read_text(encoding="utf-8") == manifest
        tables = {t: table_rows(s, t) for t in ("lines", "observations", "tenures", "catalog")}
        # The same observation rows cut into other files: all duplicates, nothing changes.
        for i, rows in enumerate(split(list(export.obs), parts, seed)):
            rep = ingest_files(
                s, observations=[write(tmp / f"again-{i}.csv", OBS_HEADER, rows)]
            ).files[0]
            assert (rep["accepted"], rep["orphans"], rep["duplicates"]) == (0, 0, rep["rows"])
        assert base_answers(s, days) == answers
        assert {t: table_rows(s, t) for t in tables} == tables
        log = json.loads((s / "manifest.json").read_text(encoding="utf-8"))
        assert log["version"] >= 1
