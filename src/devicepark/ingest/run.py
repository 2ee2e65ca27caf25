"""One ingest run: catalogs, then lines, then observations, then tenures, in one transaction.

For each file the run reconciles ``rows = accepted + rejected + duplicates + orphans``. Rejected
rows go to the quarantine table with file, line, column and reason code (never the raw value).
A structural failure (missing column, unreadable file, wrong delimiter, too many rejects) raises
an InputError and nothing from the run is committed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from devicepark.errors import InputError
from devicepark.ingest import log
from devicepark.ingest.pseudonym import canonical_from_parts_sql, hmac_sql, phone_digits_sql
from devicepark.ingest.readers import Batch, InputFile, iter_batches, open_input
from devicepark.ingest.reasons import Reason
from devicepark.store.schema import LINES, OBSERVATIONS, QUARANTINE, TENURES
from devicepark.store.store import Store, Transaction

Progress = Callable[..., None]

LINE_COLUMNS = [
    "line_id",
    "customer_id",
    "operator_brand",
    "segment",
    "plan",
    "region",
    "activated_on",
    "terminated_on",
]
LINE_REQUIRED = ("line_id", "operator_brand", "activated_on")
OBS_COLUMNS = ["line_id", "imei", "observed_at"]
OBS_REQUIRED = ("line_id", "imei", "observed_at")
FUTURE_TOLERANCE = dt.timedelta(days=1)


def _date_ok(col: str) -> str:
    """SQL: the value is spelled YYYY-MM-DD with a year from 1000 (year 0000 would become a BC
    date that no Python reader can load)."""
    return f"(regexp_full_match({col}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND {col} >= '1000')"


# A line id spelled with non-ASCII decimal digits (Arabic-Indic, fullwidth...) would be a second
# pseudonym of the same line: rejected, as for IMEIs. The byte/character length test skips the
# regular expressions for the (usual) pure-ASCII id.
_NON_ASCII_DIGIT = (
    "(strlen(line_id) <> length(line_id) AND "
    r"regexp_matches(regexp_replace(line_id, '[0-9]', '', 'g'), '\p{Nd}'))"
)


@dataclass
class FileReport:
    """The reconciliation of one input file."""

    file: str
    kind: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    orphans: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    updated: int = 0  # accepted lines that replaced an earlier version of the line
    blank_lines: int = 0
    skipped: bool = False  # same bytes ingested before: nothing changed
    layout: str | None = None
    ingest_seq: int | None = None

    @property
    def balanced(self) -> bool:
        return self.rows == self.accepted + self.rejected + self.duplicates + self.orphans

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestReport:
    store: str
    version: int
    files: list[dict[str, Any]]
    tenures_rebuilt_lines: int = 0


def ingest(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    *,
    lines: Sequence[str | Path] = (),
    observations: Sequence[str | Path] = (),
    tac: Sequence[str | Path] = (),
    max_reject_rate: float = 0.01,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> IngestReport:
    """Ingest files into ``store`` atomically; return the per-file reconciliation."""
    progress = progress or (lambda *a, **k: None)
    now = now or dt.datetime.now(dt.UTC)
    if not (0.0 <= max_reject_rate <= 1.0):  # also refuses NaN
        from devicepark.errors import ConfigError

        raise ConfigError(f"--max-reject-rate must lie in 0..1, got {max_reject_rate}")
    # Check every header before doing any work, so a bad file fails fast.
    line_inputs = [open_input(p, LINE_REQUIRED, "lines") for p in lines]
    obs_inputs = [open_input(p, OBS_REQUIRED, "observations") for p in observations]
    reports: list[FileReport] = []
    rebuilt = 0
    with store.transaction() as tx:
        if tac:
            from devicepark.ingest.catalog import ingest_catalogs

            for summary in ingest_catalogs(tx, [Path(p) for p in tac], progress=progress):
                rep = FileReport(file=summary["file"], kind="tac", layout=summary.get("layout"))
                rep.rows = summary.get("rows", 0)
                rep.accepted = summary.get("imported", 0)
                rep.rejected = summary.get("rejected", 0)
                rep.duplicates = rep.rows - rep.accepted - rep.rejected
                # merged rows (duplicate, conflict) are counted in duplicates, not as rejections
                rep.reasons = {
                    k: v
                    for k, v in summary.get("reasons", {}).items()
                    if k not in ("duplicate", "conflict")
                }
                rep.skipped = bool(summary.get("skipped", False))
                reports.append(rep)
        for info in line_inputs:
            reports.append(_ingest_lines(tx, con, key, info, max_reject_rate, progress))
        new_obs: list[Path] = []
        for info in obs_inputs:
            rep, staged = _ingest_observations(tx, con, key, info, max_reject_rate, progress, now)
            reports.append(rep)
            if staged is not None:
                new_obs.append(staged)
        if new_obs:
            progress("tenures", 0, 1)
            rebuilt = _rebuild_tenures(tx, con, new_obs)
            progress("tenures", 1, 1)
        version = tx.base.version + (1 if tx.changed else 0)
    return IngestReport(str(store.path), version, [r.to_dict() for r in reports], rebuilt)


# -- shared pieces -------------------------------------------------------------------------


def _quarantine(
    tx: Transaction, seq: int, table: str, file: str, rows: list[tuple[int, str | None, str]]
) -> None:
    if not rows:
        return
    data = pa.table(
        {
            "ingest_seq": pa.array([seq] * len(rows), pa.int64()),
            "table": pa.array([table] * len(rows), pa.string()),
            "file": pa.array([file] * len(rows), pa.string()),
            "line_no": pa.array([r[0] for r in rows], pa.int64()),
            "column": pa.array([r[1] for r in rows], pa.string()),
            "reason": pa.array([r[2] for r in rows], pa.string()),
        },
        schema=QUARANTINE,
    )
    tx.write("quarantine", data)


def _check_reject_rate(
    rep: FileReport, rejects: list[tuple[int, str | None, str]], rate: float
) -> None:
    if rep.rows and rep.rejected > rate * rep.rows:
        first = min(rejects)
        counts = ", ".join(
            f"{k} {v}" for k, v in sorted(rep.reasons.items(), key=lambda kv: -kv[1])
        )
        raise InputError(
            f"{rep.rejected} of {rep.rows} rows rejected ({100 * rep.rejected / rep.rows:.2f} %), "
            f"above --max-reject-rate {100 * rate:g} % ({counts}); first: {first[2]}; "
            "nothing was committed",
            file=rep.file,
            line=first[0],
            column=first[1],
            hint="fix the export, or raise --max-reject-rate to accept and quarantine these rows",
        )


def _start(tx: Transaction, info: InputFile, kind: str) -> tuple[FileReport, str, int | None]:
    rep = FileReport(file=info.name, kind=kind, layout=info.fmt)
    sha = log.file_sha256(info.path)
    if log.already_ingested(tx, sha, kind):
        rep.skipped = True
        return rep, sha, None
    seq = log.next_seq(tx)
    rep.ingest_seq = seq
    return rep, sha, seq


def _finish(
    tx: Transaction,
    rep: FileReport,
    sha: str,
    rejects: list[tuple[int, str | None, str]],
    table: str,
    rate: float,
) -> None:
    rejects.sort(key=lambda r: r[0])  # file order, whatever order the engine returned them in
    rep.rejected = len(rejects)
    rep.reasons = dict(Counter(r[2] for r in rejects))
    if not rep.balanced:  # a bug, never a silent loss
        raise InputError(
            f"reconciliation failed: {rep.rows} rows != {rep.accepted} accepted "
            f"+ {rep.rejected} rejected "
            f"+ {rep.duplicates} duplicates + {rep.orphans} orphans",
            file=rep.file,
        )
    _check_reject_rate(rep, rejects, rate)
    assert rep.ingest_seq is not None
    _quarantine(tx, rep.ingest_seq, table, rep.file, rejects)
    log.record(
        tx,
        [
            {
                "ingest_seq": rep.ingest_seq,
                "kind": rep.kind,
                "file": rep.file,
                "sha256": sha,
                "rows": rep.rows,
                "accepted": rep.accepted,
                "rejected": rep.rejected,
                "duplicates": rep.duplicates,
                "orphans": rep.orphans,
            }
        ],
    )


def _lit(value: str | Path) -> str:
    """A SQL string literal (paths may contain quotes)."""
    return "'" + str(value).replace("'", "''") + "'"


def _paths_sql(paths: Sequence[str | Path]) -> str:
    return "[" + ", ".join(_lit(p) for p in paths) + "]"


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """Execute ``sql`` and drain its result (DuckDB 2 keeps an undrained result open and refuses
    other work on the connection until it is)."""
    return con.execute(sql).fetchall()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The first column of the first row; the result is drained, since DuckDB 2 refuses any
    other work on a connection (``register``...) while a result is still open."""
    rows = con.execute(sql).fetchall()
    return rows[0][0] if rows else None


