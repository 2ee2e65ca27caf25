"""Properties on random small stores, against the naive reference of the base definition:
base == reference; every series point == base on that date; switches flows add up and net
change reconciles; gross adds match their definition read off the reference's daily states.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from basekit import Fixture, Line, Obs, answer_as_ref, at, day, mem_tables, ref_base, ref_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicepark import answers
from devicepark.base.series import point_dates
from devicepark.questions import AddsQuestion, BaseQuestion, SeriesQuestion, SwitchesQuestion

TACS = {"H0": "11111111", "H1": "22222222", "H2": "99999999", "H3": "11111112", "H4": "44444444"}
CATALOG = {
    "11111111": ("Apple", "Apple", "iPhone 13", "smartphone"),
    "11111112": ("Apple", "Apple", "iPhone 8", "smartphone"),
    "22222222": ("Xiaomi", "Redmi", "Redmi Note 10", "smartphone"),
    "44444444": ("Quectel", "Quectel", "EC25", "module/IoT"),
}
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def stores(draw):
    n = draw(st.integers(1, 5))
    lines = []
    for i in range(n):
        act = draw(st.integers(0, 30))
        term = draw(st.one_of(st.none(), st.integers(act, act + 40)))
        lines.append(
            Line(
                f"L{i}",
                day(act),
                None if term is None else day(term),
                customer=draw(st.sampled_from([None, "C1", "C2"])),
                operator_brand=draw(st.sampled_from(["Orange", "Sosh"])),
                segment=draw(st.sampled_from(["consumer", "business", "m2m", None])),
                plan=draw(st.sampled_from(["postpaid", "prepaid", None])),
            )
        )
    names = [ln.line for ln in lines] + ["LX"]  # LX is an orphan
    obs = []
    for _ in range(draw(st.integers(0, 14))):
        h = draw(st.sampled_from(sorted(TACS)))
        obs.append(
            Obs(
                draw(st.sampled_from(names)),
                h,
                TACS[h],
                at(draw(st.integers(0, 60)), draw(st.sampled_from([0, 12]))),
            )
        )
    return Fixture(lines, obs, CATALOG)


BYS = st.sampled_from([["vendor"], ["brand", "operator_brand"], ["device_age"], ["plan", "model"]])
UNITS = st.sampled_from(["lines", "customers", "handsets"])
GAP = st.sampled_from([3, 7, 30])
LOOKBACK = st.sampled_from([1, 4, 7, 30, 45])


def on_stores(**draws):
    """A property over random stores: each example draws a store, a tenure gap, a lookback and
    whether M2M lines count, plus the test's own ``draws``."""
    return lambda test: SETTINGS(
        given(fx=stores(), gap=GAP, lookback=LOOKBACK, m2m=st.booleans(), **draws)(test)
    )


@on_stores(by=BYS, unit=UNITS, d=st.integers(0, 75))
def test_base_equals_reference(backend, fx, gap, lookback, by, unit, m2m, d):
    tables = mem_tables(fx, backend, gap)
    a = answers.base(backend, tables, BaseQuestion.parse(day(d), by, unit, lookback, m2m))
    assert answer_as_ref(a, by, unit) == ref_base(fx, day(d), by, unit, lookback, m2m)


@on_stores(
    by=BYS,
    unit=UNITS,
    d1=st.integers(0, 40),
    span=st.integers(0, 40),
    every=st.sampled_from(["day", "week"]),
)
def test_series_point_equals_base(backend, fx, gap, lookback, by, unit, m2m, d1, span, every):
    tables = mem_tables(fx, backend, gap)
    s = answers.series(
        backend,
        tables,
        SeriesQuestion.parse(day(d1), day(d1 + span), every, by, unit, lookback, m2m),
    )
    dates = point_dates(day(d1), day(d1 + span), every)
    assert [p["date"] for p in s["points"]] == [x.isoformat() for x in dates]
    for p in s["points"]:
        d = dt.date.fromisoformat(p["date"])
        assert answer_as_ref(p, by, unit) == ref_base(fx, d, by, unit, lookback, m2m), p["date"]


