"""Tenure folding: runs split on a change of handset and on silences longer than the gap."""

from __future__ import annotations

import random

import ibis
from basekit import Obs, at, day, naive_fold, obs_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicepark.store.schema import TENURES
from devicepark.tenure import fold


def run(backend, obs: list[Obs], gap: int) -> list[tuple]:
    t = backend.to_pyarrow(fold(ibis.memtable(obs_table(obs)), gap))
    assert t.schema.equals(TENURES)
    rows = sorted(t.to_pylist(), key=lambda r: (r["line"], r["seq"]))
    return [
        (r["line"], r["seq"], r["handset"], r["first_date"], r["last_date"], r["observations"])
        for r in rows
    ]


def test_runs_by_hand(backend):
    obs = [
        Obs("L1", "A", "111", at(0)),
        Obs("L1", "A", "111", at(0)),  # exact duplicate: one sighting
        Obs("L1", "A", "111", at(30)),  # silence of exactly 30 days: same run
        Obs("L1", "A", "111", at(61)),  # silence of 31 days: new run, same handset
        Obs("L1", "B", "222", at(61, 13)),  # new handset
        Obs("L1", "A", "111", at(62)),  # back to A: new run
        # a tie at one instant: ordered by handset, so C then D
        Obs("L2", "D", "222", at(5)),
        Obs("L2", "C", "111", at(5)),
    ]
    assert run(backend, obs, 30) == [
        ("L1", 1, "A", day(0), day(30), 2),
        ("L1", 2, "A", day(61), day(61), 1),
        ("L1", 3, "B", day(61), day(61), 1),
        ("L1", 4, "A", day(62), day(62), 1),
        ("L2", 1, "C", day(5), day(5), 1),
        ("L2", 2, "D", day(5), day(5), 1),
    ]


def test_smaller_gap_splits_more(backend):
    obs = [Obs("L1", "A", "111", at(n)) for n in (0, 3, 10, 11)]
    assert [r[1:5] for r in run(backend, obs, 3)] == [
        (1, "A", day(0), day(3)),
        (2, "A", day(10), day(11)),
    ]


observations = st.lists(
    st.builds(
        Obs,
        line=st.sampled_from(["L1", "L2", "L3"]),
        handset=st.sampled_from(["A", "B", "C"]),
        tac=st.just("11111111"),
        at=st.builds(at, st.integers(0, 40), st.sampled_from([0, 12]), st.just(0)),
    ),
    max_size=14,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(obs=observations, gap=st.sampled_from([0, 2, 5, 30]), seed=st.integers(0, 1000))
def test_fold_matches_definition_and_ignores_order_and_duplicates(backend, obs, gap, seed):
    expected = naive_fold(obs, gap)
    assert run(backend, obs, gap) == expected
    shuffled = obs + obs[: len(obs) // 2]
    random.Random(seed).shuffle(shuffled)
    assert run(backend, shuffled, gap) == expected
