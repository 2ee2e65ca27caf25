"""Fixtures of the market tests: the hand-made store and market of ``marketkit``.

Under ``--import-mode=importlib`` test folders are not on ``sys.path``: put this one there so
that the tests can import the kit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

from marketkit import MARKET_CSV, build  # noqa: E402

from devicepark.store import Store  # noqa: E402


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    return build(tmp_path / "store")


@pytest.fixture
def market_csv(tmp_path: Path) -> Path:
    p = tmp_path / "market.csv"
    p.write_text(MARKET_CSV, encoding="utf-8")
    return p
