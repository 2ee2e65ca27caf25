"""``/v1/base``, ``/v1/series``, ``/v1/switches``, ``/v1/adds`` and ``/v1/milestones``: each
route builds its question once (``names=API``) and asks ``devicepark.answers`` through the one
cached path (``deps.Served.json``: exact with the token, perturbed for anonymous clients of a
public server, within ``api.bounds``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

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
from devicepark.api.work import days_between
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
    request: Request, app: App, as_of: AsOf, by: By = "vendor", unit: Unit = "lines",
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """The installed base at one date (``devicepark base``)."""
    q = BaseQuestion.parse(as_of, by, unit, lookback_days, include_m2m, names=API)
    return await app.json(request, "base", q, lambda con, t, k: answers.base(con, t, q, keyed=k))


@router.get("/series")
async def series(
    request: Request, app: App, d1: From, d2: To,
    every: Annotated[str, Query(description="day, week (Sundays) or month (last days).")] = "day",
    by: By = "vendor", unit: Unit = "lines", lookback_days: Lookback = 30,
    include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """The installed base on every day, Sunday or month end (``devicepark series``)."""
    q = SeriesQuestion.parse(d1, d2, every, by, unit, lookback_days, include_m2m, names=API,
                             max_points=MAX_POINTS)  # fmt: skip
    return await app.json(request, "series", q,
                          lambda con, t, k: answers.series(con, t, q, keyed=k))  # fmt: skip


@router.get("/switches")
async def switches(
    request: Request, app: App, d1: From, d2: To,
    by: Annotated[str, Query(description="vendor or brand.")] = "vendor",
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """Switching flows between two dates (``devicepark switches``)."""
    q = SwitchesQuestion.parse(d1, d2, by, lookback_days, include_m2m, names=API)
    return await app.json(request, "switches", q,
                          lambda con, t, k: answers.switches(con, t, q, keyed=k))  # fmt: skip


@router.get("/adds")
async def adds(
    request: Request, app: App, d1: From, d2: To,
    vendor: Annotated[str | None, Query(description="Only this vendor.")] = None,
    by: Annotated[str, Query(description="Comma list, e.g. operator_brand.")] = "",
    all_changes: Annotated[bool, Query(description="Count every change of handset, not only "
                                                  "entries into a vendor.")] = False,
    lookback_days: Lookback = 30, include_m2m: M2m = False,
) -> JSONBody:  # fmt: skip
    """Daily gross adds (``devicepark adds``)."""
    q = AddsQuestion.parse(d1, d2, vendor, by, all_changes, lookback_days, include_m2m,
                           names=API, max_points=MAX_POINTS)  # fmt: skip
    return await app.json(request, "adds", q, lambda con, t, k: answers.adds(con, t, q, keyed=k))


@router.get("/milestones")
async def milestones(
    request: Request, app: App,
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
    span = days_between(q.start, q.end, MAX_POINTS)
    compute = lambda con, t, k: answers.milestones(con, t, q, keyed=k)  # noqa: E731
    return await app.json(request, "milestones", q, compute, span)
