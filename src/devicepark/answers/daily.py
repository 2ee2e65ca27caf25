"""Keep the daily aggregate (``devicepark.base.daily``) up to date inside a store's transaction:
the ingest's hook after the refold (``ingest(..., derive=refresh_daily)``, which the CLI's
``ingest`` and ``demo`` pass on both engines) and ``store.upgrade``'s.

The table is a sum of event files. Its ``open`` part holds the events of the tenures' open part
(each line's last run); every other file holds events of closed runs and of the lines' own
activation and termination, or corrections to them. Since events add up, a night changes it
without reading the history:

- the open part is written again from the tenures' new open part (its size is the number of
  lines, not the history);
- the runs a night closes (the tenures' new closed files) add a file of their events;
- lines whose attributes or dates changed add a correction: their closed runs' and their own
  events under the new row, less the same under the old one;
- past ``MAX_FILES`` files the closed files are summed into one.

It is rebuilt whole from the transaction's lines, catalog and tenures on the first ingest, when
the catalog changes, when the tenures were rewritten rather than appended to (late data, the
closed runs merged), or when the store has none. A store whose tenures gap is longer than the
aggregate's lookback gets none; there, and whenever a transaction changes a source without
writing it again (``store.DERIVED`` drops it then), queries fold the tenures exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.base.daily import DAILY_LOOKBACK, combine, run_events, total_events
from devicepark.store.duck import PARQUET, execute, lit, typed_columns
from devicepark.store.layout import OPEN
from devicepark.store.schema import DAILY, LINES, SCHEMAS
from devicepark.store.store import Transaction

MAX_FILES = 64  # closed event files kept apart before they are summed into one


def refresh_daily(tx: Transaction, con: Any) -> str:
    """Bring the daily aggregate of ``tx`` up to date on the DuckDB connection ``con``; say how
    (``kept``, ``none``, ``rebuilt`` or ``updated``)."""
    if tx.files("daily"):  # no source changed since it was written
        return "kept"
    if tx.config.tenure_gap_days > DAILY_LOOKBACK or not tx.files("lines"):
        return "none"
    backend = ibis.duckdb.from_connection(con)
    appended = _appended(tx)
    if appended is not None:
        _update(tx, con, backend, appended)
        return "updated"
    _rebuild(tx, con, backend)
    return "rebuilt"


def _bind(backend: Any, name: str, files: list[str]) -> Table:
    if not files:
        return ibis.memtable(SCHEMAS[name].empty_table())
    return backend.read_parquet(files)


def _without(files: list[str], drop: list[str]) -> list[str]:
    """``files`` less those in ``drop``, in order (a table's closed files: less its open part)."""
    dropped = set(drop)
    return [f for f in files if f not in dropped]


@dataclass(frozen=True)
class _Appended:
    """How a transaction appended to the tenures of its base: the base's closed files, the new
    open part, and the closed files the transaction added."""

    old_closed: list[str]
    new_open: list[str]
    added: list[str]


def _appended(tx: Transaction) -> _Appended | None:
    """The tenures' files, if the aggregate can be updated rather than rebuilt: the base has an
    aggregate with its open part, the catalog is the same, both tenures have an open part and
    every closed file of the base is still there (no late data, no merge)."""
    base = tx.base
    if not base.files("daily") or not base.part_files("daily", OPEN):
        return None
    if tx.files("catalog") != base.files("catalog"):
        return None
    old_open, new_open = base.part_files("tenures", OPEN), tx.part_files("tenures", OPEN)
    if not old_open or not new_open:
        return None
    old_closed = _without(base.files("tenures"), old_open)
    if not set(old_closed) <= set(tx.files("tenures")):
        return None
    added = _without(_without(tx.files("tenures"), new_open), old_closed)
    return _Appended(old_closed, new_open, added)


def _write(tx: Transaction, con: Any, backend: Any, expr: Table) -> Any:
    """COPY the events expression into a new file of the table, each column cast to its store
    type (``store.duck.typed_columns``)."""
    path = tx.new_path("daily")
    view = f"devicepark_daily_{tx.txid.replace('-', '_')}"
    backend.create_view(view, expr, overwrite=True)
    try:
        copy = f"COPY (SELECT {typed_columns(DAILY)} FROM {view}) TO {lit(path)}"
        execute(con, f"{copy} ({PARQUET})")
    finally:
        execute(con, f"DROP VIEW IF EXISTS {view}")
    return path


def _rebuild(tx: Transaction, con: Any, backend: Any) -> None:
    lines = _bind(backend, "lines", tx.files("lines"))
    catalog = _bind(backend, "catalog", tx.files("catalog"))
    files, open_files = tx.files("tenures"), tx.part_files("tenures", OPEN)
    tenures = _bind(backend, "tenures", files)
    if open_files:
        closed = _bind(backend, "tenures", _without(files, open_files))
        opened = _bind(backend, "tenures", open_files)
        rest = combine([(run_events(closed, lines, catalog, following=tenures), 1),
                        (total_events(lines), 1)])  # fmt: skip
        open_path = _write(
            tx, con, backend, combine([(run_events(opened, lines, catalog, last=True), 1)])
        )
        tx.rewrite("daily", [], [_write(tx, con, backend, rest), open_path], {OPEN: [open_path]})
        return
    # tenures without their open part (a writer that does not split them): one file, no part,
    # so the next ingest rebuilds it again
    whole = combine([(run_events(tenures, lines, catalog), 1), (total_events(lines), 1)])
    tx.rewrite("daily", [], [_write(tx, con, backend, whole)], {})


def _update(tx: Transaction, con: Any, backend: Any, appended: _Appended) -> None:
    base = tx.base
    catalog = _bind(backend, "catalog", tx.files("catalog"))
    new_lines = _bind(backend, "lines", tx.files("lines"))
    opened = _bind(backend, "tenures", appended.new_open)
    parts: list[tuple[Table, int]] = []
    if appended.added:  # the runs this transaction closed; each may be followed by an open one
        runs = _bind(backend, "tenures", appended.added)
        parts.append((run_events(runs, new_lines, catalog, following=runs.union(opened)), 1))
    if tx.files("lines") != base.files("lines"):
        old_lines = _bind(backend, "lines", base.files("lines"))
        cols = list(LINES.names[:-1])  # every attribute, not the ingest_seq
        a, b = new_lines.select(cols), old_lines.select(cols)
        moved = a.difference(b).select("line").union(b.difference(a).select("line")).distinct()
        old_runs = _bind(backend, "tenures", appended.old_closed)
        runs = old_runs.semi_join(moved, "line")
        nexts = _bind(backend, "tenures", base.files("tenures")).semi_join(moved, "line")
        before = old_lines.semi_join(moved, "line")
        after = new_lines.semi_join(moved, "line")
        parts += [
            (run_events(runs, after, catalog, following=nexts), 1),
            (total_events(after), 1),
            (run_events(runs, before, catalog, following=nexts), -1),
            (total_events(before), -1),
        ]
    kept = _without(base.files("daily"), base.part_files("daily", OPEN))
    add = [_write(tx, con, backend, combine(parts))] if parts else []
    if len(kept) + len(add) > MAX_FILES:  # sum the closed event files into one
        every = _bind(backend, "daily", kept)
        add = [_write(tx, con, backend, combine([(every, 1), *parts]))]
        kept = []
    open_path = _write(
        tx, con, backend, combine([(run_events(opened, new_lines, catalog, last=True), 1)])
    )
    tx.rewrite("daily", kept, [*add, open_path], {OPEN: [open_path]})
