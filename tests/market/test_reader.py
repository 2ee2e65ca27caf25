"""Reading market-share files: StatCounter's real export and its quirks, long CSVs, bad files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicepark.errors import InputError
from devicepark.market.periods import parse_period
from devicepark.market.reader import read_market

STATCOUNTER = "market/statcounter-vendor-ww-monthly-201003-202405.csv"


@pytest.fixture(scope="module")
def statcounter(shared_data: Path):
    return read_market(shared_data / STATCOUNTER)


def test_statcounter_zero_row_is_reported_with_its_line_and_not_used(statcounter) -> None:
    empty = statcounter.notices_of("empty_period")
    assert [(n.line, n.period) for n in empty] == [(172, "2010-03")]
    out_of_order = statcounter.notices_of("out_of_order")
    assert [(n.line, n.period) for n in out_of_order] == [(172, "2010-03")]
    assert "2010-03" not in {p.label for p in statcounter.periods}


def test_statcounter_periods_are_the_170_months_from_2010_04_to_2024_05(statcounter) -> None:
    labels = [p.label for p in statcounter.periods]
    expected = [f"{y}-{m:02d}" for y in range(2010, 2025) for m in range(1, 13)]
    expected = [p for p in expected if "2010-04" <= p <= "2024-05"]
    assert labels == expected and len(labels) == 170
    assert statcounter.layout == "statcounter" and statcounter.unit == "percent"
    assert {p.kind for p in statcounter.periods} == {"month"}


def test_statcounter_shares_are_the_file_percentages_as_fractions(shared_data, statcounter) -> None:
    # Reference: the raw file read naively, one row per period, the header's names.
    with open(shared_data / STATCOUNTER, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, last = rows[0], next(r for r in rows if r[0] == "2024-05")
    raw = dict(zip(header[1:], map(float, last[1:]), strict=True))
    got = {s.vendor: s for s in statcounter.shares if s.period.label == "2024-05"}
    assert got["Samsung"].share == pytest.approx(raw["Samsung"] / 100)  # 24.18 %
    assert got["Xiaomi"].share == 0.116  # read as a decimal: exactly 11.6 / 100
    # Names go through the alias table: Oppo -> OPPO, RIM -> BlackBerry, Vivo -> vivo.
    assert got["OPPO"].share == pytest.approx(raw["Oppo"] / 100)
    assert got["OPPO"].vendor_raw == "Oppo"
    assert got["BlackBerry"].vendor_raw == "RIM"
    # Unknown and Other stay two buckets.
    assert got["Unknown"].share == 0.078
    assert got["Other"].share == 0.0025
    # Every period sums to about 100 %, so no sum warning; the total is the file's.
    assert statcounter.notices_of("sum_off") == []
    assert sum(s.share for s in got.values()) == pytest.approx(sum(raw.values()) / 100)
    assert len(got) == len(header) - 1  # one vendor per column: no two columns merged


def test_statcounter_unknown_names_and_merged_columns_are_reported(shared_data) -> None:
    # With a small alias table: Huawei and Honor both -> Huawei (summed), names it lacks kept raw.
    aliases = {"samsung": "Samsung", "apple": "Apple", "huawei": "Huawei", "honor": "Huawei"}
    market = read_market(shared_data / STATCOUNTER, normalise=lambda s: aliases.get(s.casefold()))
    unknown = {n.vendor for n in market.notices_of("unknown_vendor")}
    assert {"Xiaomi", "Oppo", "Mobicel"} <= unknown
    assert not unknown & {"Samsung", "Apple", "Huawei", "Honor", "Unknown", "Other"}
    assert all(n.line == 1 for n in market.notices_of("unknown_vendor"))  # the header
    merged = market.notices_of("merged_vendors")
    assert [(n.vendor, n.line) for n in merged] == [("Huawei", 1)]
    h = {s.period.label: s for s in market.shares if s.vendor == "Huawei"}
    assert h["2024-05"].share == pytest.approx(0.0343 + 0.0061)  # Huawei 3.43 + Honor 0.61
    assert h["2024-05"].vendor_raw == "Huawei + Honor"
    assert "Mobicel" in market.vendors  # kept under its raw name


LONG = "period,vendor,share\n"  # the header of a long CSV


def write(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_long_percent_quarters_sum_warning_and_sources(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "Period,Vendor,Share,Source\n"
        "2021-Q4,Xiaomi,23,Canalys\n2021-Q4,Apple,25,Canalys\n2021-Q4,Samsung,30,Canalys\n"
        "2022-Q1,Xiaomi,22,Canalys\n2022-Q1,Apple,26,Canalys\n2022-Q1,Samsung,31,Canalys\n"
        "2022-Q1,Other,21,\n",
    )
    m = read_market(p, source="fallback")
    assert m.layout == "long" and m.unit == "percent"
    assert [x.label for x in m.periods] == ["2021-Q4", "2022-Q1"]
    assert m.periods[1].start == dt.date(2022, 1, 1) and m.periods[1].end == dt.date(2022, 3, 31)
    sums = m.notices_of("sum_off")
    assert [(n.period, n.line) for n in sums] == [("2021-Q4", 2)]  # 78 %; 2022-Q1 is 100 %
    by = {(s.period.label, s.vendor): s for s in m.shares}
    assert by[("2021-Q4", "Xiaomi")].share == pytest.approx(0.23)
    assert by[("2021-Q4", "Xiaomi")].source == "Canalys"
    assert by[("2022-Q1", "Other")].source == "fallback"


def test_long_fractions_and_merged_names(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        LONG + "2022-01,Xiaomi,0.2\n2022-01,Redmi,0.05\n"
        "2022-01,Apple,0.5\n2022-01,Unknown,0.1\n2022-01,Other,0.15\n",
    )
    aliases = {"xiaomi": "Xiaomi", "redmi": "Xiaomi", "apple": "Apple"}
    m = read_market(p, normalise=lambda s: aliases.get(s.casefold()))
    assert m.unit == "fraction"
    got = {s.vendor: s.share for s in m.shares}
    assert got == {"Xiaomi": pytest.approx(0.25), "Apple": 0.5, "Unknown": 0.1, "Other": 0.15}
    assert [(n.vendor, n.line) for n in m.notices_of("merged_vendors")] == [("Xiaomi", 3)]
    assert m.notices_of("unknown_vendor") == [] and m.notices_of("sum_off") == []


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("period,vendor\n2022-01,Apple\n", 1, "share", "missing required column"),
        (LONG + "2022-01,Apple,40\n2022-13,Samsung,30\n", 3, "period", "month"),
        (LONG + "2022-01,Apple,forty\n", 2, "share", "expected a share"),
        (LONG + "2022-01,Apple,-4\n", 2, "share", ">= 0"),
        (LONG + "2022-01,Apple,140\n", 2, "share", "above 100"),
        (LONG + "2022-01,Apple,40\n2022-01,apple,30\n", 3, "vendor", "second share"),
        (LONG + "2022-01,Apple\n", 2, None, "expected 3 fields"),
        ('"Date","Apple"\n2022-01,40\n2022-01,41\n', 3, "Date", "appears twice"),
        ("when,who\n2022-01,Apple\n", 1, "when", "no market layout"),
        ("", 1, None, "empty file"),
        (LONG + '2022-01,"Apple,40\n2022-01,Samsung,30\n', 3, None, "unclosed quote"),
    ],
)
def test_malformed_files_name_file_line_and_column(tmp_path, text, line, column, words) -> None:
    p = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_market(p, normalise=lambda s: None)
    err = info.value
    assert (err.file, err.line, err.column) == (str(p), line, column)
    assert words in str(err) and str(p) in str(err)


@given(st.integers(1900, 2999), st.integers(1, 12))
def test_months_parse_to_their_calendar_days(year: int, month: int) -> None:
    p = parse_period(f"{year}-{month:02d}")
    assert p is not None and p.label == f"{year}-{month:02d}"
    assert p.start == dt.date(year, month, 1)
    assert (p.end + dt.timedelta(days=1)).day == 1 and p.end.month == month


@given(st.integers(1900, 2999), st.integers(1, 4))
def test_quarters_cover_three_months(year: int, q: int) -> None:
    p = parse_period(f"{year}-Q{q}")
    assert p is not None and p.start == dt.date(year, 3 * q - 2, 1)
    assert p.end.month == 3 * q and (p.end + dt.timedelta(days=1)).day == 1
    assert parse_period(f"Q{q} {year}") == p


def test_semicolons_decimal_commas_and_percent_signs(tmp_path: Path) -> None:
    # A European spreadsheet's export: ';' between fields, ',' in numbers, '%' after them.
    p = write(tmp_path, "period;vendor;share\n2022-01;Apple;0,6 %\n2022-01;Other;99,4 %\n")
    m = read_market(p, normalise=lambda s: s if s == "Apple" else None)
    assert m.unit == "percent"  # all values <= 1 but written with '%'
    assert {s.vendor: s.share for s in m.shares} == {
        "Apple": pytest.approx(0.006),
        "Other": pytest.approx(0.994),
    }
