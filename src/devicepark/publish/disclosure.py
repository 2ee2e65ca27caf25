"""Cell suppression: primary and complementary, for tables that are not perturbed.

Every figure that leaves the building is perturbed by ``devicepark.publish.cellkey`` (cell-key
perturbation; PRIVACY.md), which hides counts published under the threshold without needing
complementary cells. Suppression remains for the other paths: the ``--epsilon`` release (noise,
then suppression, below) and the internal dashboard a token holder sees. Three layers, applied
in this order by :func:`publish_base`, :func:`publish_switches`, ...:

1. optional differential privacy: discrete Laplace noise on the counts through OpenDP's core
   library (``privacy.py``), recorded in the store's privacy ledger;
2. primary suppression: a count under the threshold (default 10 lines) is hidden;
3. complementary suppression: more cells are hidden so that no hidden cell can be worked out
   from the published totals by any linear combination (differencing).

The rule for a 1-D table with a published total: hidden cells come at least two at a time and
their sum reaches the threshold. For a 2-D table whose row, column and grand totals are published
(vendor x operator_brand, or switching flows from vendor x to vendor), the published equations are
"each row sums to its total" and "each column sums to its total". Seen as a bipartite graph (rows
and columns as nodes, hidden cells as edges), a hidden cell can be recovered exactly by some linear
combination of those equations if and only if its edge lies on no cycle (it is a bridge). So the
algorithm first makes every row and column with a hidden cell hold at least two, then closes every
remaining bridge into a cycle; totals are cells of the augmented table like any other and are
hidden only as a last resort (the grand total never).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

THRESHOLD = 10
COUNT_KEYS = ("lines", "customers", "handsets")

# ---------------------------------------------------------------------------------------------
# The suppression patterns (pure, on plain lists of integers)
# ---------------------------------------------------------------------------------------------


def suppress_1d(
    values: Sequence[int], threshold: int = THRESHOLD, *, total: bool = True
) -> list[bool]:
    """Which cells of a 1-D table to hide; ``total`` says whether their sum is published.

    Primary: ``0 < v < threshold``. With a published total, hidden cells come at least two at a
    time and add up to at least ``threshold``, taking the smallest other cells first.

    >>> suppress_1d([500, 3, 40, 25])
    [False, True, False, True]
    >>> suppress_1d([500, 40, 25])
    [False, False, False]
    >>> suppress_1d([500, 3, 40], total=False)
    [False, True, False]
    """
    hidden = [0 < v < threshold for v in values]
    if not total or not any(hidden):
        return hidden
    order = sorted(range(len(values)), key=lambda k: (values[k] <= 0, values[k], k))
    for k in order:
        count = sum(hidden)
        mass = sum(v for v, h in zip(values, hidden, strict=True) if h)
        if count >= 2 and mass >= threshold:
            break
        if not hidden[k]:
            hidden[k] = True
    return hidden


@dataclass(frozen=True)
class Pattern2D:
    """Hidden cells of a table and of its totals (the grand total only when it is small)."""

    cells: list[list[bool]]
    row_totals: list[bool]
    col_totals: list[bool]
    grand_total: bool = False

    @property
    def any(self) -> bool:
        return any(map(any, self.cells)) or any(self.row_totals) or any(self.col_totals)


def suppress_2d(table: Sequence[Sequence[int]], threshold: int = THRESHOLD) -> Pattern2D:
    """Primary and complementary suppression of an R x C table with published margins.

    >>> p = suppress_2d([[100, 3, 50], [80, 40, 60], [70, 30, 90]])
    >>> p.cells
    [[False, True, True], [False, False, False], [False, True, True]]
    >>> p.row_totals, p.col_totals
    ([False, False, False], [False, False, False])
    """
    rows, cols = len(table), (len(table[0]) if table else 0)
    if rows == 0 or cols == 0:
        return Pattern2D([[] for _ in range(rows)], [False] * rows, [False] * cols)
    # Augmented table: row R holds the column totals, column C the row totals.
    aug = [list(map(int, r)) + [sum(r)] for r in table]
    aug.append([sum(aug[i][j] for i in range(rows)) for j in range(cols + 1)])
    grand = (rows, cols)
    if 0 < aug[rows][cols] < threshold:  # the whole table is too small: publish nothing
        return Pattern2D(
            [[True] * cols for _ in range(rows)], [True] * rows, [True] * cols, grand_total=True
        )
    hidden: set[tuple[int, int]] = {
        (i, j)
        for i in range(rows + 1)
        for j in range(cols + 1)
        if (i, j) != grand and 0 < aug[i][j] < threshold
    }

    def degree(node: tuple[str, int]) -> int:
        kind, k = node
        if kind == "r":
            return sum((k, x) in hidden for x in range(cols + 1))
        return sum((x, k) in hidden for x in range(rows + 1))

    def cost(cell: tuple[int, int], partner: tuple[str, int] | None) -> tuple[int, int, float]:
        # Tier first (an inner non-zero cell, then a zero, then a published total, never the
        # grand total); then prefer a cell that also fixes its other line; then the smallest.
        i, j = cell
        value = aug[i][j]
        tier = 2 if (i == rows or j == cols) else (1 if value == 0 else 0)
        pairs = 0 if partner is not None and degree(partner) == 1 else 1
        return (tier, pairs, float(value))

    def pick(candidates: list[tuple[int, int]], along: str = "") -> tuple[int, int] | None:
        usable = [c for c in candidates if c not in hidden and c != grand]
        if not usable:
            return None

        def key(c: tuple[int, int]) -> tuple[Any, ...]:
            partner = ("c", c[1]) if along == "row" else (("r", c[0]) if along == "col" else None)
            return (*cost(c, partner), c)

        return min(usable, key=key)

    all_rows, all_cols = range(rows + 1), range(cols + 1)
    while True:
        # 1. every row and column with a hidden cell holds at least two.
        added = None
        for i in all_rows:
            if sum((i, j) in hidden for j in all_cols) == 1:
                added = pick([(i, j) for j in all_cols], "row")
                if added:
                    break
        if added is None:
            for j in all_cols:
                if sum((i, j) in hidden for i in all_rows) == 1:
                    added = pick([(i, j) for i in all_rows], "col")
                    if added:
                        break
        if added is not None:
            hidden.add(added)
            continue
        # 2. no hidden cell is a bridge of the bipartite graph (rows, columns; hidden cells).
        bridge = next((e for e in sorted(hidden) if _is_bridge(hidden, e)), None)
        if bridge is None:
            break
        side_a = _reach(hidden - {bridge}, ("r", bridge[0]))
        candidates = [
            (i, j)
            for i in all_rows
            for j in all_cols
            if (("r", i) in side_a) != (("c", j) in side_a)
        ]
        added = pick(candidates)
        if added is None:  # nothing left to hide: give up on this cell (never in practice)
            break
        hidden.add(added)
    return Pattern2D(
        cells=[[(i, j) in hidden for j in range(cols)] for i in range(rows)],
        row_totals=[(i, cols) in hidden for i in range(rows)],
        col_totals=[(rows, j) in hidden for j in range(cols)],
    )


def _reach(edges: set[tuple[int, int]], start: tuple[str, int]) -> set[tuple[str, int]]:
    adj: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in edges:
        adj.setdefault(("r", i), []).append(("c", j))
        adj.setdefault(("c", j), []).append(("r", i))
    seen, todo = {start}, [start]
    while todo:
        for nxt in adj.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _is_bridge(edges: set[tuple[int, int]], edge: tuple[int, int]) -> bool:
    return ("c", edge[1]) not in _reach(edges - {edge}, ("r", edge[0]))


# ---------------------------------------------------------------------------------------------
# The JSON contracts, protected
# ---------------------------------------------------------------------------------------------


def _count_key(groups: list[dict[str, Any]]) -> str:
    for g in groups:
        for key in COUNT_KEYS:
            if key in g:
                return key
    return "lines"


def _hide(group: dict[str, Any], key: str) -> None:
    group[key] = None
    group["share"] = None
    group["share_of_identified"] = None
    group["suppressed"] = True


def protect_base(base: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """A copy of a base dict fit for publication: hidden groups have null counts and shares
    and ``"suppressed": true``; every group gets the flag.

    One ``by`` key: a 1-D table whose total (``identified_lines``) is published. Two or more:
    a 2-D table (first key x the others) whose margins are all taken as published; zero cells
    of the grid may be hidden too and then appear as groups with a null count.

    >>> b = {"total_lines": 900, "identified_lines": 800, "by": ["vendor"], "groups": [
    ...     {"vendor": "A", "lines": 770, "share": 0.86, "share_of_identified": 0.96},
    ...     {"vendor": "B", "lines": 26, "share": 0.03, "share_of_identified": 0.03},
    ...     {"vendor": "C", "lines": 4, "share": 0.004, "share_of_identified": 0.005}]}
    >>> [g["lines"] for g in protect_base(b)["groups"]]
    [770, None, None]
    """
    out = copy.deepcopy(base)
    groups: list[dict[str, Any]] = out.get("groups", [])
    key = _count_key(groups)
    for tot in ("total_lines", "identified_lines"):
        if out.get(tot) is not None and 0 < out[tot] < threshold:
            out[tot] = None
    if out.get("total_lines") is None or out.get("identified_lines") is None:
        for g in groups:  # nothing can be published from a table this small
            _hide(g, key)
        return out
    by = list(out.get("by") or [k for k in (groups[0] if groups else {}) if k not in _NON_KEYS])
    if len(by) <= 1:
        mask = suppress_1d([int(g.get(key) or 0) for g in groups], threshold, total=True)
        for g, h in zip(groups, mask, strict=True):
            if h:
                _hide(g, key)
            else:
                g["suppressed"] = False
        return out
    out["groups"] = _protect_grid(groups, by, key, threshold)
    return out


_NON_KEYS = {"share", "share_of_identified", "suppressed", *COUNT_KEYS}


def _protect_grid(
    groups: list[dict[str, Any]], by: list[str], key: str, threshold: int
) -> list[dict[str, Any]]:
    first, rest = by[0], by[1:]
    row_keys = sorted({g[first] for g in groups}, key=str)
    col_keys = sorted({tuple(g[k] for k in rest) for g in groups}, key=str)
    index = {(g[first], tuple(g[k] for k in rest)): g for g in groups}
    table = [[int((index.get((r, c)) or {}).get(key) or 0) for c in col_keys] for r in row_keys]
    pattern = suppress_2d(table, threshold)
    out = []
    for i, r in enumerate(row_keys):
        for j, c in enumerate(col_keys):
            g = index.get((r, c))
            if g is None and not pattern.cells[i][j]:
                continue  # a zero cell stays absent, as in the unprotected contract
            if g is None:
                g = {first: r, **dict(zip(rest, c, strict=True))}
            if pattern.cells[i][j]:
                _hide(g, key)
            else:
                g["suppressed"] = False
            out.append(g)
    order = {id(g): n for n, g in enumerate(groups)}
    out.sort(key=lambda g: order.get(id(g), len(order)))
    return out


def protect_series(series: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """Protect each point of a series dict as a base table (same ``by``)."""
    out = copy.deepcopy(series)
    by = out.get("by")
    for n, point in enumerate(out.get("points", [])):
        protected = protect_base({**point, "by": by}, threshold)
        protected.pop("by", None)
        out["points"][n] = protected
    return out


FROM_KEYS = ("from_vendor", "from_brand")
TO_KEYS = ("to_vendor", "to_brand")


def flow_keys(switches: dict[str, Any]) -> tuple[str, str, str]:
    """The (from, to, summary) key names of a switches dict: vendor or brand."""
    flows = switches.get("flows") or [{}]
    if "from_brand" in flows[0]:
        return "from_brand", "to_brand", "brand"
    return "from_vendor", "to_vendor", "vendor"


def switch_matrix(switches: dict[str, Any]) -> tuple[list[str], list[list[int]]]:
    """The full from x to table of a switches dict, diagonal (kept) included."""
    fk, tk, sk = flow_keys(switches)
    cells: dict[tuple[str, str], int] = {}
    for f in switches.get("flows", []):
        cells[(f[fk], f[tk])] = cells.get((f[fk], f[tk]), 0) + int(f.get("lines") or 0)
    for s in switches.get("summary", []):
        if s.get("kept") is not None and (s[sk], s[sk]) not in cells:
            cells[(s[sk], s[sk])] = int(s["kept"])
    names = sorted({a for a, _ in cells} | {b for _, b in cells}, key=str)
    return names, [[cells.get((a, b), 0) for b in names] for a in names]


def protect_switches(switches: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """Protect switching flows as a 2-D table whose margins (the bases at both dates) are public.

    A vendor's summary keeps ``gained``/``lost``/``kept``/``loyalty`` only where they cannot
    reveal a hidden cell: ``kept`` is the diagonal cell, ``lost`` and ``gained`` are a total
    minus it.
    """
    out = copy.deepcopy(switches)
    fk, tk, sk = flow_keys(switches)
    names, table = switch_matrix(switches)
    pattern = suppress_2d(table, threshold)
    pos = {n: k for k, n in enumerate(names)}
    for f in out.get("flows", []):
        hidden = pattern.cells[pos[f[fk]]][pos[f[tk]]]
        if hidden:
            f["lines"] = None
        f["suppressed"] = hidden
    has_diag = any(f[fk] == f[tk] for f in out.get("flows", []))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if pattern.cells[i][j] and table[i][j] == 0 and (a != b or has_diag):
                hidden_zero = {fk: a, tk: b, "lines": None, "suppressed": True}
                out.setdefault("flows", []).append(hidden_zero)
    for s in out.get("summary", []):
        k = pos.get(s[sk])
        if k is None:
            continue
        diag_hidden = pattern.cells[k][k]
        row_hidden, col_hidden = pattern.row_totals[k], pattern.col_totals[k]
        if diag_hidden:
            s["kept"] = None
        if diag_hidden or row_hidden:
            s["lost"] = None
            s["loyalty"] = None
        if diag_hidden or col_hidden:
            s["gained"] = None
        s["suppressed"] = bool(diag_hidden or row_hidden or col_hidden)
    return out


def protect_counts(
    rows: list[dict[str, Any]], key: str, threshold: int = THRESHOLD
) -> list[dict[str, Any]]:
    """Primary suppression only, for counts published without a total (daily adds)."""
    out = copy.deepcopy(rows)
    mask = suppress_1d([int(r.get(key) or 0) for r in out], threshold, total=False)
    for r, h in zip(out, mask, strict=True):
        if h:
            r[key] = None
        r["suppressed"] = h
    return out