# -- staging ------------------------------------------------------------------------------


def _stage_rows(
    con: duckdb.DuckDBPyConnection,
    info: InputFile,
    columns: list[str],
    sql: str,
    stage: Path,
    rep: FileReport,
    progress: Progress,
    prepare: Callable[[Batch], pa.Table] | None = None,
) -> tuple[list[tuple[int, str | None, str]], bool]:
    """Validate and pseudonymise a file block by block with ``sql`` over the view ``batch``.

    Accepted rows are appended to the Parquet file ``stage``; returns the rejected rows
    (line, column, reason) and whether any row was staged. ``rep.rows`` counts every row.
    """
    rejects: list[tuple[int, str | None, str]] = []
    writer: pq.ParquetWriter | None = None
    task = f"{rep.kind} {info.path.name}"
    done = 0
    for batch in iter_batches(info, columns):
        rep.rows += batch.table.num_rows + len(batch.bad_rows)
        rep.blank_lines += batch.blank_lines
        rejects.extend(batch.bad_rows)
        table = prepare(batch) if prepare else batch.table
        con.register("batch", table.append_column("line_no", pa.array(batch.line_no, pa.int64())))
        out = con.sql(sql).to_arrow_table()
        con.unregister("batch")
        problems = out.filter(pa.compute.is_valid(out["problem"]))
        for no, prob in zip(
            problems["line_no"].to_pylist(), problems["problem"].to_pylist(), strict=True
        ):
            reason, column = prob.split("|")
            rejects.append((no, column, reason))
        good = out.filter(pa.compute.is_null(out["problem"])).drop_columns(["problem"])
        if writer is None:
            writer = pq.ParquetWriter(stage, good.schema)
        writer.write_table(good)
        done += batch.bytes_read
        progress(task, done, info.size)
    if writer is not None:
        writer.close()
    return rejects, writer is not None and stage.exists()


