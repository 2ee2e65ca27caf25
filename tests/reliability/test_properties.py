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
    LINE_HEADER,
    OBS_HEADER,
    TAC_CSV,
    Export,
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
