"""Bring the stored tenures up to date after an ingest, in DuckDB, folding as little as it can.

Ingest calls ``refold`` inside its transaction with the observation files it just wrote; the
result equals ``fold`` over every observation of the store (a property test checks it). The
table lies in closed runs and an open part, each line's last run (``store.layout``): a night
that only appends reads and rewrites the open part and adds the runs it closes as a new file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from devicepark.store.duck import execute, paths_sql, scalar, typed_columns
from devicepark.store.layout import OPEN, write_parts, write_tenures
from devicepark.store.schema import TENURES
from devicepark.store.store import Transaction


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(scalar(con, sql))


def fold_duckdb(table: str, gap_days: int) -> str:
    """DuckDB SQL of ``tenure.fold.fold`` over the table or view ``table``: the same runs (a
    property test compares them), at a lower cost on the ingest's big folds.

    Ibis' SQL of the fold counts a run's distinct instants with ``count(DISTINCT observed_at)``,
    an aggregate that keeps every instant of every run in memory; here the window that already
    finds the previous sighting also finds the exact repeats (the order puts a repeat right after
    its twin, in the same run), so a run's distinct
    instants are its rows minus its repeats (a row within a run at its previous row's instant).
    The columns come back untyped (``refold`` casts).
    """
    if gap_days < 0:
        raise ValueError("gap_days must be >= 0")
    order = "PARTITION BY line ORDER BY observed_at ASC, handset ASC"
    return f"""
WITH a AS (
  SELECT line, handset, tac, observed_at, local_date,
         lag(handset) OVER w AS prev_handset, lag(local_date) OVER w AS prev_date,
         lag(observed_at) OVER w AS prev_at
  FROM {table} WINDOW w AS ({order})
), b AS (
  SELECT line, handset, tac, observed_at, local_date,
         CASE WHEN prev_handset IS NULL OR prev_handset <> handset
                   OR local_date > prev_date + INTERVAL {int(gap_days)} DAY
              THEN 1 ELSE 0 END AS start,
         prev_at
  FROM a
), c AS (
  SELECT line, handset, tac, observed_at, local_date,
         sum(start) OVER ({order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS seq,
         CASE WHEN start = 0 AND prev_at = observed_at THEN 1 ELSE 0 END AS repeat
  FROM b
)
SELECT line, seq, max(handset) AS handset, max(tac) AS tac, min(observed_at) AS first_seen,
       max(observed_at) AS last_seen, min(local_date) AS first_date, max(local_date) AS last_date,
       count(observed_at) - sum(repeat) AS observations
FROM c GROUP BY line, seq"""


def refold(tx: Transaction, con: duckdb.DuckDBPyConnection, new_obs: list[Path]) -> int:
    """Bring the tenures of every line the new observations touch up to date; return how many.

    A first ingest folds every observation. Later ones work per touched line:

    - a line with no stored run: its new observations are folded on their own;
    - a line whose new observations all come after its last stored sighting (the nightly
      case): they are folded on their own and their first run continues the stored last run
      when it has the same handset and no silence longer than the gap in between (exactly what
      the fold would decide, since it compares each sighting with the one before); later runs
      are numbered on from the stored ones;
    - a line with late data (a new sighting at or before its last stored one): all its
      observations are folded again.

    So the usual ingest reads only its own observations and the stored last runs (the open
    part), never the whole observation history nor the closed runs, and writes the open part
    again plus the runs it closed; a run of late data rewrites the whole table. The result
    equals a fold of everything (tested).
    """
    gap = tx.config.tenure_gap_days

    typed = typed_columns(TENURES)  # exact store types (DuckDB's running SUM is a HUGEINT)

    def fold_sql(table: str) -> str:
        return f"SELECT {typed} FROM ({fold_duckdb(table, gap)})"

    new = f"read_parquet({paths_sql(new_obs)})"
    old_files = tx.files("tenures")
    open_files = tx.part_files("tenures", OPEN)
    if not old_files:  # the first ingest: fold everything (orphans included)
        execute(
            con,
            f"CREATE OR REPLACE TEMP VIEW dp_fold_in AS SELECT * FROM read_parquet("
            f"{paths_sql(tx.files('observations'))})",
        )
        write_tenures(con, tx, fold_sql("dp_fold_in"))
        execute(con, "DROP VIEW IF EXISTS dp_fold_in")
        return _count(con, f"SELECT count(DISTINCT line) FROM {new}")

    old = f"read_parquet({paths_sql(old_files)})"
    cols = ", ".join(TENURES.names)
    # each touched line's last run: its row of the open part (one per line), or, in a table
    # some writer left without that part, its run of highest seq
    stored = ("line", "handset", "first_seen", "last_seen", "first_date", "last_date")
    if open_files:  # one row per line already: joined as it is (a semi join first costs more)
        last = (
            f"SELECT {', '.join(stored)}, seq AS last_seq, observations "
            f"FROM read_parquet({paths_sql(open_files)})"
        )
    else:
        last = (
            "SELECT line, "
            + ", ".join(f"arg_max({c}, seq) AS {c}" for c in stored[1:])
            + ", max(seq) AS last_seq, arg_max(observations, seq) AS observations "
            f"FROM {old} SEMI JOIN n USING (line) GROUP BY line"
        )
    # per touched line: its earliest new sighting and its last stored run; a line sighted once
    # (a nightly snapshot's every line) also gets its sighting, the only value of any_value
    execute(
        con,
        f"""
CREATE OR REPLACE TEMP TABLE dp_touched AS
WITH n AS (SELECT line, min(observed_at) AS first_new, count(*) AS n_new,
                  any_value(handset) AS new_handset, any_value(tac) AS new_tac,
                  any_value(local_date) AS new_date
           FROM {new} GROUP BY line),
last AS ({last})
SELECT n.*, last.* EXCLUDE (line),
       last.last_seq IS NOT NULL AND last.last_seen >= n.first_new AS late
FROM n LEFT JOIN last USING (line)""",
    )
    n_touched = _count(con, "SELECT count(*) FROM dp_touched")
    any_late = bool(_count(con, "SELECT count(*) FROM dp_touched WHERE late"))
    execute(
        con,
        f"CREATE OR REPLACE TEMP VIEW dp_fold_new AS SELECT o.* FROM {new} o "
        "SEMI JOIN (SELECT line FROM dp_touched WHERE NOT late AND n_new > 1) k USING (line)",
    )

    # The new runs of appended lines, numbered on from the stored ones; the first continues
    # the stored last run where the fold would have (same handset, no silence over the gap).
    def continues(handset: str, first_date: str) -> str:
        return (
            f"t.last_seq IS NOT NULL AND {handset} = t.handset "
            f"AND {first_date} <= t.last_date + INTERVAL {int(gap)} DAY"
        )

    last_run = (
        "coalesce(t.last_seq, 0) AS base_seq, t.first_seen AS t_first_seen, "
        "t.first_date AS t_first_date, t.observations AS t_observations"
    )
    # ``newest``: the line's last run; ``closes``: on a line's first new run, that it does not
    # continue the stored last run, which then leaves the open part for a closed file
    execute(
        con,
        f"""
CREATE OR REPLACE TEMP TABLE dp_appended AS
WITH f AS (SELECT *, seq = max(seq) OVER (PARTITION BY line) AS newest
           FROM ({fold_sql("dp_fold_new")})),
m AS (  -- per line: whether its first new run continues the stored last run
  SELECT line, {continues("f.handset", "f.first_date")} AS merged
  FROM f JOIN dp_touched t USING (line) WHERE f.seq = 1
),
j AS (
  SELECT f.*, {last_run}, m.merged
  FROM f JOIN dp_touched t USING (line) JOIN m USING (line)
  UNION ALL
  -- a line sighted once (a nightly snapshot's every line) folds to one run of that sighting
  -- (the new observations hold no exact repeat: the dedup dropped them): no window, no join
  SELECT t.line, 1 AS seq, t.new_handset, t.new_tac, t.first_new AS first_seen,
         t.first_new AS last_seen, t.new_date AS first_date, t.new_date AS last_date,
         1 AS observations, TRUE AS newest, {last_run},
         {continues("t.new_handset", "t.new_date")} AS merged
  FROM dp_touched t WHERE NOT t.late AND t.n_new = 1
)
SELECT line,
       seq + base_seq - CASE WHEN merged THEN 1 ELSE 0 END AS seq,
       handset, tac,
       CASE WHEN merged AND seq = 1 THEN t_first_seen ELSE first_seen END AS first_seen,
       last_seen,
       CASE WHEN merged AND seq = 1 THEN t_first_date ELSE first_date END AS first_date,
       last_date,
       observations + CASE WHEN merged AND seq = 1 THEN t_observations ELSE 0 END AS observations,
       merged AND seq = 1 AS continues, newest,
       seq = 1 AND NOT merged AND base_seq > 0 AS closes
FROM j""",
    )
    if open_files and not any_late:  # the nightly case: only the open part is rewritten
        _append(con, tx, typed, open_files, [f for f in old_files if f not in open_files])
        return n_touched
    # Stored runs kept: all but those of late lines and the last runs that were continued.
    parts = [
        f"SELECT {cols} FROM dp_appended",
        f"SELECT {cols} FROM {old} "
        "ANTI JOIN (SELECT line FROM dp_touched WHERE late) l USING (line) "
        "ANTI JOIN (SELECT line, seq FROM dp_appended WHERE continues) c USING (line, seq)",
    ]
    if any_late:
        execute(
            con,
            f"CREATE OR REPLACE TEMP VIEW dp_fold_late AS SELECT o.* FROM read_parquet("
            f"{paths_sql(tx.files('observations'))}) o "
            "SEMI JOIN (SELECT line FROM dp_touched WHERE late) k USING (line)",
        )
        parts.append(f"SELECT {cols} FROM ({fold_sql('dp_fold_late')})")
    union = " UNION ALL ".join(f"({q})" for q in parts)
    write_tenures(con, tx, f"SELECT {typed} FROM ({union})")
    _drop(con)
    return n_touched


# Closed runs gather one file per night; past this many files a night merges them into one
# (rewriting the closed runs once every MAX_CLOSED_FILES nights, not every night).
MAX_CLOSED_FILES = 64


def _drop(con: duckdb.DuckDBPyConnection) -> None:
    execute(
        con,
        "DROP VIEW IF EXISTS dp_fold_new; DROP VIEW IF EXISTS dp_fold_late; "
        "DROP TABLE IF EXISTS dp_touched; DROP TABLE IF EXISTS dp_appended",
    )


def _append(
    con: duckdb.DuckDBPyConnection,
    tx: Transaction,
    typed: str,
    open_files: list[str],
    closed_files: list[str],
) -> None:
    """The nightly case (no late data, the open part known): the closed files stay as they
    are; the runs that stop being last (the stored last run of a line that starts a new one,
    the new runs before a line's newest) go to one new closed file, and the open part is
    written again with the newest run of every line. Every touched line is appended here, and
    ``dp_appended`` flags each line's newest run and the stored runs it closes: the only join
    on every line is the open part's against the touched lines; the closed file's is against
    the few lines that start a new run."""
    cols = ", ".join(TENURES.names)
    stored = f"read_parquet({paths_sql(open_files)})"
    compact = len(closed_files) >= MAX_CLOSED_FILES
    closed_sql = f"SELECT {cols} FROM read_parquet({paths_sql(closed_files)})"
    also = f"UNION ALL {closed_sql}" if compact else ""
    write_parts(
        con,
        tx,
        closed=f"""SELECT {typed} FROM (
  SELECT {cols} FROM dp_appended WHERE NOT newest
  UNION ALL
  SELECT {cols} FROM {stored} SEMI JOIN (SELECT line FROM dp_appended WHERE closes) c USING (line)
  {also}
)""",
        open_=f"""SELECT {typed} FROM (
  SELECT {cols} FROM {stored} ANTI JOIN (SELECT line FROM dp_touched) t USING (line)
  UNION ALL
  SELECT {cols} FROM dp_appended WHERE newest
)""",
        keep=[] if compact else closed_files,
    )
    _drop(con)
