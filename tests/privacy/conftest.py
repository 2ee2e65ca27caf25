"""Fixtures of the attack suite: one synthetic store for the session, the public app on it (the
bounds and noise a public server has) and a relaxed twin (bounds lifted, same perturbation)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_here = str(Path(__file__).resolve().parent)  # privacykit importable under --import-mode=importlib
if _here not in sys.path:
    sys.path.insert(0, _here)

from privacykit import KEY, TOKEN, build  # noqa: E402

LIMITS = {"requests": "100000/minute", "work": "100000/minute"}  # the attacks are many requests


@pytest.fixture(scope="session")
def attack_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("privacy"))


@pytest.fixture(scope="session")
def public_app(attack_store: Path):
    import os

    from devicepark.api.app import create_app
    from devicepark.api.work import Limits

    os.environ["DEVICEPARK_KEY"] = KEY
    return create_app(attack_store, token=TOKEN, public=True, limits=Limits(**LIMITS))


@pytest.fixture(scope="session")
def relaxed_app(attack_store: Path):
    """The same perturbation without the public bounds: any keys, one-day windows, any
    after-period."""
    from devicepark.api.app import create_app
    from devicepark.api.bounds import PublicBounds
    from devicepark.api.work import Limits

    bounds = PublicBounds(
        pair_rows=("vendor", "brand", "device_type", "model"),
        pair_cols=("operator_brand", "segment", "plan", "device_age", "model", "region"),
        min_window_days=1,
        after_days=tuple(range(14, 29)),
    )
    return create_app(attack_store, token=TOKEN, public=True, limits=Limits(**LIMITS),
                      bounds=bounds)  # fmt: skip
