"""Installed-base queries as pure Ibis expressions: tables in, an expression out.

Entry points: ``device_at``, ``installed_base`` (snapshot), ``series_rows`` (many dates from the
interval form of tenures), ``switches.flows``, ``adds.daily_adds`` and ``milestones.milestones``;
``shape`` turns executed rows into the JSON contracts (``devicepark.answers`` does both).
"""

from devicepark.base.common import AGE_BUCKETS, BY_KEYS, UNITS, as_date, parse_by, parse_unit
from devicepark.base.series import point_dates, series_rows
from devicepark.base.snapshot import base_lines, device_at, installed_base

series = series_rows

__all__ = [
    "AGE_BUCKETS",
    "BY_KEYS",
    "UNITS",
    "as_date",
    "base_lines",
    "device_at",
    "installed_base",
    "parse_by",
    "parse_unit",
    "point_dates",
    "series",
    "series_rows",
]
