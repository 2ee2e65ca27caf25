"""Calibration: on 2022-02-03 about 4.74 % of active non-M2M lines use a Xiaomi-group handset."""

from __future__ import annotations

import datetime as dt

import pytest

from devicepark.synth import generate


@pytest.mark.parametrize("seed", [1, 2])
def test_xiaomi_share_on_3_february_2022(tmp_path, seed):
    # a moderate size, over the last months only: the share's standard error is ~0.13 pp here
    result = generate(
        tmp_path, lines=40_000, seed=seed, start=dt.date(2021, 11, 1), end=dt.date(2022, 2, 28)
    )
    cal = result.truth["calibration"]
    assert cal["target_share"] == pytest.approx(1_000_000 / 21_100_000, abs=1e-6)
    assert cal["share"] == pytest.approx(cal["target_share"], abs=0.0045), cal
    # identified: most active lines were seen in the last 30 days, as in the press figures
    assert 0.93 < cal["identified_lines"] / cal["total_lines"] < 0.99
