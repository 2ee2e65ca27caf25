"""Fixtures of the reliability tests: a store holding the corpus' base lines.

Under ``--import-mode=importlib`` test folders are not on ``sys.path``: put this one there so the
test modules can import ``reliakit`` and ``pipeline``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

from reliakit import BAD, cli  # noqa: E402


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
