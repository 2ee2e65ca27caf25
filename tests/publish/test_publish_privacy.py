"""Differential privacy through OpenDP: the noise has the promised scale; the ledger adds up."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from devicepark.errors import ConfigError, MissingDependency
from devicepark.publish import privacy
from devicepark.publish.privacy import Noise, laplace_measurement, noise_base, noise_series
from devicepark.store import Store


def _discrete_laplace_var(scale: float) -> float:
    # P(k) proportional to exp(-|k|/scale): variance 2 a / (1 - a)^2 with a = exp(-1/scale)
    a = math.exp(-1 / scale)
    return 2 * a / (1 - a) ** 2


def test_laplace_noise_has_the_right_scale():
    scale = 5.0
    draws = np.array(laplace_measurement(scale)([0] * 40_000))
    var = _discrete_laplace_var(scale)  # 49.8
    # sample variance of a Laplace has relative s.e. ~ sqrt(5/n) = 1.1 %; allow 6 %
    assert abs(draws.var() / var - 1) < 0.06
    assert abs(draws.mean()) < 4 * math.sqrt(var / len(draws))
    # mean absolute deviation of the discrete Laplace: 2a / (1 - a^2)
    a = math.exp(-1 / scale)
    assert abs(np.abs(draws).mean() / (2 * a / (1 - a * a)) - 1) < 0.05
    # a much smaller scale must be told apart
    assert draws.var() > 2 * _discrete_laplace_var(scale / 2)


def test_noise_spends_what_opendp_says():
    noise = Noise(1.0, parts=4)
    noisy = noise.counts("base", [1_000_000] * 20_000, sensitivity=1)
    assert noise.spent[0].scale == pytest.approx(4.0)
    assert noise.spent[0].epsilon == pytest.approx(0.25)
    dev = np.array(noisy) - 1_000_000
    assert abs(dev.var() / _discrete_laplace_var(4.0) - 1) < 0.08
    noise.counts("series", [1_000_000] * 10, sensitivity=3)
    assert noise.spent[1].scale == pytest.approx(12.0)
    assert noise.total == pytest.approx(0.5)


def test_bad_epsilon_is_a_config_error():
    with pytest.raises(ConfigError):
        Noise(0)
    with pytest.raises(ConfigError):
        Noise(float("inf"))


def _base():
    return {
        "as_of": "2022-02-03",
        "by": ["vendor"],
        "unit": "lines",
        "total_lines": 21_100,
        "identified_lines": 20_500,
        "groups": [
            {"vendor": "Apple", "lines": 12_000},
            {"vendor": "Samsung", "lines": 7_500},
            {"vendor": "Xiaomi", "lines": 1_000},
        ],
    }


def test_noisy_base_is_consistent():
    noise = Noise(2.0)
    out = noise_base(_base(), noise, keys=[{"vendor": "Nokia"}])
    counts = [g["lines"] for g in out["groups"]]
    assert sum(counts) == out["identified_lines"]
    assert out["total_lines"] >= out["identified_lines"]
    for g in out["groups"]:
        assert g["share"] == pytest.approx(g["lines"] / out["total_lines"])
        assert g["share_of_identified"] == pytest.approx(g["lines"] / out["identified_lines"])
    xiaomi = next(g for g in out["groups"] if g["vendor"] == "Xiaomi")
    assert abs(xiaomi["lines"] - 1_000) < 40  # scale 0.5: |noise| >= 40 has prob ~ 1e-35
    assert noise.spent[0].epsilon == pytest.approx(2.0)


def test_noisy_series_costs_one_table():
    noise = Noise(1.0, parts=2)
    series = {
        "by": ["vendor"],
        "every": "day",
        "points": [{**_base(), "date": f"2022-02-0{d}"} for d in range(1, 6)],
    }
    out = noise_series(series, noise)
    assert [p["date"] for p in out["points"]] == [f"2022-02-0{d}" for d in range(1, 6)]
    (spend,) = noise.spent
    assert spend.sensitivity == 5 and spend.scale == pytest.approx(10.0)
    assert spend.epsilon == pytest.approx(0.5)


def test_unit_other_than_lines_is_refused():
    b = {**_base(), "unit": "customers"}
    with pytest.raises(ConfigError):
        noise_base(b, Noise(1.0))


def test_ledger_records_and_sums(tmp_path):
    store = Store.create(tmp_path / "s")
    assert privacy.ledger_total(store) == 0
    n1 = Noise(0.5)
    n1.counts("base", [100])
    assert privacy.record(store, n1, command="announce", as_of="2022-02-03") == pytest.approx(0.5)
    n2 = Noise(1.0, parts=2)
    n2.counts("base", [100])
    n2.counts("switches", [1, 2])
    total = privacy.record(store.refresh(), n2, command="report", as_of="2022-02-03")
    assert total == pytest.approx(1.5)
    rows = privacy.ledger(Store.open(tmp_path / "s"))
    assert [r["table"] for r in rows] == ["base", "base", "switches"]
    assert {r["command"] for r in rows} == {"announce", "report"}
    assert len({r["release_id"] for r in rows}) == 2


def test_missing_opendp_names_the_pip_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "opendp.prelude", None)
    with pytest.raises(MissingDependency, match="pip install opendp"):
        privacy.opendp()
