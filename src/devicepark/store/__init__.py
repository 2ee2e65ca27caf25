"""The store: Parquet tables with a manifest and atomic commits, and the engine connection."""

from devicepark.store.engine import Tables, connect, open_tables, table
from devicepark.store.store import Store, StoreConfig, Transaction

__all__ = ["Store", "StoreConfig", "Tables", "Transaction", "connect", "open_tables", "table"]
