"""Fixtures for campaign tests.

Under ``--import-mode=importlib`` test folders are not on ``sys.path``: put this one there so the
tests can import the helper module ``campaign_store`` (a unique name, so it never collides).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

from campaign_store import CATALOG, D, line, run, write_store  # noqa: E402


@pytest.fixture
def tiny_store(tmp_path: Path) -> Path:
    """Lines worked out by hand against the example campaign (see test_audience)."""
    old, now = D(2019, 6, 1), D(2022, 2, 3)
    lines = [
        line(1),
        line(2),
        line(3, brand="Sosh"),
        line(4, segment="business"),
        line(5),
        line(6),
        line(7, terminated=D(2022, 2, 3)),
        line(8, terminated=D(2022, 2, 4)),
        line(9, activated=D(2022, 2, 4)),
        line(10),
        line(11),
        line(12),
        line(13, segment="m2m"),
        line(14),
    ]
    tenures = [
        run(1, 1, 1, "35000001", old, now),
        run(2, 1, 2, "86000001", old, now),
        run(3, 1, 3, "35000001", old, now),
        run(4, 1, 4, "35000001", old, now),
        run(5, 1, 5, "35000001", D(2020, 2, 4), now),  # 23 months old on 3 Feb 2022
        run(6, 1, 6, "35000001", D(2020, 2, 3), now),  # exactly 24 months
        run(7, 1, 7, "35000001", old, now),
        run(8, 1, 8, "35000001", old, now),
        run(9, 1, 9, "35000001", old, now),
        run(10, 1, 10, "35000001", old, D(2021, 12, 1)),  # unidentified at D (lookback 30)
        run(11, 1, 11, "35000002", old, D(2021, 12, 31)),
        run(11, 2, 111, "35000002", D(2022, 1, 10), now),  # new handset: age 0
        run(12, 1, 12, "35000002", D(2019, 1, 1), D(2021, 6, 1)),
        run(12, 2, 121, "35000001", D(2021, 6, 2), D(2021, 8, 1)),
        run(12, 3, 12, "35000002", D(2021, 8, 2), now),  # back to its first handset: age 37
        run(13, 1, 13, "35000001", old, now),
        run(14, 1, 14, "99999999", old, now),  # TAC in no catalog: vendor Unknown
    ]
    write_store(tmp_path / "store", lines, tenures, CATALOG)
    return tmp_path / "store"