# -- lines ---------------------------------------------------------------------------------


def _lines_sql(key: bytes, cc: str) -> str:
    canon = canonical_from_parts_sql("line_id", "lid_phone", cc)
    return f"""
WITH t AS (
  SELECT line_no, trim(line_id) AS line_id, trim(customer_id) AS customer_id,
         trim(operator_brand) AS operator_brand, lower(trim(segment)) AS segment,
         lower(trim(plan)) AS plan, trim(region) AS region,
         trim(activated_on) AS a, trim(terminated_on) AS t
  FROM batch
), u AS (
  SELECT *,
    CASE WHEN {_date_ok("a")} THEN CAST(try_strptime(a, '%Y-%m-%d') AS DATE) END AS act,
    CASE WHEN {_date_ok("t")} THEN CAST(try_strptime(t, '%Y-%m-%d') AS DATE) END AS term,
    {phone_digits_sql("line_id")} AS lid_phone
  FROM t
), v AS (
  SELECT *, {canon} AS canon,
    CASE
      WHEN line_id = '' THEN 'missing_value|line_id'
      WHEN {_NON_ASCII_DIGIT} THEN 'non_ascii_digit|line_id'
      WHEN operator_brand = '' THEN 'missing_value|operator_brand'
      WHEN a = '' THEN 'missing_value|activated_on'
      WHEN act IS NULL THEN 'bad_date|activated_on'
      WHEN t <> '' AND term IS NULL THEN 'bad_date|terminated_on'
      WHEN segment NOT IN ('', 'consumer', 'business', 'm2m') THEN 'bad_value|segment'
      WHEN plan NOT IN ('', 'postpaid', 'prepaid') THEN 'bad_value|plan'
      WHEN term < act THEN 'terminated_before_activated|terminated_on'
    END AS problem
  FROM u
)
SELECT line_no, problem,
  CASE WHEN problem IS NULL THEN {hmac_sql(key, "line", "canon")} END AS line,
  CASE WHEN problem IS NULL AND customer_id <> ''
       THEN {hmac_sql(key, "customer", "customer_id")} END AS customer,
  operator_brand,
  CASE WHEN segment = '' THEN 'consumer' ELSE segment END AS segment,
  NULLIF(plan, '') AS plan, NULLIF(region, '') AS region,
  act AS activated_on, term AS terminated_on
FROM v
"""


