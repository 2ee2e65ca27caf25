"""Upgrade a store written by an earlier release to this release's format, in place, atomically.

``UPGRADES`` maps each older format this release still reads to the next format and the step
that rewrites what changed between them (inside the upgrade's transaction). ``upgrade`` runs the
steps from the store's format up to ``FORMAT`` in one transaction, so the new manifest (with the
new format and a new version) is one commit: a reader sees the store wholly before or wholly
after. ``devicepark store upgrade`` (which also builds the derived tables in that commit, through
``derive``) and the first ingest (whose own transaction builds them) call it.
"""

from __future__ import annotations

from collections.abc import Callable

from devicepark.store.duck import paths_sql
from devicepark.store.layout import COLUMNS, write_tenures
from devicepark.store.store import FORMAT, Derive, Store, Transaction


def _tenures_in_two_parts(tx: Transaction) -> None:
    """devicepark-store/1 -> /2: the tenures (one file) become closed runs and the open part
    (each line's last run), the same rows."""
    files = tx.files("tenures")
    if not files:
        return
    from devicepark.store.engine import duckdb_connection

    con = duckdb_connection()
    try:
        write_tenures(con, tx, f"SELECT {COLUMNS} FROM read_parquet({paths_sql(files)})")
    finally:
        con.close()


def _derived_tables(tx: Transaction) -> None:
    """devicepark-store/2 -> /3: no row changes. Format 3 may hold tables derived from others
    (``store.DERIVED``: the daily aggregate), which every writer of this release keeps up to date
    or drops; the new format keeps the releases that do not know them from writing (they refuse
    a newer format), where they would leave one stale."""


# {older format: (the next format, the step that rewrites the store from one to the other)}.
UPGRADES: dict[str, tuple[str, Callable[[Transaction], None]]] = {
    "devicepark-store/1": ("devicepark-store/2", _tenures_in_two_parts),
    "devicepark-store/2": ("devicepark-store/3", _derived_tables),
}


def upgrade(store: Store, derive: Derive | None = None) -> str | None:
    """Bring ``store`` to ``FORMAT`` in one commit; return the format it had before, or None if
    it was already current (nothing is written then). ``store`` follows the new version.
    ``derive(tx, con)`` (the daily aggregate's ``refresh_daily``, a later stage) builds the
    derived tables in the same commit, on a DuckDB connection of its own."""
    if store.format == FORMAT:
        return None
    with store.transaction(upgrade=True) as tx:
        before = fmt = tx.base.format  # under the lock: another writer may have upgraded it
        while fmt != FORMAT:
            fmt, step = UPGRADES[fmt]
            step(tx)
        tx.changed = before != FORMAT  # the new format alone is a change to commit
        if derive is not None and tx.changed:
            from devicepark.store.engine import duckdb_connection

            con = duckdb_connection()
            try:
                derive(tx, con)
            finally:
                con.close()
    return None if before == FORMAT else before
