"""``campaign measure`` on a store whose tenures plant a known uplift during the window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from campaign_store import EXAMPLE, switching_store

from devicepark import answers
from devicepark.campaign.measure import daily_frame
from devicepark.campaign.spec import load_campaign
from devicepark.cli.main import main
from devicepark.questions import MeasureQuestion
from devicepark.store import Store, connect, open_tables

KEYS = [
    "campaign",
    "vendor",
    "operator_brands",
    "window",
    "effect",
    "after",
    "daily",
    "placebo_false_positive_rate",
    "holdout",
]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


def test_daily_frame_splits_brands_and_fills_days() -> None:
    import datetime as dt

    c = load_campaign(EXAMPLE)
    d = dt.date
    entries = [
        {"date": d(2022, 2, 1), "operator_brand": "Orange", "adds": 3},
        {"date": d(2022, 2, 1), "operator_brand": "Sosh", "adds": 2},
        {"date": d(2022, 2, 3), "operator_brand": "Orange", "adds": 5},
    ]
    frame, name = daily_frame(entries, None, c, d(2022, 1, 31), d(2022, 2, 3))
    assert frame["observed"].tolist() == [0, 3, 0, 5] and frame["control"].tolist() == [0, 2, 0, 0]
    assert name == "vendor gross adds in other operator brands"
    orange_only = [r for r in entries if r["operator_brand"] == "Orange"]
    changes = [
        {"date": d(2022, 2, 1), "operator_brand": "Orange", "adds": 10},
        {"date": d(2022, 2, 2), "operator_brand": "Orange", "adds": 4},
    ]
    frame, name = daily_frame(orange_only, changes, c, d(2022, 1, 31), d(2022, 2, 3))
    assert frame["control"].tolist() == [0, 7, 4, 0]
    assert name == "other handset changes in the campaign's operator brands"


@pytest.mark.slow
def test_measure_recovers_a_planted_uplift_and_the_holdout(tmp_path, key_env, capsys) -> None:
    planted = switching_store(tmp_path / "store", seed=7, uplift=0.3)
    assert planted == 81  # the generator's own truth for this seed
    aud = tmp_path / "aud.parquet"
    code, _, _ = cli(
        capsys,
        "campaign",
        "audience",
        str(EXAMPLE),
        "--store",
        str(tmp_path / "store"),
        "--out",
        str(aud),
    )
    assert code == 0
    code, out, err = cli(
        capsys,
        "campaign",
        "measure",
        str(EXAMPLE),
        "--store",
        str(tmp_path / "store"),
        "--audience",
        str(aud),
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == KEYS
    assert data["window"] == {"starts": "2022-02-03", "ends": "2022-02-09"}
    assert data["vendor"] == "Xiaomi" and data["operator_brands"] == ["Orange"]
    effect = data["effect"]
    assert effect["low"] <= planted <= effect["high"]
    assert effect["low"] > 0
    assert len(data["daily"]) == 7 + 21 and data["daily"][0]["date"] == "2022-02-03"
    assert set(data["daily"][0]) == {"date", "observed", "expected", "low", "high"}
    assert data["after"]["low"] <= 0 <= data["after"]["high"]
    assert 0 <= data["placebo_false_positive_rate"] <= 0.25
    h = data["holdout"]
    assert h["treatment"]["lines"] + h["holdout"]["lines"] == pq_rows(aud)
    assert h["low"] <= h["difference"] <= h["high"]
    code, out, _ = cli(
        capsys, "campaign", "measure", str(EXAMPLE), "--store", str(tmp_path / "store")
    )
    assert code == 0 and "effect (window) / effet (fenêtre): +" in out and "significant" in out


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


@pytest.mark.slow
def test_measure_without_uplift_is_not_significant(tmp_path) -> None:
    assert switching_store(tmp_path / "store", seed=7, uplift=0.0) == 0
    con = connect("duckdb")
    answer, details = answers.measure(
        con,
        open_tables(con, Store.open(tmp_path / "store")),
        MeasureQuestion(load_campaign(EXAMPLE)),
    )
    assert answer["effect"]["low"] <= 0 <= answer["effect"]["high"]
    assert answer["holdout"] is None
    assert details["control"] is True and details["pre_period"]["days"] == 112