def _ingest_lines(
    tx: Transaction,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    info: InputFile,
    rate: float,
    progress: Progress,
) -> FileReport:
    rep, sha, seq = _start(tx, info, "lines")
    if seq is None:
        return rep
    sql = _lines_sql(key, tx.config.country_code)
    stage = tx.staging / f"lines-stage-{seq}.parquet"
    rejects, staged = _stage_rows(con, info, LINE_COLUMNS, sql, stage, rep, progress)
    if not staged:
        _finish(tx, rep, sha, rejects, "lines", rate)
        return rep

    existing = tx.files("lines")
    _run(con, f"CREATE OR REPLACE TEMP TABLE s AS SELECT * FROM read_parquet({_lit(stage)})")
    # Within the file: the first row of a line wins; identical repeats are duplicates,
    # differing repeats are rejected as conflicting duplicates.
    attrs = [
        "customer",
        "operator_brand",
        "segment",
        "plan",
        "region",
        "activated_on",
        "terminated_on",
    ]
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM f.{c}" for c in attrs)
    _run(
        con,
        "CREATE OR REPLACE TEMP TABLE f AS SELECT * FROM s "
        "QUALIFY row_number() OVER (PARTITION BY line ORDER BY line_no) = 1",
    )
    rows = _run(
        con,
        f"SELECT s.line_no, ({same}) AS same FROM s JOIN f USING (line) "
        "WHERE s.line_no <> f.line_no",
    )
    for no, is_same in rows:
        if is_same:
            rep.duplicates += 1
        else:
            rejects.append((no, "line_id", Reason.CONFLICTING_DUPLICATE.value))
    # Against the store: an identical line already there is a duplicate; a changed one an update.
    if existing:
        _run(
            con,
            "CREATE OR REPLACE TEMP TABLE old AS "
            f"SELECT * FROM read_parquet({_paths_sql(existing)})",
        )
        same_old = " AND ".join(f"f.{c} IS NOT DISTINCT FROM o.{c}" for c in attrs)
        rep.duplicates += _scalar(
            con, f"SELECT count(*) FROM f JOIN old o USING (line) WHERE {same_old}"
        )
        rep.updated = _scalar(
            con, f"SELECT count(*) FROM f JOIN old o USING (line) WHERE NOT ({same_old})"
        )
        _run(
            con,
            "CREATE OR REPLACE TEMP TABLE f AS SELECT f.* FROM f ANTI JOIN "
            f"(SELECT f.line FROM f JOIN old o USING (line) WHERE {same_old}) d USING (line)",
        )
    rep.accepted = _scalar(con, "SELECT count(*) FROM f")
    _finish(tx, rep, sha, rejects, "lines", rate)
    if rep.accepted:
        out = tx.new_path("lines")
        cols = ", ".join(LINES.names[:-1])
        keep_old = (
            f"SELECT {cols}, ingest_seq FROM old ANTI JOIN f USING (line) UNION ALL "
            if existing
            else ""
        )
        _run(
            con,
            f"COPY ({keep_old}SELECT {cols}, {seq}::BIGINT AS ingest_seq FROM f) "
            f"TO {_lit(out)} (FORMAT parquet, COMPRESSION zstd)",
        )
        tx.replace("lines", [out])
    _run(con, "DROP TABLE IF EXISTS s; DROP TABLE IF EXISTS f; DROP TABLE IF EXISTS old")
    return rep


