"""Upgrade a store written by an earlier release to this release's format, in place, atomically.

``UPGRADES`` maps each older format this release still reads to the next format and the step
that rewrites what changed between them (inside the upgrade's transaction). ``upgrade`` runs the
steps from the store's format up to ``FORMAT`` in one transaction, so the new manifest (with the
new format and a new version) is one commit: a reader sees the store wholly before or wholly
after. ``devicepark store upgrade`` and the first ingest call it.
"""

from __future__ import annotations

from collections.abc import Callable

from devicepark.store.store import FORMAT, Store, Transaction

# {older format: (the next format, the step that rewrites the store from one to the other)}.
# Empty while the layout has not changed since devicepark-store/1.
UPGRADES: dict[str, tuple[str, Callable[[Transaction], None]]] = {}


def upgrade(store: Store) -> str | None:
    """Bring ``store`` to ``FORMAT`` in one commit; return the format it had before, or None if
    it was already current (nothing is written then). ``store`` follows the new version."""
    if store.format == FORMAT:
        return None
    with store.transaction(upgrade=True) as tx:
        before = fmt = tx.base.format  # under the lock: another writer may have upgraded it
        while fmt != FORMAT:
            fmt, step = UPGRADES[fmt]
            step(tx)
        tx.changed = before != FORMAT  # the new format alone is a change to commit
    return None if before == FORMAT else before
