"""``devicepark ingest`` and ``devicepark key new``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    Format,
    FormatOpt,
    KeyFileOpt,
    StoreOpt,
    err,
    out,
    print_json,
    print_table,
    progress_bar,
    thousands,
    with_engine,
)
from devicepark.questions import EngineOptions

key_app = typer.Typer(help="Pseudonymisation keys.", no_args_is_help=True)


@key_app.command("new")
def key_new(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the key to this file (mode 600).")
    ] = None,
) -> None:
    """Make a new random pseudonymisation key (64 hex characters). Keep it outside the store."""
    from devicepark.ingest.pseudonym import new_key

    key = new_key()
    if out_file is None:
        typer.echo(key)
        return
    if out_file.exists():
        from devicepark.errors import ConfigError

        raise ConfigError(f"{out_file}: already exists; devicepark never overwrites a key")
    out_file.touch(mode=0o600, exist_ok=False)
    out_file.write_text(key + "\n", encoding="ascii")
    err.print(f"key written to {out_file}; use --key-file {out_file} or export DEVICEPARK_KEY")


@with_engine
def ingest(
    store: StoreOpt,
    lines: Annotated[
        list[Path] | None,
        typer.Option("--lines", help="Lines file (CSV, CSV.gz, Parquet); repeatable."),
    ] = None,
    observations: Annotated[
        list[Path] | None, typer.Option("--observations", help="Observations file; repeatable.")
    ] = None,
    tac: Annotated[
        list[Path] | None, typer.Option("--tac", help="TAC catalog file; repeatable.")
    ] = None,
    key_file: KeyFileOpt = None,
    max_reject_rate: Annotated[
        float,
        typer.Option(
            "--max-reject-rate",
            min=0.0,
            max=1.0,
            help="Largest share of rejected rows per file before the ingest aborts.",
        ),
    ] = 0.01,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="Time zone of a NEW store (default Europe/Paris)."),
    ] = None,
    fmt: FormatOpt = Format.table,
    *,
    engine: EngineOptions,
) -> None:
    """Ingest lines, observations and TAC catalogs into the store, atomically.

    With --engine spark each lines or observations file is validated by one Spark task and the
    steps across files (duplicates, merge, orphans, tenures) run on the cluster; the store must
    be a path the driver and the executors share (not an object store).
    """
    from devicepark.answers.daily import refresh_daily
    from devicepark.ingest.pseudonym import load_key
    from devicepark.store import Store, StoreConfig
    from devicepark.store.engine import engine_name

    key = load_key(key_file)
    if not (lines or observations or tac):
        raise typer.BadParameter("give at least one of --lines, --observations, --tac")
    which = engine_name(engine.engine)
    if which == "spark":
        from devicepark.ingest.spark import check_store_location

        check_store_location(store)  # before anything is created there
    fresh = not (store / "manifest.json").exists()
    st = Store.create(store, StoreConfig(timezone=timezone) if timezone else None)
    if timezone and st.config.timezone != timezone:
        from devicepark.errors import ConfigError

        raise ConfigError(
            f"{store}: the store's time zone is {st.config.timezone}; it cannot change"
        )
    files: dict[str, Any] = {
        "lines": lines or [],
        "observations": observations or [],
        "tac": tac or [],
    }
    rate = max_reject_rate
    try:
        if which == "spark":
            from devicepark.cli._common import connect_engine
            from devicepark.ingest.spark import ingest_spark

            spark = connect_engine(
                EngineOptions("spark", engine.spark_master, engine.spark_conf, engine.memory_limit)
            )
            with progress_bar() as cb:
                report = ingest_spark(
                    st, spark, key, **files, max_reject_rate=rate, progress=cb, derive=refresh_daily
                )
        else:
            from devicepark.ingest.run import ingest as run_ingest
            from devicepark.store.engine import duckdb_connection

            con = duckdb_connection(engine.memory_limit)
            with progress_bar() as cb:
                report = run_ingest(
                    st, con, key, **files, max_reject_rate=rate, progress=cb, derive=refresh_daily
                )
    except BaseException:
        if fresh and st.version == 0:  # a first ingest that failed leaves no empty store behind
            _remove_empty_store(store)
        raise
    if report.upgraded_from:
        err.print(f"store {store} upgraded from {report.upgraded_from} to {st.format}")
    if fmt == Format.json:
        print_json({"store": report.store, "version": report.version, "files": report.files})
        return
    if fmt == Format.csv:
        from devicepark.cli._common import print_csv

        print_csv([{k: v for k, v in f.items() if k != "reasons"} for f in report.files])
        return
    rows, reasons = [], []
    for f in report.files:
        rows.append(
            {
                "file": Path(f["file"]).name,
                "kind": f["kind"],
                "rows": thousands(f["rows"]),
                "accepted": thousands(f["accepted"]),
                "rejected": thousands(f["rejected"]),
                "duplicates": thousands(f["duplicates"]),
                "orphans": thousands(f["orphans"]),
                "status": "unchanged (already ingested)" if f["skipped"] else "ok",
            }
        )
        for code, n in sorted(f["reasons"].items(), key=lambda kv: -kv[1]):
            reasons.append({"file": Path(f["file"]).name, "reason": code, "rows": thousands(n)})
    num = ["rows", "accepted", "rejected", "duplicates", "orphans"]
    print_table(
        rows,
        ["file", "kind", *num, "status"],
        title="rows = accepted + rejected + duplicates + orphans",
        right=num,
    )
    if reasons:
        print_table(
            reasons,
            ["file", "reason", "rows"],
            title="rejected rows (see the quarantine table)",
            right=["rows"],
        )
    out.print(f"store {report.store} at version {report.version}")


def _remove_empty_store(path: Path) -> None:
    import shutil

    try:
        names = {p.name for p in path.iterdir()}
    except OSError:
        return
    if names <= {"manifest.json", ".lock", ".staging", "tables"}:
        shutil.rmtree(path, ignore_errors=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.add_typer(key_app, name="key")
