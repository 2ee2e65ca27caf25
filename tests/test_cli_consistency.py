"""The CLI is consistent everywhere (issue 19): vendors in any case or alias, unknown vendors
and out-of-range dates said out loud, report inputs checked, milestones before the data labelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "tests" / "data" / "core"
GOLDEN = ROOT / "tests" / "golden" / "data" / "cli"
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
runner = CliRunner()


@pytest.fixture(scope="module")
def store(core_cli_store: str) -> str:
    return core_cli_store


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "120"})
    return r.exit_code, r.stdout, r.stderr


COMMANDS = {
    "announce": ["announce", "--as-of", "2022-02-03", "--threshold", "1", "--format", "json"],
    "milestones": ["milestones", "--step", "1", "--format", "json"],
    "adds": ["adds", "--from", "2022-01-01", "--to", "2022-02-03", "--format", "json"],
    "claim": ["claim", "check", "--count", "1", "--as-of", "2022-02-03", "--format", "json"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("spelling", ["xiaomi", "XIAOMI", "Redmi", " Xiaomi Communications Co Ltd"])
def test_vendor_in_any_case_or_alias(store: str, command: str, spelling: str) -> None:
    base = COMMANDS[command]
    canonical = run(*base, "--store", store, "--vendor", "Xiaomi")
    asked = run(*base, "--store", store, "--vendor", spelling)
    assert canonical[0] == asked[0] == 0, asked[2]
    assert asked[1] == canonical[1]
    assert json.loads(asked[1])["vendor"] == "Xiaomi"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unknown_vendor_is_an_error_naming_the_closest(store: str, command: str) -> None:
    code, out, err = run(*COMMANDS[command], "--store", store, "--vendor", "Xiaom")
    assert code == 2 and out == ""
    assert err.startswith("error: vendor 'Xiaom' is not in this store's catalog; closest: Xiaomi")


def test_report_vendor_goes_through_the_same_rule(store: str, tmp_path: Path) -> None:
    args = ["report", "--store", store, "--as-of", "2022-02-03", "--out", str(tmp_path / "r.html")]
    code, _, err = run(*args, "--vendor", "Xiaom")
    assert code == 2 and "closest: Xiaomi" in err
    assert run(*args, "--vendor", "redmi")[0] == 0


def test_a_vendor_the_store_has_no_tac_of_is_a_true_zero(store: str) -> None:
    code, out, _ = run(*COMMANDS["claim"], "--store", store, "--vendor", "huawei")
    assert code == 0 and json.loads(out)["measured"]["lines"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["base", "--as-of", "2023-06-01"],
        ["series", "--from", "2021-01-01", "--to", "2021-01-31", "--every", "week"],
        ["switches", "--from", "2022-01-15", "--to", "2024-01-01"],
    ],
)
def test_dates_outside_the_data_warn_with_the_range(store: str, args: list[str]) -> None:
    code, _, err = run(*args, "--store", store, "--format", "json")
    assert code == 0
    lines = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1 and "(2021-12-01 to 2022-02-04)" in lines[0]


def test_dates_inside_the_data_do_not_warn(store: str) -> None:
    _, _, err = run("base", "--store", store, "--as-of", "2022-02-03")
    assert "warning" not in err


@pytest.mark.parametrize(
    ("option", "given", "says"),
    [
        ("--market", "campaign_measure.json", "this is the JSON of devicepark campaign measure"),
        ("--campaign", "market_compare.json", "this is the JSON of devicepark market compare"),
        ("--campaign", "base_vendor.json", "this is not that JSON"),
    ],
)
def test_report_checks_what_it_is_given(
    store: str, tmp_path: Path, option: str, given: str, says: str
) -> None:
    args = ["report", "--store", store, "--as-of", "2022-02-03", "--out", str(tmp_path / "r.html")]
    code, _, err = run(*args, option, str(GOLDEN / given))
    assert code == 2 and says in err and not (tmp_path / "r.html").exists()


def test_report_refuses_a_market_series(store: str, tmp_path: Path) -> None:
    point = json.loads((GOLDEN / "market_compare.json").read_text(encoding="utf-8"))
    series = tmp_path / "series.json"
    series.write_text(json.dumps({"market": "m", "every": "month", "points": [point]}))
    args = ["report", "--store", store, "--as-of", "2022-02-03", "--out", str(tmp_path / "r.html")]
    code, _, err = run(*args, "--market", str(series))
    assert code == 2 and "a market comparison series" in err


def test_milestones_already_passed_at_the_start_are_labelled(store: str) -> None:
    args = ["milestones", "--store", store, "--vendor", "Xiaomi", "--step", "1"]
    code, out, _ = run(*args, "--from", "2022-01-25", "--to", "2022-02-03", "--format", "json")
    assert code == 0
    first = json.loads(out)["milestones"][0]
    assert first["first_crossed"] == "2022-01-25"  # already above 1 line on the first day
    code, table, _ = run(*args, "--from", "2022-01-25", "--to", "2022-02-03")
    assert "before 2022-01-25" in table
