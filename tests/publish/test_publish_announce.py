"""announce: the claim is a round figure never above the measured (published) count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from publish_samples import base_dict

from devicepark.errors import DeviceparkError
from devicepark.publish.announce import ROUND_FIGURES, announce, dp_margin, round_figure

NNBSP, NBSP = "\u202f", "\u00a0"


def _base(xiaomi: int, total: int, others: tuple[int, ...] = (5_000_000,)) -> dict:
    """A base by vendor: Xiaomi's lines and other vendors' (V0, V1...) of ``total`` lines, or of
    their sum if more."""
    counts = {"Xiaomi": xiaomi, **{f"V{k}": n for k, n in enumerate(others)}}
    return base_dict(counts, max(total, sum(counts.values())))


def test_seed_figures_fr():
    out = announce(
        _base(1_000_123, 21_100_000, (15_000_000,)), "Xiaomi", lang="fr", operator="Orange"
    )
    assert set(out) == {"text", "claimed", "lines", "share", "as_of", "vendor"}
    assert out["claimed"] == 1_000_000 and out["lines"] == 1_000_123
    assert out["share"] == pytest.approx(1_000_123 / 21_100_000)
    first, body, definitions = out["text"].split("\n")
    assert first == f"1 MILLION d'utilisateurs #Xiaomi chez Orange{NNBSP}!"
    assert body == (
        f"Au 3 février 2022, 1{NNBSP}000{NNBSP}123 lignes mobiles actives utilisent un terminal "
        f"Xiaomi, soit 4,74{NBSP}% des 21{NNBSP}100{NNBSP}000 lignes mobiles actives Orange."
    )
    assert "hors M2M" in definitions and "30 derniers jours" in definitions


def test_seed_figures_en():
    out = announce(
        _base(1_000_123, 21_100_000, (15_000_000,)),
        "Xiaomi",
        lang="en",
        operator="Orange and Sosh",
        lookback_days=45,
    )
    first, body, definitions = out["text"].split("\n")
    assert first == "1 MILLION #Xiaomi users at Orange and Sosh!"
    assert body == (
        "On February 3, 2022, 1,000,123 active mobile lines use a Xiaomi handset: "
        "4.74% of the 21,100,000 active mobile lines at Orange and Sosh."
    )
    assert "M2M excluded" in definitions and "last 45 days" in definitions


def test_below_a_million():
    out = announce(_base(52_731, 1_110_000, (800_000,)), "Xiaomi", lang="fr", operator="Orange")
    assert out["claimed"] == 50_000
    assert out["text"].startswith(f"50{NNBSP}000 utilisateurs #Xiaomi chez Orange")
    out = announce(_base(760_000, 21_000_000), "Xiaomi", lang="en", operator="Orange")
    assert out["claimed"] == 750_000
    assert out["text"].startswith("750,000 #Xiaomi users")


def test_small_count_is_not_announced():
    with pytest.raises(DeviceparkError, match="disclosure control"):
        announce(_base(7, 1_000, (500, 300)), "Xiaomi", operator="Orange")


def test_unknown_vendor_is_a_config_error():
    with pytest.raises(DeviceparkError, match="Nokia"):
        announce(_base(700, 1_000), "Nokia", operator="Orange")


def test_round_figures_are_the_documented_steps():
    assert ROUND_FIGURES[:12] == [1, 2, 5, 10, 20, 25, 50, 75, 100, 200, 250, 500]
    assert [round_figure(n) for n in (2_499_999, 2_500_000, 7_499_999, 10**7)] == [
        2_000_000,
        2_500_000,
        5_000_000,
        10**7,
    ]


@given(
    xiaomi=st.integers(10, 10**9),
    extra=st.integers(0, 10**9),
    lang=st.sampled_from(["fr", "en"]),
    scale=st.one_of(st.none(), st.floats(0.5, 500)),
)
def test_never_overclaims(xiaomi, extra, lang, scale):
    base = _base(xiaomi, xiaomi + extra + 1_000, (1_000,))
    try:
        out = announce(base, "Xiaomi", lang=lang, operator="Orange", noise_scale=scale)
    except DeviceparkError:
        assert xiaomi - dp_margin(scale) < 10
        return
    assert out["claimed"] <= out["lines"] == xiaomi
    assert out["claimed"] <= xiaomi - dp_margin(scale)
    assert out["claimed"] in ROUND_FIGURES
    # the largest such figure: the next one up is above what may be claimed
    nxt = ROUND_FIGURES[ROUND_FIGURES.index(out["claimed"]) + 1]
    assert nxt > xiaomi - dp_margin(scale)
