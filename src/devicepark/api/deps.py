"""What the routes depend on: the app's state (set once by ``create_app`` on ``app.state``),
the token guards, and the one way an answer is computed, protected, encoded and cached.

Figures are exact for a request that carries the token (any mode) and perturbed
(``api.public``) for an anonymous request of a public server; the response says which in its
``X-Devicepark-Figures`` header. Exact and perturbed answers are cached under different keys, so
a public request can never read an exact one. Every query runs in a worker thread, its cost
checked first and its engine work stopped on the wall-clock limit or when the client hangs up
(``api.work``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import ibis
from fastapi import Depends, Request

from devicepark import answers
from devicepark.api import auth, bounds
from devicepark.api.campaigns import CampaignDir
from devicepark.api.errors import JSONBody, body
from devicepark.api.public import protect
from devicepark.api.state import AnswerCache, StoreState
from devicepark.api.work import (
    Gate,
    Limits,
    RateLimits,
    Running,
    Ticket,
    check_cost,
    estimate,
    run_guarded,
    stopper,
)
from devicepark.publish.cellkey import strip_check
from devicepark.store import Tables

Compute = Callable[[ibis.BaseBackend, Tables, bool], Any]  # (con, tables, keyed) -> answer
FIGURES = "X-Devicepark-Figures"


def figures_headers(exact: bool) -> dict[str, str]:
    """The headers of an answer: exact or perturbed, and who may keep a copy."""
    return {
        FIGURES: "exact" if exact else "perturbed",
        "Cache-Control": "private, no-store" if exact else "public, max-age=300",
        "Vary": "Authorization",
    }


@dataclass(frozen=True)
class Served:
    """One app's state, typed: what ``create_app`` put on ``app.state``."""

    store: StoreState
    cache: AnswerCache
    campaigns: CampaignDir
    token: str | None
    public: bool
    threshold: int
    bounds: bounds.PublicBounds
    limits: Limits
    running: Running
    gate: Gate
    rates: RateLimits

    @classmethod
    def of(cls, request: Request) -> Served:
        s = request.app.state
        return cls(s.store, s.cache, s.campaigns, s.token, s.public, s.threshold, s.bounds,
                   s.limits, s.running, s.gate, s.rates)  # fmt: skip

    def cardinalities(self, con: ibis.BaseBackend, tables: Tables, version: Any) -> Any:
        """Each grouping key's number of values in the store, once per store version."""
        key = ("cardinalities", version)
        return self.cache.get_or_compute(key, lambda: answers.cardinalities(con, tables))

    async def answer(
        self, request: Request, kind: str, question: Hashable, compute: Compute, *,
        span: int = 0, encode: Callable[[Any], bytes] = body,
    ) -> tuple[bytes, bool]:  # fmt: skip
        """(the encoded answer, exact?): cached bytes, or computed in a worker thread with the
        cost checked first, stopped on the time limit or a hang-up, and protected (perturbed)
        unless the request carries the token. ``compute(con, tables, keyed)``."""
        exact = is_exact(request)
        if not exact and kind in ("base", "series", "switches", "adds", "milestones"):
            bounds.check(self.bounds, kind, question)
        store = self.store.store()
        version = (store.version, store.manifest.committed_at)
        key = ("exact" if exact else "perturbed", version, kind, question)
        hit = self.cache.peek(key)
        if hit is not None:
            return hit, exact
        if not exact:
            self.rates.hit("work", client(request))
        limits = self.limits
        cells = limits.max_cells if exact else limits.public_max_cells
        seconds = limits.seconds if exact else limits.public_seconds
        ticket = Ticket()

        def work() -> bytes:
            with self.store.tables(store) as (con, tables):
                stop, done = stopper(con)
                ticket.attach(stop)
                try:
                    if kind != "dashboard":
                        card = self.cardinalities(con, tables, version)
                        check_cost(estimate(kind, question, card, span), cells)
                    result = compute(con, tables, not exact)
                finally:
                    done()
            if not exact and kind != "dashboard":
                result = protect(kind, result, self.threshold)
            data = encode(result)
            if not exact:
                strip_check(data.decode("utf-8"))
            return data

        def run() -> bytes:
            return run_guarded(work, ticket, self.running, self.gate, seconds)

        data = await watch(request, ticket, lambda: self.cache.get_or_compute(key, run))
        return data, exact

    async def json(
        self, request: Request, kind: str, question: Hashable, compute: Compute, span: int = 0
    ) -> JSONBody:
        data, exact = await self.answer(request, kind, question, compute, span=span)
        return JSONBody(data, headers=figures_headers(exact))


async def watch(request: Request, ticket: Ticket, fn: Callable[[], bytes]) -> bytes:
    """Run ``fn`` in a worker thread; if the client hangs up meanwhile, stop its query."""

    async def hang_up() -> None:
        while True:
            await asyncio.sleep(0.2)
            if await request.is_disconnected():
                ticket.interrupt("disconnected")
                return

    watcher = asyncio.ensure_future(hang_up())
    try:
        return await anyio.to_thread.run_sync(fn)
    finally:
        watcher.cancel()


def client(request: Request) -> str:
    """Who a request comes from, for the rate limits: its peer address."""
    return request.client.host if request.client else "unknown"


def is_exact(request: Request) -> bool:
    """Whether the request carries the token (set by :func:`aggregate`)."""
    return bool(getattr(request.state, "exact", False))


async def served(request: Request) -> Served:  # async: no thread hop
    return Served.of(request)


App = Annotated[Served, Depends(served)]


def admit(request: Request, *, browser: bool = False) -> None:
    """Aggregates need the token unless the server is public. On a public server a request
    that presents credentials must present the right ones (and gets exact figures); one that
    presents none is anonymous: perturbed figures, within the rate limits."""
    state = request.app.state
    if not state.public or request.headers.get("authorization"):
        auth.require(request, state.token, browser=browser)
        request.state.exact = True
        return
    request.state.exact = False
    state.rates.hit("requests", client(request))


async def aggregate(request: Request) -> None:  # async: no thread hop on the hot path
    admit(request)


async def private(request: Request) -> None:
    """Line-level exports, campaign files and offers always need the token."""
    auth.require(request, request.app.state.token)
    request.state.exact = True
