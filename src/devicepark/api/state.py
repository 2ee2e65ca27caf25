"""What the API keeps between requests: the store at its newest version, one embedded DuckDB
database with a cursor per request, and a cache of answers per (store version, query).

The store is re-opened when ``manifest.json`` changes (the commit is an atomic rename, so a new
inode, size or mtime means a new version). Each request gets its own DuckDB cursor (a connection
to the shared in-memory database, safe to use from its own thread) bound to the store's tables
at that request's version; answers are cached under that version, so a commit is seen at once.
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

from devicepark.store import Store, Tables, open_tables
from devicepark.store.engine import QUIET
from devicepark.store.store import MANIFEST


class StoreState:
    """The store directory, re-read when its manifest changes, and the shared DuckDB database."""

    def __init__(self, path: str | os.PathLike[str], threads: int | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._store: Store | None = None
        self._threads = threads
        self._db: Any = None

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

    def _database(self) -> Any:
        with self._lock:
            if self._db is None:
                import duckdb

                config: dict[str, Any] = {}
                if self._threads:
                    config["threads"] = self._threads
                self._db = duckdb.connect(config=config)
            return self._db

    @contextlib.contextmanager
    def tables(self, store: Store | None = None) -> Iterator[tuple[ibis.BaseBackend, Tables]]:
        """An Ibis backend on a fresh cursor, and the store's tables bound to it."""
        store = store or self.store()
        cursor = self._database().cursor()
        cursor.execute(QUIET)  # a session setting: each cursor needs it
        try:
            con = ibis.duckdb.from_connection(cursor)
            yield con, open_tables(con, store)
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class AnswerCache:
    """A bounded LRU of encoded answers; concurrent misses of one key compute it once."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Any, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

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
            value = compute()  # an exception is not cached
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._pending.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
