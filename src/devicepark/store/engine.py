"""The engine connection: DuckDB by default, Spark at scale, both through Ibis.

Only the faces call ``connect``; domain queries take the Ibis tables ``open_tables`` returns.
Both engines read the same Parquet files of the store at one manifest version, with the
session time zone set to UTC, so the same expression returns the same dates and timestamps.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
from ibis.expr.types import Table

from devicepark.errors import ConfigError, MissingDependency
from devicepark.store.schema import SCHEMAS
from devicepark.store.store import Store

ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[2]"


# DuckDB draws a progress bar on stdout for queries over two seconds, even when stdout is a pipe
# or a file: it would land inside a JSON answer. The faces draw their own progress on stderr.
QUIET = "SET enable_progress_bar = false"


def temp_directory() -> str:
    """Where DuckDB spills when a query outgrows its memory limit (``DEVICEPARK_TEMP_DIR``)."""
    default = os.path.join(tempfile.gettempdir(), "devicepark-spill")
    return os.environ.get("DEVICEPARK_TEMP_DIR") or default


def _duckdb_config(memory_limit: str | None, threads: int | None) -> dict[str, Any]:
    config: dict[str, Any] = {"temp_directory": temp_directory()}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    return config


def connect(
    engine: str | None = None,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    spark_master: str | None = None,
    spark_conf: dict[str, str] | None = None,
) -> ibis.BaseBackend:
    """An Ibis backend: ``duckdb`` (embedded, the default) or ``spark`` (``DEVICEPARK_ENGINE``).

    ``memory_limit`` (e.g. ``4GB``) caps DuckDB, which then spills to :func:`temp_directory`;
    on Spark it sets the driver memory of a session not started yet. ``spark_conf`` passes any
    Spark setting through (it wins over the defaults, except the UTC session time zone).

    >>> connect("oracle")
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: unknown engine 'oracle'; choose one of: duckdb, spark
    """
    engine = engine_name(engine)
    if engine == "duckdb":
        con = ibis.duckdb.connect(**_duckdb_config(memory_limit, threads))
        con.raw_sql(QUIET).fetchall()  # drained: DuckDB 2 keeps open results
        return con
    return _spark(spark_master, spark_conf or {}, memory_limit)


def engine_name(engine: str | None = None) -> str:
    """The engine asked for: ``engine``, else ``DEVICEPARK_ENGINE``, else ``duckdb``; one of
    ``ENGINES``, or a ConfigError naming them."""
    name = (engine or os.environ.get("DEVICEPARK_ENGINE") or "duckdb").strip().lower()
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    return name


def is_duckdb(con: ibis.BaseBackend) -> bool:
    """Whether ``con`` is an embedded DuckDB backend (whose database can hand out cursors)."""
    return getattr(con, "name", "") == "duckdb"


def duckdb_cursor(con: ibis.BaseBackend) -> ibis.BaseBackend:
    """A backend on a new cursor of ``con``'s DuckDB database, for one thread's use.

    The cursor shares the database, so its settings (memory limit, spill folder, threads) and
    its data; session settings are per cursor, so it gets the ones :func:`connect` makes:
    no progress bar and UTC. Close it with ``.disconnect()``.
    """
    cursor = con.con.cursor()  # type: ignore[attr-defined]
    cursor.execute(QUIET).fetchall()  # drained: DuckDB 2 keeps open results
    cursor.execute("SET TimeZone = 'UTC'").fetchall()
    return ibis.duckdb.from_connection(cursor)


# Ingest's DuckDB memory limit when none is given: DuckDB's own default is 80 % of the RAM, which
# its hash aggregations and window sorts fill on a large export (14 GB for a 2 M-line file); with
# a limit they spill to ``temp_directory`` instead, so the ingest's peak stays bounded whatever
# the file's size. The Python side (one block of Arrow, the Parquet writers) adds well under
# 1 GB on top.
INGEST_MEMORY_LIMIT_MB = 2048


def ingest_memory_limit() -> str:
    """The default memory limit of the ingest connection: 2 GiB, or a quarter of the RAM on a
    smaller machine (never under DuckDB's working floor of 128 MB)."""
    try:
        ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError):  # no sysconf: the fixed default
        ram_mb = 4 * INGEST_MEMORY_LIMIT_MB
    return f"{max(128, min(INGEST_MEMORY_LIMIT_MB, ram_mb // 4))}MB"