# -- observations --------------------------------------------------------------------------


def _obs_sql(key: bytes, cc: str, tz: str, now: dt.datetime) -> str:
    canon = canonical_from_parts_sql("line_id", "lid_phone", cc)
    # UTC offsets up to +-14:59 (real ones span -12:00..+14:00); years 1000-9999.
    iso = (
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
        r"([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?"
    )
    limit = (now + FUTURE_TOLERANCE).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"""
WITH t AS (
  SELECT line_no, trim(line_id) AS line_id, trim(observed_at) AS s, valid, reason, kind, tac, body
  FROM batch
), u AS (
  SELECT *, regexp_full_match(s, '{iso}') AND s >= '1000' AS iso,
         {phone_digits_sql("line_id")} AS lid_phone,
         regexp_matches(s, '([Zz]|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') AND length(s) > 16 AS has_offset
  FROM t
), w AS (
  SELECT *,
    CASE WHEN iso AND has_offset THEN try_cast(s AS TIMESTAMPTZ) END AS inst_off,
    CASE WHEN iso AND NOT has_offset THEN try_cast(s AS TIMESTAMP) END AS naive
  FROM u
), x AS (
  SELECT *, timezone({_lit(tz)}, naive) AS guess FROM w
), y AS (
  SELECT *,
    naive IS NOT NULL AND timezone({_lit(tz)}, guess) <> naive AS nonexistent,
    CASE
      WHEN inst_off IS NOT NULL THEN inst_off
      WHEN naive IS NULL THEN NULL
      WHEN timezone({_lit(tz)}, guess - INTERVAL 1 HOUR) = naive THEN guess - INTERVAL 1 HOUR
      ELSE guess
    END AS instant
  FROM x
), z AS MATERIALIZED (
  SELECT *, {canon} AS canon,
    CASE
      WHEN line_id = '' THEN 'missing_value|line_id'
      WHEN {_NON_ASCII_DIGIT} THEN 'non_ascii_digit|line_id'
      WHEN reason IS NOT NULL THEN reason || '|imei'
      WHEN s = '' THEN 'missing_value|observed_at'
      WHEN nonexistent THEN 'nonexistent_local_time|observed_at'
      WHEN instant IS NULL THEN 'bad_timestamp|observed_at'
      WHEN instant > TIMESTAMPTZ '{limit}+00' THEN 'future_timestamp|observed_at'
    END AS problem
  FROM y
), lp AS (  -- one HMAC per distinct line and handset of the block, not per row
  SELECT canon, {hmac_sql(key, "line", "canon")} AS line
  FROM (SELECT DISTINCT canon FROM z WHERE problem IS NULL)
), hp AS (
  SELECT body, {hmac_sql(key, "handset", "body")} AS handset
  FROM (SELECT DISTINCT body FROM z WHERE problem IS NULL)
)
SELECT line_no, problem, lp.line, hp.handset,
  CASE WHEN problem IS NULL THEN tac END AS tac,
  CASE WHEN problem IS NULL THEN kind END AS kind,
  instant AS observed_at,
  CAST(timezone({_lit(tz)}, instant) AS DATE) AS local_date
FROM z
LEFT JOIN lp ON z.problem IS NULL AND z.canon = lp.canon
LEFT JOIN hp ON z.problem IS NULL AND z.body = hp.body
"""


