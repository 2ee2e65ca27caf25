"""The REST API: the CLI's answers over HTTP, as the very same JSON bytes.

``create_app(store_dir, token=None, public=False)`` returns a FastAPI app with ``/v1/base``,
``/v1/series``, ``/v1/switches``, ``/v1/adds``, ``/v1/milestones``, ``/v1/campaigns`` (files
``*.toml`` of ``<store>/campaigns`` or ``campaigns_dir``), ``/v1/campaigns/{id}/offers``,
``/v1/campaigns/{id}/results``, ``/v1/campaigns/{id}/audience`` and the dashboard at ``/``.
Query parameters are the CLI's options (``--lookback-days`` is ``lookback_days``, ``--by`` a
comma list). The OpenAPI spec is at ``/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import StreamingResponse

from devicepark.api import auth
from devicepark.api.campaigns import CampaignDir
from devicepark.api.errors import ERROR_SCHEMA, ApiError, JSONBody, body, install
from devicepark.api.state import AnswerCache, StoreState
from devicepark.errors import ConfigError, StoreError

MAX_POINTS = 4000  # a series, adds or milestones request spans at most this many days' points
FIRST_YEAR, LAST_YEAR = 1900, 2999  # dates outside are refused (date arithmetic stays in range)

_ERR = {"content": {"application/json": {"schema": ERROR_SCHEMA}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter or unusable store (the one error shape)", **_ERR},
    401: {"description": "Missing or wrong bearer token", **_ERR},
    404: {"description": "No such campaign", **_ERR},
    422: {"description": "A parameter has the wrong type", **_ERR},
}


def _day(value: str, name: str) -> dt.date:
    from devicepark.base.common import as_date

    day = as_date(value, name)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ConfigError(f"{name}: {value!r} is out of range ({FIRST_YEAR} to {LAST_YEAR})")
    return day


def _span(d1: dt.date, d2: dt.date, every: str = "day") -> None:
    step = {"week": 7, "month": 28}.get(every, 1)
    if (d2 - d1).days // step + 1 > MAX_POINTS:
        raise ConfigError(
            f"from {d1} to {d2} every {every} gives more than {MAX_POINTS} points; ask for less"
        )


DATE = {"format": "date"}  # documents the form; the date itself is checked as the CLI does
AsOf = Annotated[str, Query(description="Date D (YYYY-MM-DD).", json_schema_extra=DATE)]
From = Annotated[str, Query(alias="from", description="First date (YYYY-MM-DD).",
                            json_schema_extra=DATE)]
To = Annotated[str, Query(alias="to", description="Last date (YYYY-MM-DD).",
                          json_schema_extra=DATE)]
BY_HELP = ("Comma list among vendor, brand, model, device_type, operator_brand, segment, plan, "
           "region, device_age.")
By = Annotated[str, Query(description=BY_HELP)]
Unit = Annotated[str, Query(description="lines, customers or handsets.")]
Lookback = Annotated[int, Query(ge=1, le=3660, description="Days of observations that identify a "
                                                          "device.")]  # fmt: skip
AT_HELP = ("Instant, e.g. 2022-02-04T10:00 (campaign's time zone) or with an offset; "
           "default now.")
HOLDOUT_HELP = ("Also compare treatment and holdout (builds the audience; needs DEVICEPARK_KEY on "
                "the server).")
PARQUET = "application/vnd.apache.parquet"
M2m = Annotated[bool, Query(description="Count M2M SIMs too (excluded by default).")]


def create_app(
    store_dir: str | os.PathLike[str],
    token: str | None = None,
    public: bool = False,
    *,
    campaigns_dir: str | os.PathLike[str] | None = None,
    cache_size: int = 512,
    threshold: int | None = None,
) -> FastAPI:
    """The API on the store at ``store_dir``.

    ``token`` defaults to ``DEVICEPARK_API_TOKEN``; ``public`` serves aggregates without a token,
    disclosure-controlled (suppression threshold ``threshold``, default 10 lines).
    """
    from devicepark.publish.disclosure import THRESHOLD

    token = token if token is not None else (os.environ.get(auth.ENV) or None)
    limit = THRESHOLD if threshold is None else int(threshold)
    state = StoreState(store_dir)
    cache = AnswerCache(cache_size)
    campaigns = CampaignDir(Path(campaigns_dir) if campaigns_dir else Path(store_dir) / "campaigns")

    app = FastAPI(
        title="devicepark",
        version="1",
        description=(
            "Subscribers per handset vendor and model, from a devicepark store. JSON bodies are "
            "byte for byte those of the CLI's --format json. Send 'Authorization: Bearer <token>' "
            "(DEVICEPARK_API_TOKEN)"
            + ("; this server is public: aggregates are disclosure-controlled and need no token."
               if public else ".")  # fmt: skip
        ),
        default_response_class=JSONBody,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the spec alone is served
        redoc_url=None,
    )
    install(app)
    app.state.store = state
    app.state.cache = cache
    app.state.public = public
    app.state.threshold = limit
    app.state.campaigns = campaigns

    async def aggregate(request: Request) -> None:  # async: no thread hop on the hot path
        if not public:
            auth.require(request, token)

    async def private(request: Request) -> None:
        auth.require(request, token)

    guarded = [Depends(aggregate)]

    async def answer(
        kind: str, params: dict[str, Any], compute: Callable[..., dict[str, Any]]
    ) -> JSONBody:
        """The cached bytes of an answer; a miss is computed in a worker thread."""
        store = state.store()
        version = (store.version, store.manifest.committed_at)
        key = (version, kind, tuple(sorted(params.items())), public)
        hit = cache.peek(key)
        if hit is not None:
            return JSONBody(hit)

        def run() -> bytes:
            with state.tables(store) as (con, tables):
                result = compute(con, tables)
            if public:
                from devicepark.api.public import protect

                result = protect(kind, result, limit)
            return body(result)

        return JSONBody(await anyio.to_thread.run_sync(cache.get_or_compute, key, run))

    @app.get("/v1/base", tags=["queries"], responses=ERRORS, dependencies=guarded)
    async def base(
        as_of: AsOf, by: By = "vendor", unit: Unit = "lines",
        lookback_days: Lookback = 30, include_m2m: M2m = False,
    ) -> JSONBody:  # fmt: skip
        """The installed base at one date (``devicepark base``)."""
        from devicepark import answers
        from devicepark.base.common import parse_by, parse_unit

        day, keys, u = _day(as_of, "as_of"), parse_by(by), parse_unit(unit)
        params = {"as_of": day, "by": tuple(keys), "unit": u, "lookback": lookback_days,
                  "m2m": include_m2m}  # fmt: skip
        return await answer("base", params, lambda con, t: answers.base(
            con, t, day, keys, u, lookback_days, include_m2m))  # fmt: skip

    @app.get("/v1/series", tags=["queries"], responses=ERRORS, dependencies=guarded)
    async def series(
        d1: From, d2: To, every: Annotated[str, Query(description="day, week (Sundays) "
                                                                 "or month (last days).")] = "day",
        by: By = "vendor", unit: Unit = "lines", lookback_days: Lookback = 30,
        include_m2m: M2m = False,
    ) -> JSONBody:  # fmt: skip
        """The installed base on every day, Sunday or month end (``devicepark series``)."""
        from devicepark import answers
        from devicepark.base.common import parse_by, parse_unit
        from devicepark.base.series import point_dates

        a, b = _day(d1, "from"), _day(d2, "to")
        _span(a, b, every.strip().lower())
        keys, u = parse_by(by), parse_unit(unit)
        point_dates(a, b, every)  # checks the period
        params = {"from": a, "to": b, "every": every, "by": tuple(keys), "unit": u,
                  "lookback": lookback_days, "m2m": include_m2m}  # fmt: skip
        return await answer("series", params, lambda con, t: answers.series(
            con, t, a, b, every, keys, u, lookback_days, include_m2m))  # fmt: skip

    @app.get("/v1/switches", tags=["queries"], responses=ERRORS, dependencies=guarded)
    async def switches(
        d1: From, d2: To,
        by: Annotated[str, Query(description="vendor or brand.")] = "vendor",
        lookback_days: Lookback = 30, include_m2m: M2m = False,
    ) -> JSONBody:  # fmt: skip
        """Switching flows between two dates (``devicepark switches``)."""
        from devicepark import answers
        from devicepark.base.switches import check_key

        a, b = _day(d1, "from"), _day(d2, "to")
        key = check_key(by)
        params = {"from": a, "to": b, "by": key, "lookback": lookback_days, "m2m": include_m2m}
        return await answer("switches", params, lambda con, t: answers.switches(
            con, t, a, b, key, lookback_days, include_m2m))  # fmt: skip

    @app.get("/v1/adds", tags=["queries"], responses=ERRORS, dependencies=guarded)
    async def adds(
        d1: From, d2: To,
        vendor: Annotated[str | None, Query(description="Only this vendor.")] = None,
        by: Annotated[str, Query(description="Comma list, e.g. operator_brand.")] = "",
        all_changes: Annotated[bool, Query(description="Count every change of handset, not only "
                                                      "entries into a vendor.")] = False,
        lookback_days: Lookback = 30, include_m2m: M2m = False,
    ) -> JSONBody:  # fmt: skip
        """Daily gross adds (``devicepark adds``)."""
        from devicepark import answers
        from devicepark.base.adds import ADDS_KEYS
        from devicepark.base.common import parse_by

        a, b = _day(d1, "from"), _day(d2, "to")
        _span(a, b)
        keys = parse_by(by, ADDS_KEYS)
        kind = "changes" if all_changes else "entries"
        params = {"from": a, "to": b, "vendor": vendor, "by": tuple(keys), "kind": kind,
                  "lookback": lookback_days, "m2m": include_m2m}  # fmt: skip
        return await answer("adds", params, lambda con, t: answers.adds(
            con, t, a, b, vendor, keys, lookback_days, include_m2m, kind))  # fmt: skip

    @app.get("/v1/milestones", tags=["queries"], responses=ERRORS, dependencies=guarded)
    async def milestones(
        vendor: Annotated[str, Query(description="Vendor, e.g. Xiaomi.")],
        every: Annotated[int, Query(ge=1, le=10**12, description="Round step of the "
                                                                 "thresholds.")] = 250_000,
        threshold: Annotated[
            list[int] | None, Query(description="A threshold; repeatable.")
        ] = None,
        d1: Annotated[str | None, Query(alias="from", description="First date (default: start "
                                                                  "of data).")] = None,
        d2: Annotated[str | None, Query(alias="to", description="Last date (default: end of "
                                                              "data).")] = None,
        lookback_days: Lookback = 30, include_m2m: M2m = False,
    ) -> JSONBody:  # fmt: skip
        """Threshold crossings and the next one's forecast (``devicepark milestones``)."""
        from devicepark import answers

        a = _day(d1, "from") if d1 is not None else None
        b = _day(d2, "to") if d2 is not None else None
        if a is not None and b is not None:
            _span(a, b)
        if threshold and any(t < 1 for t in threshold):
            raise ConfigError("threshold must be positive")
        if public:
            from devicepark.api.public import check_milestone_params

            check_milestone_params(every, threshold, limit)
        ths = tuple(sorted(set(threshold))) if threshold else None
        params = {"vendor": vendor, "every": every, "thresholds": ths, "from": a, "to": b,
                  "lookback": lookback_days, "m2m": include_m2m}  # fmt: skip

        def compute(con: Any, t: Any) -> dict[str, Any]:
            lo, hi = a, b
            if lo is None or hi is None:
                span = answers.data_span(con, t)
                if span is not None and (lo or span[0]) <= (hi or span[1]):
                    _span(lo or span[0], hi or span[1])
            return answers.milestones(con, t, vendor, every, list(ths) if ths else None, a, b,
                                      lookback_days, include_m2m)  # fmt: skip

        return await answer("milestones", params, compute)

    @app.get("/v1/campaigns", tags=["campaigns"], responses=ERRORS, dependencies=guarded)
    def campaign_list() -> JSONBody:
        """The campaign files the server reads, summarised as ``campaign check`` does."""
        return JSONBody(campaigns.listing())

    CAMPAIGN = "/v1/campaigns/{campaign_id}"

    @app.get(CAMPAIGN + "/offers", tags=["campaigns"], responses=ERRORS, dependencies=guarded)
    def campaign_offers(
        campaign_id: str,
        at: Annotated[str | None, Query(description=AT_HELP)] = None,
        channel: Annotated[Literal["store", "online"] | None,
                           Query(description="store or online (default: best of both).")] = None,
    ) -> JSONBody:  # fmt: skip
        """The price to charge at an instant (``devicepark campaign offers``)."""
        from devicepark.campaign.offers import offers_at, parse_at

        campaign = campaigns.get(campaign_id)
        if at is None:
            instant = dt.datetime.now(dt.UTC).astimezone(campaign.timezone)
        else:
            instant = parse_at(at, campaign.timezone)
        return JSONBody(offers_at(campaign, instant, channel))

    @app.get(CAMPAIGN + "/results", tags=["campaigns"], responses=ERRORS, dependencies=guarded)
    async def campaign_results(
        campaign_id: str,
        holdout: Annotated[bool, Query(description=HOLDOUT_HELP)] = False,
        after_days: Annotated[int, Query(ge=14, le=28, description="Days watched after the "
                                                                  "window (14-28).")] = 21,
    ) -> JSONBody:  # fmt: skip
        """The campaign's measured effect (``devicepark campaign measure``)."""
        from devicepark.campaign.measure import measure

        campaign = campaigns.get(campaign_id)

        def compute(con: Any, t: Any) -> dict[str, Any]:
            audience = None
            if holdout:
                from devicepark.campaign.audience import build_audience
                from devicepark.ingest.pseudonym import load_key

                if campaign.audience is None:
                    raise ConfigError(f"campaign {campaign.id!r} has no [audience] section")
                audience = build_audience(con, t, campaign, load_key())
            return measure(con, t, campaign, audience=audience, after_days=after_days)[0]

        params = {"campaign": repr(campaign), "holdout": holdout, "after_days": after_days}
        return await answer("results", params, compute)

    @app.get(
        CAMPAIGN + "/audience", tags=["campaigns"], responses={
            **ERRORS,
            200: {"description": "The eligible lines (pseudonyms only) as Parquet or CSV",
                  "content": {"application/vnd.apache.parquet": {}, "text/csv": {}}},
        },
        response_class=StreamingResponse, dependencies=[Depends(private)],
    )  # fmt: skip
    def campaign_audience(
        campaign_id: str,
        format: Annotated[
            Literal["parquet", "csv"], Query(description="parquet or csv.")
        ] = "parquet",
    ) -> StreamingResponse:  # fmt: skip
        """The eligible lines at the campaign's start, split treatment/holdout; always needs the
        token. Pseudonyms only (``devicepark campaign audience``)."""
        from devicepark.campaign.audience import build_audience
        from devicepark.ingest.pseudonym import load_key

        campaign = campaigns.get(campaign_id)
        key = load_key()
        with state.tables() as (con, t):
            table = build_audience(con, t, campaign, key)
        name = f"{campaign.id}-audience.{format}"
        media = PARQUET if format == "parquet" else "text/csv; charset=utf-8"
        return StreamingResponse(
            _stream(table, format), media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"',
                     "Cache-Control": "no-store"},
        )  # fmt: skip

    from devicepark.api.dashboard import register as register_dashboard

    register_dashboard(app, state, cache, token, public, limit)
    _openapi_security(app)
    return app


def _stream(table: Any, fmt: str, chunk: int = 1 << 16) -> Iterator[bytes]:
    """Encode an Arrow table as Parquet or CSV and yield it in chunks."""
    buf = io.BytesIO()
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, buf, compression="zstd")
        data = buf.getbuffer()
        for start in range(0, len(data), chunk):
            yield bytes(data[start:start + chunk])
        return
    import pyarrow.csv as pcsv

    for n, batch in enumerate(table.to_batches(max_chunksize=20_000) or [table.slice(0, 0)]):
        buf.seek(0)
        buf.truncate()
        opts = pcsv.WriteOptions(include_header=n == 0)
        pcsv.write_csv(batch if hasattr(batch, "num_rows") else batch, buf, opts)
        yield buf.getvalue()


def _openapi_security(app: FastAPI) -> None:
    """Declare the bearer scheme in the OpenAPI spec."""

    def spec() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes,
            )  # fmt: skip
            comps = schema.setdefault("components", {})
            comps.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
            schema["security"] = [{"bearer": []}]
            comps.get("schemas", {}).pop("HTTPValidationError", None)
            comps.get("schemas", {}).pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = spec  # type: ignore[method-assign]


__all__ = ["ApiError", "StoreError", "create_app"]