def duckdb_connection(memory_limit: str | None = None, threads: int | None = None) -> Any:
    """A raw embedded DuckDB connection (ingest's bulk SQL), session time zone UTC.

    Without ``memory_limit`` it gets :func:`ingest_memory_limit`, and spills to
    :func:`temp_directory` beyond it. Results keep no order but the one their SQL asks for
    (``preserve_insertion_order`` off): the ingest's steps carry the row numbers they need and
    its tables are sets, and DuckDB then writes Parquet and joins without buffering for order
    (a France-scale night's 20 M-row tenure write: 7.9 s, against 11.4 s in order)."""
    import duckdb

    config = _duckdb_config(memory_limit or ingest_memory_limit(), threads)
    con = duckdb.connect(config={**config, "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'").fetchall()  # drained: DuckDB 2 keeps results open
    con.execute(QUIET).fetchall()
    return con


def _spark(master: str | None, conf: dict[str, str], memory_limit: str | None) -> ibis.BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingDependency("pyspark", extra="spark") from None
    builder = SparkSession.builder.appName("devicepark").master(
        master or os.environ.get("DEVICEPARK_SPARK_MASTER") or DEFAULT_SPARK_MASTER
    )
    defaults = {
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.adaptive.enabled": "true",
        # move data between Python and the JVM as Arrow: nulls stay nulls, types stay exact
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # a busy single machine must not make the local executor look dead
        "spark.network.timeout": "800s",
        "spark.executor.heartbeatInterval": "60s",
    }
    if memory_limit:
        defaults["spark.driver.memory"] = memory_limit
    settings = {**defaults, **conf, "spark.sql.session.timeZone": "UTC"}
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    # getOrCreate hands back a running session unchanged: apply the runtime settings to it
    for key, value in settings.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    con = ibis.pyspark.connect(session)
    if int(session.version.split(".")[0]) >= 4:
        # Ibis moves data through pandas, and with pandas 3 nulls do not survive the trip: a
        # null string comes back as 'NaN' and an integer column with a null loses all its
        # values. PySpark 4 speaks Arrow both ways; use it.
        con._register_in_memory_table = types.MethodType(_register_arrow_table, con)
        con.to_pyarrow = types.MethodType(_to_pyarrow, con)
        con.execute = types.MethodType(_execute, con)
    return con


def _register_arrow_table(self: Any, op: Any) -> None:
    """Upload an Ibis memtable to Spark as Arrow."""
    from ibis.backends.pyspark.datatypes import PySparkSchema

    schema = op.schema
    df = self._session.createDataFrame(
        op.data.to_pyarrow(schema), schema=PySparkSchema.from_ibis(schema)
    )
    df.createOrReplaceTempView(op.name)


def _to_pyarrow(self: Any, expr: Any, /, *, params: Any = None, limit: Any = None,
                **kwargs: Any) -> Any:
    """Ibis' ``to_pyarrow`` with the result fetched as Arrow (``DataFrame.toArrow``)."""
    from ibis.formats.pyarrow import PyArrowData

    self._run_pre_execute_hooks(expr)
    table_expr = expr.as_table()
    sql = self.compile(table_expr, params=params, limit=limit, **kwargs)
    with self._safe_raw_sql(sql) as query:
        arrow = query.toArrow()
    return expr.__pyarrow_result__(PyArrowData.convert_table(arrow, table_expr.schema()))


def _execute(self: Any, expr: Any, /, *, params: Any = None, limit: Any = None,
             **kwargs: Any) -> Any:
    """Ibis' ``execute`` (pandas) built on :func:`_to_pyarrow`."""
    from ibis.formats.pandas import PandasData

    table_expr = expr.as_table()
    arrow = _to_pyarrow(self, table_expr, params=params, limit=limit, **kwargs)
    df = PandasData.convert_table(arrow.to_pandas(), table_expr.schema())
    return expr.__pandas_result__(df)


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
    # The daily aggregate (bound on DuckDB when the store has it) and the lines it was computed
    # from: a copy of these tables with other lines (a filter) does not use it.
    daily: Table | None = None
    daily_lines: Table | None = None

    def get(self, name: str, con: ibis.BaseBackend) -> Table:
        """Any other declared table (market, privacy ledger, ...)."""
        return table(con, self.store, name)

    def aggregate(self) -> Table | None:
        """The daily aggregate when it still describes these tables' lines, else None."""
        return self.daily if self.daily is not None and self.daily_lines is self.lines else None

    def only_brand(self, brand: str) -> Tables:
        """These tables restricted to the lines of one operator brand (the aggregate too)."""
        lines = self.lines.filter(self.lines.operator_brand == brand)
        daily = self.aggregate()
        if daily is not None:
            daily = daily.filter(daily.operator_brand == brand)
        return dataclasses.replace(self, lines=lines, daily=daily, daily_lines=lines)


def view_name(store: Store, name: str) -> str:
    """The engine view of one table of one store version: unique per store path and version,
    so two stores (or two versions) bound in one session never collide.

    >>> import re
    >>> from pathlib import Path
    >>> from devicepark.store.store import Manifest
    >>> a, b = Store(Path("/a"), Manifest()), Store(Path("/b"), Manifest())
    >>> bool(re.fullmatch(r"dp_lines_[0-9a-f]{10}_v0", view_name(a, "lines")))
    True
    >>> view_name(a, "lines") != view_name(b, "lines")
    True
    """
    tag = hashlib.sha256(str(Path(store.path).resolve()).encode("utf-8")).hexdigest()[:10]
    return f"dp_{name}_{tag}_v{store.version}"


def _is_spark(con: ibis.BaseBackend) -> bool:
    return getattr(con, "name", "") == "pyspark"


def table(con: ibis.BaseBackend, store: Store, name: str) -> Table:
    """One store table as an Ibis table; an empty table keeps its schema."""
    files = store.files(name)
    if not files:
        return ibis.memtable(SCHEMAS[name].empty_table())
    view = view_name(store, name)
    if _is_spark(con):
        # Ibis' PySpark read_parquet takes one path (a list is an "illegal file pattern"):
        # read the exact file list with Spark itself and bind the temp view
        session = con._session  # noqa: SLF001 - Ibis exposes no public accessor
        session.read.parquet(*files).createOrReplaceTempView(view)
        t = con.table(view)
        # Spark's TIMESTAMP is an instant shown in the session time zone (UTC here), but Ibis
        # types it without a zone: declare UTC so instants come back as DuckDB returns them
        naive = {c: "timestamp('UTC')" for c, typ in t.schema().items()
                 if typ.is_timestamp() and typ.timezone is None}
        return t.cast(naive) if naive else t
    return con.read_parquet(files, table_name=view)


def open_tables(con: ibis.BaseBackend, store: Store) -> Tables:
    """Bind the store's core tables to a backend."""
    names = ("lines", "observations", "tenures", "catalog", "quarantine", "ingests")
    bound = {n: table(con, store, n) for n in names}
    daily = table(con, store, "daily") if is_duckdb(con) and store.files("daily") else None
    return Tables(store=store, daily=daily, daily_lines=bound["lines"], **bound)
