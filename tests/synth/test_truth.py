"""The generator's ground truth equals a naive pandas reference computed from the files it wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from synthkit import naive_base

DAYS = ["2020-03-31", "2021-01-31", "2021-10-31", "2022-02-03", "2022-06-30"]


@pytest.mark.parametrize("day", DAYS)
def test_snapshot_equals_naive_reference(small, day):
    truth = {s["as_of"]: s for s in small.truth["snapshots"]}[day]
    ref = naive_base(small.out_dir, dt.date.fromisoformat(day))
    assert truth["total_lines"] == ref["total_lines"]
    assert truth["identified_lines"] == ref["identified_lines"]
    assert truth["vendors"] == ref["vendors"]


@pytest.mark.parametrize("brand", ["Orange", "Sosh"])
def test_snapshot_by_operator_brand(small, brand):
    truth = {s["as_of"]: s for s in small.truth["snapshots"]}["2022-02-03"]
    ref = naive_base(small.out_dir, dt.date(2022, 2, 3), brand=brand)
    got = truth["by_operator_brand"][brand]
    assert (got["total_lines"], got["identified_lines"], got["vendors"]) == (
        ref["total_lines"],
        ref["identified_lines"],
        ref["vendors"],
    )


def test_daily_series_matches_snapshots(small):
    daily = small.truth["daily"]
    first = dt.date.fromisoformat(daily["from"])
    for snap in small.truth["snapshots"]:
        i = (dt.date.fromisoformat(snap["as_of"]) - first).days
        assert daily["total_lines"][i] == snap["total_lines"]
        assert daily["identified_lines"][i] == snap["identified_lines"]
        for vendor, n in snap["vendors"].items():
            assert daily["vendors"][vendor][i] == n


def test_documented_dates(small):
    days = [s["as_of"] for s in small.truth["snapshots"]]
    assert days[0] == "2020-01-31" and days[-1] == "2022-06-30"
    assert "2022-02-03" in days and len(days) == 31  # 30 month ends + the calibration day


def test_unknown_vendor_and_m2m_apart(small):
    snap = {s["as_of"]: s for s in small.truth["snapshots"]}["2022-02-03"]
    assert snap["vendors"].get("Unknown", 0) > 0  # TACs deliberately left out of tac.csv
    assert "Quectel" not in snap["vendors"]  # modules only on M2M lines, reported apart
    assert snap["m2m"]["total_lines"] > 0 and "Quectel" in snap["m2m"]["vendors"]
    assert (
        snap["brands"]["Redmi"] + snap["brands"].get("POCO", 0) + snap["brands"].get("Xiaomi", 0)
        == snap["vendors"]["Xiaomi"]
    )
