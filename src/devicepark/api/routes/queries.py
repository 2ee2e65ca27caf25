"""``/v1/base``, ``/v1/series``, ``/v1/switches``, ``/v1/adds`` and ``/v1/milestones``: each
route builds its question once (``names=API``) and asks ``devicepark.answers``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from devicepark import answers
from devicepark.api.deps import App, aggregate
from devicepark.api.errors import JSONBody
from devicepark.api.params import (
    ERRORS,
    MAX_POINTS,
    AsOf,
    By,
    From,
    Lookback,
    M2m,
    To,
    Unit,
)
from devicepark.api.public import check_milestone_params
from devicepark.questions import (
    API,
    AddsQuestion,
    BaseQuestion,
    MilestonesQuestion,
    SeriesQuestion,
    SwitchesQuestion,
)

router = APIRouter(prefix="/v1", tags=["queries"], responses=ERRORS,
                   dependencies=[Depends(aggregate)])  # fmt: skip


@router.get("/base")
async def base(
    app: App, as_of: AsOf, by: By = "vendor", unit: Unit = "lines",
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """The installed base at one date (``devicepark base``)."""
    q = BaseQuestion.parse(as_of, by, unit, lookback_days, include_m2m, names=API)
    return await app.answer("base", q, lambda con, t: answers.base(con, t, q))


@router.get("/series")
async def series(
    app: App, d1: From, d2: To,
    every: Annotated[str, Query(description="day, week (Sundays) or month (last days).")] = "day",
    by: By = "vendor", unit: Unit = "lines", lookback_days: Lookback = 30,
    include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """The installed base on every day, Sunday or month end (``devicepark series``)."""
    q = SeriesQuestion.parse(d1, d2, every, by, unit, lookback_days, include_m2m, names=API,
                             max_points=MAX_POINTS)  # fmt: skip
    return await app.answer("series", q, lambda con, t: answers.series(con, t, q))


@router.get("/switches")
async def switches(
    app: App, d1: From, d2: To,
    by: Annotated[str, Query(description="vendor or brand.")] = "vendor",
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """Switching flows between two dates (``devicepark switches``)."""
    q = SwitchesQuestion.parse(d1, d2, by, lookback_days, include_m2m, names=API)
    return await app.answer("switches", q, lambda con, t: answers.switches(con, t, q))


@router.get("/adds")
async def adds(
    app: App, d1: From, d2: To,
    vendor: Annotated[str | None, Query(description="Only this vendor.")] = None,
    by: Annotated[str, Query(description="Comma list, e.g. operator_brand.")] = "",
    all_changes: Annotated[bool, Query(description="Count every change of handset, not only "
                                                  "entries into a vendor.")] = False,
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """Daily gross adds (``devicepark adds``)."""
    q = AddsQuestion.parse(d1, d2, vendor, by, all_changes, lookback_days, include_m2m,
                           names=API, max_points=MAX_POINTS)  # fmt: skip
    return await app.answer("adds", q, lambda con, t: answers.adds(con, t, q))


@router.get("/milestones")
async def milestones(
    app: App,
    vendor: Annotated[str, Query(description="Vendor, e.g. Xiaomi.")],
    every: Annotated[int, Query(ge=1, le=10**12, description="Round step of the "
                                                             "thresholds.")] = 250_000,
    threshold: Annotated[list[int] | None, Query(description="A threshold; repeatable.")] = None,
    d1: Annotated[str | None, Query(alias="from", description="First date (default: start "
                                                              "of data).")] = None,
    d2: Annotated[str | None, Query(alias="to", description="Last date (default: end of "
                                                          "data).")] = None,
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """Threshold crossings and the next one's forecast (``devicepark milestones``)."""
    q = MilestonesQuestion.parse(vendor, every, threshold, d1, d2, lookback_days, include_m2m,
                                 names=API, max_points=MAX_POINTS)  # fmt: skip
    if app.public:
        check_milestone_params(q.step, list(q.thresholds or ()), app.threshold)
    return await app.answer("milestones", q, lambda con, t: answers.milestones(con, t, q))
