"""Ingest one observations file: stage it, drop exact duplicates, count orphans, store the rest.

Exact duplicates (same line, handset and instant) count once, within the file and against the
store. Observations of lines the store does not know are orphans: kept, so that a later lines
file makes them count, but never counted now.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from devicepark.ingest.readers import InputFile
from devicepark.ingest.reconcile import FileReport, Quarantine, finish, start
from devicepark.ingest.staging import Progress, stage_file
from devicepark.store.duck import PARQUET, execute, lit, paths_sql, scalar
from devicepark.store.schema import OBSERVATIONS
from devicepark.store.store import Transaction


def ingest_observations(
    tx: Transaction,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    info: InputFile,
    rate: float,
    progress: Progress,
    now: dt.datetime,
) -> tuple[FileReport, Path | None]:
    """The file's report and the observations file it added (None: nothing added)."""
    rep, sha, seq = start(tx, info, "observations")
    if seq is None:
        return rep, None
    stage = tx.staging / f"obs-stage-{seq}.parquet"
    quarantine = Quarantine(tx, seq, "observations", rep.file)
    any_staged = stage_file(
        con, "observations", info, stage, rep, quarantine, rate, progress,
        key=key, cc=tx.config.country_code, tz=tx.config.timezone, now=now,
    )  # fmt: skip
    if not any_staged:
        finish(tx, con, rep, sha, quarantine, rate)
        return rep, None

    existing = tx.files("observations")
    staged = f"read_parquet({lit(stage)})"
    # Exact duplicates (same line, handset and instant) count once, within the file and against
    # what the store already holds; the file's first spelling of a sighting is the one kept.
    # One hash aggregation and one anti-join, streamed straight to the new Parquet file.
    kept = (
        "SELECT line, handset, observed_at, arg_min(tac, line_no) AS tac, "
        "arg_min(kind, line_no) AS kind, arg_min(local_date, line_no) AS local_date "
        f"FROM {staged} GROUP BY line, handset, observed_at"
    )
    if existing:
        kept = (
            f"SELECT k.* FROM ({kept}) k ANTI JOIN "
            f"(SELECT line, handset, observed_at FROM read_parquet({paths_sql(existing)})) o "
            "USING (line, handset, observed_at)"
        )
    out = tx.new_path("observations")
    cols = ", ".join(OBSERVATIONS.names[:-1])
    execute(
        con,
        f"COPY (SELECT {cols}, {seq}::BIGINT AS ingest_seq FROM ({kept})) "
        f"TO {lit(out)} ({PARQUET})",
    )
    written = f"read_parquet({lit(out)})"
    n_kept = scalar(con, f"SELECT count(*) FROM {written}")
    rep.duplicates = scalar(con, f"SELECT count(*) FROM {staged}") - n_kept
    # Orphans: lines the store does not know (after this run's lines files). They are kept,
    # so a later lines file makes them count, but never counted now.
    line_files = tx.files("lines")
    if line_files:
        rep.orphans = scalar(
            con,
            f"SELECT count(*) FROM {written} "
            f"ANTI JOIN read_parquet({paths_sql(line_files)}) l USING (line)",
        )
    else:
        rep.orphans = n_kept
    rep.accepted = n_kept - rep.orphans
    finish(tx, con, rep, sha, quarantine, rate)
    if not n_kept:
        out.unlink(missing_ok=True)
        return rep, None
    tx.add("observations", [out])
    return rep, out
