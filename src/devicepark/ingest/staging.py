"""Staging: validate and pseudonymise a lines or observations file block by block in DuckDB.

Accepted rows are appended to a Parquet staging file, already pseudonymised; rejected rows go to
the file's ``Quarantine`` as (line, column, reason code) as soon as a block is done, and the
reject rate is checked after every block. The SQL of each kind of file names its checks in
order, the first failing one gives the reason. Before the SQL, Arrow prepares each slice of a
block: the IMEI rules (``imei_parts``) and the identifiers' parts (``id_parts``: control
characters, and libphonenumber's E.164 where the SQL rule of line ids may be wrong).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from devicepark.identify.imei import parse_array
from devicepark.ingest.msisdn import library_column, rules_for
from devicepark.ingest.pseudonym import canonical_from_parts_sql, hmac_sql, phone_digits_sql
from devicepark.ingest.readers import InputFile, iter_batches
from devicepark.ingest.reconcile import (
    MIN_ROWS_BEFORE_ABORT,
    FileReport,
    Quarantine,
    check_reject_rate,
)
from devicepark.reasons import Reason
from devicepark.store.duck import lit

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
# The pseudonymised columns of ``lines_sql`` and ``observations_sql`` (column, kind), for
# ``Pseudonyms``.
LINE_PSEUDONYMS = (("line", "line"), ("customer", "customer"))
OBS_PSEUDONYMS = (("line", "line"), ("handset", "handset"))
# Staged columns holding pseudonyms (32 random hex characters each).
PSEUDONYM_COLUMNS = ("line", "customer", "handset")
FUTURE_TOLERANCE = dt.timedelta(days=1)
SLICE_ROWS = 1 << 18  # rows per SQL query: bounds memory when a block holds millions of tiny rows
# A control or invisible character in an identifier (RE2: Cc, Cf, Zl, Zp).
_CONTROL = r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]"


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


def _problem(reason: Reason, column: str) -> str:
    """SQL literal of a rejection, ``'reason|column'`` (``stage_rows`` splits it)."""
    return lit(f"{reason.value}|{column}")


def lines_sql(cc: str) -> str:
    """Validation of a block of lines (the view ``batch``, with ``id_parts``).

    The columns ``line`` and ``customer`` hold the canonical line id and the customer id (null on
    a rejected row, and ``customer`` on an empty id): ``stage_rows`` pseudonymises them through
    ``Pseudonyms`` (``LINE_PSEUDONYMS``), as for observations."""
    canon = canonical_from_parts_sql("line_id", "lid_phone", cc)
    return f"""
WITH t AS (
  SELECT line_no, trim(line_id) AS line_id, trim(customer_id) AS customer_id,
         trim(operator_brand) AS operator_brand, lower(trim(segment)) AS segment,
         lower(trim(plan)) AS plan, trim(region) AS region,
         trim(activated_on) AS a, trim(terminated_on) AS t, lib_canon, lid_problem, cid_problem
  FROM batch
), u AS (
  SELECT *,
    CASE WHEN {_date_ok("a")} THEN CAST(try_strptime(a, '%Y-%m-%d') AS DATE) END AS act,
    CASE WHEN {_date_ok("t")} THEN CAST(try_strptime(t, '%Y-%m-%d') AS DATE) END AS term,
    {phone_digits_sql("line_id")} AS lid_phone
  FROM t
), v AS (
  SELECT *, coalesce(lib_canon, {canon}) AS canon,
    CASE
      WHEN line_id = '' THEN {_problem(Reason.MISSING_VALUE, "line_id")}
      WHEN lid_problem IS NOT NULL THEN lid_problem
      WHEN {_NON_ASCII_DIGIT} THEN {_problem(Reason.NON_ASCII_DIGIT, "line_id")}
      WHEN cid_problem IS NOT NULL THEN cid_problem
      WHEN operator_brand = '' THEN {_problem(Reason.MISSING_VALUE, "operator_brand")}
      WHEN a = '' THEN {_problem(Reason.MISSING_VALUE, "activated_on")}
      WHEN act IS NULL THEN {_problem(Reason.BAD_DATE, "activated_on")}
      WHEN t <> '' AND term IS NULL THEN {_problem(Reason.BAD_DATE, "terminated_on")}
      WHEN segment NOT IN ('', 'consumer', 'business', 'm2m')
        THEN {_problem(Reason.BAD_VALUE, "segment")}
      WHEN plan NOT IN ('', 'postpaid', 'prepaid') THEN {_problem(Reason.BAD_VALUE, "plan")}
      WHEN term < act THEN {_problem(Reason.TERMINATED_BEFORE_ACTIVATED, "terminated_on")}
    END AS problem
  FROM u
)
SELECT line_no, problem,
  CASE WHEN problem IS NULL THEN canon END AS line,
  CASE WHEN problem IS NULL AND customer_id <> '' THEN customer_id END AS customer,
  operator_brand,
  CASE WHEN segment = '' THEN 'consumer' ELSE segment END AS segment,
  NULLIF(plan, '') AS plan, NULLIF(region, '') AS region,
  act AS activated_on, term AS terminated_on
