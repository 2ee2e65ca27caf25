"""Shared by the store's tests: the check that the tenures' open part is what it says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from devicepark.store import Store
from devicepark.store.layout import OPEN


def _check_open_part(store: Path) -> None:
    """The open part holds exactly each line's last run; the other files, the earlier runs."""
    s = Store.open(store)
    opened = s.part_files("tenures", OPEN)
    assert len(opened) == 1

    def rows(files: list[str]) -> list[tuple[str, int]]:
        return [(r["line"], r["seq"]) for f in files for r in pq.read_table(f).to_pylist()]

    closed = rows([f for f in s.files("tenures") if f not in opened])
    last: dict[str, int] = {}
    for line, seq in closed + rows(opened):
        last[line] = max(seq, last.get(line, 0))
    assert sorted(rows(opened)) == sorted(last.items())
    assert len(set(closed)) == len(closed) and not set(closed) & set(last.items())


@pytest.fixture
def check_open_part() -> Callable[[Path], None]:
    return _check_open_part
