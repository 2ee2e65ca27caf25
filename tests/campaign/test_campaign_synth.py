"""End to end: synth plants a campaign, ingest reads it, measure recovers the planted effect."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from devicepark.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "semaine-xiaomi-2022.toml"
LINES = 200_000


def cli(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    assert info.value.code in (0, None), captured.err
    return captured.out


def synth_ingest_measure(tmp: Path, uplift: float, capsys) -> tuple[dict, dict]:
    generate = pytest.importorskip("devicepark.synth.generate").generate
    out = tmp / "synth"
    # the operator from June 2021 (16 weeks of pre-period plus the lookback) to mid-March 2022
    generate(
        out,
        lines=LINES,
        seed=5,
        start=dt.date(2021, 6, 1),
        end=dt.date(2022, 3, 15),
        campaign=EXAMPLE,
        uplift=uplift,
    )
    truth = json.loads((out / "truth.json").read_text())["campaign"]
    store = tmp / "store"
    cli(
        capsys,
        "ingest",
        "--store",
        store,
        "--lines",
        out / "lines.csv",
        "--observations",
        out / "observations.csv",
        "--tac",
        out / "tac.csv",
        "--format",
        "json",
    )
    answer = json.loads(
        cli(capsys, "campaign", "measure", EXAMPLE, "--store", store, "--format", "json")
    )
    return truth, answer


@pytest.mark.slow
def test_synth_uplift_is_recovered(tmp_path, key_env, capsys) -> None:
    truth, answer = synth_ingest_measure(tmp_path, 0.3, capsys)
    assert truth["uplift"] == 0.3 and truth["operator_brands"] == ["Orange"]
    planted = truth["realised_extra"]
    assert planted > 0
    effect = answer["effect"]
    assert effect["low"] <= planted <= effect["high"], (planted, effect)
    assert answer["window"] == {"starts": "2022-02-03", "ends": "2022-02-09"}
    assert answer["holdout"] is None


@pytest.mark.slow
def test_synth_audience_matches_the_base_and_feeds_the_holdout(tmp_path, key_env, capsys) -> None:
    synth_ingest_measure(tmp_path, 0.3, capsys)
    store = tmp_path / "store"
    # the synthetic data start in June 2021: ask for 6 months, a device-age bucket edge
    campaign = tmp_path / "six.toml"
    campaign.write_text(
        EXAMPLE.read_text().replace("min_device_age_months = 24", "min_device_age_months = 6")
    )
    aud = tmp_path / "aud.parquet"
    summary = json.loads(
        cli(
            capsys,
            "campaign",
            "audience",
            campaign,
            "--store",
            store,
            "--out",
            aud,
            "--format",
            "json",
        )
    )
    base = json.loads(
        cli(
            capsys,
            "base",
            "--store",
            store,
            "--as-of",
            "2022-02-03",
            "--by",
            "operator_brand,segment,vendor,device_age",
            "--format",
            "json",
        )
    )
    expected = sum(
        g["lines"]
        for g in base["groups"]
        if g["operator_brand"] == "Orange"
        and g["segment"] == "consumer"
        and g["vendor"] != "Xiaomi"
        and g["device_age"] not in ("0-6", None)
    )
    assert summary["lines"] == expected > 0
    holdout = summary["counts"][-1]["holdout"]
    assert abs(holdout - 0.1 * expected) <= 4 * (0.09 * expected) ** 0.5
    answer = json.loads(
        cli(
            capsys,
            "campaign",
            "measure",
            campaign,
            "--store",
            store,
            "--audience",
            aud,
            "--format",
            "json",
        )
    )
    h = answer["holdout"]
    assert h["treatment"]["lines"] + h["holdout"]["lines"] == expected
    assert h["holdout"]["lines"] == holdout
    assert h["low"] <= h["difference"] <= h["high"]


@pytest.mark.slow
def test_synth_without_uplift_is_not_significant(tmp_path, key_env, capsys) -> None:
    truth, answer = synth_ingest_measure(tmp_path, 0.0, capsys)
    assert truth["realised_extra"] == 0
    effect = answer["effect"]
    assert effect["low"] <= 0 <= effect["high"], effect
