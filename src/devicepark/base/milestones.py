"""Milestones of a vendor's count: when each round threshold was first crossed, whether the
count fell back under it, and a forecast of the next crossing with an 80 % interval of dates.

The forecast uses simulated paths (not a damped-trend model, whose damping delayed every
crossing of a steadily growing base in our backtests): weekly values (every 7th day back from
the last date) are modelled as a random walk with drift. Each of ``paths`` paths draws its
drift from the estimate's sampling distribution (mean weekly change, standard error sd/sqrt(n))
and its weekly shocks by bootstrap from the centred weekly changes of the last year. Each
path's first crossing (interpolated within its week) gives one date; the 10th, 50th and 90th
percentiles are ``low``, ``date`` and ``high`` (the 80 % interval). Paths that do not cross
within the horizon count as later than it (``high`` is then null).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from devicepark.base.shape import iso

METHOD = "simulated paths: random walk with drift on weekly values, bootstrapped shocks"
MIN_WEEKS = 8
HISTORY_WEEKS = 52  # the drift and the shocks come from the last year at most
HORIZON_WEEKS = 260


def crossings(
    dates: Sequence[dt.date], counts: Sequence[int], thresholds: Sequence[int]
) -> list[dict[str, Any]]:
    """For each threshold: the first date the count was at or above it, whether it later fell
    back under it (and the last such date), and whether it is above it on the last date.

    >>> d = [dt.date(2022, 1, i) for i in range(1, 6)]
    >>> first, second = crossings(d, [8, 10, 9, 11, 12], [10, 20])
    >>> first["first_crossed"], first["fell_back"], first["last_fell_back"], first["above_now"]
    ('2022-01-02', True, '2022-01-03', True)
    >>> second["first_crossed"], second["fell_back"]
    (None, False)
    """
    out = []
    for th in thresholds:
        first = last_under = None
        for d, c in zip(dates, counts, strict=True):
            if first is None:
                if c >= th:
                    first = d
            elif c < th:
                last_under = d
        out.append(
            {
                "threshold": int(th),
                "first_crossed": iso(first),
                "fell_back": last_under is not None,
                "last_fell_back": iso(last_under),
                "above_now": bool(counts) and counts[-1] >= th,
            }
        )
    return out


def default_thresholds(counts: Sequence[int], every: int) -> list[int]:
    """Multiples of ``every`` up to the largest count reached.

    >>> default_thresholds([10, 620_000, 510_000], 250_000)
    [250000, 500000]
    """
    top = max(counts, default=0)
    return [every * k for k in range(1, int(top // every) + 1)]


def next_threshold(last: int, every: int, thresholds: Sequence[int] | None) -> int:
    above = sorted(t for t in (thresholds or []) if t > last)
    if above:
        return above[0]
    return (int(last // every) + 1) * every


def forecast_crossing(
    dates: Sequence[dt.date], counts: Sequence[int], threshold: int, paths: int = 500, seed: int = 0
) -> dict[str, Any]:
    """The date the count should first reach ``threshold``: median and 80 % interval."""
    base = {
        "threshold": int(threshold),
        "method": METHOD,
        "date": None,
        "low": None,
        "high": None,
        "probability_within_horizon": None,
    }
    if not dates:
        return {**base, "note": "no data"}
    weekly = np.asarray(counts[::-1][::7][::-1], dtype=float)
    if len(weekly) < MIN_WEEKS:
        return {**base, "note": f"needs at least {MIN_WEEKS} weeks of history"}
    last_date = dates[-1]
    if weekly[-1] >= threshold:
        return {
            **base,
            "date": iso(last_date),
            "low": iso(last_date),
            "high": iso(last_date),
            "probability_within_horizon": 1.0,
            "note": "already reached",
        }
    steps = np.diff(weekly[-(HISTORY_WEEKS + 1) :])
    rng = np.random.default_rng(seed)
    mu, sd, n = float(steps.mean()), float(steps.std(ddof=1)), len(steps)
    drift = mu + sd / math.sqrt(n) * rng.standard_normal(paths)  # uncertainty of the drift
    shocks = rng.choice(steps - mu, size=(HORIZON_WEEKS, paths), replace=True)  # bootstrap
    sims = weekly[-1] + np.cumsum(drift[None, :] + shocks, axis=0)
    sims = sims.reshape(HORIZON_WEEKS, -1)
    days = np.full(sims.shape[1], np.inf)
    prev = np.vstack([np.full((1, sims.shape[1]), weekly[-1]), sims[:-1]])
    hit = sims >= threshold
    first = np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
    for j, k in enumerate(first):
        if k < 0:
            continue
        lo_v, hi_v = prev[k, j], sims[k, j]
        frac = 1.0 if hi_v <= lo_v else min(max((threshold - lo_v) / (hi_v - lo_v), 0.0), 1.0)
        days[j] = 7 * k + 7 * frac  # sims[k] is 7 * (k + 1) days after the last date

    def at(q: float) -> str | None:
        v = float(np.quantile(days, q, method="inverted_cdf"))
        return None if math.isinf(v) else iso(last_date + dt.timedelta(days=math.ceil(v)))

    return {
        **base,
        "date": at(0.5),
        "low": at(0.1),
        "high": at(0.9),
        "probability_within_horizon": float(np.isfinite(days).mean()),
        "horizon": iso(last_date + dt.timedelta(weeks=HORIZON_WEEKS)),
    }


def milestones(
    dates: Sequence[dt.date],
    counts: Sequence[int],
    every: int = 250_000,
    thresholds: Sequence[int] | None = None,
    paths: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"every", "last_date", "last_count", "milestones": [...], "next": {...}}``."""
    if every <= 0:
        from devicepark.errors import ConfigError

        raise ConfigError(f"--every must be positive, got {every}")
    ths = sorted({int(t) for t in thresholds}) if thresholds else default_thresholds(counts, every)
    last = int(counts[-1]) if counts else 0
    nxt = next_threshold(last, every, thresholds)
    return {
        "every": int(every),
        "last_date": iso(dates[-1]) if dates else None,
        "last_count": last,
        "milestones": crossings(dates, counts, ths),
        "next": forecast_crossing(dates, counts, nxt, paths=paths, seed=seed),
    }
