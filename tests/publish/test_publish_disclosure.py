"""Disclosure control: hidden cells cannot be worked out from what is published."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from devicepark.publish.disclosure import (
    protect_base,
    protect_switches,
    suppress_1d,
    suppress_2d,
)

T = 10


def _published_system(table, pattern):
    """The attacker's view of an augmented table: unknowns (hidden cells) and equations."""
    rows, cols = len(table), len(table[0])
    aug = [list(r) + [sum(r)] for r in table]
    aug.append([sum(aug[i][j] for i in range(rows)) for j in range(cols + 1)])

    def hidden(i, j):
        if i < rows and j < cols:
            return pattern.cells[i][j]
        if j == cols and i < rows:
            return pattern.row_totals[i]
        if i == rows and j < cols:
            return pattern.col_totals[j]
        return pattern.grand_total

    unknowns = [(i, j) for i in range(rows + 1) for j in range(cols + 1) if hidden(i, j)]
    pos = {c: k for k, c in enumerate(unknowns)}
    a_rows, b = [], []
    # row i: sum_j x_ij - x_iC = 0 ; col j: sum_i x_ij - x_Rj = 0 (also for the totals row/col)
    lines = [[(i, j, -1 if j == cols else 1) for j in range(cols + 1)] for i in range(rows + 1)]
    lines += [[(i, j, -1 if i == rows else 1) for i in range(rows + 1)] for j in range(cols + 1)]
    for line in lines:
        coef = np.zeros(len(unknowns))
        rhs = 0.0
        for i, j, sign in line:
            if (i, j) in pos:
                coef[pos[(i, j)]] += sign
            else:
                rhs -= sign * aug[i][j]
        a_rows.append(coef)
        b.append(rhs)
    return unknowns, aug, np.array(a_rows), np.array(b)


def _recoverable(a: np.ndarray, k: int) -> bool:
    """Is unknown k some linear combination of the published equations (any differencing)?"""
    if a.size == 0:
        return False
    e = np.zeros((1, a.shape[1]))
    e[0, k] = 1
    return np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a)


tables = st.integers(1, 5).flatmap(
    lambda r: st.integers(1, 5).flatmap(
        lambda c: st.lists(
            st.lists(st.one_of(st.integers(0, 12), st.integers(0, 400)), min_size=c, max_size=c),
            min_size=r,
            max_size=r,
        )
    )
)


@given(tables)
def test_2d_hidden_cells_survive_every_linear_difference(table):
    pattern = suppress_2d(table, T)
    # every small non-zero cell is hidden
    for i, row in enumerate(table):
        for j, v in enumerate(row):
            if 0 < v < T:
                assert pattern.cells[i][j]
    unknowns, aug, a, b = _published_system(table, pattern)
    for k, (i, j) in enumerate(unknowns):
        if (i, j) == (len(table), len(table[0])):
            assert aug[i][j] < T, "grand total hidden though large"
        assert not _recoverable(a, k), f"cell {(i, j)} = {aug[i][j]} recoverable from totals"


@given(tables)
def test_2d_no_hidden_small_cell_is_pinned_by_nonnegativity(table):
    """Linear programming attacker: bounds of each small hidden cell given counts >= 0."""
    pattern = suppress_2d(table, T)
    unknowns, aug, a, b = _published_system(table, pattern)
    for k, (i, j) in enumerate(unknowns):
        if not 0 < aug[i][j] < T:
            continue
        c = np.zeros(len(unknowns))
        c[k] = 1
        lo = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded above, nothing learnt
        if hi.status == 0:
            assert -hi.fun - lo.fun > 0.5, f"cell {(i, j)} pinned to {aug[i][j]}"


def test_2d_hand_example():
    # Nokia has 3 lines at Sosh: hiding it alone would let anyone take it back from Nokia's
    # total; the cheapest protection is the 2x2 cycle Nokia/Sosh, Nokia/Orange, Wiko/...
    table = [[400, 3], [120, 45], [15, 60]]  # rows: Apple, Nokia, Wiko; cols: Orange, Sosh
    pattern = suppress_2d(table, T)
    assert pattern.cells == [[False, True], [False, False], [True, True]] or pattern.cells == [
        [True, True],
        [False, False],
        [True, True],
    ]
    unknowns, aug, a, b = _published_system(table, pattern)
    assert all(not _recoverable(a, k) for k in range(len(unknowns)))


def test_2d_single_small_cell_row_hides_its_total():
    # Row 1 has one non-zero cell (4) so its total equals it: the total must go too.
    table = [[500, 200], [4, 0], [300, 100]]
    pattern = suppress_2d(table, T)
    assert pattern.cells[1][0]
    unknowns, aug, a, b = _published_system(table, pattern)
    assert all(not _recoverable(a, k) for k in range(len(unknowns)))


@given(st.lists(st.integers(0, 60), min_size=1, max_size=8))
def test_1d_difference_against_total(values):
    hidden = suppress_1d(values, T, total=True)
    for v, h in zip(values, hidden, strict=True):
        if 0 < v < T:
            assert h
    n = sum(hidden)
    if n == 0:
        return
    # One published equation, sum(hidden) = total - sum(published): with one unknown it is
    # recovered; with two or more, each hidden cell ranges over [0, mass].
    mass = sum(v for v, h in zip(values, hidden, strict=True) if h)
    if sum(v > 0 for v in values) >= 2 or n >= 2:
        assert n >= 2
    if sum(values) >= T:
        assert mass >= T


