"""End to end through the CLI on the hand-made fixture; every figure worked out by hand.

On 2022-02-03 (lookback 30 days, window 2022-01-05..2022-02-03, Europe/Paris):
- active non-M2M lines: 1, 2, 3, 6, 8, 9, 10 (4 starts on the 4th, 5 ends on the 3rd, 7 is M2M) = 7;
- line 1: Redmi (Xiaomi), latest 2022-01-22 (IMEI14 spelling of the same handset);
- line 2 (national spelling 0600000002 in lines.csv): Apple on 01-10, then Samsung on 02-01;
- line 3: POCO seen 2022-02-03T23:30Z = 4 February in Paris, Apple only in December: unidentified;
- line 6: IMEISV of a Redmi at 00:30 local on 01-05, the window's first day: Xiaomi;
- line 8: TAC 99999999 in no catalog: Unknown, still identified;
- line 9: 2022-01-04T23:30+00:00 is 00:30 on 01-05 in Paris: Apple;
- line 10: 2022-01-04T22:30Z is 23:30 on 01-04 in Paris: outside the window, unidentified.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app

DATA = Path(__file__).resolve().parent / "data" / "core"
FILES = ("tac", "lines", "observations")  # each read from DATA / f"{kind}.csv"
runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, key_env: str) -> Path:
    s = tmp_path / "store"
    files = [arg for kind in FILES for arg in (f"--{kind}", str(DATA / f"{kind}.csv"))]
    result = runner.invoke(app, ["ingest", "--store", str(s), *files, "--max-reject-rate", "0.5"])
    assert result.exit_code == 0, result.stderr
    return s


def base(store: Path, *args: str) -> dict:
    result = runner.invoke(app, ["base", "--store", str(store), "--format", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def counts(answer: dict, key: str = "vendor") -> dict:
    return {g[key]: g["lines"] for g in answer["groups"]}


def test_base_by_vendor_by_hand(store: Path) -> None:
    a = base(store, "--as-of", "2022-02-03")
    assert list(a) == ["as_of", "by", "unit", "total_lines", "identified_lines", "groups"]
    assert (a["as_of"], a["by"], a["unit"]) == ("2022-02-03", ["vendor"], "lines")
    assert (a["total_lines"], a["identified_lines"]) == (7, 5)
    assert counts(a) == {"Xiaomi": 2, "Apple": 1, "Samsung": 1, "Unknown": 1}
    xiaomi = a["groups"][0]
    assert xiaomi["vendor"] == "Xiaomi"
    assert xiaomi["share"] == pytest.approx(2 / 7) and xiaomi[
        "share_of_identified"
    ] == pytest.approx(2 / 5)


def test_base_short_lookback_by_hand(store: Path) -> None:
    # Window 2022-01-25..2022-02-03: only line 2 (Samsung, 02-01) and line 8 (Unknown, 02-02).
    a = base(store, "--as-of", "2022-02-03", "--lookback-days", "10")
    assert (a["total_lines"], a["identified_lines"]) == (7, 2)
    assert counts(a) == {"Samsung": 1, "Unknown": 1}


def test_base_by_operator_brand_and_m2m(store: Path) -> None:
    a = base(store, "--as-of", "2022-02-03", "--by", "vendor,operator_brand")
    got = {(g["vendor"], g["operator_brand"]): g["lines"] for g in a["groups"]}
    assert got == {
        ("Xiaomi", "Orange"): 2,
        ("Apple", "Orange"): 1,
        ("Samsung", "Orange"): 1,
        ("Unknown", "Orange"): 1,
    }
    m = base(store, "--as-of", "2022-02-03", "--include-m2m")
    assert (m["total_lines"], m["identified_lines"]) == (8, 6)


def test_base_days_around(store: Path) -> None:
    # On 2022-02-04 (window 01-06..02-04) line 4 starts (Apple seen 02-03), line 6 has ended,
    # line 3's POCO is seen, and line 9's Apple (01-05) has left the window.
    a = base(store, "--as-of", "2022-02-04")
    assert a["total_lines"] == 7  # +4 -6
    assert counts(a) == {"Xiaomi": 2, "Apple": 1, "Samsung": 1, "Unknown": 1}


def test_base_table_format_is_readable(store: Path) -> None:
    result = runner.invoke(app, ["base", "--store", str(store), "--as-of", "2022-02-03"])
    assert result.exit_code == 0
    assert "Xiaomi" in result.stdout and "28.57" in result.stdout


def test_bad_as_of_is_one_line(store: Path) -> None:
    result = runner.invoke(app, ["base", "--store", str(store), "--as-of", "2022-02-30"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
