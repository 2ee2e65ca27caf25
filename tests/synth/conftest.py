"""Small synthetic operators shared by the synth tests; makes ``synthkit`` importable under
``--import-mode=importlib``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devicepark.synth import generate

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

SMALL = {"lines": 2500, "seed": 11}


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory):
    """A 2,500-line operator (seed 11) and its SynthResult."""
    out = tmp_path_factory.mktemp("synth_small")
    return generate(out, **SMALL)
