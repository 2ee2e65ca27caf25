"""Claim check: the journalist's arithmetic, an overclaim, a wrong denominator (hand-made store)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marketkit import AS_OF

from devicepark import answers
from devicepark.market import Measured, check_claim, round_figure
from devicepark.market.claim import floor_share
from devicepark.questions import ClaimQuestion
from devicepark.store import connect, open_tables


def claim_store(con, store, *, vendor, as_of, count, of=None, share=None):
    """``answers.claim`` on the store (``share`` as a fraction, as the question holds it)."""
    q = ClaimQuestion(vendor, count, as_of, of=of, share=share)
    return answers.claim(con, open_tables(con, store), q)

DAY = dt.date(2022, 2, 3)


def test_worked_example_of_the_article() -> None:
    # Orange, 3 Feb 2022: "1 million" Xiaomi users, "4.74 %" of "about 21 million" customers.
    m = Measured(lines=1_001_234, total_lines=21_110_000, identified_lines=20_480_000)
    r = check_claim("Xiaomi", DAY, 1_000_000, m, of=21_000_000, share=0.0474)
    assert round(100 * r["claim"]["arithmetic_share"], 2) == 4.76  # 1 M / 21 M
    assert r["claim"]["implied_denominator"] == 21_097_046  # 1 M / 0.0474: about 21.1 M
    assert any("about 21.1 M" in reason for reason in r["reasons"])
    assert [(d["from"], d["matches"]) for d in r["denominators"]] == [
        ("of", "total_lines"),
        ("share", "total_lines"),
    ]
    assert r["verdict"] == "supported"
    assert r["supported_count"] == 1_000_000
    assert r["careful_share"] == 0.0474  # 1,001,234 / 21,110,000 = 4.7429 %, floored
    assert r["careful_text"]["en"] == (
        "At least 1,000,000 lines used a Xiaomi phone on February 3, 2022 (1,001,234 measured): "
        "4.74% of the 21,110,000 active mobile lines, M2M excluded."
    )
    assert r["careful_text"]["fr"] == (
        "Au moins 1\u202f000\u202f000 lignes utilisaient un téléphone Xiaomi le 3 février 2022 "
        "(1\u202f001\u202f234 mesurées) : 4,74\u00a0% des 21\u202f110\u202f000 lignes mobiles "
        "actives, hors M2M."
    )


def test_share_of_identified_lines_is_a_wrong_denominator() -> None:
    m = Measured(lines=1_001_234, total_lines=21_110_000, identified_lines=20_480_000)
    r = check_claim("Xiaomi", DAY, 1_000_000, m, share=0.0489)  # 1 M / 20.45 M
    assert r["denominators"][0]["matches"] == "identified_lines"
    assert r["verdict"] == "wrong_denominator"


@pytest.fixture
def con():
    return connect()  # the base itself is checked on every engine in tests/base


# The hand-made store at 2022-02-03: Xiaomi 5 lines of 22 (20 identified); 19 customers.
def test_store_supports_the_true_claim(con, tiny_store) -> None:
    r = claim_store(con, tiny_store, vendor="Xiaomi", as_of=AS_OF, count=5, of=22)
    assert r["verdict"] == "supported"
    assert r["measured"] == {
        "lines": 5, "total_lines": 22, "identified_lines": 20, "customers": 5,
        "total_customers": 19, "share": 5 / 22, "share_of_identified": 0.25,
        "share_of_customers": 5 / 19,
    }  # fmt: skip
    assert r["careful_share"] == 0.2272  # 22.727 % floored to 22.72 %
    assert r["supported_count"] == 5


def test_store_catches_an_overclaim(con, tiny_store) -> None:
    r = claim_store(con, tiny_store, vendor="Xiaomi", as_of=AS_OF, count=6, of=22)
    assert r["verdict"] == "overclaim"
    assert r["supported_count"] == 5 and r["measured"]["lines"] == 5
    assert "fewer than the 6 claimed" in r["reasons"][0]


@pytest.mark.parametrize(
    ("of", "share", "matches"),
    [(20, None, "identified_lines"), (19, None, "customers"), (25, None, None),
     (None, 0.25, "identified_lines")],
)  # fmt: skip
def test_store_catches_a_wrong_denominator(con, tiny_store, of, share, matches) -> None:
    r = claim_store(con, tiny_store, vendor="Xiaomi", as_of=AS_OF, count=5, of=of, share=share)
    assert r["verdict"] == "wrong_denominator"
    assert r["denominators"][0]["matches"] == matches
    assert r["denominators"][0]["nearest"] == (matches or "total_lines")


def test_a_vendor_with_no_lines_supports_nothing(con, tiny_store) -> None:
    r = claim_store(con, tiny_store, vendor="Huawei", as_of=AS_OF, count=1)
    assert (r["verdict"], r["supported_count"], r["careful_share"]) == ("overclaim", 0, 0.0)
    assert r["careful_text"]["en"] == "No Huawei line measured on February 3, 2022."


def test_overclaim_wins_over_a_wrong_denominator(con, tiny_store) -> None:
    r = claim_store(con, tiny_store, vendor="Xiaomi", as_of=AS_OF, count=6, of=20)
    assert r["verdict"] == "overclaim"
    assert any("identified lines" in reason for reason in r["reasons"])


@given(st.integers(0, 10**12))
def test_round_figure_is_the_largest_ladder_value_not_above(n: int) -> None:
    r = round_figure(n)
    assert r <= n
    # naive reference: announce's ladder (1, 2, 2.5, 5, 7.5 x 10^k), the largest value up to n
    steps = [m * 10**k for k in range(13) for m in (1, 2, 2.5, 5, 7.5)]
    ladder = [int(x) for x in steps if x == int(x)]
    assert r == max([x for x in ladder if x <= n], default=0)


@given(st.floats(0, 1, allow_nan=False))
def test_floor_share_never_goes_above_the_measure(x: float) -> None:
    f = floor_share(x)
    assert f <= x + 1e-15 and x - f < 1e-4 + 1e-12
