"""A planted campaign raises the vendor's share of new handsets in its window, on its brands."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from synthkit import read_observations

from devicepark.errors import ConfigError
from devicepark.synth import generate

spec = pytest.importorskip("devicepark.campaign.spec")
RUN = {"lines": 30_000, "seed": 21, "start": dt.date(2021, 12, 15), "end": dt.date(2022, 2, 28)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plant")
    toml = tmp / "campaign.toml"
    toml.write_text(spec.EXAMPLE, encoding="utf-8")
    return {u: generate(tmp / f"u{u}", campaign=toml, uplift=u, **RUN) for u in (0.0, 1.0)}


def test_truth_records_the_planted_effect(runs):
    base, up = runs[0.0].truth["campaign"], runs[1.0].truth["campaign"]
    assert up["id"] == "semaine-xiaomi-2022" and up["operator_brands"] == ["Orange"]
    assert [d["date"] for d in up["daily"]] == [f"2022-02-0{i}" for i in range(3, 10)]
    assert base["planted_extra_expected"] == 0 and base["realised_extra"] == 0
    exp = sum(d["expected"] for d in up["daily"])
    exp0 = sum(d["expected_without_uplift"] for d in up["daily"])
    assert 1.9 * exp0 < exp <= 2.0 * exp0 + 0.01  # share x (1 + 1.0), capped at 1 for loyal owners
    assert up["planted_extra_expected"] == pytest.approx(exp - exp0, abs=0.01)
    # common random numbers: the counterfactual of the uplift run is the uplift-0 run, day by day
    for a, b in zip(up["daily"], base["daily"], strict=True):
        assert a["gross_adds_without_uplift"] == b["gross_adds"]
        assert a["purchases"] == b["purchases"]
        assert a["gross_adds"] >= a["gross_adds_without_uplift"]
    assert up["realised_extra"] == up["gross_adds"] - up["gross_adds_without_uplift"] > 0


def _xiaomi_first_seen(result) -> dict[str, int]:
    """Per operator brand: Xiaomi handsets first seen on a line during the window (from files)."""
    tac = pd.read_csv(result.tac_path, dtype=str)
    xiaomi = set(tac.loc[tac["manufacturer"] == "Xiaomi", "tac"])
    lines = pd.read_csv(result.lines_path, dtype=str).set_index("line_id")["operator_brand"]
    obs = read_observations(result.out_dir)
    obs = obs[obs["body"].notna() & obs["body"].str[:8].isin(xiaomi)]
    first = obs.groupby(["line_id", "body"])["local"].min().reset_index()
    first = first[first["local"].between(dt.date(2022, 2, 3), dt.date(2022, 2, 9))]
    return first["line_id"].map(lines).value_counts().to_dict()


def test_uplift_shows_in_the_observations(runs):
    up, base = _xiaomi_first_seen(runs[1.0]), _xiaomi_first_seen(runs[0.0])
    assert up["Orange"] > base["Orange"]
    assert up["Sosh"] == base["Sosh"]  # Sosh is outside the campaign: its window is untouched


def test_gross_adds_series_covers_the_data(runs):
    ga = runs[1.0].truth["gross_adds"]
    assert ga["vendor"] == "Xiaomi" and ga["from"] == "2021-12-15"
    days = (dt.date(2022, 2, 28) - dt.date(2021, 12, 15)).days + 1
    assert len(ga["by_operator_brand"]["Orange"]) == days
    i = (dt.date(2022, 2, 3) - dt.date(2021, 12, 15)).days
    window = sum(ga["by_operator_brand"]["Orange"][i : i + 7])
    assert window == runs[1.0].truth["campaign"]["gross_adds"]


def test_bad_campaign_options(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text(spec.EXAMPLE.replace('vendor = "Xiaomi"', 'vendor = "Nothing"'), "utf-8")
    with pytest.raises(ConfigError, match="Nothing"):
        generate(tmp_path / "x", lines=100, campaign=toml, uplift=0.3)
    with pytest.raises(ConfigError, match="--campaign"):
        generate(tmp_path / "y", lines=100, uplift=0.3)
