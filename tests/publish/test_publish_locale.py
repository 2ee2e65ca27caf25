"""French and English formats, to the exact character (CLDR spaces in French)."""

from __future__ import annotations

import datetime as dt

import pytest

from devicepark.errors import ConfigError
from devicepark.publish import locale

NNBSP, NBSP = "\u202f", "\u00a0"  # narrow no-break space (groups), no-break space (before %)


@pytest.mark.parametrize(
    ("n", "fr", "en"),
    [
        (1_000_000, f"1{NNBSP}000{NNBSP}000", "1,000,000"),
        (21_100_000, f"21{NNBSP}100{NNBSP}000", "21,100,000"),
        (999, "999", "999"),
        (0, "0", "0"),
        (1234.6, f"1{NNBSP}235", "1,235"),
    ],
)
def test_integers(n, fr, en):
    assert locale.integer(n, "fr") == fr
    assert locale.integer(n, "en") == en


@pytest.mark.parametrize(
    ("x", "fr", "en"),
    [
        (0.0474, f"4,74{NBSP}%", "4.74%"),
        (1_000_000 / 21_100_000, f"4,74{NBSP}%", "4.74%"),
        (0.05, f"5,00{NBSP}%", "5.00%"),
        (1.0, f"100,00{NBSP}%", "100.00%"),
        (0.12345, f"12,35{NBSP}%", "12.35%"),
    ],
)
def test_percentages(x, fr, en):
    assert locale.percent(x, "fr") == fr
    assert locale.percent(x, "en") == en


def test_percent_digits():
    assert locale.percent(0.0474, "fr", digits=1) == f"4,7{NBSP}%"
    assert locale.percent(0.0474, "en", digits=0) == "5%"


def test_dates():
    assert locale.date(dt.date(2022, 2, 3), "fr") == "3 février 2022"
    assert locale.date("2022-02-03", "en") == "February 3, 2022"
    assert locale.date("2022-08-01", "fr") == "1 août 2022"
    assert locale.date("2022-12-25", "en", "medium") == "Dec 25, 2022"


def test_decimal_and_join():
    assert locale.decimal(2.5, "fr") == "2,5" and locale.decimal(2.5, "en") == "2.5"
    assert locale.join(["Orange", "Sosh"], "fr") == "Orange et Sosh"
    assert locale.join(["Orange"], "en") == "Orange"


def test_catalog_has_every_key_in_both_languages():
    assert set(locale.MESSAGES["fr"]) == set(locale.MESSAGES["en"])


def test_unknown_language():
    with pytest.raises(ConfigError, match="fr, en"):
        locale.integer(1, "de")
