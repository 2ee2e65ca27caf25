"""Campaign answers: the audience drawn at a campaign's start, and its measured effect.

The expressions and the model are pure (``devicepark.campaign``); this module executes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pyarrow as pa

from devicepark.answers.queries import data_span, rows
from devicepark.base.adds import daily_adds
from devicepark.base.shape import iso, join_keys
from devicepark.campaign.audience import assign, eligible_lines
from devicepark.campaign.effect import MAX_PRE_WEEKS, estimate_effect
from devicepark.campaign.measure import (
    adds_expr,
    adopters_expr,
    daily_frame,
    holdout_answer,
    measure_answer,
    measure_span,
)
from devicepark.campaign.spec import Campaign
from devicepark.errors import ConfigError
from devicepark.questions import MeasureQuestion
from devicepark.store.engine import Tables


def audience(
    con: ibis.BaseBackend, tables: Tables, campaign: Campaign, key: bytes, lookback_days: int = 30
) -> pa.Table:
    """The eligible lines at the campaign's start, each assigned to treatment or holdout."""
    return assign(con.to_pyarrow(eligible_lines(tables, campaign, lookback_days)), campaign, key)


def measure(
    con: ibis.BaseBackend,
    tables: Tables,
    q: MeasureQuestion,
    pre_weeks: int = MAX_PRE_WEEKS,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the ``campaign measure`` JSON answer, details for the table view)."""
    campaign, lookback = q.campaign, q.lookback_days
    span = data_span(con, tables)
    if span is None:
        raise ConfigError("the store has no observations yet; ingest some first")
    d1, d2 = measure_span(campaign, span[0], span[1], q.after_days, lookback)
    entries = rows(con, adds_expr(tables, campaign, d1, d2, "entries", lookback))
    changes = None
    if not any(r["operator_brand"] not in campaign.operator_brands for r in entries):
        changes = rows(con, adds_expr(tables, campaign, d1, d2, "changes", lookback))
    frame, control = daily_frame(entries, changes, campaign, d1, d2)
    effect = estimate_effect(
        frame,
        campaign.first_day,
        campaign.last_day,
        pre_weeks=pre_weeks,
        after_days=q.after_days,
    )
    holdout = None
    if q.audience is not None:
        adopters = rows(con, adopters_expr(tables, q.audience, campaign, d2, lookback))
        holdout = holdout_answer(adopters, d2)
    details = {**effect["details"], "control_series": control}
    return measure_answer(campaign, effect, holdout), details


def day_keys(
    con: ibis.BaseBackend,
    tables: Tables,
    vendor: str,
    operator_brands: tuple[str, ...] | list[str],
    d1: dt.date,
    d2: dt.date,
    lookback_days: int = 30,
) -> dict[str, int]:
    """The cell key of each day's gross adds of ``vendor`` in ``operator_brands`` (the days a
    campaign result observes), for ``publish.cellkey.perturb_results``; days without adds are
    absent (their count, 0, is never perturbed)."""
    expr = daily_adds(tables, d1, d2, vendor, ["operator_brand"], lookback_days, keyed=True)
    brands = set(operator_brands)
    per_day: dict[str, list[int]] = {}
    for r in rows(con, expr):
        if r["operator_brand"] in brands:
            per_day.setdefault(iso(r["date"]), []).append(int(r["ckey"]))
    return {day: join_keys(keys) for day, keys in per_day.items()}
