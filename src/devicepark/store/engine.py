"""The engine connection: DuckDB by default, Spark at scale, both through Ibis.

Only the faces call ``connect``; domain queries take the Ibis tables ``open_tables`` returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.errors import ConfigError, MissingDependency
from devicepark.store.schema import SCHEMAS
from devicepark.store.store import Store

ENGINES = ("duckdb", "spark")


def connect(
    engine: str | None = None,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
) -> ibis.BaseBackend:
    """An Ibis backend: ``duckdb`` (embedded, the default) or ``spark`` (``DEVICEPARK_ENGINE``)."""
    engine = (engine or os.environ.get("DEVICEPARK_ENGINE") or "duckdb").lower()
    if engine == "duckdb":
        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        return ibis.duckdb.connect(**config)
    if engine == "spark":
        return _spark(spark_master, spark_conf or {}, memory_limit)
    raise ConfigError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")


def duckdb_connection(memory_limit: str | None = None, threads: int | None = None) -> Any:
    """A raw embedded DuckDB connection (ingest's bulk SQL), session time zone UTC."""
    import duckdb

    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _spark(master: str | None, conf: dict[str, str], memory_limit: str | None) -> ibis.BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingDependency("pyspark", extra="spark") from None
    builder = SparkSession.builder.appName("devicepark").master(master or "local[2]")
    defaults = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
    }
    if memory_limit:
        defaults["spark.driver.memory"] = memory_limit
    for key, value in {**defaults, **conf}.items():
        builder = builder.config(key, value)
    return ibis.pyspark.connect(builder.getOrCreate())


@dataclass(frozen=True)
class Tables:
    """The store's tables as Ibis expressions, at one manifest version."""

    store: Store
    lines: Table
    observations: Table
    tenures: Table
    catalog: Table
    quarantine: Table
    ingests: Table

    def get(self, name: str, con: ibis.BaseBackend) -> Table:
        """Any other declared table (market, privacy ledger, ...)."""
        return table(con, self.store, name)


def table(con: ibis.BaseBackend, store: Store, name: str) -> Table:
    """One store table as an Ibis table; an empty table keeps its schema."""
    files = store.files(name)
    if not files:
        return ibis.memtable(SCHEMAS[name].empty_table())
    view = f"dp_{name}_v{store.version}"
    return con.read_parquet(files, table_name=view)


def open_tables(con: ibis.BaseBackend, store: Store) -> Tables:
    """Bind the store's core tables to a backend."""
    names = ("lines", "observations", "tenures", "catalog", "quarantine", "ingests")
    return Tables(store=store, **{n: table(con, store, n) for n in names})
