"""Ingest one lines file: stage it, merge its lines into the store's, one version per line.

Within the file the first row of a line wins: an identical repeat is a duplicate, a differing one
is rejected as ``conflicting_duplicate``. Against the store an identical line is a duplicate and
a changed one an update, which replaces the stored version.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from devicepark.ingest.readers import InputFile
from devicepark.ingest.reconcile import FileReport, Quarantine, finish, start
from devicepark.ingest.staging import Progress, stage_file
from devicepark.reasons import Reason
from devicepark.store.duck import PARQUET, execute, lit, paths_sql, scalar
from devicepark.store.schema import LINES
from devicepark.store.store import Transaction

# Two rows of a line are the same line when all its stored attributes are (the columns between
# the pseudonym and the ingest_seq: customer, operator_brand, ..., terminated_on).
ATTRIBUTES = tuple(LINES.names[1:-1])


def ingest_lines(
    tx: Transaction,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    info: InputFile,
    rate: float,
    progress: Progress,
) -> FileReport:
    rep, sha, seq = start(tx, info, "lines")
    if seq is None:
        return rep
    stage = tx.staging / f"lines-stage-{seq}.parquet"
    quarantine = Quarantine(tx, seq, "lines", rep.file)
    staged = stage_file(
        con, "lines", info, stage, rep, quarantine, rate, progress,
        key=key, cc=tx.config.country_code,
    )  # fmt: skip
    if not staged:
        finish(tx, con, rep, sha, quarantine, rate)
        return rep

    existing = tx.files("lines")
    execute(con, f"CREATE OR REPLACE TEMP TABLE s AS SELECT * FROM read_parquet({lit(stage)})")
    # Within the file: the first row of a line wins; identical repeats are duplicates,
    # differing repeats are rejected as conflicting duplicates.
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM f.{c}" for c in ATTRIBUTES)
    execute(
        con,
        "CREATE OR REPLACE TEMP TABLE f AS SELECT * FROM s "
        "QUALIFY row_number() OVER (PARTITION BY line ORDER BY line_no) = 1",
    )
    repeats = (
        f"SELECT s.line_no, ({same}) AS same FROM s JOIN f USING (line) "
        "WHERE s.line_no <> f.line_no"
    )
    rep.duplicates += scalar(con, f"SELECT count(*) FROM ({repeats}) WHERE same")
    conflicts = tx.staging / f"lines-conflicts-{seq}.parquet"
    execute(
        con,
        f"COPY (SELECT line_no FROM ({repeats}) WHERE NOT same ORDER BY line_no) "
        f"TO {lit(conflicts)} (FORMAT parquet)",
    )
    for part in pq.ParquetFile(conflicts).iter_batches(1 << 16):  # never all in memory
        n = part.num_rows
        quarantine.add(
            part.column(0),
            pa.repeat(pa.scalar("line_id"), n),
            pa.repeat(pa.scalar(Reason.CONFLICTING_DUPLICATE.value), n),
        )
    conflicts.unlink()
    # Against the store: an identical line already there is a duplicate; a changed one an update.
    if existing:
        execute(
            con,
            "CREATE OR REPLACE TEMP TABLE old AS "
            f"SELECT * FROM read_parquet({paths_sql(existing)})",
        )
        same_old = " AND ".join(f"f.{c} IS NOT DISTINCT FROM o.{c}" for c in ATTRIBUTES)
        rep.duplicates += scalar(
            con, f"SELECT count(*) FROM f JOIN old o USING (line) WHERE {same_old}"
        )
        rep.updated = scalar(
            con, f"SELECT count(*) FROM f JOIN old o USING (line) WHERE NOT ({same_old})"
        )
        execute(
            con,
            "CREATE OR REPLACE TEMP TABLE f AS SELECT f.* FROM f ANTI JOIN "
            f"(SELECT f.line FROM f JOIN old o USING (line) WHERE {same_old}) d USING (line)",
        )
    rep.accepted = scalar(con, "SELECT count(*) FROM f")
    finish(tx, con, rep, sha, quarantine, rate)
    if rep.accepted:
        out = tx.new_path("lines")
        cols = ", ".join(LINES.names[:-1])
        keep_old = (
            f"SELECT {cols}, ingest_seq FROM old ANTI JOIN f USING (line) UNION ALL "
            if existing
            else ""
        )
        execute(
            con,
            f"COPY ({keep_old}SELECT {cols}, {seq}::BIGINT AS ingest_seq FROM f) "
            f"TO {lit(out)} ({PARQUET})",
        )
        tx.replace("lines", [out])
    execute(con, "DROP TABLE IF EXISTS s; DROP TABLE IF EXISTS f; DROP TABLE IF EXISTS old")
    return rep