FROM v
"""


def observations_sql(cc: str, tz: str, now: dt.datetime) -> str:
    """Validation and instants of a block of observations (the view ``batch``, with the IMEI
    already parsed by ``imei_parts`` and the line id's ``id_parts``).

    The columns ``line`` and ``handset`` hold the canonical line id and the IMEI's body (null on
    a rejected row): ``stage_rows`` pseudonymises them through ``Pseudonyms``
    (``OBS_PSEUDONYMS``), so the raw values never leave the engine.
    """
    canon = canonical_from_parts_sql("line_id", "lid_phone", cc)
    # UTC offsets up to +-14:59 (real ones span -12:00..+14:00); years 1000-9999.
    iso = (
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
        r"([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?"
    )
    limit = (now + FUTURE_TOLERANCE).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"""
WITH t AS (
  SELECT line_no, trim(line_id) AS line_id, trim(observed_at) AS s, valid, reason, kind, tac, body,
         lib_canon, lid_problem
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
  SELECT *, timezone({lit(tz)}, naive) AS guess FROM w
), y AS (
  SELECT *,
    naive IS NOT NULL AND timezone({lit(tz)}, guess) <> naive AS nonexistent,
    CASE
      WHEN inst_off IS NOT NULL THEN inst_off
      WHEN naive IS NULL THEN NULL
      WHEN timezone({lit(tz)}, guess - INTERVAL 1 HOUR) = naive THEN guess - INTERVAL 1 HOUR
      ELSE guess
    END AS instant
  FROM x
), z AS (
  SELECT *, coalesce(lib_canon, {canon}) AS canon,
    CASE
      WHEN line_id = '' THEN {_problem(Reason.MISSING_VALUE, "line_id")}
      WHEN lid_problem IS NOT NULL THEN lid_problem
      WHEN {_NON_ASCII_DIGIT} THEN {_problem(Reason.NON_ASCII_DIGIT, "line_id")}
      WHEN reason IS NOT NULL THEN reason || '|imei'
      WHEN s = '' THEN {_problem(Reason.MISSING_VALUE, "observed_at")}
      WHEN nonexistent THEN {_problem(Reason.NONEXISTENT_LOCAL_TIME, "observed_at")}
      WHEN instant IS NULL THEN {_problem(Reason.BAD_TIMESTAMP, "observed_at")}
      WHEN instant > TIMESTAMPTZ '{limit}+00'
        THEN {_problem(Reason.FUTURE_TIMESTAMP, "observed_at")}
    END AS problem
  FROM y
)
SELECT line_no, problem,
  CASE WHEN problem IS NULL THEN canon END AS line,
  CASE WHEN problem IS NULL THEN body END AS handset,
  CASE WHEN problem IS NULL THEN tac END AS tac,
  CASE WHEN problem IS NULL THEN kind END AS kind,
  instant AS observed_at,
  -- a naive time that exists is its instant's local time: its date needs no time-zone lookup
  CASE WHEN naive IS NOT NULL THEN CAST(naive AS DATE)
       ELSE CAST(timezone({lit(tz)}, instant) AS DATE) END AS local_date
