"""Fixtures of the API tests: a small store ingested through the CLI, a campaign beside it, and
the app on it behind httpx's ASGI transport."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)  # apikit importable under --import-mode=importlib
if _here not in sys.path:
    sys.path.insert(0, _here)

from apikit import KEY, TOKEN, build_core_store  # noqa: E402


@pytest.fixture(scope="session")
def core_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/core ingested by ``devicepark ingest``, plus ``campaigns/semaine.toml``."""
    return build_core_store(tmp_path_factory.mktemp("api") / "store")


@pytest.fixture
def store_copy(core_store: Path, tmp_path: Path) -> Path:
    """A private copy of the core store, for tests that commit to it."""
    dest = tmp_path / "store"
    shutil.copytree(core_store, dest)
    return dest


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's environment: a pseudonymisation key, no token unless a test sets one."""
    monkeypatch.setenv("DEVICEPARK_KEY", KEY)
    monkeypatch.delenv("DEVICEPARK_API_TOKEN", raising=False)
    yield


@pytest.fixture
def app(core_store: Path, api_env: None):
    from devicepark.api.app import create_app

    return create_app(core_store, token=TOKEN)
