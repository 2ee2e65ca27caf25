"""Stores for the engine parity tests, built once per session through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

CORE = Path(__file__).resolve().parents[1] / "data" / "core"
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def cli(*args: str) -> str:
    """Run the devicepark CLI in this process; its stdout (fails the test on a non-zero exit)."""
    from devicepark.cli.main import app

    result = CliRunner().invoke(app, [str(a) for a in args], env={"DEVICEPARK_KEY": KEY})
    if result.exit_code != 0:
        raise AssertionError(f"devicepark {' '.join(map(str, args))} exited {result.exit_code}:"
                             f" {result.output}\n{result.exception!r}")
    return result.stdout


def cli_json(*args: str) -> dict:
    return json.loads(cli(*args, "--format", "json"))


@pytest.fixture(scope="session")
def core_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made core fixture (messy rows included) ingested through the CLI."""
    store = tmp_path_factory.mktemp("spark-core") / "store"
    cli("ingest", "--store", store, "--lines", CORE / "lines.csv", "--observations",
        CORE / "observations.csv", "--tac", CORE / "tac.csv", "--max-reject-rate", "1")
    return store


@pytest.fixture(scope="session")
def synth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic operator (3,000 lines, 2020-01 to 2022-06) ingested through the CLI."""
    root = tmp_path_factory.mktemp("spark-synth")
    data, store = root / "data", root / "store"
    cli("synth", "--out", data, "--lines", "3000", "--seed", "11")
    cli("ingest", "--store", store, "--lines", data / "lines.csv", "--observations",
        data / "observations.csv", "--tac", data / "tac.csv", "--max-reject-rate", "0.05")
    return store


@pytest.fixture(scope="session")
def run_json():
    """``run_json(*args)``: the CLI's JSON answer as a dict."""
    return cli_json
