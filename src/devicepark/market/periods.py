"""Market periods: months (``2022-01``) and quarters (``2022-Q1``), and which one holds a date.

A period is a closed range of calendar days; a market table may mix months and quarters.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_DAY1 = re.compile(r"^(\d{4})-(\d{2})-01$")
_QUARTER = re.compile(r"^(\d{4})[- ]?Q([1-4])$", re.IGNORECASE)
_QUARTER_FIRST = re.compile(r"^Q([1-4])[- ]?(\d{4})$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    """One market period: its canonical label and its first and last calendar day."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def kind(self) -> str:
        return "quarter" if "-Q" in self.label else "month"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def month(year: int, m: int) -> Period:
    last = calendar.monthrange(year, m)[1]
    return Period(dt.date(year, m, 1), dt.date(year, m, last), f"{year:04d}-{m:02d}")


def quarter(year: int, q: int) -> Period:
    first = 3 * (q - 1) + 1
    last = calendar.monthrange(year, first + 2)[1]
    return Period(dt.date(year, first, 1), dt.date(year, first + 2, last), f"{year:04d}-Q{q}")


def parse_period(text: str) -> Period | None:
    """The period a cell names, or None when it names none.

    Months are ``YYYY-MM`` (``YYYY-MM-01`` also, as some exports write them); quarters are
    ``YYYY-Q1`` (``2022Q1``, ``2022 Q1`` and ``Q1 2022`` also).

    >>> parse_period("2022-01")
    Period(start=datetime.date(2022, 1, 1), end=datetime.date(2022, 1, 31), label='2022-01')
    >>> parse_period("2022-q4").label, parse_period("2022-Q4").end
    ('2022-Q4', datetime.date(2022, 12, 31))
    >>> parse_period("2022-13") is None, parse_period("Jan 2022") is None
    (True, True)
    """
    s = text.strip()
    if m := _MONTH.match(s) or _MONTH_DAY1.match(s):
        year, mo = int(m.group(1)), int(m.group(2))
        return month(year, mo) if 1 <= mo <= 12 and year >= 1900 else None
    if m := _QUARTER.match(s):
        return quarter(int(m.group(1)), int(m.group(2)))
    if m := _QUARTER_FIRST.match(s):
        return quarter(int(m.group(2)), int(m.group(1)))
    return None


def period_for(day: dt.date, periods: Iterable[Period]) -> Period | None:
    """The period containing ``day``, else the latest one ending before it; None if all are later.

    When a month and a quarter both contain the day, the shorter (the month) wins.

    >>> ps = [month(2022, 1), month(2022, 3), quarter(2022, 1)]
    >>> period_for(dt.date(2022, 3, 9), ps).label, period_for(dt.date(2022, 2, 3), ps).label
    ('2022-03', '2022-Q1')
    >>> period_for(dt.date(2022, 5, 1), ps).label, period_for(dt.date(2021, 5, 1), ps)
    ('2022-03', None)
    """
    ps = list(periods)
    holding = [p for p in ps if p.contains(day)]
    if holding:
        return min(holding, key=lambda p: (p.days, p.start))
    before = [p for p in ps if p.end < day]
    if not before:
        return None
    return max(before, key=lambda p: (p.end, -p.days))
