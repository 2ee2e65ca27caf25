"""Handsets on lines: the one in use when the data starts, then a new one about every 32 months.

Holding times are gamma(shape 2) with a 32-month mean; a line in use at the start is in the
middle of a holding, so its first change comes after the renewal process's equilibrium residual.
At each change the customer stays with the previous vendor with that vendor's loyalty, else draws
from the month's new-handset mix. A planted campaign multiplies the campaign vendor's probability
of being chosen by ``1 + uplift`` for purchases in its window on its operator brands, and the
draw uses common random numbers so the counterfactual without uplift is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devicepark.synth import clock
from devicepark.synth import model as M
from devicepark.synth.catalog import VENDORS, DeviceWorld
from devicepark.synth.population import NO_TERMINATION, Lines

EXTRA_CHANGES = 4  # beyond 2.5x the mean number of changes over the period: vanishingly rare
ARRIVAL_INITIAL, ARRIVAL_NEW_LINE, ARRIVAL_CHANGE = 0, 1, 2
_SERIALS = 1_000_000


@dataclass
class Plan:
    """A planted campaign: vendor index, window in epoch seconds, group mask, uplift."""

    vendor: int
    starts: int
    ends: int
    groups: np.ndarray  # bool per model.GROUPS
    uplift: float


@dataclass
class Handsets:
    """One entry per handset arriving on a line, sorted by (line, arrival)."""

    line: np.ndarray  # int32
    arrival: np.ndarray  # int64 epoch seconds
    kind: np.ndarray  # int8: initial (in use at start), new line, change
    purchase: np.ndarray  # bool: bought new at arrival (drawn from the new-handset mix)
    vendor: np.ndarray  # int16 (the maker's vendor; unlisted TACs are handled by the catalog)
    prev_vendor: np.ndarray  # int16, -1 when the line had no handset before
    tac_row: np.ndarray  # int32 index into DeviceWorld TAC rows
    body: np.ndarray  # int64 14-digit IMEI body
    # campaign bookkeeping, for purchases in the window on the campaign's lines
    in_window: np.ndarray  # bool
    p_base: np.ndarray  # float64 probability of the campaign vendor without uplift
    p_up: np.ndarray  # float64 with uplift
    vendor_base: np.ndarray  # int16 vendor the same draw gives without uplift


def _draw_installed(rng, mixes: M.Mixes, group: np.ndarray) -> np.ndarray:
    cum = np.cumsum(mixes.installed, axis=1)[group]
    return np.minimum((cum < rng.random(len(group))[:, None]).sum(axis=1), len(VENDORS) - 1)


def _draw_new(
    rng: np.random.Generator,
    mixes: M.Mixes,
    month: np.ndarray,
    group: np.ndarray,
    prev: np.ndarray,
    boost: np.ndarray,
    plan: Plan | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vendor of each purchase; returns (vendor, vendor_without_uplift, p_base, p_up)."""
    nv = len(VENDORS)
    loyal = M.loyalty_vector()
    p = mixes.new[month, group]
    has_prev = prev >= 0
    if has_prev.any():
        lp = np.where(has_prev, loyal[np.maximum(prev, 0)], 0.0)
        p = p * (1 - lp)[:, None]
        rows = np.flatnonzero(has_prev)
        p[rows, prev[rows]] += lp[rows]
    x = plan.vendor if plan is not None else 0
    order = np.concatenate([[x], np.delete(np.arange(nv), x)])  # the campaign vendor first
    u = rng.random(len(month))
    pb = p[:, x].copy()
    pick = np.minimum((np.cumsum(p[:, order], axis=1) < u[:, None]).sum(axis=1), nv - 1)
    base = order[pick].astype(np.int16)
    if plan is None or not boost.any():
        return base, base, pb, pb
    pu = pb.copy()
    rows = np.flatnonzero(boost)
    q = p[rows]
    px = q[:, x]
    new_px = np.minimum(px * (1 + plan.uplift), 1.0)
    scale = np.where(px < 1, (1 - new_px) / np.where(px < 1, 1 - px, 1), 0.0)
    q = q * scale[:, None]
    q[:, x] = new_px
    pick_up = np.minimum((np.cumsum(q[:, order], axis=1) < u[rows, None]).sum(axis=1), nv - 1)
    up = base.copy()
    up[rows] = order[pick_up]
    pu[rows] = new_px
    return up, base, pb, pu


