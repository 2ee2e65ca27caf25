"""``/v1/campaigns`` and, per campaign, ``offers``, ``results`` and ``audience``: the campaign
files of the server's directory (``api.campaigns``), answered by ``devicepark.answers``.

Only ``results`` is an aggregate a public server serves anonymously (perturbed, within
``api.bounds``); the list, the offers (prices of phases not announced yet) and the audience
always need the token.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any, Literal

import ibis
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from devicepark import answers
from devicepark.api import bounds
from devicepark.api.deps import App, aggregate, is_exact, private
from devicepark.api.errors import JSONBody
from devicepark.api.params import ERRORS
from devicepark.api.public import RESULT_KEYS
from devicepark.campaign.offers import offers_at, parse_at
from devicepark.errors import ConfigError
from devicepark.ingest.pseudonym import load_key
from devicepark.questions import MeasureQuestion
from devicepark.store import Tables

AT_HELP = "Instant, e.g. 2022-02-04T10:00 (campaign's time zone) or with an offset; default now."
HOLDOUT_HELP = ("Also compare treatment and holdout (builds the audience; needs DEVICEPARK_KEY on "
                "the server).")  # fmt: skip
PARQUET = "application/vnd.apache.parquet"
AUDIENCE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    200: {"description": "The eligible lines (pseudonyms only) as Parquet or CSV",
          "content": {PARQUET: {}, "text/csv": {}}},
}  # fmt: skip

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"], responses=ERRORS)
CAMPAIGN = "/{campaign_id}"


@router.get("", dependencies=[Depends(private)])
def campaign_list(app: App) -> JSONBody:
    """The campaign files the server reads, summarised as ``campaign check`` does; always
    needs the token."""
    return JSONBody(app.campaigns.listing())


@router.get(CAMPAIGN + "/offers", dependencies=[Depends(private)])
def campaign_offers(
    app: App, campaign_id: str,
    at: Annotated[str | None, Query(description=AT_HELP)] = None,
    channel: Annotated[Literal["store", "online"] | None,
                       Query(description="store or online (default: best of both).")] = None,
) -> JSONBody:  # fmt: skip
    """The price to charge at an instant (``devicepark campaign offers``); always needs the
    token (it tells the price of a phase before it is announced)."""
    campaign = app.campaigns.get(campaign_id)
    if at is None:
        instant = dt.datetime.now(dt.UTC).astimezone(campaign.timezone)
    else:
        instant = parse_at(at, campaign.timezone)
    return JSONBody(offers_at(campaign, instant, channel))


@router.get(CAMPAIGN + "/results", dependencies=[Depends(aggregate)])
async def campaign_results(
    request: Request, app: App, campaign_id: str,
    holdout: Annotated[bool, Query(description=HOLDOUT_HELP)] = False,
    after_days: Annotated[int, Query(ge=14, le=28, description="Days watched after the "
                                                              "window (14-28).")] = 21,
) -> JSONBody:  # fmt: skip
    """The campaign's measured effect (``devicepark campaign measure``); anonymous clients of a
    public server get it perturbed, for windows of at least a week."""
    q = MeasureQuestion(app.campaigns.get(campaign_id), after_days=after_days)
    c = q.campaign
    if not is_exact(request):
        bounds.check_results(app.bounds, c.first_day, c.last_day, after_days, holdout)

    def measure(con: ibis.BaseBackend, t: Tables) -> dict[str, Any]:
        asked = q
        if holdout:
            if c.audience is None:
                raise ConfigError(f"campaign {c.id!r} has no [audience] section")
            key = t.store.check_key(load_key())  # refuses a key other than the store's
            asked = replace(q, audience=answers.audience(con, t, c, key))
        return answers.measure(con, t, asked)[0]

    def compute(con: ibis.BaseBackend, t: Tables, keyed: bool) -> dict[str, Any]:
        # The model is fitted once per store version for both the exact and the published
        # answer (this inner entry is never served as it is).
        version = (t.store.version, t.store.manifest.committed_at)
        key = ("campaign-measure", version, q, holdout)
        result = dict(app.cache.get_or_compute(key, lambda: measure(con, t)))
        if keyed:
            days = [d["date"] for d in result["daily"]] or [c.first_day.isoformat()]
            first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
            result[RESULT_KEYS] = answers.day_keys(
                con, t, c.vendor, c.operator_brands, first, last, q.lookback_days
            )
        return result

    span = (c.last_day - c.first_day).days + 1 + after_days + 7 * 16
    return await app.json(request, "results", (q, holdout), compute, span)


@router.get(CAMPAIGN + "/audience", responses=AUDIENCE_RESPONSES,
            response_class=StreamingResponse, dependencies=[Depends(private)])  # fmt: skip
def campaign_audience(
    app: App, campaign_id: str,
    format: Annotated[Literal["parquet", "csv"], Query(description="parquet or csv.")] = "parquet",
) -> StreamingResponse:  # fmt: skip
    """The eligible lines at the campaign's start, split treatment/holdout; always needs the
    token. Pseudonyms only (``devicepark campaign audience``)."""
    campaign = app.campaigns.get(campaign_id)
    key = app.store.store().check_key(load_key())  # refuses a key other than the store's
    with app.store.tables() as (con, t):
        table = answers.audience(con, t, campaign, key)
    name = f"{campaign.id}-audience.{format}"
    media = PARQUET if format == "parquet" else "text/csv; charset=utf-8"
    return StreamingResponse(
        _stream(table, format), media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip


def _stream(table: pa.Table, fmt: str, chunk: int = 1 << 16) -> Iterator[bytes]:
    """Encode an Arrow table as Parquet or CSV and yield it in chunks."""
    buf = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buf, compression="zstd")
        data = buf.getbuffer()
        for start in range(0, len(data), chunk):
            yield bytes(data[start : start + chunk])
        return
    for n, batch in enumerate(table.to_batches(max_chunksize=20_000) or [table.slice(0, 0)]):
        buf.seek(0)
        buf.truncate()
        pcsv.write_csv(batch, buf, pcsv.WriteOptions(include_header=n == 0))
        yield buf.getvalue()
