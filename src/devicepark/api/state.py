"""What the API keeps between requests: the store at its newest version, the engine behind it,
and a cache of answers per (store version, question).

The store is re-opened when ``manifest.json`` changes (the commit is an atomic rename, so a new
inode, size or mtime means a new version). The engine comes from ``devicepark.store.engine``,
as for every face (memory limit, spill folder, UTC, Spark). On DuckDB each request gets its own
cursor (a connection to the shared database, safe to use from its own thread) with the store's
tables bound to it at that request's version; on Spark one backend serves every request, its
tables bound once per store version. Answers are cached under the version, so a commit is seen
at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ibis

from devicepark.questions import EngineOptions
from devicepark.store import Store, Tables, connect, open_tables
from devicepark.store.engine import duckdb_cursor, is_duckdb
from devicepark.store.store import MANIFEST


class StoreState:
    """The store directory, re-read when its manifest changes, and the engine that reads it."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        engine: EngineOptions | None = None,
        *,
        threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.engine = engine or EngineOptions()
        self._threads = threads
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._store: Store | None = None
        self._backend: ibis.BaseBackend | None = None
        self._shared: tuple[Store, Tables] | None = None  # Spark: the tables of one version

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path / MANIFEST)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def store(self) -> Store:
        """The store at its newest committed version (StoreError when there is none)."""
        sig = self._stat()
        with self._lock:
            if self._store is None or sig is None or sig != self._signature:
                self._store = Store.open(self.path)
                self._signature = sig
            return self._store

    def backend(self) -> ibis.BaseBackend:
        """The engine's backend, connected on first use (``serve`` calls it to fail early)."""
        with self._lock:
            if self._backend is None:
                opts = self.engine
                self._backend = connect(
                    opts.engine,
                    memory_limit=opts.memory_limit,
                    threads=self._threads,
                    spark_master=opts.spark_master,
                    spark_conf=dict(opts.spark_conf),
                )
            return self._backend

    @contextlib.contextmanager
    def tables(self, store: Store | None = None) -> Iterator[tuple[ibis.BaseBackend, Tables]]:
        """A backend for this request and the store's tables bound to it."""
        store = store or self.store()
        backend = self.backend()
        if not is_duckdb(backend):
            yield backend, self._shared_tables(backend, store)
            return
        con = duckdb_cursor(backend)
        try:
            yield con, open_tables(con, store)
        finally:
            con.disconnect()

    def _shared_tables(self, backend: ibis.BaseBackend, store: Store) -> Tables:
        with self._lock:
            shared = self._shared
        if shared is not None and shared[0] is store:
            return shared[1]
        tables = open_tables(backend, store)
        with self._lock:
            self._shared = (store, tables)
        return tables

    def close(self) -> None:
        with self._lock:
            if self._backend is not None:
                self._backend.disconnect()
                self._backend = None
                self._shared = None


class AnswerCache:
    """A bounded LRU of encoded answers (at most ``size`` entries and ``max_bytes`` of encoded
    bodies); concurrent misses of one key compute it once."""

    def __init__(self, size: int = 256, max_bytes: int = 256 * 2**20) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Any, threading.Lock] = {}
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _weight(value: Any) -> int:
        return len(value) if isinstance(value, bytes | str) else 0

    def peek(self, key: Any) -> Any:
        """The cached value of ``key`` or None (counts a hit)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        return None

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        if self.size <= 0:
            return compute()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            gate = self._pending.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    self.hits += 1
                    return self._items[key]
            self.misses += 1
            try:
                value = compute()  # an exception is not cached
            except BaseException:
                with self._lock:
                    self._pending.pop(key, None)
                raise
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                self._bytes += self._weight(value)
                while len(self._items) > self.size or (
                    self._bytes > self.max_bytes and len(self._items) > 1
                ):
                    self._bytes -= self._weight(self._items.popitem(last=False)[1])
                self._pending.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
