"""Bounded work per request: a cost known before a query runs, a wall-clock limit that stops the
engine, a cap on the engine work running at once, and per-client rate limits in public mode.

- :func:`estimate`: the most cells a question can produce (groups x points), the groups bounded
  by the product of its keys' distinct values in the store (``answers.cardinalities``, cached
  per store version); a request over :attr:`Limits.max_cells` is a 400 naming the limit.
- :class:`Running`: every query running now, each with a :class:`Ticket` that interrupts the
  engine's work (DuckDB ``interrupt()`` on the request's cursor, Spark ``cancelJobGroup``):
  when the wall-clock limit passes, when the client hangs up, and for all of them when the
  server shuts down (``serve`` on SIGTERM).
- :class:`Gate`: at most :attr:`Limits.concurrent` queries at once; a request that cannot start
  within :attr:`Limits.queue_seconds` is a 503 with ``Retry-After``.
- :class:`RateLimits`: anonymous clients of a public server, per address (the ``limits``
  library's moving windows): every request, and separately every request that makes the engine
  work (a cache miss); over either, a 429 naming the limit, with ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import ibis

from devicepark.api.errors import ApiError
from devicepark.base.series import point_dates
from devicepark.store.engine import is_duckdb


@dataclass(frozen=True)
class Limits:
    """The bounds of one server (``create_app(limits=...)``)."""

    max_cells: int = 2_000_000  # groups x points of one answer, with the token
    public_max_cells: int = 200_000  # the same for anonymous requests of a public server
    seconds: float = 60.0  # wall-clock limit of one query, with the token
    public_seconds: float = 15.0  # the same for anonymous requests
    concurrent: int = 2  # engine queries running at once (a core each on a 2-core machine)
    queue_seconds: float = 10.0  # how long a request may wait for its turn
    requests: str = "120/minute"  # per anonymous client of a public server: every request
    work: str = "20/minute"  # per anonymous client: requests that make the engine work


# -- the cost of a question --------------------------------------------------------------------


def _groups(keys: tuple[str, ...] | list[str], card: Mapping[str, int]) -> int:
    return math.prod(max(1, int(card.get(k, 1))) for k in keys)


def estimate(kind: str, question: Any, card: Mapping[str, int], span: int = 0) -> int:
    """The most cells an answer of ``kind`` to ``question`` can hold: groups x points.

    ``card`` gives each grouping key's number of distinct values in the store; ``span`` the
    number of days a milestones or campaign question reads (known only once the store is).

    >>> from devicepark.questions import BaseQuestion, SeriesQuestion
    >>> card = {"vendor": 40, "model": 2000, "region": 13, "operator_brand": 2}
    >>> estimate("base", BaseQuestion.parse("2022-02-03", "model,region"), card)
    26000
    >>> estimate("series", SeriesQuestion.parse("2022-01-01", "2022-12-31", "week",
    ...                                          "vendor,operator_brand"), card)
    4160
    """
    if kind == "base":
        return _groups(question.by, card)
    if kind == "series":
        return _groups(question.by, card) * len(point_dates(question.start, question.end,
                                                            question.every))  # fmt: skip
    if kind == "switches":
        states = max(1, int(card.get(question.by, 1))) + 2  # and the two reserved states
        return states * states
    if kind == "adds":
        keys = [k for k in question.by if not (k == "vendor" and question.vendor)]
        return _groups(keys, card) * ((question.end - question.start).days + 1)
    return max(1, span)  # milestones, campaign results: one count a day


def check_cost(cells: int, limit: int) -> None:
    """A 400 naming the limit when an answer could hold more than ``limit`` cells."""
    if cells > limit:
        raise ApiError(
            400,
            f"this request could produce up to {cells:,} cells (groups x points, from the number "
            f"of distinct values of each key in the store); the limit per request is {limit:,}: "
            "ask for fewer keys, a shorter period or a coarser step",
            code="too_costly",
        )


def days_between(a: dt.date | None, b: dt.date | None, default: int) -> int:
    return default if a is None or b is None else max(1, (b - a).days + 1)


# -- stopping the engine's work ----------------------------------------------------------------


class Ticket:
    """One running query: who can stop it, and why it was stopped (None while it runs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop: Callable[[], None] | None = None
        self.reason: str | None = None

    def attach(self, stop: Callable[[], None]) -> None:
        """The engine is about to work: ``stop`` interrupts it (at once if already asked)."""
        with self._lock:
            self._stop = stop
            late = self.reason is not None
        if late:
            stop()

    def detach(self) -> None:
        with self._lock:
            self._stop = None

    def interrupt(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            stop = self._stop
        if stop is not None:
            with contextlib.suppress(Exception):  # the query may have just finished
                stop()


def stopper(con: ibis.BaseBackend) -> tuple[Callable[[], None], Callable[[], None]]:
    """(stop, done) for the engine behind ``con``: DuckDB interrupts the request's cursor; Spark
    tags this thread's jobs (a job group before Spark 3.5) and cancels the jobs of that tag."""
    if is_duckdb(con):
        raw = con.con  # type: ignore[attr-defined]
        return raw.interrupt, lambda: None
    session = getattr(con, "_session", None)
    if session is None:  # pragma: no cover - an engine we cannot stop
        return (lambda: None), (lambda: None)
    sc = session.sparkContext
    tag = f"devicepark-{uuid.uuid4().hex[:12]}"
    if hasattr(sc, "addJobTag"):  # thread-local, like every local property of PySpark
        sc.addJobTag(tag)
        return (lambda: sc.cancelJobsWithTag(tag)), (lambda: sc.removeJobTag(tag))
    sc.setJobGroup(tag, "devicepark API request", interruptOnCancel=True)  # pragma: no cover
    return (lambda: sc.cancelJobGroup(tag)), (lambda: None)  # pragma: no cover


class Running:
    """The queries running now; :meth:`interrupt_all` stops every one (the server's shutdown)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets: dict[int, Ticket] = {}
        self._ids = itertools.count()
        self.closing = False

    @contextlib.contextmanager
    def track(self, ticket: Ticket) -> Iterator[None]:
        with self._lock:
            if self.closing:
                raise ApiError(503, "the server is shutting down", code="unavailable")
            n = next(self._ids)
            self._tickets[n] = ticket
        try:
            yield
        finally:
            with self._lock:
                self._tickets.pop(n, None)

    def interrupt_all(self, reason: str = "shutdown") -> int:
        """Stop every running query and refuse new ones; how many were stopped."""
        with self._lock:
            self.closing = True
            tickets = list(self._tickets.values())
        for t in tickets:
            t.interrupt(reason)
        return len(tickets)

    def __len__(self) -> int:
        with self._lock:
            return len(self._tickets)


STOPPED = {
    "timeout": (503, "timeout", "the query ran over this server's time limit of {s:g} s and was "
                                "stopped: ask for fewer keys or a shorter period"),
    "disconnected": (499, "client_closed", "the client hung up; the query was stopped"),
    "shutdown": (503, "unavailable", "the server is shutting down; the query was stopped"),
}  # fmt: skip


class Gate:
    """At most ``size`` engine queries at once; the others wait up to ``wait`` seconds."""

    def __init__(self, size: int, wait: float) -> None:
        self._sem = threading.BoundedSemaphore(max(1, size))
        self.size, self.wait = max(1, size), wait

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        if not self._sem.acquire(timeout=self.wait):
            raise ApiError(
                503,
                f"the server is busy ({self.size} queries running); retry in a few seconds",
                code="busy",
                headers={"Retry-After": "5"},
            )
        try:
            yield
        finally:
            self._sem.release()


def run_guarded(
    compute: Callable[[], Any],
    ticket: Ticket,
    running: Running,
    gate: Gate,
    seconds: float,
) -> Any:
    """Run ``compute`` (which attaches the engine to ``ticket`` once it has a cursor) in its
    turn, stopped after ``seconds``; a stopped query is an ApiError saying why."""
    with gate.turn(), running.track(ticket):
        timer = threading.Timer(seconds, ticket.interrupt, args=("timeout",))
        timer.daemon = True
        timer.start()
        try:
            return compute()
        except ApiError:
            raise
        except Exception:
            if ticket.reason is not None:
                status, code, text = STOPPED[ticket.reason]
                raise ApiError(status, text.format(s=seconds), code=code) from None
            raise
        finally:
            timer.cancel()
            ticket.detach()


# -- rate limits -------------------------------------------------------------------------------


class RateLimits:
    """Per-client moving windows (``limits``): every request, and requests that make work."""

    def __init__(self, requests: str, work: str) -> None:
        from limits import parse, storage, strategies

        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self.items = {"requests": parse(requests), "work": parse(work)}

    def hit(self, which: str, client: str) -> None:
        """Count one ``which`` (requests or work) for ``client``; a 429 when over the limit."""
        item = self.items[which]
        if self._limiter.hit(item, which, client):
            return
        stats = self._limiter.get_window_stats(item, which, client)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        what = "requests" if which == "requests" else "requests that run a query"
        raise ApiError(
            429,
            f"rate limit: at most {item.amount} {what} per {item.multiples} "
            f"{item.GRANULARITY.name} per client on this public server; retry in {retry} s "
            "(or send the API token)",
            code="rate_limited",
            headers={"Retry-After": str(retry)},
        )
