"""What every command shares: output formats, error handling, store and engine options."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from devicepark.jsonout import dumps

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


# Reusable option declarations (Annotated aliases keep signatures short and consistent).
StoreOpt = Annotated[Path, typer.Option("--store", help="Store directory.", show_default=False)]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, json or csv.")]
EngineOpt = Annotated[
    Engine | None,
    typer.Option(
        "--engine", help="duckdb (default) or spark; or set DEVICEPARK_ENGINE.", show_default=False
    ),
]
SparkMasterOpt = Annotated[
    str | None, typer.Option("--spark-master", help="Spark master URL, e.g. local[2].")
]
SparkConfOpt = Annotated[
    list[str] | None, typer.Option("--spark-conf", help="Spark setting KEY=VALUE; repeatable.")
]
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option("--memory-limit", help="Engine memory limit, e.g. 4GB (DuckDB's memory_limit)."),
]


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    sys.stdout.write(buf.getvalue())


def print_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    right: Sequence[str] = (),
) -> None:
    table = RichTable(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, justify="right" if c in right else "left")
    for row in rows:
        table.add_row(*["" if row.get(c) is None else str(row.get(c)) for c in columns])
    out.print(table)


def thousands(n: int | float | None) -> str:
    return "" if n is None else f"{int(n):,}"


def percent(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{100 * x:.{digits}f} %"


def spark_conf_dict(items: list[str] | None) -> dict[str, str]:
    conf = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--spark-conf takes KEY=VALUE, got {item!r}")
        conf[key.strip()] = value.strip()
    return conf


def connect_engine(
    engine: Engine | None,
    spark_master: str | None,
    spark_conf: list[str] | None,
    memory_limit: str | None,
) -> Any:
    """The Ibis backend the engine options ask for (DuckDB unless --engine/DEVICEPARK_ENGINE)."""
    from devicepark.store import connect

    return connect(
        engine.value if engine is not None else None,
        memory_limit=memory_limit,
        spark_master=spark_master,
        spark_conf=spark_conf_dict(spark_conf),
    )


def open_store(
    store: Path,
    engine: Engine | None,
    spark_master: str | None,
    spark_conf: list[str] | None,
    memory_limit: str | None,
) -> tuple[Any, Any, Any]:
    """(store, backend, tables) for a query command."""
    from devicepark.store import Store, open_tables

    st = Store.open(store)
    con = connect_engine(engine, spark_master, spark_conf, memory_limit)
    return st, con, open_tables(con, st)


@contextlib.contextmanager
def progress_bar(enabled: bool | None = None) -> Iterator[Callable[..., None]]:
    """A rich progress display driven by the library's callback ``cb(stage, done, total)``.

    Shown only on a terminal (or when DEVICEPARK_PROGRESS=1), always on stderr.
    """
    if enabled is None:
        enabled = err.is_terminal or os.environ.get("DEVICEPARK_PROGRESS") == "1"
    if not enabled:
        yield lambda *a, **k: None
        return
    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as prog:

        def callback(stage: str, done: float | None = None, total: float | None = None) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(stage, total=total)
            task = tasks[stage]
            prog.update(task, completed=done if done is not None else 0, total=total)

        yield callback