FROM z
"""


@dataclass(frozen=True)
class Pseudonyms:
    """Swap raw ids for their keyed pseudonyms in each slice of the staging SQL.

    ``apply`` runs the slice's SQL (``lines_sql`` or ``observations_sql``, which leave the
    canonical identifiers in ``columns``) inside the engine, hashes each column's distinct
    values once (``hmac_sql``) and joins the pseudonyms back, in one query: the raw values
    never leave DuckDB. ``columns`` are (column, kind) pairs: the column holds the canonical
    value and leaves holding the pseudonym of that kind.

    Hashing per slice, not once per file through a cache of the file's values kept in
    temporary tables (as earlier releases did), measured faster on every export tried: the
    1:20 nightly snapshot, the demo's export (6.0 M sightings: 25-26 s against 30-33 s), and a
    5 M-line 6-month export (its first 2 M rows: 6.2 s against 13.9 s). A slice's cache lookups
    and inserts cost more than the HMACs they save (0.69 us each on two cores,
    ``benchmarks/bench_pseudonyms.py``).
    """

    key: bytes
    columns: tuple[tuple[str, str], ...]

    def apply(self, con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
        """``sql``'s result for the registered ``batch``, its raw columns pseudonymised."""
        ctes = [f"s AS MATERIALIZED ({sql})"]
        joins, replace = [], []
        for i, (column, kind) in enumerate(self.columns):
            ctes.append(
                f"c{i} AS (SELECT v, {hmac_sql(self.key, kind, 'v')} AS p FROM "
                f"(SELECT DISTINCT {column} AS v FROM s WHERE {column} IS NOT NULL))"
            )
            joins.append(f"LEFT JOIN c{i} ON s.{column} = c{i}.v")
            replace.append(f"c{i}.p AS {column}")
        return con.sql(
            f"WITH {', '.join(ctes)} SELECT s.* REPLACE ({', '.join(replace)}) "
            f"FROM s {' '.join(joins)}"
        ).to_arrow_table()


def imei_parts(table: pa.Table) -> pa.Table:
    """A slice of observations with its IMEI replaced by the columns of ``imei.parse_array``
    (valid, reason, kind, tac, body): the IMEI rules run vectorised in Arrow, before the SQL."""
    parsed = parse_array(table.column("imei"))
    table = table.drop_columns(["imei"])
    for name in ("valid", "reason", "kind", "tac", "body"):
        table = table.append_column(name, parsed.column(name))
    return table


def id_parts(table: pa.Table, country_code: str, customer: bool = False) -> pa.Table:
    """A slice with the identifiers' parts the SQL needs: ``lib_canon`` (libphonenumber's E.164
    of the line id where the SQL rule may be wrong, else null) and ``lid_problem`` (and for
    lines ``cid_problem``): ``'control_character|<column>'`` when the identifier holds a
    control or invisible character, else null."""
    line_id = table.column("line_id")
    trimmed = pc.utf8_trim(line_id, " ")  # as SQL trim(): spaces only
    table = table.append_column("lib_canon", library_column(trimmed, rules_for(country_code)))
    table = table.append_column("lid_problem", _control(line_id, "line_id"))
    if customer:
        table = table.append_column(
            "cid_problem", _control(table.column("customer_id"), "customer_id")
        )
    return table


def _control(values: pa.ChunkedArray, column: str) -> pa.Array:
    """``'control_character|<column>'`` where a value holds a control or invisible character,
    else null. The regular expression only reads the values with a byte outside printable ASCII
    (found by one vectorised pass over the column's bytes)."""
    problem = pa.scalar(f"{Reason.CONTROL_CHARACTER.value}|{column}", pa.string())
    array = values.combine_chunks()
    found = np.zeros(len(array), dtype=bool)
    odd = np.flatnonzero(_odd_bytes(array))
    if odd.size:
        hits = pc.match_substring_regex(array.take(pa.array(odd)), _CONTROL)
        found[odd] = pc.fill_null(hits, False).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(found), problem, pa.scalar(None, pa.string()))


