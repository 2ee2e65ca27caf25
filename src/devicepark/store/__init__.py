"""The store: Parquet tables with a manifest and atomic commits, and the engine connection."""

from devicepark.store.engine import Tables, connect, open_tables, table
from devicepark.store.store import Store, StoreConfig, Transaction
from devicepark.store.views import bind_views

__all__ = [
    "Store",
    "StoreConfig",
    "Tables",
    "Transaction",
    "bind_views",
    "connect",
    "open_tables",
    "table",
]
