"""Shared fixtures: the engine backends, the shared real data, a throwaway key."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
# The shared real data lies beside the checkout (../shared/data); DEVICEPARK_SHARED_DATA overrides.
SHARED = Path(os.environ.get("DEVICEPARK_SHARED_DATA") or ROOT.parent / "shared" / "data")
DATA = Path(__file__).resolve().parent / "data"
TEST_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fixed pseudonymisation key in DEVICEPARK_KEY."""
    monkeypatch.setenv("DEVICEPARK_KEY", TEST_KEY)
    return TEST_KEY


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


def _spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def spark_backend():
    """One local[2] Spark session for the whole test session (the JVM starts once)."""
    if not _spark_available():
        if os.environ.get("CI"):
            pytest.fail("pyspark or java missing in CI")
        pytest.skip("pyspark or java not installed")
    from devicepark.store.engine import connect

    return connect("spark", spark_master="local[2]")


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request: pytest.FixtureRequest):
    """An Ibis backend per engine; the spark one is shared for the session."""
    if request.param == "duckdb":
        from devicepark.store.engine import connect

        return connect("duckdb")
    return request.getfixturevalue("spark_backend")


@pytest.fixture(scope="module")
def core_cli_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """tests/data/core (TAC catalog, lines, observations) ingested through the CLI, per module."""
    from typer.testing import CliRunner

    from devicepark.cli.main import app

    path = tmp_path_factory.mktemp("core_cli") / "store"
    core = DATA / "core"
    args = ["ingest", "--store", str(path), "--max-reject-rate", "0.5"]
    for kind, name in (
        ("--tac", "tac.csv"),
        ("--lines", "lines.csv"),
        ("--observations", "observations.csv"),
    ):
        args += [kind, str(core / name)]
    result = CliRunner().invoke(app, args, env={"DEVICEPARK_KEY": TEST_KEY})
    assert result.exit_code == 0, result.output
    return str(path)