def make_handsets(
    rng: np.random.Generator,
    lines: Lines,
    world: DeviceWorld,
    mixes: M.Mixes,
    start_s: int,
    end_s: int,
    plan: Plan | None,
) -> Handsets:
    """Every handset arrival on every line between ``start_s`` and ``end_s`` (epoch seconds).

    A line active before ``start_s`` starts with a handset from the installed mix.
    """
    n = lines.total
    idx = np.arange(n, dtype=np.int32)
    group = lines.group.astype(np.int64)
    act_s = clock.paris_midnight(lines.act_day)
    term_s = np.where(lines.term_day == NO_TERMINATION, end_s, clock.paris_midnight(lines.term_day))
    entry = np.maximum(act_s, start_s)
    exit_ = np.minimum(term_s, end_s)
    existing = act_s < start_s
    theta = M.MEAN_HOLDING_DAYS / 2 * 86_400 * M.GROUP_HOLDING[group]
    first_month = mixes.first_month

    def month_of(t: np.ndarray) -> np.ndarray:
        y, m, _ = clock.civil(clock.paris_day(t))
        return np.clip(y * 12 + m - 1 - first_month, 0, mixes.n_months - 1)

    def boosted(t: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if plan is None:
            return np.zeros(len(rows), dtype=bool)
        return (t >= plan.starts) & (t < plan.ends) & plan.groups[group[rows]]

    # the handset at entry
    buys = ~existing & (rng.random(n) < M.NEW_LINE_BUYS_HANDSET)
    vendor0 = _draw_installed(rng, mixes, group).astype(np.int16)
    rows_b = np.flatnonzero(buys)
    vb, vb0, pb, pu = _draw_new(
        rng,
        mixes,
        month_of(entry[rows_b]),
        group[rows_b],
        np.full(len(rows_b), -1, np.int16),
        boosted(entry[rows_b], rows_b),
        plan,
    )
    vendor0[rows_b] = vb
    kind0 = np.where(existing, ARRIVAL_INITIAL, ARRIVAL_NEW_LINE).astype(np.int8)
    model0 = np.empty(n, dtype=np.int32)
    u = rng.random(n)
    nb = ~buys
    model0[nb] = mixes.draw_models(None, vendor0[nb], u[nb])
    model0[rows_b] = mixes.draw_models(month_of(entry[rows_b]), vb, u[rows_b])
    p_base0 = np.zeros(n)
    p_up0 = np.zeros(n)
    vbase0 = vendor0.copy()
    win0 = np.zeros(n, dtype=bool)
    if plan is not None:
        p_base0[rows_b], p_up0[rows_b], vbase0[rows_b] = pb, pu, vb0
        win0[rows_b] = boosted(entry[rows_b], rows_b)

    # change times: residual of the renewal process, then full gamma(2) holdings
    half = rng.random(n) < 0.5
    residual = np.where(half, rng.exponential(theta), rng.gamma(2.0, theta))
    first_hold = np.where(buys, rng.gamma(2.0, theta), residual)
    changes = [entry + first_hold.astype(np.int64)]
    years = (end_s - start_s) / (365.25 * 86_400)
    max_changes = int(years * 12 / 32 * 2.5) + EXTRA_CHANGES
    for _ in range(max_changes - 1):
        changes.append(changes[-1] + rng.gamma(2.0, theta).astype(np.int64))

    parts = {
        "line": [idx],
        "arrival": [entry.astype(np.int64)],
        "kind": [kind0],
        "purchase": [buys],
        "vendor": [vendor0],
        "prev": [np.full(n, -1, np.int16)],
        "model": [model0],
        "win": [win0],
        "pb": [p_base0],
        "pu": [p_up0],
        "vbase": [vbase0],
    }
    prev = vendor0.copy()
    alive = np.ones(n, dtype=bool)
    for t in changes:
        alive &= t < exit_
        rows = np.flatnonzero(alive)
        if len(rows) == 0:
            break
        tt = t[rows]
        mon = month_of(tt)
        boost = boosted(tt, rows)
        v, v0, pb, pu = _draw_new(rng, mixes, mon, group[rows], prev[rows], boost, plan)
        mod = mixes.draw_models(mon, v, rng.random(len(rows)))
        parts["line"].append(idx[rows])
        parts["arrival"].append(tt)
        parts["kind"].append(np.full(len(rows), ARRIVAL_CHANGE, np.int8))
        parts["purchase"].append(np.ones(len(rows), dtype=bool))
        parts["vendor"].append(v)
        parts["prev"].append(prev[rows].copy())
        parts["model"].append(mod)
        parts["win"].append(boost)
        parts["pb"].append(pb)
        parts["pu"].append(pu)
        parts["vbase"].append(v0)
        prev[rows] = v

    cat = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.lexsort((cat["arrival"], cat["line"]))
    cat = {k: v[order] for k, v in cat.items()}
    model_idx = cat["model"]
    u = rng.random(len(model_idx))
    tac_row = (
        world.model_tac_start[model_idx]
        + np.minimum(
            (u * world.model_tac_count[model_idx]).astype(np.int32),
            world.model_tac_count[model_idx] - 1,
        )
    ).astype(np.int32)
    body = _bodies(rng, world, tac_row)
    return Handsets(
        line=cat["line"].astype(np.int32),
        arrival=cat["arrival"],
        kind=cat["kind"],
        purchase=cat["purchase"],
        vendor=cat["vendor"].astype(np.int16),
        prev_vendor=cat["prev"].astype(np.int16),
        tac_row=tac_row,
        body=body,
        in_window=cat["win"],
        p_base=cat["pb"],
        p_up=cat["pu"],
        vendor_base=cat["vbase"].astype(np.int16),
    )


def _bodies(rng: np.random.Generator, world: DeviceWorld, tac_row: np.ndarray) -> np.ndarray:
    """Distinct 14-digit bodies: within a TAC, serials follow a random affine bijection of the
    handset's rank (distinct as long as a TAC has under a million handsets)."""
    ntac = len(world.tac)
    mult = rng.integers(1, 100_000, size=ntac) * 10 + rng.choice([1, 3, 7, 9], size=ntac)
    add = rng.integers(0, _SERIALS, size=ntac)
    order = np.argsort(tac_row, kind="stable")
    sorted_tac = tac_row[order]
    first = np.searchsorted(sorted_tac, sorted_tac, side="left")
    rank = np.empty(len(tac_row), dtype=np.int64)
    rank[order] = np.arange(len(tac_row)) - first
    serial = (mult[tac_row] * rank + add[tac_row]) % _SERIALS
    return world.tac[tac_row] * _SERIALS + serial