def states(fx, d, lookback, m2m):
    rows = {r["line"]: r for r in ref_lines(fx, d, lookback, m2m)}
    return {
        ln.line: (
            "(not active)" if ln.line not in rows else rows[ln.line].get("vendor", "(unidentified)")
        )
        for ln in fx.lines
    }


@on_stores(d1=st.integers(0, 50), d2=st.integers(0, 70))
def test_switches_add_up_and_reconcile(backend, fx, gap, lookback, m2m, d1, d2):
    tables = mem_tables(fx, backend, gap)
    a = answers.switches(
        backend, tables, SwitchesQuestion.parse(day(d1), day(d2), "vendor", lookback, m2m)
    )
    s1, s2 = states(fx, day(d1), lookback, m2m), states(fx, day(d2), lookback, m2m)
    expected = Counter((s1[k], s2[k]) for k in s1 if not (s1[k] == s2[k] == "(not active)"))
    assert {(f["from_vendor"], f["to_vendor"]): f["lines"] for f in a["flows"]} == expected
    # Net change per vendor == base(D2) - base(D1), from the base itself.
    b1 = answers.base(
        backend, tables, BaseQuestion.parse(day(d1), "vendor", "lines", lookback, m2m)
    )
    b2 = answers.base(
        backend, tables, BaseQuestion.parse(day(d2), "vendor", "lines", lookback, m2m)
    )
    n1 = {g["vendor"]: g["lines"] for g in b1["groups"]}
    n2 = {g["vendor"]: g["lines"] for g in b2["groups"]}
    for row in a["summary"]:
        v = row["vendor"]
        assert row["gained"] - row["lost"] == n2.get(v, 0) - n1.get(v, 0)
        assert row["kept"] + row["lost"] == n1.get(v, 0)
    assert {r["vendor"] for r in a["summary"]} == set(n1) | set(n2)
    in_either = [k for k in s1 if "(not active)" not in (s1[k], s2[k]) or s1[k] != s2[k]]
    assert sum(f["lines"] for f in a["flows"]) == len(in_either)


def ref_adds(fx, d1, d2, lookback, m2m, kind="entries"):
    """Adds read off daily states: on day X the line is in the base with handset h, and the
    last earlier day it was identified (active or not) it had another handset (of another
    vendor for entries), or it was never identified before."""
    every = Fixture([Line(ln.line, day(-1000)) for ln in fx.lines], fx.obs, fx.catalog)
    device = {}
    for n in range(-5, (d2 - day(0)).days + 1):
        for r in ref_lines(every, day(n), lookback, True):
            device[(r["line"], n)] = (r["handset"], r.get("vendor")) if r["identified"] else None
    out = Counter()
    for n in range((d1 - day(0)).days, (d2 - day(0)).days + 1):
        in_base = {r["line"]: r for r in ref_lines(fx, day(n), lookback, m2m)}
        for line, r in in_base.items():
            if not r["identified"]:
                continue
            prev = None
            for back in range(n - 1, -6, -1):
                if device.get((line, back)):
                    prev = device[(line, back)]
                    break
            if prev is None or (
                prev[0] != r["handset"] and (kind == "changes" or prev[1] != r["vendor"])
            ):
                out[(day(n).isoformat(), r["vendor"])] += 1
    return out


@on_stores(
    d1=st.integers(0, 40), span=st.integers(0, 25), kind=st.sampled_from(["entries", "changes"])
)
def test_adds_match_definition(backend, fx, gap, lookback, m2m, d1, span, kind):
    tables = mem_tables(fx, backend, gap)
    a = answers.adds(
        backend,
        tables,
        AddsQuestion.parse(
            day(d1), day(d1 + span), None, ["vendor"], kind == "changes", lookback, m2m
        ),
    )
    got = Counter()
    for p in a["points"]:
        for g in p["groups"]:
            got[(p["date"], g["vendor"])] += g["adds"]
        assert p["adds"] == sum(g["adds"] for g in p["groups"])
    assert got == ref_adds(fx, day(d1), day(d1 + span), lookback, m2m, kind)
