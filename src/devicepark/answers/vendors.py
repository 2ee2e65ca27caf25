"""Vendor names as people type them: any case, any alias, checked against the store.

A vendor given to any question (``announce``, ``milestones``, ``adds``, ``claim check``,
``report --vendor``, the API's ``vendor``) goes through the vendor aliases (``redmi`` and
``Xiaomi Communications Co Ltd`` are Xiaomi) and is then matched, ignoring case, against the
vendors of the store's catalog (plus ``Unknown``). A name that matches none is an error naming
the closest ones, never a silent count of 0. A vendor the aliases know but the store's catalog
has no TAC of (Huawei in a store of Apple and Samsung phones) is a true 0, and allowed.
"""

from __future__ import annotations

import difflib

import ibis

from devicepark.errors import ConfigError
from devicepark.identify.vendors import UNKNOWN, vendor_of
from devicepark.store.engine import Tables


def store_vendors(con: ibis.BaseBackend, tables: Tables) -> list[str]:
    """The vendor names the store can count: its catalog's, and Unknown."""
    t = tables.catalog
    found = con.to_pyarrow(t.select("vendor").distinct()).column("vendor").to_pylist()
    names = {name for name in found if name}
    return sorted(names | {UNKNOWN})


def resolve_vendor(name: str, known: list[str], label: str = "vendor") -> str:
    """The store's spelling of ``name``; ConfigError naming the closest when none matches.

    >>> resolve_vendor("redmi", ["Apple", "Xiaomi"]), resolve_vendor("APPLE", ["Apple"])
    ('Xiaomi', 'Apple')
    >>> resolve_vendor("huawei", ["Apple"])  # known to the aliases: a true 0 in this store
    'Huawei'
    >>> resolve_vendor("Xiaom", ["Apple", "Samsung", "Xiaomi"])
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: vendor 'Xiaom' is not in this store's catalog; closest: Xiaomi
    """
    by_fold = {k.casefold(): k for k in known}
    alias = vendor_of(name)
    for candidate in (name.strip(), alias or ""):
        hit = by_fold.get(candidate.casefold())
        if hit is not None:
            return hit
    if alias is not None:  # a real vendor the store has no TAC of: its count is a true 0
        return alias
    close = difflib.get_close_matches(name.strip().casefold(), list(by_fold), n=3, cutoff=0.5)
    hint = ", ".join(by_fold[c] for c in close) or "none near it (devicepark tac lookup lists TACs)"
    raise ConfigError(f"{label} {name!r} is not in this store's catalog; closest: {hint}")


def resolve_vendors(
    con: ibis.BaseBackend, tables: Tables, names: tuple[str, ...] | list[str]
) -> list[str]:
    """Each name resolved (one catalog query for all)."""
    if not names:
        return []
    known = store_vendors(con, tables)
    return [resolve_vendor(n, known) for n in names]
