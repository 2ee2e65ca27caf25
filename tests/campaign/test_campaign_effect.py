"""The counterfactual core on simulated series: a planted effect is recovered, no effect is not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from devicepark.campaign.effect import estimate_effect, significant
from devicepark.errors import ConfigError

PRE, WINDOW, AFTER = 112, 7, 21


def simulate(
    seed: int, uplift: float, *, days: int = PRE + WINDOW + AFTER, pull_forward: float = 0.0
):
    """Daily gross adds with trend, weekly seasonality and a control sharing the same drivers.

    During the window the vendor's adds get ``uplift`` times the usual level on top (Poisson);
    the planted effect is the exact number of extra adds.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    week = 1 + 0.25 * np.sin(2 * np.pi * t / 7)
    common = 40 * (1 + 0.002 * t) * week * np.exp(rng.normal(0, 0.05, days))
    control = rng.poisson(common * 3)
    base = rng.poisson(common)
    extra = np.zeros(days, dtype=int)
    win = (t >= PRE) & (t < PRE + WINDOW)
    extra[win] = rng.poisson(uplift * common[win])
    idx = pd.date_range(dt.date(2021, 10, 14), periods=days)
    frame = pd.DataFrame({"observed": base + extra, "control": control}, index=idx)
    return frame, int(extra.sum()), idx[PRE].date(), idx[PRE + WINDOW - 1].date()


def test_planted_effect_is_recovered_within_the_interval() -> None:
    frame, truth, first, last = simulate(seed=1, uplift=0.3)
    assert first == dt.date(2022, 2, 3) and last == dt.date(2022, 2, 9)
    result = estimate_effect(frame, first, last)
    effect = result["effect"]
    assert truth == 101  # the simulation's own ground truth for seed 1
    assert effect["low"] <= truth <= effect["high"]
    assert significant(effect)
    assert result["window"] == {"starts": "2022-02-03", "ends": "2022-02-09"}
    assert len(result["daily"]) == WINDOW + AFTER
    assert result["daily"][0]["date"] == "2022-02-03"
    assert result["daily"][0]["observed"] == int(frame["observed"].iloc[PRE])
    day = result["daily"][0]
    assert day["low"] < day["expected"] < day["high"]
    # the daily effects add up to the cumulative point estimate (up to rounding and simulation)
    total = sum(d["observed"] - d["expected"] for d in result["daily"][:WINDOW])
    assert abs(total - effect["cumulative"]) < 5
    assert result["details"]["pre_period"] == {
        "starts": "2021-10-14",
        "ends": "2022-02-02",
        "days": 112,
    }
    assert result["details"]["control"] is True and result["details"]["placebos"] == 12
    # no effect was planted after the window
    after = result["after"]
    assert after["low"] <= 0 <= after["high"]


def test_no_effect_gives_an_interval_containing_zero() -> None:
    frame, truth, first, last = simulate(seed=1, uplift=0.0)
    assert truth == 0
    result = estimate_effect(frame, first, last)
    assert result["effect"]["low"] <= 0 <= result["effect"]["high"]
    assert not significant(result["effect"])
    assert result["placebo_false_positive_rate"] is not None
    assert result["placebo_false_positive_rate"] <= 0.25


def test_reruns_agree_and_work_without_control() -> None:
    frame, _, first, last = simulate(seed=2, uplift=0.3)
    assert estimate_effect(frame, first, last, placebos=False) == estimate_effect(
        frame, first, last, placebos=False
    )
    alone = estimate_effect(frame[["observed"]], first, last, placebos=False, after_days=14)
    assert alone["details"]["control"] is False and alone["placebo_false_positive_rate"] is None
    assert len(alone["daily"]) == WINDOW + 14
    assert alone["effect"]["low"] > 0


def test_refuses_too_little_history_or_a_window_past_the_data() -> None:
    frame, _, first, last = simulate(seed=3, uplift=0.0)
    with pytest.raises(ConfigError, match="needs at least 8 weeks"):
        estimate_effect(frame.iloc[60:], first, last)
    with pytest.raises(ConfigError, match="before the campaign window ends"):
        estimate_effect(frame.iloc[: PRE + 3], first, last)
    # missing days count as zero adds rather than shifting the calendar
    sparse = frame.drop(frame.index[5])
    result = estimate_effect(sparse, first, last, placebos=False)
    assert result["details"]["pre_period"]["days"] == 112


@pytest.mark.slow
def test_interval_coverage_over_many_series() -> None:
    covered = zero_ok = 0
    n = 16
    for seed in range(100, 100 + n):
        frame, truth, first, last = simulate(seed, 0.3)
        e = estimate_effect(frame, first, last, placebos=False)["effect"]
        covered += e["low"] <= truth <= e["high"]
        frame0, _, _, _ = simulate(seed, 0.0)
        e0 = estimate_effect(frame0, first, last, placebos=False)["effect"]
        zero_ok += e0["low"] <= 0 <= e0["high"]
    # 95 % intervals: at most 3 misses of 16 each (binomial tail < 5 % under nominal coverage)
    assert covered >= n - 3 and zero_ok >= n - 3