def _odd_bytes(array: pa.Array) -> np.ndarray:
    """Per string: whether it holds a byte under 0x20 or from 0x7f (an ASCII control, or any
    non-ASCII character). Any other array: True everywhere (the regex decides)."""
    if array.type != pa.string() or array.null_count:
        return np.ones(len(array), dtype=bool)
    offsets = np.frombuffer(array.buffers()[1], np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    if data is None or not len(array):
        return np.zeros(len(array), dtype=bool)
    raw = np.frombuffer(data, np.uint8)
    odd = np.concatenate(([0], np.cumsum((raw < 0x20) | (raw >= 0x7F), dtype=np.int64)))
    return (odd[offsets[1:]] - odd[offsets[:-1]]) > 0


def stage_rows(
    con: duckdb.DuckDBPyConnection,
    info: InputFile,
    columns: list[str],
    sql: str,
    stage: Path,
    rep: FileReport,
    quarantine: Quarantine,
    rate: float,
    progress: Progress,
    prepare: Callable[[pa.Table], pa.Table],
    *,
    pseudonyms: Pseudonyms | None = None,
) -> bool:
    """Validate and pseudonymise a file block by block with ``sql`` over the view ``batch``.

    Accepted rows are appended to the Parquet file ``stage``, rejected ones to ``quarantine``;
    returns whether any row was staged. ``rep.rows`` counts every row. Once
    MIN_ROWS_BEFORE_ABORT rows are read, the file aborts (InputError) as soon as another block
    follows rows whose rejects exceed ``rate`` even if every row the rest of the file can hold
    were accepted.

    With ``pseudonyms``, ``sql`` leaves raw ids in its columns and ``Pseudonyms.apply``
    replaces them by their pseudonyms (each distinct value of a slice hashed once).
    """
    writer: pq.ParquetWriter | None = None
    task = f"{rep.kind} {info.path.name}"
    done = 0
    try:
        for batch in iter_batches(info, columns):
            # the rows so far, once another block follows them (the last one is finish's)
            if rep.rows >= MIN_ROWS_BEFORE_ABORT:
                check_reject_rate(rep, quarantine, rate, info.rows_left_max(done, rep.rows))
            rep.rows += batch.table.num_rows + len(batch.bad_rows)
            rep.blank_lines += batch.blank_lines
            nos: list[pa.Array] = []
            cols: list[pa.Array] = []
            reasons: list[pa.Array] = []
            if batch.bad_rows:
                no, col, reason = zip(*batch.bad_rows, strict=True)
                nos.append(pa.array(no, pa.int64()))
                cols.append(pa.array(col, pa.string()))
                reasons.append(pa.array(reason, pa.string()))
            line_no = pa.array(batch.line_no, pa.int64())
            for lo in range(0, batch.table.num_rows, SLICE_ROWS):
                piece = prepare(batch.table.slice(lo, SLICE_ROWS))
                con.register("batch", piece.append_column("line_no", line_no.slice(lo, SLICE_ROWS)))
                if pseudonyms is None:
                    out = con.sql(sql).to_arrow_table()
                else:
                    out = pseudonyms.apply(con, sql)
                con.unregister("batch")
                problems = out.filter(pc.is_valid(out["problem"]))
                if problems.num_rows:
                    parts = pc.split_pattern(problems["problem"], "|")
                    nos.append(problems["line_no"].combine_chunks())
                    reasons.append(pc.list_element(parts, 0).combine_chunks())
                    cols.append(pc.list_element(parts, 1).combine_chunks())
                good = out.filter(pc.is_null(out["problem"])).drop_columns(["problem"])
                if writer is None:
                    # pseudonyms are random: a dictionary page for them is built and given up
                    plain = [n for n in good.schema.names if n not in PSEUDONYM_COLUMNS]
                    writer = pq.ParquetWriter(stage, good.schema, use_dictionary=plain)
                writer.write_table(good)
            if nos:
                quarantine.add(
                    pa.concat_arrays(nos), pa.concat_arrays(cols), pa.concat_arrays(reasons)
                )
            done += batch.bytes_read
            progress(task, done, info.size)
    finally:
        if writer is not None:
            writer.close()
    return writer is not None and stage.exists()


def stage_file(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    info: InputFile,
    stage: Path,
    rep: FileReport,
    quarantine: Quarantine,
    rate: float,
    progress: Progress,
    *,
    key: bytes,
    cc: str,
    tz: str = "UTC",
    now: dt.datetime | None = None,
) -> bool:
    """Stage one ``lines`` or ``observations`` file (``kind``) with its kind's validation SQL,
    Arrow preparation and pseudonymised columns (``Pseudonyms``); ``tz`` and ``now``
    are the store's time zone and the ingest's instant (observations only). The one setup of
    ``stage_rows`` for the DuckDB ingest and the Spark ingest's tasks; returns ``stage_rows``'."""
    if kind == "lines":
        return stage_rows(
            con, info, LINE_COLUMNS, lines_sql(cc), stage, rep, quarantine, rate, progress,
            lambda t: id_parts(t, cc, customer=True), pseudonyms=Pseudonyms(key, LINE_PSEUDONYMS),
        )  # fmt: skip
    if now is None:
        raise ValueError("staging observations needs the ingest's instant (now)")
    return stage_rows(
        con, info, OBS_COLUMNS, observations_sql(cc, tz, now), stage, rep,
        quarantine, rate, progress, lambda t: imei_parts(id_parts(t, cc)),
        pseudonyms=Pseudonyms(key, OBS_PSEUDONYMS),
    )  # fmt: skip
