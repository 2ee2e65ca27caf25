"""Base against market: the index and the gap, exact on a hand-made store (see conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from marketkit import AS_OF

from devicepark import answers
from devicepark.errors import ConfigError
from devicepark.market import compare, compare_series, load, read_market, save
from devicepark.market.periods import month, quarter
from devicepark.market.reader import Share
from devicepark.questions import CompareQuestion
from devicepark.store import connect, open_tables

KEYS = ["vendor", "base_share", "market_share", "index", "gap_lines"]


@pytest.fixture
def imported(tiny_store, market_csv):
    save(tiny_store, read_market(market_csv), name="survey", kind="usage", source=None)
    return load(tiny_store.refresh(), "survey")


def compare_store(con, store, shares, *, market, as_of, by=None):
    """``answers.compare`` at one date (``shares`` are the imported ones it reads back)."""
    assert shares
    q = CompareQuestion(market, as_of=as_of, by=by)
    return answers.compare(con, open_tables(con, store.refresh()), q)


def series_store(con, store, shares, *, market, start, stop, every):
    assert shares
    q = CompareQuestion(market, start=start, end=stop, every=every)
    return answers.compare(con, open_tables(con, store.refresh()), q)


def rows(result):
    return {r["vendor"]: r for r in result["vendors"]}


def test_index_and_gap_are_exact_on_the_hand_made_store(backend, tiny_store, imported) -> None:
    got = compare_store(backend, tiny_store, imported, market="survey", as_of=AS_OF)
    assert list(got) == ["as_of", "market", "period", "vendors"]
    assert (got["as_of"], got["market"], got["period"]) == ("2022-02-03", "survey", "2022-02")
    assert all(list(r) == KEYS for r in got["vendors"])
    r = rows(got)
    # 20 identified lines: Apple 10, Xiaomi 5, Samsung 4, Unknown 1. Market 2022-02:
    # Apple 40 %, Samsung 30 %, Xiaomi 20 %, Huawei 10 % (spelt HUAWEI TECHNOLOGIES CO.,LTD).
    assert r["Apple"]["base_share"] == 0.5 and r["Apple"]["market_share"] == pytest.approx(0.4)
    assert r["Apple"]["index"] == pytest.approx(125.0)  # 0.5 / 0.4 x 100
    assert r["Apple"]["gap_lines"] == -2  # 0.4 x 20 - 10
    assert r["Samsung"]["index"] == pytest.approx(200 / 3)  # 0.2 / 0.3 x 100
    assert r["Samsung"]["gap_lines"] == 2  # 0.3 x 20 - 4
    assert r["Xiaomi"]["index"] == pytest.approx(125.0) and r["Xiaomi"]["gap_lines"] == -1
    # In the market only: base share 0, index 0, gains its whole share.
    assert r["Huawei"] == {
        "vendor": "Huawei",
        "base_share": 0.0,
        "market_share": pytest.approx(0.1),
        "index": 0.0,
        "gap_lines": 2,
    }
    # In the base only (the market does not name it): nothing to compare with.
    assert r["Unknown"] == {
        "vendor": "Unknown",
        "base_share": 0.05,
        "market_share": None,
        "index": None,
        "gap_lines": None,
    }
    assert [v["vendor"] for v in got["vendors"]] == [
        "Apple",
        "Samsung",
        "Xiaomi",
        "Huawei",
        "Unknown",
    ]


def test_by_operator_brand_divides_by_each_brands_identified_lines(tiny_store, imported) -> None:
    got = compare_store(
        connect(), tiny_store, imported, market="survey", as_of=AS_OF, by="operator_brand"
    )
    assert all(list(r) == ["operator_brand", *KEYS] for r in got["vendors"])
    r = {(v["operator_brand"], v["vendor"]): v for v in got["vendors"]}
    # Orange: 10 identified (Apple 6, Samsung 2, Xiaomi 1, Unknown 1); Sosh: 10 (4, 2, 4).
    assert r[("Orange", "Apple")]["index"] == pytest.approx(150.0)
    assert r[("Orange", "Xiaomi")]["index"] == pytest.approx(50.0)
    assert r[("Orange", "Xiaomi")]["gap_lines"] == 1  # 0.2 x 10 - 1
    assert r[("Sosh", "Xiaomi")]["index"] == pytest.approx(200.0)
    assert r[("Sosh", "Xiaomi")]["gap_lines"] == -2
    assert (
        r[("Sosh", "Apple")]["index"] == pytest.approx(100.0)
        and r[("Sosh", "Apple")]["gap_lines"] == 0
    )
    assert r[("Sosh", "Huawei")]["gap_lines"] == 1
    assert ("Sosh", "Unknown") not in r
    assert [k[0] for k in r] == ["Orange"] * 5 + ["Sosh"] * 4


def test_latest_period_before_the_date_when_none_contains_it(tiny_store, imported) -> None:
    con = connect()
    got = compare_store(con, tiny_store, imported, market="survey", as_of=dt.date(2022, 4, 10))
    assert got["period"] == "2022-03"
    with pytest.raises(ConfigError, match="starts with 2022-01"):
        compare_store(con, tiny_store, imported, market="survey", as_of=dt.date(2021, 12, 31))


def test_series_is_one_comparison_per_month_end(tiny_store, imported) -> None:
    got = series_store(
        connect(),
        tiny_store,
        imported,
        market="survey",
        start=dt.date(2022, 1, 15),
        stop=dt.date(2022, 3, 31),
        every="month",
    )
    assert list(got) == ["market", "every", "points"] and got["every"] == "month"
    assert [(p["as_of"], p["period"]) for p in got["points"]] == [
        ("2022-01-31", "2022-01"),
        ("2022-02-28", "2022-02"),
        ("2022-03-31", "2022-03"),
    ]
    # On 2022-02-28 the observations of 2022-02-01 are still within the 30-day lookback.
    feb = rows(got["points"][1])
    assert feb["Apple"]["index"] == pytest.approx(125.0)
    # On 2022-03-31 they are not: nothing identified, every named vendor gains its full share.
    mar = rows(got["points"][2])
    assert mar["Apple"]["base_share"] is None and mar["Apple"]["gap_lines"] == 0


def test_zero_market_share_gives_null_index_and_minus_lines() -> None:
    base = {
        "groups": [
            {"vendor": "Apple", "lines": 3},
            {"vendor": "Nokia", "lines": 1},
            {"vendor": None, "lines": 5},
        ]
    }
    shares = [
        Share(month(2022, 2), "Apple", 0.9, "Apple"),
        Share(month(2022, 2), "Nokia", 0.0, "Nokia"),
        Share(quarter(2022, 1), "Apple", 0.5, "Apple"),
    ]
    got = rows(compare(base, shares, market="m", as_of=dt.date(2022, 2, 10)))
    assert got["Nokia"] == {
        "vendor": "Nokia",
        "base_share": 0.25,
        "market_share": 0.0,
        "index": None,
        "gap_lines": -1,
    }
    assert got["Apple"]["market_share"] == 0.9  # the month wins over the quarter holding it
    assert compare(base, shares, market="m", as_of=dt.date(2022, 3, 10))["period"] == "2022-Q1"


def test_compare_series_keeps_each_points_date() -> None:
    series = {
        "by": ["vendor"],
        "every": "week",
        "points": [
            {"date": "2022-01-02", "groups": [{"vendor": "Apple", "lines": 1}]},
            {"date": "2022-02-06", "groups": [{"vendor": "Apple", "lines": 1}]},
        ],
    }
    shares = [
        Share(month(2022, 1), "Apple", 0.5, "Apple"),
        Share(month(2022, 2), "Apple", 0.25, "Apple"),
    ]
    got = compare_series(series, shares, market="m")
    assert [p["vendors"][0]["index"] for p in got["points"]] == [200.0, 400.0]
