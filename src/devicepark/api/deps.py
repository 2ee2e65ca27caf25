"""What the routes depend on: the app's state (set once by ``create_app`` on ``app.state``),
the token guards, and the one way an answer is computed, protected, encoded and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import ibis
from fastapi import Depends, Request

from devicepark.api import auth
from devicepark.api.campaigns import CampaignDir
from devicepark.api.errors import JSONBody, body
from devicepark.api.public import protect
from devicepark.api.state import AnswerCache, StoreState
from devicepark.store import Tables

Compute = Callable[[ibis.BaseBackend, Tables], dict[str, Any]]


@dataclass(frozen=True)
class Served:
    """One app's state, typed: what ``create_app`` put on ``app.state``."""

    store: StoreState
    cache: AnswerCache
    campaigns: CampaignDir
    token: str | None
    public: bool
    threshold: int

    @classmethod
    def of(cls, request: Request) -> Served:
        s = request.app.state
        return cls(s.store, s.cache, s.campaigns, s.token, s.public, s.threshold)

    async def answer(self, kind: str, question: Hashable, compute: Compute) -> JSONBody:
        """The cached bytes of the answer to ``question``; a miss is computed in a worker
        thread, and protected as answers of ``kind`` are when the server is public."""
        store = self.store.store()
        key = ((store.version, store.manifest.committed_at), question, self.public)
        hit = self.cache.peek(key)
        if hit is not None:
            return JSONBody(hit)

        def run() -> bytes:
            with self.store.tables(store) as (con, tables):
                result = compute(con, tables)
            if self.public:
                result = protect(kind, result, self.threshold)
            return body(result)

        return JSONBody(await anyio.to_thread.run_sync(self.cache.get_or_compute, key, run))


async def served(request: Request) -> Served:  # async: no thread hop
    return Served.of(request)


App = Annotated[Served, Depends(served)]


async def aggregate(request: Request) -> None:  # async: no thread hop on the hot path
    """Aggregates need the token unless the server is public."""
    if not request.app.state.public:
        auth.require(request, request.app.state.token)


async def private(request: Request) -> None:
    """Line-level exports always need the token."""
    auth.require(request, request.app.state.token)
