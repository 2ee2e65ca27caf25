"""Fixtures of the market tests: the hand-made store and market of ``marketkit``."""

from __future__ import annotations

from pathlib import Path

import pytest
from marketkit import MARKET_CSV, build

from devicepark.store import Store


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    return build(tmp_path / "store")


@pytest.fixture
def market_csv(tmp_path: Path) -> Path:
    p = tmp_path / "market.csv"
    p.write_text(MARKET_CSV, encoding="utf-8")
    return p
