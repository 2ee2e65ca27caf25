"""``devicepark sql``: DuckDB on a store, one view per table bound to the manifest's live files.

With a QUERY it runs it and prints the result (table, json, csv, or a Parquet file with --out);
without one it reads SQL statements (``;``-terminated) from the terminal, or the whole of a
piped standard input.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import StoreOpt, err, out, print_csv, print_json, print_table
from devicepark.errors import ConfigError

Output = typer.Option("--format", help="table, json, csv or parquet (parquet needs --out).")


def register(app: typer.Typer) -> None:
    app.command("sql")(sql)


def _connect(store: Path) -> Any:
    import duckdb

    import devicepark.market.table  # noqa: F401 - registers the market table's schema
    import devicepark.publish.privacy  # noqa: F401 - registers the privacy ledger's schema
    from devicepark.store import Store, bind_views

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    con.execute("SET enable_progress_bar = false").fetchall()
    bind_views(con, Store.open(store))
    return con


def _run(con: Any, query: str) -> Any:
    import duckdb

    try:
        return con.sql(query)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"sql: {first}") from None


def _show(rel: Any, fmt: str, out_file: Path | None) -> None:
    if rel is None:  # a statement without a result (SET, CREATE VIEW...)
        return
    if fmt == "parquet":
        if out_file is None:
            raise ConfigError("--format parquet writes a file: give --out FILE.parquet")
        tmp = out_file.with_name(f".{out_file.name}.tmp")
        rel.to_parquet(str(tmp))
        os.replace(tmp, out_file)
        out.print(f"wrote {out_file}")
        return
    table = rel.to_arrow_table()
    rows = table.to_pylist()
    if out_file is not None:
        raise ConfigError("--out goes with --format parquet")
    if fmt == "json":
        print_json(rows)
    elif fmt == "csv":
        print_csv(rows, table.column_names)
    else:
        print_table(rows, table.column_names)


def _statements(text: str) -> list[str]:
    return [s.strip() for s in text.split(";") if s.strip()]


def sql(
    store: StoreOpt,
    query: Annotated[
        str | None,
        typer.Argument(help="SQL to run on the store's views; none: read it from the terminal."),
    ] = None,
    fmt: Annotated[str, Output] = "table",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="File to write (with --format parquet).")
    ] = None,
) -> None:
    """Query the store with DuckDB SQL: one view per table (lines, observations, tenures,
    catalog, quarantine, ingests, ...) bound to the manifest's live files, never a glob."""
    fmt = fmt.strip().lower()
    if fmt not in ("table", "json", "csv", "parquet"):
        raise ConfigError(f"--format: {fmt!r} is not one of: table, json, csv, parquet")
    con = _connect(store)
    if query is not None:
        _show(_run(con, query), fmt, out_file)
        return
    if not sys.stdin.isatty():
        for statement in _statements(sys.stdin.read()):
            _show(_run(con, statement), fmt, out_file)
        return
    err.print("devicepark sql: views " + ", ".join(_views(con)) + "; end statements with ';', "
              "quit with Ctrl-D")  # fmt: skip
    buffer = ""
    while True:
        try:
            line = input("sql> " if not buffer else "...> ")
        except EOFError:
            break
        buffer += line + "\n"
        if ";" not in line:
            continue
        for statement in _statements(buffer):
            try:
                _show(_run(con, statement), fmt, out_file)
            except ConfigError as exc:
                err.print(f"error: {exc}")
        buffer = ""


def _views(con: Any) -> list[str]:
    rows = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return sorted(r[0] for r in rows)
