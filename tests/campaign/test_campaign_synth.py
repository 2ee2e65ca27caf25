"""End to end: synth plants a campaign, ingest reads it, measure recovers the planted effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from campaign_store import EXAMPLE

from devicepark.cli.main import main

LINES = 200_000


def cli(capsys, command: str) -> str:
    """Run one devicepark command line (split on spaces: test paths have none)."""
    with pytest.raises(SystemExit) as info:
        main(command.split())
    captured = capsys.readouterr()
    assert info.value.code in (0, None), captured.err
    return captured.out


def synth_ingest_measure(tmp: Path, uplift: float, capsys) -> tuple[dict, dict]:
    pytest.importorskip("devicepark.cli.synth")
    out, store = tmp / "synth", tmp / "store"
    # the operator from June 2021 (16 weeks of pre-period plus the lookback) to mid-March 2022
    cli(capsys, f"synth --out {out} --lines {LINES} --seed 5 --start 2021-06-01 --end 2022-03-15 "
                f"--campaign {EXAMPLE} --uplift {uplift} --format json")
    truth = json.loads((out / "truth.json").read_text())["campaign"]
    cli(capsys, f"ingest --store {store} --lines {out / 'lines.csv'} --observations "
                f"{out / 'observations.csv'} --tac {out / 'tac.csv'} --format json")
    answer = json.loads(cli(capsys, f"campaign measure {EXAMPLE} --store {store} --format json"))
    return truth, answer


@pytest.mark.slow
def test_synth_uplift_is_recovered_and_the_audience_matches_the_base(
    tmp_path, key_env, capsys
) -> None:
    truth, answer = synth_ingest_measure(tmp_path, 0.3, capsys)
    assert truth["uplift"] == 0.3 and truth["operator_brands"] == ["Orange"]
    planted = truth["realised_extra"]
    assert planted > 0
    effect = answer["effect"]
    assert effect["low"] <= planted <= effect["high"], (planted, effect)
    assert answer["window"] == {"starts": "2022-02-03", "ends": "2022-02-09"}
    assert answer["holdout"] is None

    # the audience on the same store matches the base's device-age buckets and feeds the holdout;
    # the synthetic data start in June 2021, so ask for 6 months (a bucket edge), not 24
    store, aud, six = tmp_path / "store", tmp_path / "aud.parquet", tmp_path / "six.toml"
    text = EXAMPLE.read_text()
    six.write_text(text.replace("min_device_age_months = 24", "min_device_age_months = 6"))
    summary = json.loads(
        cli(capsys, f"campaign audience {six} --store {store} --out {aud} --format json")
    )
    base = json.loads(
        cli(capsys, f"base --store {store} --as-of 2022-02-03 "
                    "--by operator_brand,segment,vendor,device_age --format json")
    )
    expected = sum(
        g["lines"] for g in base["groups"]
        if (g["operator_brand"], g["segment"]) == ("Orange", "consumer")
        and g["vendor"] != "Xiaomi" and g["device_age"] not in ("0-6", None)
    )
    assert summary["lines"] == expected > 0
    holdout = summary["counts"][-1]["holdout"]
    assert abs(holdout - 0.1 * expected) <= 4 * (0.09 * expected) ** 0.5
    measured = json.loads(
        cli(capsys, f"campaign measure {six} --store {store} --audience {aud} --format json")
    )
    h = measured["holdout"]
    assert h["treatment"]["lines"] + h["holdout"]["lines"] == expected
    assert h["holdout"]["lines"] == holdout
    assert h["low"] <= h["difference"] <= h["high"]


@pytest.mark.slow
def test_synth_without_uplift_is_not_significant(tmp_path, key_env, capsys) -> None:
    truth, answer = synth_ingest_measure(tmp_path, 0.0, capsys)
    assert truth["realised_extra"] == 0
    effect = answer["effect"]
    assert effect["low"] <= 0 <= effect["high"], effect
