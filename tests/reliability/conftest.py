"""Fixtures of the reliability tests: a store holding the corpus' base lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reliakit import BAD, cli


@pytest.fixture(scope="session")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding tests/data/bad/base_lines.csv (lines +33600000001..6); copy before use."""
    path = tmp_path_factory.mktemp("base") / "store"
    code, _, err, exc = cli(
        "ingest", "--store", str(path), "--lines", str(BAD / "base_lines.csv"), "--format", "json"
    )
    assert code == 0 and exc is None, err
    return path


@pytest.fixture
def fresh_store(base_store: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "store"
    shutil.copytree(base_store, dest)
    return dest
