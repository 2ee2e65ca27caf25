"""The installed base on hand-made stores whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from basekit import Fixture, Line, Obs, at, day, open_fixture

from devicepark import answers
from devicepark.base import device_at
from devicepark.errors import ConfigError
from devicepark.questions import BaseQuestion, SeriesQuestion

CATALOG = {
    "11111111": ("Apple", "Apple", "iPhone 13", "smartphone"),
    "22222222": ("Xiaomi", "Redmi", "Redmi Note 10", "smartphone"),
    "44444444": ("Quectel", "Quectel", "EC25", "module/IoT"),
}
APPLE, XIAOMI, NOCAT, MODULE = "11111111", "22222222", "99999999", "44444444"
D = day(40)  # 2022-02-10; lookback 30 -> window [day 11, day 40]


def fixture() -> Fixture:
    lines = [
        Line("L1", day(0), customer="C1"),
        Line("L2", day(0), customer="C1", operator_brand="Sosh"),
        Line("L3", day(0)),
        Line("L4", day(0), customer="C2"),
        Line("L5", D),  # activated on D: counts
        Line("L6", day(0), terminated_on=D),  # terminated on D: no longer counts
        Line("L7", day(0), terminated_on=day(41), customer="C2"),  # still active on D
        Line("L8", day(0), segment="m2m"),
        Line("L9", day(0)),
        Line("L10", day(0), segment=None, plan=None),  # empty segment means consumer
    ]
    obs = [
        Obs("L1", "A", APPLE, at(5)),
        Obs("L1", "B", XIAOMI, at(20)),  # latest in window: Xiaomi
        Obs("L2", "B2", XIAOMI, at(11)),  # D - L + 1: inside the window
        Obs("L3", "C", APPLE, at(10, 23, 59)),  # D - L: outside, unidentified
        Obs("L4", "H1", APPLE, at(30, 10)),  # tie at one instant: the larger handset wins
        Obs("L4", "H2", XIAOMI, at(30, 10)),
        Obs("L5", "E", NOCAT, at(40)),  # TAC in no catalog: Unknown, still identified
        Obs("L6", "G6", APPLE, at(39)),
        Obs("L7", "F", APPLE, at(35)),
        Obs("L7", "F", APPLE, at(35)),  # exact duplicate
        Obs("L8", "M", MODULE, at(35)),
        Obs("L9", "G", APPLE, at(41)),  # after D: never influences D
        Obs("L10", "F", APPLE, at(38)),  # the same handset as L7 (a SIM swap)
        Obs("L99", "Z", APPLE, at(35)),  # orphan: no such line
    ]
    return Fixture(lines, obs, CATALOG)


@pytest.fixture
def tables(backend, tmp_path):
    return open_fixture(tmp_path / "store", fixture(), backend)


def groups(answer, unit="lines"):
    return [(g["vendor"], g[unit], g["share"], g["share_of_identified"]) for g in answer["groups"]]


def test_base_by_vendor_lines(backend, tables):
    a = answers.base(backend, tables, BaseQuestion.parse(D, "vendor"))
    # Active non-M2M: L1 L2 L3 L4 L5 L7 L9 L10 = 8; identified: L1 L2 L4 (Xiaomi), L7 L10
    # (Apple), L5 (Unknown) = 6.
    assert (a["as_of"], a["by"], a["unit"]) == ("2022-02-10", ["vendor"], "lines")
    assert (a["total_lines"], a["identified_lines"]) == (8, 6)
    assert groups(a) == [
        ("Xiaomi", 3, 3 / 8, 3 / 6),
        ("Apple", 2, 2 / 8, 2 / 6),
        ("Unknown", 1, 1 / 8, 1 / 6),
    ]


def test_base_include_m2m(backend, tables):
    a = answers.base(
        backend, tables, BaseQuestion.parse(D, ["vendor", "device_type"], include_m2m=True)
    )
    assert (a["total_lines"], a["identified_lines"]) == (9, 7)
    assert [(g["vendor"], g["device_type"], g["lines"]) for g in a["groups"]] == [
        ("Xiaomi", "smartphone", 3),
        ("Apple", "smartphone", 2),
        ("Quectel", "module/IoT", 1),
        ("Unknown", "other", 1),
    ]


def test_base_customers(backend, tables):
    a = answers.base(backend, tables, BaseQuestion.parse(D, "vendor", unit="customers"))
    # Customers: C1 (L1, L2), C2 (L4, L7), and L3, L5, L9, L10 as their own = 6;
    # identified: C1, C2, L5, L10 = 4. Xiaomi: C1, C2; Apple: C2, L10; Unknown: L5.
    assert (a["total_lines"], a["identified_lines"]) == (8, 6)
    assert (a["total_customers"], a["identified_customers"]) == (6, 4)
    assert groups(a, "customers") == [
        ("Apple", 2, 2 / 6, 2 / 4),
        ("Xiaomi", 2, 2 / 6, 2 / 4),
        ("Unknown", 1, 1 / 6, 1 / 4),
    ]


def test_base_handsets(backend, tables):
    a = answers.base(backend, tables, BaseQuestion.parse(D, "vendor", unit="handsets"))
    # Xiaomi: B, B2, H2; Apple: F (on L7 and L10); Unknown: E.
    assert a["identified_handsets"] == 5
    assert groups(a, "handsets") == [
        ("Xiaomi", 3, None, 3 / 5),
        ("Apple", 1, None, 1 / 5),
        ("Unknown", 1, None, 1 / 5),
    ]


def test_base_by_line_attributes(backend, tables):
    a = answers.base(backend, tables, BaseQuestion.parse(D, "operator_brand, segment, plan"))
    got = [(g["operator_brand"], g["segment"], g["plan"], g["lines"]) for g in a["groups"]]
    assert got == [
        ("Orange", "consumer", "postpaid", 4),  # L1 L4 L5 L7
        ("Orange", "consumer", None, 1),  # L10: empty plan stays empty
        ("Sosh", "consumer", "postpaid", 1),  # L2
    ]


def test_short_lookback_folds_again(backend, tables):
    # Lookback 10 < the store's gap of 30: window [day 31, day 40]: L5, L7, L10 only.
    a = answers.base(backend, tables, BaseQuestion.parse(D, "vendor", lookback_days=10))
    assert (a["total_lines"], a["identified_lines"]) == (8, 3)
    assert groups(a) == [("Apple", 2, 2 / 8, 2 / 3), ("Unknown", 1, 1 / 8, 1 / 3)]


def test_short_lookback_needs_observations(backend, tmp_path):
    # Seen on day 0 and day 25 (one tenure with gap 30). With lookback 10 on day 20 the window
    # [11, 20] is empty: unidentified, which the stored tenures alone would get wrong.
    fx = Fixture(
        [Line("L1", day(0))], [Obs("L1", "A", APPLE, at(0)), Obs("L1", "A", APPLE, at(25))]
    )
    tables = open_fixture(tmp_path / "s", fx, backend)
    assert (
        answers.base(backend, tables, BaseQuestion.parse(day(20), "vendor", lookback_days=10))[
            "identified_lines"
        ]
        == 0
    )
    assert (
        answers.base(backend, tables, BaseQuestion.parse(day(20), "vendor", lookback_days=30))[
            "identified_lines"
        ]
        == 1
    )
    with pytest.raises(ConfigError):
        device_at(tables.tenures, day(20), lookback_days=10, gap_days=30)


def test_device_at(backend, tables):
    got = backend.to_pyarrow(device_at(tables, D)).to_pylist()
    by_line = {r["line"]: (r["handset"], r["first_date"]) for r in got}
    assert by_line["L1"] == ("B", day(20))
    assert by_line["L4"] == ("H2", day(30))
    assert "L3" not in by_line and "L9" not in by_line


def test_device_age_buckets(backend, tmp_path):
    d = dt.date(2022, 6, 30)

    def o(line, handset, when):
        return Obs(line, handset, APPLE, dt.datetime.combine(when, dt.time(12), tzinfo=dt.UTC))

    lines = [Line(f"M{i}", dt.date(2015, 1, 1)) for i in range(1, 6)]
    obs = [
        # origin + 6 months == D: no longer 0-6 (a gap split does not reset the age)
        o("M1", "X", dt.date(2021, 12, 30)),
        o("M1", "X", dt.date(2022, 6, 29)),
        # origin + 6 months == D + 1: still 0-6
        o("M2", "Y", dt.date(2022, 1, 1)),
        o("M2", "Y", dt.date(2022, 6, 30)),
        # origin + 36 months == D: 36+
        o("M3", "Z", dt.date(2019, 6, 30)),
        o("M3", "Z", dt.date(2022, 6, 20)),
        # back to a handset first seen long ago, after another one: 24-36
        o("M4", "W", dt.date(2020, 1, 15)),
        o("M4", "V", dt.date(2020, 2, 1)),
        o("M4", "W", dt.date(2022, 6, 15)),
        # 2021-08-31 + 6 months = 2022-02-28 (clamped): 6-12
        o("M5", "U", dt.date(2021, 8, 31)),
        o("M5", "U", dt.date(2022, 6, 25)),
    ]
    tables = open_fixture(tmp_path / "s", Fixture(lines, obs, CATALOG), backend)
    a = answers.base(backend, tables, BaseQuestion.parse(d, "device_age"))
    assert {g["device_age"]: g["lines"] for g in a["groups"]} == {
        "0-6": 1,
        "6-12": 2,
        "24-36": 1,
        "36+": 1,
    }
    # The same figures from the series, whose intervals are cut at the bucket boundaries.
    s = answers.series(
        backend, tables, SeriesQuestion.parse(d - dt.timedelta(days=2), d, "day", "device_age")
    )
    assert {g["device_age"]: g["lines"] for g in s["points"][-1]["groups"]} == {
        "0-6": 1,
        "6-12": 2,
        "24-36": 1,
        "36+": 1,
    }
    # June 28: M1 and M2 are not seen within the lookback yet, M3 is 24-36 until June 30.
    # June 29: M1 is seen, its handset 0-6 for one more day.
    assert [{g["device_age"]: g["lines"] for g in p["groups"]} for p in s["points"][:2]] == [
        {"6-12": 1, "24-36": 2},
        {"0-6": 1, "6-12": 1, "24-36": 2},
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"as_of": "2022-13-01"}, "is not a date"),
        ({"as_of": D, "by": "vendor,colour"}, "unknown key 'colour'"),
        ({"as_of": D, "unit": "people"}, "unknown unit"),
        ({"as_of": D, "lookback_days": 0}, r"must lie in 1\.\.3660, got 0"),
    ],
)
def test_bad_parameters(backend, tables, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        answers.base(backend, tables, BaseQuestion.parse(**kwargs))