def _ingest_observations(
    tx: Transaction,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    info: InputFile,
    rate: float,
    progress: Progress,
    now: dt.datetime,
) -> tuple[FileReport, Path | None]:
    from devicepark.identify.imei import parse_array

    rep, sha, seq = _start(tx, info, "observations")
    if seq is None:
        return rep, None
    sql = _obs_sql(key, tx.config.country_code, tx.config.timezone, now)
    stage = tx.staging / f"obs-stage-{seq}.parquet"

    def prepare(batch: Batch) -> pa.Table:  # IMEI rules run vectorised in Arrow first
        parsed = parse_array(batch.table.column("imei"))
        table = batch.table.select(["line_id", "observed_at"])
        for name in ("valid", "reason", "kind", "tac", "body"):
            table = table.append_column(name, parsed.column(name))
        return table

    rejects, any_staged = _stage_rows(con, info, OBS_COLUMNS, sql, stage, rep, progress, prepare)
    if not any_staged:
        _finish(tx, rep, sha, rejects, "observations", rate)
        return rep, None

    existing = tx.files("observations")
    staged = f"read_parquet({_lit(stage)})"
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
            f"(SELECT line, handset, observed_at FROM read_parquet({_paths_sql(existing)})) o "
            "USING (line, handset, observed_at)"
        )
    out = tx.new_path("observations")
    cols = ", ".join(OBSERVATIONS.names[:-1])
    _run(
        con,
        f"COPY (SELECT {cols}, {seq}::BIGINT AS ingest_seq FROM ({kept})) "
        f"TO {_lit(out)} (FORMAT parquet, COMPRESSION zstd)",
    )
    written = f"read_parquet({_lit(out)})"
    n_kept = _scalar(con, f"SELECT count(*) FROM {written}")
    rep.duplicates = _scalar(con, f"SELECT count(*) FROM {staged}") - n_kept
    # Orphans: lines the store does not know (after this run's lines files). They are kept,
    # so a later lines file makes them count, but never counted now.
    line_files = tx.files("lines")
    if line_files:
        rep.orphans = _scalar(
            con,
            f"SELECT count(*) FROM {written} "
            f"ANTI JOIN read_parquet({_paths_sql(line_files)}) l USING (line)",
        )
    else:
        rep.orphans = n_kept
    rep.accepted = n_kept - rep.orphans
    _finish(tx, rep, sha, rejects, "observations", rate)
    if not n_kept:
        out.unlink(missing_ok=True)
        return rep, None
    tx.add("observations", [out])
    return rep, out


# -- tenures -------------------------------------------------------------------------------


def _rebuild_tenures(tx: Transaction, con: duckdb.DuckDBPyConnection, new_obs: list[Path]) -> int:
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

    So the usual ingest reads only its own observations and the stored tenures of its lines,
    never the whole observation history; the result equals a fold of everything (tested).
    """
    import ibis

    from devicepark.ingest.tenures import fold

    icon = ibis.duckdb.from_connection(con)
    gap = tx.config.tenure_gap_days

    # Exact store types, spelled out: Ibis drops casts it believes are no-ops, while DuckDB's
    # running SUM is a HUGEINT (which Parquet would get as a DOUBLE).
    duck_types = {"string": "VARCHAR", "int64": "BIGINT", "date32[day]": "DATE"}
    typed = ", ".join(
        f"CAST({f.name} AS {duck_types.get(str(f.type), 'TIMESTAMPTZ')}) AS {f.name}"
        for f in TENURES
    )

    def fold_sql(table: str) -> str:
        return (
            f"SELECT {typed} FROM ({ibis.to_sql(fold(icon.table(table), gap), dialect='duckdb')})"
        )

    out = tx.new_path("tenures")
    new = f"read_parquet({_paths_sql(new_obs)})"
    old_files = tx.files("tenures")
    if not old_files:  # the first ingest: fold everything (orphans included)
        _run(
            con,
            f"CREATE OR REPLACE TEMP VIEW dp_fold_in AS SELECT * FROM read_parquet("
            f"{_paths_sql(tx.files('observations'))})",
        )
        _run(
            con,
            f"COPY ({fold_sql('dp_fold_in')}) TO {_lit(out)} (FORMAT parquet, COMPRESSION zstd)",
        )
        tx.replace("tenures", [out])
        _run(con, "DROP VIEW IF EXISTS dp_fold_in")
        return int(_scalar(con, f"SELECT count(DISTINCT line) FROM {new}"))

    old = f"read_parquet({_paths_sql(old_files)})"
    cols = ", ".join(TENURES.names)
    # per touched line: its earliest new sighting and its last stored run
    _run(
        con,
        f"""