def test_1d_hand_examples():
    assert suppress_1d([1000, 7, 12, 300]) == [False, True, True, False]
    assert suppress_1d([1000, 2, 3, 300, 40]) == [False, True, True, False, True]
    assert suppress_1d([1000, 10, 300]) == [False, False, False]


def _base(groups, total, identified):
    return {
        "as_of": "2022-02-03",
        "by": ["vendor"],
        "unit": "lines",
        "total_lines": total,
        "identified_lines": identified,
        "groups": [
            {"vendor": v, "lines": n, "share": n / total, "share_of_identified": n / identified}
            for v, n in groups
        ],
    }


def test_protect_base_hides_counts_and_shares():
    b = _base([("Apple", 600), ("Samsung", 300), ("Xiaomi", 93), ("Nokia", 7)], 1100, 1000)
    p = protect_base(b)
    got = {g["vendor"]: (g["lines"], g["share"], g["suppressed"]) for g in p["groups"]}
    assert got["Nokia"] == (None, None, True)
    assert got["Xiaomi"] == (None, None, True)  # the complementary cell: smallest other
    assert got["Apple"] == (600, 600 / 1100, False)
    # attacker: identified - published = the hidden sum, not one cell
    published = sum(g["lines"] for g in p["groups"] if g["lines"] is not None)
    assert p["identified_lines"] - published == 100
    assert b["groups"][3]["lines"] == 7  # input untouched


def test_protect_base_2d_vendor_by_operator_brand():
    rows = {
        ("Apple", "Orange"): 500,
        ("Apple", "Sosh"): 200,
        ("Nokia", "Orange"): 40,
        ("Nokia", "Sosh"): 3,
        ("Xiaomi", "Orange"): 90,
        ("Xiaomi", "Sosh"): 70,
    }
    total = sum(rows.values())
    b = {
        "by": ["vendor", "operator_brand"],
        "total_lines": total,
        "identified_lines": total,
        "groups": [
            {
                "vendor": v,
                "operator_brand": o,
                "lines": n,
                "share": n / total,
                "share_of_identified": n / total,
            }
            for (v, o), n in rows.items()
        ],
    }
    p = protect_base(b)
    hidden = {(g["vendor"], g["operator_brand"]) for g in p["groups"] if g["suppressed"]}
    assert ("Nokia", "Sosh") in hidden
    # every row and column holding a hidden cell holds two
    for v in {"Apple", "Nokia", "Xiaomi"}:
        assert sum(k[0] == v for k in hidden) in (0, 2, 3)
    for o in {"Orange", "Sosh"}:
        assert sum(k[1] == o for k in hidden) != 1
    assert hidden == {
        ("Nokia", "Sosh"),
        ("Nokia", "Orange"),
        ("Xiaomi", "Sosh"),
        ("Xiaomi", "Orange"),
    }


def test_protect_switches_hides_summary_that_would_reveal():
    sw = {
        "from": "2022-01-01",
        "to": "2022-02-01",
        "flows": [
            {"from_vendor": "Apple", "to_vendor": "Xiaomi", "lines": 4},
            {"from_vendor": "Apple", "to_vendor": "Samsung", "lines": 40},
            {"from_vendor": "Samsung", "to_vendor": "Xiaomi", "lines": 60},
            {"from_vendor": "Samsung", "to_vendor": "Apple", "lines": 30},
            {"from_vendor": "Xiaomi", "to_vendor": "Apple", "lines": 25},
            {"from_vendor": "Xiaomi", "to_vendor": "Samsung", "lines": 12},
        ],
        "summary": [
            {"vendor": "Apple", "gained": 55, "lost": 44, "kept": 900, "loyalty": 900 / 944},
            {"vendor": "Samsung", "gained": 52, "lost": 90, "kept": 700, "loyalty": 700 / 790},
            {"vendor": "Xiaomi", "gained": 64, "lost": 37, "kept": 300, "loyalty": 300 / 337},
        ],
    }
    p = protect_switches(sw)
    by = {(f["from_vendor"], f["to_vendor"]): f for f in p["flows"]}
    assert by[("Apple", "Xiaomi")]["lines"] is None
    hidden = [k for k, f in by.items() if f["suppressed"]]
    hidden += [(s["vendor"], s["vendor"]) for s in p["summary"] if s["kept"] is None]
    assert len(hidden) >= 2
    # Xiaomi kept 300 is the cheapest cell closing the cycle Apple>Xiaomi, Apple>Samsung, ...
    assert sorted(hidden) == [
        ("Apple", "Samsung"),
        ("Apple", "Xiaomi"),
        ("Xiaomi", "Samsung"),
        ("Xiaomi", "Xiaomi"),
    ]
    xiaomi = next(s for s in p["summary"] if s["vendor"] == "Xiaomi")
    assert xiaomi["gained"] is None and xiaomi["lost"] is None and xiaomi["suppressed"]
    samsung = next(s for s in p["summary"] if s["vendor"] == "Samsung")
    assert samsung == {**sw["summary"][1], "suppressed": False}
    # the published summary never lets a hidden flow be recovered: where kept is published,
    # lost = row total - kept is consistent with the table, and hidden cells stay >= 2 per line
    for v in ("Apple", "Samsung", "Xiaomi"):
        assert sum(k[0] == v for k in hidden) != 1
        assert sum(k[1] == v for k in hidden) != 1


@pytest.mark.parametrize("total", [5, 0])
def test_tiny_base_publishes_nothing(total):
    b = _base([("Apple", 3)] if total else [], max(total, 1), max(total, 1))
    b["total_lines"] = total
    p = protect_base(b)
    assert all(g["lines"] is None for g in p["groups"])
