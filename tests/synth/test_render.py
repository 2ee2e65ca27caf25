"""IMEI spelling and clock rules of synth, against python-stdnum and zoneinfo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from stdnum import imei as std_imei
from synthkit import imei_body

from devicepark.synth import clock, render

PARIS = ZoneInfo("Europe/Paris")
bodies = st.integers(min_value=10**13, max_value=10**14 - 1)


@given(bodies)
def test_luhn_matches_stdnum(body):
    full = f"{body}{render.luhn_check_digit(str(body))}"
    assert std_imei.is_valid(full)
    assert render.imei_ascii(np.array([body]))[0, :15].tobytes().decode() == full


@given(st.lists(bodies, min_size=1, max_size=50), st.integers(0, 2**32 - 1))
def test_rare_spellings_keep_or_break_the_handset(values, seed):
    """Forms 1-4 still name the same 14-digit body; forms 5-8 are invalid IMEIs."""
    body = np.array(values, dtype=np.int64)
    full = render.imei_ascii(body)[:, :15]
    form = np.random.default_rng(seed).integers(1, 9, size=len(body)).astype(np.int8)
    sv = np.arange(len(body), dtype=np.int8) % 100
    mat, width = render.rare_imeis(full, form, sv)
    for i in range(len(body)):
        text = mat[i, : width[i]].tobytes().decode("utf-8")
        expected = str(body[i]) if form[i] <= 4 else None
        assert imei_body(text) == expected, (form[i], text)
        if form[i] == 1:
            assert len(text) == 16
        if form[i] == 8:
            assert not text.isascii() and text.isdigit()  # Arabic-Indic digits


def test_paris_offsets_match_zoneinfo():
    rng = np.random.default_rng(0)
    lo, hi = dt.datetime(1996, 1, 1, tzinfo=dt.UTC), dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    t = rng.integers(int(lo.timestamp()), int(hi.timestamp()), 3000)
    switch = int(dt.datetime(2021, 10, 31, 1, tzinfo=dt.UTC).timestamp())
    t = np.concatenate([t, switch + np.arange(-3, 4)])
    want = [dt.datetime.fromtimestamp(int(x), PARIS).utcoffset().total_seconds() for x in t]
    assert clock.paris_offset(t).tolist() == want
    days = [dt.datetime.fromtimestamp(int(x), PARIS).date() for x in t]
    assert clock.paris_day(t).tolist() == [clock.day_number(d) for d in days]


def test_midnights_and_switch_margin():
    for d in (dt.date(2021, 3, 28), dt.date(2021, 10, 31), dt.date(2022, 2, 3)):
        want = dt.datetime(d.year, d.month, d.day, tzinfo=PARIS).timestamp()
        assert clock.paris_midnight(np.array([clock.day_number(d)]))[0] == want
    switch = int(dt.datetime(2022, 3, 27, 1, tzinfo=dt.UTC).timestamp())
    near = clock.near_switch(np.array([switch - 3 * 3600, switch, switch + 3 * 3600 + 1]))
    assert near.tolist() == [True, True, False]
    assert not clock.near_switch(np.array([switch + 86_400]))[0]