CREATE OR REPLACE TEMP TABLE dp_touched AS
WITH n AS (SELECT line, min(observed_at) AS first_new FROM {new} GROUP BY line),
last AS (
  SELECT line, max(seq) AS last_seq, arg_max(handset, seq) AS handset,
         arg_max(first_seen, seq) AS first_seen, arg_max(last_seen, seq) AS last_seen,
         arg_max(first_date, seq) AS first_date, arg_max(last_date, seq) AS last_date,
         arg_max(observations, seq) AS observations
  FROM {old} SEMI JOIN n USING (line) GROUP BY line
)
SELECT n.line, n.first_new, last.* EXCLUDE (line),
       last.last_seq IS NOT NULL AND last.last_seen >= n.first_new AS late
FROM n LEFT JOIN last USING (line)""",
    )
    n_touched = int(_scalar(con, "SELECT count(*) FROM dp_touched"))
    any_late = bool(_scalar(con, "SELECT count(*) FROM dp_touched WHERE late"))
    _run(
        con,
        f"CREATE OR REPLACE TEMP VIEW dp_fold_new AS SELECT o.* FROM {new} o "
        "SEMI JOIN (SELECT line FROM dp_touched WHERE NOT late) k USING (line)",
    )
    # The new runs of appended lines, numbered on from the stored ones; the first continues
    # the stored last run where the fold would have (same handset, no silence over the gap).
    _run(
        con,
        f"""
CREATE OR REPLACE TEMP TABLE dp_appended AS
WITH f AS ({fold_sql("dp_fold_new")}),
j AS (
  SELECT f.*, coalesce(t.last_seq, 0) AS base_seq, t.first_seen AS t_first_seen,
         t.first_date AS t_first_date, t.observations AS t_observations,
         bool_or(f.seq = 1 AND t.last_seq IS NOT NULL AND f.handset = t.handset
                 AND f.first_date <= t.last_date + INTERVAL {int(gap)} DAY)
           OVER (PARTITION BY f.line) AS merged
  FROM f JOIN dp_touched t USING (line)
)
SELECT line,
       seq + base_seq - CASE WHEN merged THEN 1 ELSE 0 END AS seq,
       handset, tac,
       CASE WHEN merged AND seq = 1 THEN t_first_seen ELSE first_seen END AS first_seen,
       last_seen,
       CASE WHEN merged AND seq = 1 THEN t_first_date ELSE first_date END AS first_date,
       last_date,
       observations + CASE WHEN merged AND seq = 1 THEN t_observations ELSE 0 END AS observations,
       merged AND seq = 1 AS continues
FROM j""",
    )
    # Stored runs kept: all but those of late lines and the last runs that were continued.
    parts = [
        f"SELECT {cols} FROM dp_appended",
        f"SELECT {cols} FROM {old} "
        "ANTI JOIN (SELECT line FROM dp_touched WHERE late) l USING (line) "
        "ANTI JOIN (SELECT line, seq FROM dp_appended WHERE continues) c USING (line, seq)",
    ]
    if any_late:
        _run(
            con,
            f"CREATE OR REPLACE TEMP VIEW dp_fold_late AS SELECT o.* FROM read_parquet("
            f"{_paths_sql(tx.files('observations'))}) o "
            "SEMI JOIN (SELECT line FROM dp_touched WHERE late) k USING (line)",
        )
        parts.append(f"SELECT {cols} FROM ({fold_sql('dp_fold_late')})")
    union = " UNION ALL ".join(f"({q})" for q in parts)
    _run(
        con,
        f"COPY (SELECT {typed} FROM ({union})) TO {_lit(out)} (FORMAT parquet, COMPRESSION zstd)",
    )
    tx.replace("tenures", [out])
    _run(
        con,
        "DROP VIEW IF EXISTS dp_fold_new; DROP VIEW IF EXISTS dp_fold_late; "
        "DROP TABLE IF EXISTS dp_touched; DROP TABLE IF EXISTS dp_appended",
    )
    return n_touched
