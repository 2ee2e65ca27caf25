"""Tables read in an 80-column terminal: no number or date is cut, keys are never dropped, what
does not fit is named; ``switches`` prints its summary before its flows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app

CORE = Path(__file__).resolve().parent / "data" / "core"
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
runner = CliRunner()


@pytest.fixture(scope="module")
def store(core_cli_store: str) -> str:
    return core_cli_store


def run(*args: str, columns: int = 80) -> tuple[str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    return r.stdout, r.stderr


def csv_values(store: str, *args: str) -> list[list[str]]:
    out, _ = run(*args, "--format", "csv")
    return [line.split(",") for line in out.strip().splitlines()[1:]]


@pytest.mark.parametrize("columns", [80, 60])
def test_series_fits_without_cutting_a_figure(store: str, columns: int) -> None:
    args = ["series", "--store", store, "--from", "2022-02-01", "--to", "2022-02-03", "--by",
            "vendor,operator_brand,region", "--unit", "customers"]  # fmt: skip
    out, err = run(*args, columns=columns)
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "…" not in out
    rows = csv_values(store, *args)
    for row in rows:  # every date and every customer count is printed whole
        date, customers = row[0], row[6]
        assert re.search(rf"{date} .* {customers} ", out)
    if columns == 60:  # measures make room, keys stay, and the user is told
        assert "not shown" in err and "--format csv" in err
        assert "region" in out and "vendor" in out


def test_switches_prints_summary_first(store: str) -> None:
    out, _ = run("switches", "--store", store, "--from", "2022-01-15", "--to", "2022-02-03")
    assert out.index("per vendor") < out.index("Flows")
    assert "loyalty" in out.split("Flows")[0]
