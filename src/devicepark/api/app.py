"""The REST API: the CLI's answers over HTTP, as the very same JSON bytes.

``create_app(store_dir, token=None, public=False)`` returns a FastAPI app made of three routers:
``routes.queries`` (``/v1/base``, ``/v1/series``, ``/v1/switches``, ``/v1/adds``,
``/v1/milestones``), ``routes.campaigns`` (``/v1/campaigns`` from the files ``*.toml`` of
``<store>/campaigns`` or ``campaigns_dir``, and per campaign ``offers``, ``results`` and
``audience``) and the dashboard at ``/``. What they share lives on ``app.state`` (``deps``).
Query parameters are the CLI's options (``--lookback-days`` is ``lookback_days``, ``--by`` a
comma list). The OpenAPI spec is at ``/openapi.json``.

With the token every answer is exact; an anonymous client of a public server gets the figures
perturbed (``api.public``), within the bounds of ``api.bounds``, the rate limits and the cost
and time limits of ``api.work``. Every response carries the standard security headers
(``api.security``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from devicepark.api import auth, dashboard
from devicepark.api.bounds import PublicBounds
from devicepark.api.campaigns import CampaignDir
from devicepark.api.errors import ApiError, JSONBody, install
from devicepark.api.routes import campaigns, queries
from devicepark.api.security import SecurityHeaders
from devicepark.api.state import AnswerCache, StoreState
from devicepark.api.work import Gate, Limits, RateLimits, Running
from devicepark.errors import StoreError
from devicepark.publish.cellkey import THRESHOLD
from devicepark.questions import EngineOptions


def create_app(
    store_dir: str | os.PathLike[str],
    token: str | None = None,
    public: bool = False,
    *,
    campaigns_dir: str | os.PathLike[str] | None = None,
    cache_size: int = 512,
    threshold: int | None = None,
    engine: EngineOptions | None = None,
    limits: Limits | None = None,
    bounds: PublicBounds | None = None,
) -> FastAPI:
    """The API on the store at ``store_dir``.

    ``token`` defaults to ``DEVICEPARK_API_TOKEN``; ``public`` serves aggregates without a token,
    perturbed (cell-key perturbation; published counts under ``threshold``, default 10 lines,
    hidden) and within ``bounds``; ``limits`` bounds every request's cost, time and rate;
    ``engine`` chooses the engine and its settings (default DuckDB, or ``DEVICEPARK_ENGINE``).
    """
    app = FastAPI(
        title="devicepark",
        version="1",
        description=(
            "Subscribers per handset vendor and model, from a devicepark store. JSON bodies are "
            "byte for byte those of the CLI's --format json. Send 'Authorization: Bearer <token>' "
            "(DEVICEPARK_API_TOKEN) for exact figures"
            + ("; this server is public: anonymous requests get perturbed aggregates "
               "(cell-key perturbation, PRIVACY.md) within published bounds and rate limits."
               if public else ".")  # fmt: skip
        ),
        default_response_class=JSONBody,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the spec alone is served
        redoc_url=None,
        lifespan=_lifespan,
    )
    install(app)
    app.add_middleware(SecurityHeaders)
    # What the routes read through devicepark.api.deps.Served
    app.state.store = StoreState(store_dir, engine)
    app.state.cache = AnswerCache(cache_size)
    app.state.campaigns = CampaignDir(
        Path(campaigns_dir) if campaigns_dir else Path(store_dir) / "campaigns"
    )
    app.state.token = token if token is not None else (os.environ.get(auth.ENV) or None)
    app.state.public = public
    app.state.threshold = THRESHOLD if threshold is None else int(threshold)
    app.state.limits = limits = limits or Limits()
    app.state.bounds = bounds or PublicBounds()
    app.state.running = Running()
    app.state.gate = Gate(limits.concurrent, limits.queue_seconds)
    app.state.rates = RateLimits(limits.requests, limits.work)
    app.include_router(queries.router)
    app.include_router(campaigns.router)
    app.include_router(dashboard.router)
    _openapi_security(app)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On shutdown, stop every query still running and close the engine."""
    yield
    app.state.running.interrupt_all()
    app.state.store.close()


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
