"""Milestones: threshold crossings by hand, and backtests of the crossing forecast."""

from __future__ import annotations

import datetime as dt

import numpy as np
from basekit import Fixture, Line, Obs, at, day, mem_tables

from devicepark import answers
from devicepark.base.milestones import METHOD, crossings, forecast_crossing, milestones
from devicepark.questions import MilestonesQuestion

START = dt.date(2020, 1, 1)


def dates(n: int) -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range(n)]


def test_crossings_by_hand():
    counts = [240_000, 251_000, 249_000, 260_000, 510_000, 490_000]
    m = milestones(dates(6), counts, every=250_000)
    assert m["last_count"] == 490_000
    assert m["milestones"] == [
        {
            "threshold": 250_000,
            "first_crossed": "2020-01-02",
            "fell_back": True,
            "last_fell_back": "2020-01-03",
            "above_now": True,
        },
        {
            "threshold": 500_000,
            "first_crossed": "2020-01-05",
            "fell_back": True,
            "last_fell_back": "2020-01-06",
            "above_now": False,
        },
    ]
    # Next is the lowest threshold above the last count: 500,000 again.
    assert m["next"]["threshold"] == 500_000
    assert m["next"]["note"].startswith("needs at least")  # 6 days are too few to forecast


def test_explicit_thresholds():
    got = crossings(dates(3), [5, 15, 25], [10, 20, 30])
    assert [(c["threshold"], c["first_crossed"]) for c in got] == [
        (10, "2020-01-02"),
        (20, "2020-01-03"),
        (30, None),
    ]


def generated(seed: int, n: int = 900) -> np.ndarray:
    """A base growing 1,200 lines a day on average, with daily shocks of sd 1,500."""
    rng = np.random.default_rng(seed)
    return np.round(600_000 + np.cumsum(1200 + rng.normal(0, 1500, n))).astype(int)


def bracketed(seed: int, cut: int = 250, threshold: int = 1_000_000) -> bool:
    c = generated(seed)
    true = dates(len(c))[int(np.argmax(c >= threshold))]
    f = forecast_crossing(dates(cut), list(c[:cut]), threshold, seed=seed)
    assert f["method"] == METHOD
    low = dt.date.fromisoformat(f["low"])
    high = dt.date.fromisoformat(f["high"]) if f["high"] else dt.date.max
    assert low <= dt.date.fromisoformat(f["date"]) <= high
    return low <= true <= high


def test_backtest_interval_brackets_true_crossing():
    # The generator's own path crosses 1,000,000 on 2020-12-17; the forecast made on day 250
    # (2020-09-06) must bracket it.
    assert dates(900)[int(np.argmax(generated(0) >= 1_000_000))] == dt.date(2020, 12, 17)
    assert bracketed(0)


def test_backtest_coverage_is_about_80_percent():
    hits = sum(bracketed(seed) for seed in range(30))
    assert 18 <= hits <= 29  # 80 % of 30 is 24; a binomial 90 % band is about [20, 27]


def test_already_reached_and_no_growth():
    flat = [100] * 70
    f = forecast_crossing(dates(70), flat, 200, seed=1)
    assert f["probability_within_horizon"] == 0.0 and f["date"] is None
    f = forecast_crossing(dates(70), [300] * 70, 200)
    assert f["note"] == "already reached"


def test_answers_milestones_on_a_store(backend):
    # Xiaomi lines: 1 from day 0, 2 from day 10, back to 1 from day 40 (L2's lookback ends).
    fx = Fixture(
        [Line("L1", day(0)), Line("L2", day(0))],
        [Obs("L1", "A", "22222222", at(n)) for n in range(0, 60, 5)]
        + [Obs("L2", "B", "22222222", at(10))],
        {"22222222": ("Xiaomi", "Redmi", "Note", "smartphone")},
    )
    tables = mem_tables(fx, backend)
    m = answers.milestones(
        backend, tables, MilestonesQuestion.parse("Xiaomi", step=1, start=day(0), end=day(59))
    )
    assert (m["from"], m["to"], m["last_count"]) == ("2022-01-01", "2022-03-01", 1)
    assert [(x["threshold"], x["first_crossed"], x["fell_back"]) for x in m["milestones"]] == [
        (1, "2022-01-01", False),
        (2, "2022-01-11", True),
    ]
    # Default range: from the first observed day + lookback - 1 to the last observed day.
    m = answers.milestones(backend, tables, MilestonesQuestion.parse("Xiaomi", step=1))
    assert (m["from"], m["to"]) == (day(29).isoformat(), day(55).isoformat())
