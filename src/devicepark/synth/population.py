"""Customers and their lines: operator brand, segment, plan, region, activation and churn, MSISDN.

Lines active at the start of the data and lines activated during it are drawn so that each group
stays roughly stable in size (activations balance churn). Orphans, lines that appear in
observations but not in ``lines.csv``, are appended after the ``n`` real lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devicepark.synth import model as M

ORPHAN_FRACTION = 0.0005  # lines seen on the network but missing from the lines export
BLANK_SEGMENT_FRACTION = 0.05  # consumer lines whose segment is left empty (means consumer)
NO_TERMINATION = np.iinfo(np.int32).max


@dataclass
class Lines:
    """One entry per line; the last ``n_orphans`` entries are orphans (not in lines.csv)."""

    n: int
    n_orphans: int
    group: np.ndarray  # int8 index into model.GROUPS
    customer: np.ndarray  # int64 customer number (-1 for orphans)
    msisdn: np.ndarray  # int64 national significant number, 6xxxxxxxx or 7xxxxxxxx
    region: np.ndarray  # int8 index into model.REGIONS
    act_day: np.ndarray  # int32 epoch day
    term_day: np.ndarray  # int32 epoch day, NO_TERMINATION while active
    dormant: np.ndarray  # bool: never seen on the network
    blank_segment: np.ndarray  # bool

    @property
    def total(self) -> int:
        return self.n + self.n_orphans


def _unique_draw(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """``size`` distinct integers in ``[low, high)``, in random order."""
    pool = np.unique(rng.integers(low, high, size=int(size * 1.05) + 16))
    while len(pool) < size:
        pool = np.unique(np.concatenate([pool, rng.integers(low, high, size=size)]))
    return rng.permutation(pool)[:size]


def make_lines(rng: np.random.Generator, n: int, start_day: int, end_day: int) -> Lines:
    """Draw ``n`` lines (plus orphans) for data running from ``start_day`` to ``end_day``."""
    years = (end_day - start_day + 1) / 365.25
    ng = len(M.GROUPS)
    sizes = np.arange(1, 4)
    mean_size = M.GROUP_CUSTOMER_SIZE @ sizes
    line_weight = M.GROUP_STOCK * (1 + M.GROUP_CHURN * years)
    cust_p = line_weight / mean_size
    cust_p /= cust_p.sum()
    n_cust = int(n / float(cust_p @ mean_size) * 1.02) + 64
    cgroup = rng.choice(ng, size=n_cust, p=cust_p).astype(np.int8)
    cum = M.GROUP_CUSTOMER_SIZE.cumsum(axis=1)[cgroup]
    csize = 1 + (rng.random(n_cust)[:, None] > cum[:, :2]).sum(axis=1)
    while csize.sum() < n:  # rare: draw a few more customers
        extra = rng.choice(ng, size=64, p=cust_p).astype(np.int8)
        cgroup = np.concatenate([cgroup, extra])
        cum = M.GROUP_CUSTOMER_SIZE.cumsum(axis=1)[extra]
        csize = np.concatenate([csize, 1 + (rng.random(64)[:, None] > cum[:, :2]).sum(axis=1)])
    n_cust = len(cgroup)
    cnumber = _unique_draw(rng, 100_000_000, 1_000_000_000, n_cust).astype(np.int64)
    cregion = rng.choice(len(M.REGIONS), size=n_cust, p=M.REGION_WEIGHT / M.REGION_WEIGHT.sum())
    owner = np.repeat(np.arange(n_cust), csize)[:n]

    n_orph = max(2, round(n * ORPHAN_FRACTION))
    total = n + n_orph
    group = np.concatenate([cgroup[owner], np.zeros(n_orph, dtype=np.int8)]).astype(np.int8)
    customer = np.concatenate([cnumber[owner], np.full(n_orph, -1, dtype=np.int64)])
    region = np.concatenate([cregion[owner], rng.choice(len(M.REGIONS), size=n_orph)]).astype(
        np.int8
    )
    msisdn = _unique_draw(rng, 600_000_000, 800_000_000, total).astype(np.int64)

    hazard = M.GROUP_CHURN[group]
    existing = rng.random(total) < 1.0 / (1.0 + hazard * years)
    existing[n:] = True
    age = rng.exponential(1.0 / hazard)
    age = np.where(age > 25, rng.random(total) * 25, age)
    act_old = start_day - 1 - np.floor(age * 365.25).astype(np.int64)
    act_new = rng.integers(start_day, end_day + 1, size=total)
    act_day = np.where(existing, act_old, act_new).astype(np.int32)
    life = np.floor(rng.exponential(1.0 / hazard) * 365.25).astype(np.int64)
    term = np.maximum(act_day, start_day).astype(np.int64) + 1 + life
    term[n:] = end_day + 1
    term_day = np.where(term > end_day, NO_TERMINATION, term).astype(np.int32)

    dormant = rng.random(total) < M.GROUP_DORMANT[group]
    dormant[n:] = False
    consumer = np.array([s == "consumer" for s in M.GROUP_SEGMENT])[group]
    blank = consumer & (rng.random(total) < BLANK_SEGMENT_FRACTION)
    return Lines(
        n=n,
        n_orphans=n_orph,
        group=group,
        customer=customer,
        msisdn=msisdn,
        region=region,
        act_day=act_day,
        term_day=term_day,
        dormant=dormant,
        blank_segment=blank,
    )
