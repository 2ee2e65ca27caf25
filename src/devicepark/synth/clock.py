"""Calendar arithmetic on numpy arrays: epoch days <-> civil dates, and Europe/Paris local time.

Paris follows the EU rule (summer time from the last Sunday of March to the last Sunday of
October, both switches at 01:00 UTC), which ``tests/synth`` checks against ``zoneinfo``.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np

EPOCH = dt.date(1970, 1, 1)
DAY = 86_400


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01.

    >>> day_number(dt.date(2022, 2, 3))
    19026
    """
    return (d - EPOCH).days


def day_date(n: int) -> dt.date:
    """Inverse of ``day_number``."""
    return EPOCH + dt.timedelta(days=int(n))


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of epoch days (Howard Hinnant's algorithm, vectorised).

    >>> [int(x[0]) for x in civil(np.array([19026]))]
    [2022, 2, 3]
    """
    z = days.astype(np.int64) + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = np.where(m <= 2, y + 1, y)
    return y, m, d


def _last_sunday(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - 6) % 7)


@cache
def _paris_switches() -> tuple[np.ndarray, np.ndarray]:
    """UTC instants of the switches 1980-2100 and the offset (seconds) in force after each."""
    instants, offsets = [], []
    for year in range(1980, 2101):
        for month, off in ((3, 7200), (10, 3600)):
            d = _last_sunday(year, month)
            instants.append(day_number(d) * DAY + 3600)
            offsets.append(off)
    return np.array(instants, dtype=np.int64), np.array(offsets, dtype=np.int64)


_TABLE_FIRST = day_number(dt.date(1980, 1, 1))


@cache
def _offset_table() -> tuple[np.ndarray, np.ndarray]:
    """Per "shifted day" k (the 24 hours from k 01:00 UTC, when switches happen): the offset in
    force, and whether a switch happens at its start."""
    inst, off = _paris_switches()
    k = np.arange(_TABLE_FIRST, day_number(dt.date(2101, 1, 1)), dtype=np.int64)
    at = k * DAY + 3600
    i = np.searchsorted(inst, at, side="right") - 1
    offsets = np.where(i < 0, 3600, off[np.maximum(i, 0)])
    return offsets, np.isin(at, inst)


def _shifted_day(t: np.ndarray) -> np.ndarray:
    table, _ = _offset_table()
    return np.clip(np.floor_divide(t - 3600, DAY) - _TABLE_FIRST, 0, len(table) - 1)


def paris_offset(t: np.ndarray) -> np.ndarray:
    """UTC offset in seconds (3600 or 7200) of Europe/Paris at epoch seconds ``t``."""
    table, _ = _offset_table()
    return table[_shifted_day(t)]


def paris_day(t: np.ndarray) -> np.ndarray:
    """Local calendar day (epoch days) in Europe/Paris of epoch seconds ``t``."""
    return np.floor_divide(t + paris_offset(t), DAY)


def paris_midnight(days: np.ndarray) -> np.ndarray:
    """Epoch seconds of 00:00 local (Europe/Paris) on each epoch day (never ambiguous there)."""
    d = days.astype(np.int64) * DAY
    return d - paris_offset(d - 7200)


def near_switch(t: np.ndarray, margin: int = 3 * 3600) -> np.ndarray:
    """Whether ``t`` is within ``margin`` (< 12 h) seconds of a switch, where a naive local time
    could be ambiguous or non-existent."""
    table, switch = _offset_table()
    k = np.floor_divide(t - 3600 + DAY // 2, DAY)  # nearest 01:00 UTC
    idx = np.clip(k - _TABLE_FIRST, 0, len(table) - 1)
    return switch[idx] & (np.abs(t - (k * DAY + 3600)) <= margin)


def local_midnights(tz: dt.tzinfo, first: dt.date, last: dt.date) -> np.ndarray:
    """Epoch seconds of 00:00 local in ``tz`` on every day from ``first`` to ``last + 1``."""
    out = []
    d = first
    while d <= last + dt.timedelta(days=1):
        out.append(int(dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()))
        d += dt.timedelta(days=1)
    return np.array(out, dtype=np.int64)
