"""What an anonymous client of a public server may ask (``serve --public``): flexibility bounded on
purpose, so that averaging or differencing perturbed answers needs more distinct views of a cell
than the face can give (PRIVACY.md, "What the public face may ask").

Each check raises a 400 naming the bound. Requests with the token are not bounded here (only by
their cost, ``api.work``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from devicepark.api.errors import ApiError
from devicepark.base.common import BY_KEYS
from devicepark.questions import (
    AddsQuestion,
    BaseQuestion,
    MilestonesQuestion,
    SeriesQuestion,
    SwitchesQuestion,
)


@dataclass(frozen=True)
class PublicBounds:
    """The bounds of a public server's anonymous questions."""

    keys: tuple[str, ...] = BY_KEYS  # any one of these alone
    pair_rows: tuple[str, ...] = ("vendor", "brand", "device_type")  # or one of these ...
    pair_cols: tuple[str, ...] = ("operator_brand", "segment", "plan", "device_age")  # x these
    adds_keys: tuple[str, ...] = ("vendor", "device_type", "operator_brand", "segment", "plan")
    lookback_days: int = 30
    every: tuple[str, ...] = ("week", "month")
    max_points: int = 106  # two years of Sundays
    max_adds_days: int = 92
    milestone_step: int = 100  # every and each threshold: a multiple of this
    min_window_days: int = 7  # campaign windows published
    after_days: tuple[int, ...] = (21,)  # the campaign after-periods published


def _bad(message: str) -> ApiError:
    return ApiError(400, f"{message} (bound of this public server; send the token for more)",
                    code="outside_public_bounds")  # fmt: skip


def is_week_or_month_end(day: dt.date) -> bool:
    """A Sunday (the end of an ISO week) or the last day of a month.

    >>> [is_week_or_month_end(dt.date(2022, 2, d)) for d in (3, 6, 28)]
    [False, True, True]
    """
    return day.weekday() == 6 or (day + dt.timedelta(days=1)).day == 1


def _dates(name: str, *days: dt.date) -> None:
    for day in days:
        if not is_week_or_month_end(day):
            raise _bad(
                f"{name}: {day.isoformat()} is neither a Sunday nor the last day of a month; "
                "public figures are weekly or monthly"
            )


def _scope(b: PublicBounds, scope: Any) -> None:
    if scope.lookback_days != b.lookback_days:
        raise _bad(f"lookback_days: only {b.lookback_days} (the published definition)")


def check_by(b: PublicBounds, by: tuple[str, ...], name: str = "by") -> None:
    """At most two keys: any one alone, or one of ``pair_rows`` with one of ``pair_cols``."""
    if len(by) <= 1:
        if by and by[0] not in b.keys:
            raise _bad(f"{name}: {by[0]!r} is not published")
        return
    if len(by) > 2:
        raise _bad(f"{name}: at most 2 keys, got {len(by)}")
    first, second = by
    if first in b.pair_cols and second in b.pair_rows:
        first, second = second, first
    if first not in b.pair_rows or second not in b.pair_cols:
        raise _bad(
            f"{name}: two keys go as one of {', '.join(b.pair_rows)} with one of "
            f"{', '.join(b.pair_cols)} (no model or region with another key)"
        )


def check(b: PublicBounds, kind: str, q: Any) -> None:
    """Raise a 400 naming the bound when an anonymous ``kind`` question ``q`` is outside ``b``."""
    if isinstance(q, BaseQuestion):
        check_by(b, q.by)
        _unit(q.unit)
        _scope(b, q.scope)
        _dates("as_of", q.as_of)
    elif isinstance(q, SeriesQuestion):
        check_by(b, q.by)
        _unit(q.unit)
        _scope(b, q.scope)
        if q.every not in b.every:
            raise _bad(f"every: {' or '.join(b.every)} only")
        n = (q.end - q.start).days // 7 + 1
        if n > b.max_points:
            raise _bad(f"from/to: at most {b.max_points} weeks")
    elif isinstance(q, SwitchesQuestion):
        _scope(b, q.scope)
        _dates("from/to", q.start, q.end)
    elif isinstance(q, AddsQuestion):
        _scope(b, q.scope)
        if len(q.by) > 1 or (q.by and q.by[0] not in b.adds_keys):
            raise _bad(f"by: at most one of {', '.join(b.adds_keys)}")
        days = (q.end - q.start).days + 1
        if days > b.max_adds_days:
            raise _bad(f"from/to: at most {b.max_adds_days} days of daily adds")
    elif isinstance(q, MilestonesQuestion):
        _scope(b, q.scope)
        step = b.milestone_step
        if q.step % step or any(t % step for t in q.thresholds or ()):
            raise _bad(f"every and threshold: multiples of {step} only")
    else:  # pragma: no cover - a kind without bounds must not be served anonymously
        raise ApiError(401, f"{kind} needs the token", code="unauthorized")


def check_results(b: PublicBounds, first: dt.date, last: dt.date, after_days: int,
                  holdout: bool) -> None:  # fmt: skip
    """Campaign results: windows of at least ``min_window_days``, the standard after-period,
    and no treatment/holdout comparison (counts of an audience's lines)."""
    days = (last - first).days + 1
    if days < b.min_window_days:
        raise _bad(
            f"campaign window of {days} day(s): results are published for windows of at least "
            f"{b.min_window_days} days"
        )
    if after_days not in b.after_days:
        raise _bad(f"after_days: only {' or '.join(map(str, b.after_days))}")
    if holdout:
        raise _bad("holdout: the treatment/holdout comparison needs the token")


def _unit(unit: str) -> None:
    if unit != "lines":
        raise _bad("unit: lines only")
