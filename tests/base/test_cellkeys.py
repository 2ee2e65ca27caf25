"""Cell keys (``keyed=True``): each count's key is the sum of its lines' record keys
(``int(line[:2], 16)``) modulo 256, on every engine, checked against a naive reading of the
definition on a random fixture; keyed answers are the plain answers plus their keys."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from basekit import Fixture, Line, Obs, at, day, open_fixture, ref_lines

from devicepark import answers
from devicepark.base.shape import CKEY, CKEYS
from devicepark.questions import AddsQuestion, BaseQuestion, SeriesQuestion, SwitchesQuestion

CATALOG = {
    "35000001": ("Samsung", "Samsung", "Galaxy A", "smartphone"),
    "86000001": ("Xiaomi", "Redmi", "Note 11", "smartphone"),
    "01000001": ("Apple", "Apple", "iPhone 12", "smartphone"),
}


def _fixture(seed: int = 11, n: int = 60) -> Fixture:
    rng = random.Random(seed)
    lines, obs = [], []
    for i in range(n):
        line = f"{rng.getrandbits(128):032x}"
        start = day(rng.randrange(0, 40))
        end = day(rng.randrange(60, 120)) if rng.random() < 0.3 else None
        lines.append(Line(line, start, end, operator_brand=rng.choice(["Orange", "Sosh"])))
        for k in range(rng.randrange(0, 5)):
            tac = rng.choice(sorted(CATALOG) + ["99999999"])
            obs.append(Obs(line, f"h{i}-{tac}", tac, at(rng.randrange(0, 100), 8 + k)))
    return Fixture(lines, obs, CATALOG)


def rkey(line: str) -> int:
    return int(line[:2], 16)


@pytest.fixture
def fx_tables(backend, tmp_path):
    fx = _fixture()
    return fx, open_fixture(tmp_path / "s", fx, backend), backend


def _strip(answer):
    """A keyed answer without its keys."""
    if isinstance(answer, dict):
        return {k: _strip(v) for k, v in answer.items() if k not in (CKEY, CKEYS)}
    if isinstance(answer, list):
        return [_strip(x) for x in answer]
    return answer


def test_base_keys_are_the_sums_of_record_keys(fx_tables):
    fx, t, con = fx_tables
    d = day(70)
    q = BaseQuestion(d, ("vendor", "operator_brand"))
    keyed = answers.base(con, t, q, keyed=True)
    assert _strip(keyed) == answers.base(con, t, q)
    rows = ref_lines(fx, d)
    cells: dict[tuple, int] = defaultdict(int)
    for r in rows:
        if r["identified"]:
            cells[(r["vendor"], r["operator_brand"])] += rkey(r["line"])
    assert {(g["vendor"], g["operator_brand"]): g[CKEY] for g in keyed["groups"]} == {
        k: v % 256 for k, v in cells.items()
    }
    assert keyed[CKEYS] == {
        "total_lines": sum(rkey(r["line"]) for r in rows) % 256,
        "identified_lines": sum(rkey(r["line"]) for r in rows if r["identified"]) % 256,
    }


def test_series_keys_equal_the_base_keys_of_each_date(fx_tables):
    _, t, con = fx_tables
    q = SeriesQuestion(day(30), day(90), "week", ("vendor",))
    keyed = answers.series(con, t, q, keyed=True)
    assert _strip(keyed) == answers.series(con, t, q)
    assert len(keyed["points"]) >= 8
    for p in keyed["points"]:
        b = answers.base(con, t, BaseQuestion(dt.date.fromisoformat(p["date"])), keyed=True)
        assert p[CKEYS] == b[CKEYS]
        assert {g["vendor"]: g[CKEY] for g in p["groups"]} == {
            g["vendor"]: g[CKEY] for g in b["groups"]
        }


def test_switch_and_adds_keys(fx_tables):
    fx, t, con = fx_tables
    a, b = day(40), day(90)
    sq = SwitchesQuestion(a, b)
    keyed = answers.switches(con, t, sq, keyed=True)
    assert _strip(keyed) == answers.switches(con, t, sq)
    state: dict[str, list] = {}
    for when in (a, b):
        base = {r["line"]: (r["vendor"] if r["identified"] else "(unidentified)")
                for r in ref_lines(fx, when)}  # fmt: skip
        for ln in fx.lines:
            state.setdefault(ln.line, []).append(base.get(ln.line, "(not active)"))
    cells: dict[tuple, int] = defaultdict(int)
    for line, (x, y) in state.items():
        if (x, y) != ("(not active)", "(not active)"):
            cells[(x, y)] += rkey(line)
    assert {(f["from_vendor"], f["to_vendor"]): f[CKEY] for f in keyed["flows"]} == {
        k: v % 256 for k, v in cells.items()
    }
    aq = AddsQuestion(day(10), day(90), None, ("operator_brand",))
    adds = answers.adds(con, t, aq, keyed=True)
    assert _strip(adds) == answers.adds(con, t, aq)
    for p in adds["points"]:
        assert p[CKEY] == sum(g[CKEY] for g in p["groups"]) % 256
