"""Installed-base queries as pure Ibis expressions: tables in, an expression out.

Entry points (modules keep the command names, so the functions live one level down):
``snapshot.device_at`` and ``snapshot.installed_base`` (one date), ``series.series_rows`` (many
dates from the interval form of tenures), ``switches.flows``, ``adds.daily_adds`` and
``milestones.milestones``; ``shape`` turns executed rows into the JSON contracts, and
``devicepark.answers`` executes and shapes in one call.
"""

from devicepark.base.common import AGE_BUCKETS, BY_KEYS, UNITS
from devicepark.base.series import point_dates, series_rows
from devicepark.base.snapshot import base_lines, device_at, installed_base

__all__ = [
    "AGE_BUCKETS",
    "BY_KEYS",
    "UNITS",
    "base_lines",
    "device_at",
    "installed_base",
    "point_dates",
    "series_rows",
]
