"""Ingest on Spark: the same validation, quarantine, reconciliation and commit, on a cluster.

One implementation of the rules, two places to run it:

- **Per file, on the executors.** Each lines or observations file is one Spark task that runs
  the DuckDB path's own staging (``readers`` + ``staging.stage_rows``, in an in-process DuckDB):
  the same checks in the same order, the same reason codes, the same physical line numbers, the
  same HMAC pseudonyms and the same early ``--max-reject-rate`` abort. A task writes the file's
  accepted rows (already pseudonymised) and its quarantine rows as Parquet into the
  transaction's staging folder and returns the file's counts to the driver. No raw identifier
  ever enters Spark: the executors read the raw files with Python and hand Spark only
  pseudonyms.
- **Across files, in Spark SQL (shuffles).** The steps that compare rows of several files or
  with the store run as DataFrames: the lines' first-row-wins and conflicting duplicates, their
  merge against the stored lines, the observations' exact duplicates (in the file, in earlier
  files of the run, in the history), the orphans, and the tenures, folded by the Ibis
  expression of ``tenure.fold`` compiled for Spark. Their answers equal the DuckDB path's
  sequential ones, file after file (``tests/spark/test_ingest_spark.py``).
- **The commit, on the driver.** Executors write new files into the staging folder; the
  driver's ``Transaction`` renames them and the manifest, as for DuckDB. The store must
  therefore be a POSIX path that the driver and the executors see (local disk, NFS, HDFS through
  a POSIX mount); an object-store URL (``s3a://``...) is refused: it has no atomic rename.

The TAC catalogs are small and are imported on the driver by the same code as on DuckDB.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from devicepark.errors import ConfigError, DeviceparkError, InputError, StoreError
from devicepark.ingest.pseudonym import check_key_strength
from devicepark.ingest.readers import InputFile, open_input
from devicepark.ingest.reconcile import FileReport, Quarantine, check_reject_rate, finish, start
from devicepark.ingest.run import IngestReport, _engine_fault, _ingest_catalogs
from devicepark.ingest.staging import (
    LINE_COLUMNS,
    LINE_REQUIRED,
    OBS_COLUMNS,
    OBS_REQUIRED,
    Progress,
    stage_file,
)
from devicepark.reasons import Reason
from devicepark.store.layout import OPEN
from devicepark.store.schema import LINES, OBSERVATIONS, QUARANTINE, TENURES
from devicepark.store.store import Derive, Store
from devicepark.store.upgrade import upgrade

__all__ = ["OBJECT_STORES", "check_store_location", "ingest_spark"]

# URL schemes of object stores: no atomic rename, so no atomic commit of a manifest.
OBJECT_STORES = (
    "s3", "s3a", "s3n", "gs", "gcs", "abfs", "abfss", "wasb", "wasbs", "adl", "oss", "cos",
    "cosn", "obs", "r2", "swift", "ks3", "bos", "tos",
)  # fmt: skip
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):/")
ATTRIBUTES = tuple(LINES.names[1:-1])
# As tenure.refold: past this many closed tenure files a night merges them into one rewrite.
MAX_CLOSED_FILES = 64  # as ingest.lines: the columns that make a line's version
# Spark settings every ingest needs, whatever the session was started with (runtime SQL
# settings): instants as microseconds in UTC, and dates before 1582 written as they are.
WRITE_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.compression.codec": "zstd",
}


def check_store_location(path: str | Path) -> None:
    """Refuse a store that is a URL: an object store cannot commit atomically, and any other
    scheme is not a POSIX path the driver can rename a manifest in.

    >>> check_store_location("/data/store")  # a path: fine
    >>> try:
    ...     check_store_location("s3a://bucket/store")
    ... except StoreError as exc:
    ...     print(exc.message[:60])
    s3a://bucket/store: an object store (s3a://) has no atomic r
    """
    text = str(path)
    m = _SCHEME.match(text)
    if m is None or len(m.group(1)) == 1:  # a Windows drive letter is no scheme
        return
    scheme = m.group(1).lower()
    shown = re.sub(r"^([^:]+):/+", r"\1://", text)
    hint = (
        "put the store on a local disk, NFS, or HDFS mounted as a POSIX path, seen at the same "
        "path by the driver and every executor"
    )
    if scheme in OBJECT_STORES:
        raise StoreError(
            f"{shown}: an object store ({scheme}://) has no atomic rename, so a store version "
            "cannot be committed there safely; devicepark refuses it",
            hint=hint,
        )
    raise StoreError(
        f"{shown}: the store must be a file-system path (the manifest is renamed with the "
        f"operating system's rename), not a {scheme}:// URL",
        hint=hint,
    )


# -- one task per file (executors) -------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """One input file for one task."""

    rank: int  # position among this run's files of its kind, from 1
    kind: str  # lines | observations
    info: InputFile  # its path absolute (executors have another working directory)
    seq: int
    name: str  # the file as given (FileReport.file)


@dataclass
class _Staged:
    """What a task hands back: a file's counts and where its rows went (no row itself)."""

    rank: int
    kind: str
    rows: int = 0
    blank_lines: int = 0
    rejected: int = 0
    reasons: dict[str, list[int]] = field(default_factory=dict)  # reason -> [first line, rows]
    first: tuple[int, str | None, str] | None = None
    stage: str | None = None  # the accepted rows' Parquet (None: nothing staged)
    quarantine: str | None = None  # the rejected rows' Parquet (None: none)
    error: dict[str, Any] | None = None  # an InputError's fields, or an OS/DuckDB I/O fault
    seconds: float = 0.0  # the task's own time


class _TaskFiles:
    """The part of a Transaction a Quarantine uses: fresh paths in the staging folder, named
    after the file and the task attempt (a retried or speculative attempt never shares one)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def new_path(self, table: str) -> Path:
        self.n += 1
        return Path(f"{self.prefix}-{table}-{self.n}.parquet")


def _stage_partition(
    jobs: Iterator[_Job], key: bytes, cc: str, tz: str, now: dt.datetime, rate: float,
    staging: str,
) -> Iterator[_Staged]:  # fmt: skip
    """Spark task: stage each file of the partition (one, by construction)."""
    for job in jobs:
        yield _stage_file(job, key, cc, tz, now, rate, staging)


def _stage_file(
    job: _Job, key: bytes, cc: str, tz: str, now: dt.datetime, rate: float, staging: str
) -> _Staged:
    import duckdb
    from pyspark import TaskContext

    from devicepark.store.engine import duckdb_connection

    started = time.perf_counter()
    ctx = TaskContext.get()
    attempt = ctx.attemptNumber() if ctx is not None else 0
    threads = max(1, ctx.cpus()) if ctx is not None else None
    prefix = f"{staging}/spark-{job.kind}-{job.seq}-a{attempt}"
    out = _Staged(job.rank, job.kind)
    rep = FileReport(file=job.name, kind=job.kind, layout=job.info.fmt, ingest_seq=job.seq)
    quarantine = Quarantine(_TaskFiles(prefix), job.seq, job.kind, job.name)  # type: ignore[arg-type]
    stage = Path(f"{prefix}-stage.parquet")
    con = duckdb_connection(threads=threads)
    try:  # the DuckDB ingest's own staging of a file
        staged = stage_file(
            con, job.kind, job.info, stage, rep, quarantine, rate, lambda *a, **k: None,
            key=key, cc=cc, tz=tz, now=now,
        )  # fmt: skip
        q = quarantine.close(con)
    except InputError as exc:
        quarantine.discard()
        out.error = {"input": exc.message, "file": exc.file, "line": exc.line,
                     "column": exc.column, "hint": exc.hint}  # fmt: skip
        return out
    except duckdb.IOException as exc:
        out.error = {"duckdb_io": str(exc).splitlines()[0] if str(exc) else ""}
        return out
    except OSError as exc:
        out.error = {"os": exc.errno, "strerror": exc.strerror}
        return out
    finally:
        con.close()
    out.rows, out.blank_lines = rep.rows, rep.blank_lines
    out.rejected, out.first = quarantine.count, quarantine.first
    out.reasons = {k: list(v) for k, v in quarantine._reasons.items()}  # noqa: SLF001
    out.stage = str(stage) if staged else None
    out.quarantine = str(q) if q is not None else None
    out.seconds = time.perf_counter() - started
    return out


def _raise_task_error(store: Store, error: dict[str, Any]) -> None:
    """A task's fault, raised on the driver as the DuckDB path raises it."""
    import errno as errno_

    import duckdb

    if "input" in error:
        raise InputError(
            error["input"], file=error["file"], line=error["line"], column=error["column"],
            hint=error["hint"],
        )  # fmt: skip
    if "duckdb_io" in error:
        raise _engine_fault(store, duckdb.IOException(error["duckdb_io"]))
    code = error.get("os") or errno_.EIO
    raise OSError(code, error.get("strerror") or "input/output error")


class _Rejects:
    """A file's rejected rows as ``reconcile`` reads them (count, reasons, first), from a task's
    quarantine plus the conflicting duplicates Spark found; ``close`` names the task's file."""

    def __init__(self, staged: _Staged) -> None:
        self.count = staged.rejected
        self.first = staged.first
        self._reasons = {k: list(v) for k, v in staged.reasons.items()}
        self._path = staged.quarantine

    @property
    def reasons(self) -> dict[str, int]:
        ordered = sorted(self._reasons.items(), key=lambda kv: kv[1][0])
        return {reason: n for reason, (_, n) in ordered}

    def add(self, reason: str, column: str, first: int, n: int) -> None:
        if not n:
            return
        seen = self._reasons.setdefault(reason, [first, 0])
        seen[0] = min(seen[0], first)
        seen[1] += n
        self.count += n
        if self.first is None or first < self.first[0]:
            self.first = (first, column, reason)

    def close(self, con: Any) -> Path | None:
        return Path(self._path) if self._path else None


# -- the driver ------------------------------------------------------------------------------


def ingest_spark(
    store: Store,
    con: Any,
    key: bytes,
    *,
    lines: Sequence[str | Path] = (),
    observations: Sequence[str | Path] = (),
    tac: Sequence[str | Path] = (),
    max_reject_rate: float = 0.01,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    stats: dict[str, Any] | None = None,
    derive: Derive | None = None,
) -> IngestReport:
    """``run.ingest`` on Spark: ``con`` is the Ibis PySpark backend of ``store.engine.connect``.
    Same arguments, same report, same store contents. ``stats``, when given, receives each
    file's task time and rows (``{"tasks": [{"kind", "file", "rows", "seconds"}]}``).
    ``derive`` is ``run.ingest``'s hook (the daily aggregate), run as there inside the
    transaction after the tenures, on a DuckDB connection of the driver."""
    progress = progress or (lambda *a, **k: None)
    now = now or dt.datetime.now(dt.UTC)
    if not (0.0 <= max_reject_rate <= 1.0):  # also refuses NaN
        raise ConfigError(f"--max-reject-rate must lie in 0..1, got {max_reject_rate}")
    check_store_location(store.path)
    check_key_strength(key)
    store.check_key(key)
    line_inputs = [open_input(p, LINE_REQUIRED, "lines", LINE_COLUMNS) for p in lines]
    obs_inputs = [open_input(p, OBS_REQUIRED, "observations", OBS_COLUMNS) for p in observations]
    session = con._session  # noqa: SLF001 - Ibis exposes no public accessor
    for k, v in WRITE_SETTINGS.items():
        session.conf.set(k, v)
    try:
        upgraded_from = upgrade(store)
        run = _Run(store, con, session, key, max_reject_rate, progress, now, derive)
        report = run.run(line_inputs, obs_inputs, tac)
        if stats is not None:
            stats["tasks"] = run.tasks
    except DeviceparkError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        raise StoreError(
            f"{store.path}: Spark could not complete the ingest ({type(exc).__name__}); "
            "the store is unchanged",
            hint="see the Spark driver's log; the executors must see the store and the input "
            "files at the same paths as the driver",
        ) from None
    report.upgraded_from = upgraded_from
    return report


def _is_spark_error(exc: BaseException) -> bool:
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException
    except ImportError:  # pragma: no cover - Spark is there, or con would not be
        return False
    return isinstance(exc, (Py4JError, PySparkException))


class _Run:
    """One Spark ingest: one transaction, as ``run._run``."""

    def __init__(
        self, store: Store, con: Any, session: Any, key: bytes, rate: float,
        progress: Progress, now: dt.datetime, derive: Derive | None = None,
    ) -> None:  # fmt: skip
        self.store, self.con, self.session, self.key = store, con, session, key
        self.rate, self.progress, self.now, self.derive = rate, progress, now, derive
        self.tasks: list[dict[str, Any]] = []

    def run(
        self, line_inputs: list[InputFile], obs_inputs: list[InputFile], tac: Sequence[str | Path]
    ) -> IngestReport:
        reports: list[FileReport] = []
        rebuilt = 0
        with self.store.transaction() as tx:
            tx.bind_key(self.key)
            self.tx = tx
            if tac:
                reports.extend(_ingest_catalogs(tx, tac, self.progress))
            # The files' hashes and ingest sequences, in the DuckDB path's order.
            line_jobs, line_reps = self._start(line_inputs, "lines")
            obs_jobs, obs_reps = self._start(obs_inputs, "observations")
            staged = self._stage([*line_jobs, *obs_jobs])
            self.progress("lines: merge", 0, 1)
            reports.extend(self._lines(line_jobs, line_reps, staged))
            self.progress("lines: merge", 1, 1)
            self.progress("observations: duplicates, orphans", 0, 1)
            new_obs = self._observations(obs_jobs, obs_reps, staged)
            self.progress("observations: duplicates, orphans", 1, 1)
            reports.extend(r for r, _ in obs_reps)
            if new_obs:
                self.progress("tenures", 0, 1)
                rebuilt = self._tenures(new_obs)
                self.progress("tenures", 1, 1)
            if self.derive is not None and tx.changed:
                from devicepark.store.engine import duckdb_connection

                self.progress("daily", 0, 1)
                duck = duckdb_connection()
                try:
                    self.derive(tx, duck)
                finally:
                    duck.close()
                self.progress("daily", 1, 1)
            version = tx.base.version + (1 if tx.changed else 0)
        return IngestReport(str(self.store.path), version, [r.to_dict() for r in reports], rebuilt)

    # -- per file ------------------------------------------------------------------------
    def _start(
        self, inputs: list[InputFile], kind: str
    ) -> tuple[list[_Job], list[tuple[FileReport, str]]]:
        jobs: list[_Job] = []
        reps: list[tuple[FileReport, str]] = []
        for info in inputs:
            rep, sha, seq = start(self.tx, info, kind)
            reps.append((rep, sha))
            if seq is None:
                continue
            # a second copy of a file later in this run is skipped, as the DuckDB path does
            self.tx._ingest_pending.append({"sha256": sha, "kind": kind})  # type: ignore[attr-defined]
            absolute = replace(info, path=Path(info.path).resolve())
            jobs.append(_Job(len(jobs) + 1, kind, absolute, seq, info.name))
        # the placeholders only served ``already_ingested``; ``finish`` records the real rows
        pending = getattr(self.tx, "_ingest_pending", None)
        if pending is not None:
            pending[:] = [r for r in pending if "rows" in r]
        return jobs, reps

    def _stage(self, jobs: list[_Job]) -> dict[tuple[str, int], _Staged]:
        """Run every file's staging as one Spark job, one task per file, largest first."""
        if not jobs:
            return {}
        self.progress(f"spark: staging {len(jobs)} files", 0, len(jobs))
        ordered = sorted(jobs, key=lambda j: -j.info.size)
        cfg = self.tx.config
        key, cc, tz, now, rate = self.key, cfg.country_code, cfg.timezone, self.now, self.rate
        staging = str(self.tx.staging.resolve())
        rdd = self.session.sparkContext.parallelize(ordered, len(ordered))
        results = rdd.mapPartitions(
            lambda it: _stage_partition(it, key, cc, tz, now, rate, staging)
        ).collect()
        self.progress(f"spark: staging {len(jobs)} files", len(jobs), len(jobs))
        names = {(j.kind, j.rank): j.name for j in jobs}
        self.tasks = [
            {"kind": r.kind, "file": names[(r.kind, r.rank)], "rows": r.rows, "seconds": r.seconds}
            for r in results
        ]
        return {(r.kind, r.rank): r for r in results}

    def _account(self, rep: FileReport, staged: _Staged) -> _Rejects:
        if staged.error is not None:
            _raise_task_error(self.store, staged.error)
        rep.rows, rep.blank_lines = staged.rows, staged.blank_lines
        return _Rejects(staged)

    # -- lines ---------------------------------------------------------------------------
    def _lines(
        self, jobs: list[_Job], reps: list[tuple[FileReport, str]], staged: dict
    ) -> list[FileReport]:
        """Lines files in order: the first row of a line wins in its file (identical repeats
        are duplicates, others conflicting duplicates); against the lines before it (the store,
        then the earlier files) an identical line is a duplicate, a changed one an update."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        parts = [
            self._read(s.stage).withColumn("rank", F.lit(j.rank)).withColumn("seq", F.lit(j.seq))
            for j in jobs
            if (s := staged[("lines", j.rank)]).stage is not None and s.error is None
        ]
        flagged = counts = conflicts = None
        repeat_counts: dict[int, tuple[Any, Any, Any]] = {}
        if parts:
            s = _union(parts)
            w = Window.partitionBy("rank", "line").orderBy("line_no")
            s = s.withColumn("rn", F.row_number().over(w))
            for c in ATTRIBUTES:
                s = s.withColumn(f"_first_{c}", F.first(c).over(w))
            same = _all([F.col(c).eqNullSafe(F.col(f"_first_{c}")) for c in ATTRIBUTES])
            repeats = s.where("rn > 1").withColumn("same", same)
            conflicts = repeats.where(~F.col("same")).select("rank", "seq", "line_no")
            repeat_counts = {
                r["rank"]: (r["dup"], r["conflicts"], r["first_conflict"])
                for r in repeats.groupBy("rank").agg(
                    F.sum(F.col("same").cast("long")).alias("dup"),
                    F.sum((~F.col("same")).cast("long")).alias("conflicts"),
                    F.min(F.when(~F.col("same"), F.col("line_no"))).alias("first_conflict"),
                ).collect()
            }  # fmt: skip
            firsts = s.where("rn = 1").select("line", *ATTRIBUTES, "rank", "seq")
            old_files = self.tx.files("lines")
            if old_files:
                old = self._read_many(old_files).select(
                    "line", *ATTRIBUTES, F.lit(0).alias("rank"), F.col("ingest_seq").alias("seq")
                )
                firsts = firsts.unionByName(old)
            wl = Window.partitionBy("line").orderBy("rank")
            prev = [F.lag(c).over(wl) for c in ATTRIBUTES]
            has_prev = F.lag("rank").over(wl).isNotNull()
            same_prev = [F.col(c).eqNullSafe(p) for c, p in zip(ATTRIBUTES, prev, strict=True)]
            flagged = firsts.withColumn("has_prev", has_prev).withColumn(
                "dup", has_prev & _all(same_prev)
            )
            flagged = flagged.persist()
            counts = {
                r["rank"]: (r["dup"], r["updated"], r["accepted"])
                for r in flagged.where("rank > 0").groupBy("rank").agg(
                    F.sum(F.col("dup").cast("long")).alias("dup"),
                    F.sum((F.col("has_prev") & ~F.col("dup")).cast("long")).alias("updated"),
                    F.sum((~F.col("dup")).cast("long")).alias("accepted"),
                ).collect()
            }  # fmt: skip
        out: list[FileReport] = []
        accepted_any = False
        conflict_files: list[Path] = []
        if conflicts is not None and any(v[1] for v in repeat_counts.values()):
            names = self.session.createDataFrame(
                [(j.rank, j.name) for j in jobs], "rank int, file string"
            )
            rows = conflicts.join(F.broadcast(names), "rank").select(
                F.col("seq").cast("long").alias("ingest_seq"),
                F.lit("lines").alias("table"),
                "file",
                F.col("line_no").cast("long"),
                F.lit("line_id").alias("column"),
                F.lit(Reason.CONFLICTING_DUPLICATE.value).alias("reason"),
            )
            conflict_files = self._write(rows, QUARANTINE, "quarantine")
        jobs_iter = iter(jobs)
        for rep, sha in reps:
            if rep.skipped:
                out.append(rep)
                continue
            job = next(jobs_iter)
            st = staged[("lines", job.rank)]
            rejects = self._account(rep, st)
            if st.stage is not None:
                dup_in, n_conf, first_conf = repeat_counts.get(job.rank, (0, 0, None))
                dup_old, updated, accepted = (counts or {}).get(job.rank, (0, 0, 0))
                rep.duplicates = int(dup_in or 0) + int(dup_old or 0)
                rep.updated = int(updated or 0)
                rep.accepted = int(accepted or 0)
                if n_conf:
                    rejects.add(Reason.CONFLICTING_DUPLICATE.value, "line_id", first_conf, n_conf)
            finish(self.tx, None, rep, sha, rejects, self.rate)  # type: ignore[arg-type]
            accepted_any |= rep.accepted > 0
            out.append(rep)
        if conflict_files:  # every file's account held: their conflicting duplicates
            self.tx.add("quarantine", conflict_files)
        if accepted_any and flagged is not None:
            # per line: its newest version, kept under the sequence of the file that last
            # changed it (a duplicate keeps the version it repeats)
            wl = Window.partitionBy("line").orderBy("rank")
            upto = wl.rowsBetween(Window.unboundedPreceding, Window.currentRow)
            eff = F.last(F.when(~F.col("dup"), F.col("seq")), ignorenulls=True).over(upto)
            last = F.max("rank").over(Window.partitionBy("line"))
            final = (
                flagged.withColumn("ingest_seq", eff.cast("long"))
                .withColumn("_last", last)
                .where(F.col("rank") == F.col("_last"))
            )
            self.tx.replace("lines", self._write(final, LINES, "lines"))
        if flagged is not None:
            flagged.unpersist()
        return out

    def _first_failure(
        self, jobs: list[_Job], reps: list[tuple[FileReport, str]], staged: dict
    ) -> None:
        """A task failed: raise what the DuckDB path raises first, file after file (an earlier
        file's reject rate, else the failed file's own error)."""
        jobs_iter = iter(jobs)
        for rep, _ in reps:
            if rep.skipped:
                continue
            job = next(jobs_iter)
            rejects = self._account(rep, staged[(job.kind, job.rank)])  # raises at the failure
            check_reject_rate(rep, rejects, self.rate)  # type: ignore[arg-type]

    # -- observations -----------------------------------------------------------------
    def _observations(
        self, jobs: list[_Job], reps: list[tuple[FileReport, str]], staged: dict
    ) -> list[Path]:
        """Observations files in order: a sighting (line, handset, instant) is kept once, in
        the first file of the run that has it (its first spelling there) unless the store holds
        it already; the kept sightings of lines the store does not know are orphans."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        key_cols = ["line", "handset", "observed_at"]
        parts = [
            self._read(s.stage).withColumn("rank", F.lit(j.rank)).withColumn("seq", F.lit(j.seq))
            for j in jobs
            if (s := staged[("observations", j.rank)]).stage is not None and s.error is None
        ]
        if any(staged[("observations", j.rank)].error is not None for j in jobs):
            self._first_failure(jobs, reps, staged)
        written: list[Path] = []
        kept_counts: dict[int, tuple[int, int]] = {}
        staged_counts: dict[int, int] = {}
        if parts:
            new = _union(parts)
            per_file = new.groupBy("rank").agg(F.count("*").alias("n")).collect()
            staged_counts = {r["rank"]: r["n"] for r in per_file}
            rows = new.select(*key_cols, "tac", "kind", "local_date", "rank", "seq", "line_no")
            history = self.tx.files("observations")
            if history:
                lo, hi = new.agg(F.min("observed_at"), F.max("observed_at")).first()
                old = (
                    self._read_many(history)
                    .select(*key_cols)
                    .where(F.col("observed_at").between(lo, hi))  # Parquet statistics skip the rest
                    .select(*key_cols, F.lit(None).cast("string").alias("tac"),
                            F.lit(None).cast("string").alias("kind"),
                            F.lit(None).cast("date").alias("local_date"),
                            F.lit(0).alias("rank"), F.lit(0).alias("seq"),
                            F.lit(0).cast("long").alias("line_no"))
                )  # fmt: skip
                rows = rows.unionByName(old)
            w = Window.partitionBy(*key_cols).orderBy("rank", "line_no")
            kept = (
                rows.withColumn("_rn", F.row_number().over(w))
                .where("_rn = 1 AND rank > 0")
                .withColumn("ingest_seq", F.col("seq").cast("long"))
            )
            written = self._write(kept, OBSERVATIONS, "observations")
            kept_counts = self._orphans(written)
        jobs_iter = iter(jobs)
        for rep, sha in reps:
            if rep.skipped:
                continue
            job = next(jobs_iter)
            st = staged[("observations", job.rank)]
            rejects = self._account(rep, st)
            n_kept, orphans = kept_counts.get(job.seq, (0, 0))
            if st.stage is not None:
                rep.duplicates = staged_counts.get(job.rank, 0) - n_kept
                rep.orphans = orphans
                rep.accepted = n_kept - orphans
            finish(self.tx, None, rep, sha, rejects, self.rate)  # type: ignore[arg-type]
        if written:
            self.tx.add("observations", written)
        return written

    def _orphans(self, written: list[Path]) -> dict[int, tuple[int, int]]:
        """Per ingest sequence: (sightings kept, of which orphans: lines the store does not
        know after this run's lines files)."""
        from pyspark.sql import functions as F

        if not written:
            return {}
        kept = self._read_many([str(p) for p in written]).select("line", "ingest_seq")
        line_files = self.tx.files("lines")
        if line_files:
            known = self._read_many(line_files).select("line").withColumn("_known", F.lit(1))
            kept = kept.join(known, "line", "left")
            orphan = F.col("_known").isNull()
        else:
            orphan = F.lit(True)
        return {
            r["ingest_seq"]: (r["n"], r["orphans"])
            for r in kept.groupBy("ingest_seq").agg(
                F.count("*").alias("n"), F.sum(orphan.cast("long")).alias("orphans")
            ).collect()
        }  # fmt: skip

    # -- tenures ------------------------------------------------------------------------
    def _tenures(self, new_obs: list[Path]) -> int:
        """Bring the tenures of every line the new sightings touch up to date, as
        ``tenure.refold`` does on DuckDB (the same cases, the same result: a fold of every
        sighting), folding with ``tenure.fold`` (Ibis, compiled for Spark):

        - the first ingest folds every sighting;
        - a line whose new sightings all follow its last stored one: they are folded alone and
          their first run continues the stored last run when the fold would have (same handset,
          no silence over the gap); later runs are numbered on;
        - a line with late data: all its sightings are folded again.

        With the open part known and no late data only the open part is read and written again
        (plus one new file of the runs it closes); otherwise the table is written whole.
        Returns the number of lines touched."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        tx = self.tx
        gap = int(tx.config.tenure_gap_days)
        new = self._read_many([str(p) for p in new_obs])
        old_files = tx.files("tenures")
        if not old_files:  # the first ingest: fold everything (orphans included)
            n_touched = new.select("line").distinct().count()
            self._write_runs(self._fold(self._read_many(tx.files("observations"))), [])
            return n_touched
        open_files = tx.part_files("tenures", OPEN)
        per_line = Window.partitionBy("line")
        firsts = new.groupBy("line").agg(F.min("observed_at").alias("first_new"))
        last = (
            self._read_many(open_files or old_files)
            .join(firsts.select("line"), "line", "left_semi")
            .withColumn("_max", F.max("seq").over(per_line))
            .where("seq = _max")
            .select("line", *[F.col(c).alias(f"t_{c}") for c in TENURES.names[1:]])
        )
        late = F.col("t_seq").isNotNull() & (F.col("t_last_seen") >= F.col("first_new"))
        touched = firsts.join(last, "line", "left").withColumn("late", late).persist()
        try:
            n_touched = touched.count()
            any_late = bool(touched.where("late").limit(1).count())
            appended = self._appended(new, touched, gap).persist()
            try:
                closed_files = [f for f in old_files if f not in open_files]
                if open_files and not any_late:  # the nightly case
                    self._append(appended, open_files, closed_files)
                    return n_touched
                cols = TENURES.names
                late = touched.where("late").select("line")
                continued = appended.where("continues").select("line", "seq")
                kept = (
                    self._read_many(old_files)
                    .join(late, "line", "left_anti")
                    .join(continued, ["line", "seq"], "left_anti")
                    .select(*cols)
                )
                runs = appended.select(*cols).unionByName(kept)
                if any_late:
                    late_obs = self._read_many(tx.files("observations")).join(
                        late, "line", "left_semi"
                    )
                    runs = runs.unionByName(self._fold(late_obs).select(*cols))
                self._write_runs(runs, [])
            finally:
                appended.unpersist()
        finally:
            touched.unpersist()
        return n_touched

    def _fold(self, observations: Any) -> Any:
        """``tenure.fold`` of a DataFrame of observations, compiled by Ibis for Spark."""
        from devicepark.tenure.fold import fold

        self._views = getattr(self, "_views", 0) + 1
        view = f"dp_ingest_fold_{self.tx.txid.replace('-', '_')}_{self._views}"
        observations.createOrReplaceTempView(view)
        t = self.con.table(view)
        naive = {c: "timestamp('UTC')" for c, typ in t.schema().items()
                 if typ.is_timestamp() and typ.timezone is None}  # fmt: skip
        expr = fold(t.cast(naive) if naive else t, int(self.tx.config.tenure_gap_days))
        # fold selects the TENURES columns in order; Ibis may name a cast column after the cast
        return self.session.sql(str(self.con.compile(expr))).toDF(*TENURES.names)

    def _appended(self, new: Any, touched: Any, gap: int) -> Any:
        """The new runs of the lines without late data, numbered on from their stored runs; the
        first continues the stored last run where the fold would have (``continues``)."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        on_time = touched.where("NOT late")
        f = self._fold(new.join(on_time.select("line"), "line", "left_semi"))
        first = F.col("seq") == 1
        joins = (
            first
            & F.col("t_seq").isNotNull()
            & (F.col("handset") == F.col("t_handset"))
            & (F.col("first_date") <= F.date_add(F.col("t_last_date"), gap))
        )
        j = f.join(on_time, "line").withColumn(
            "merged", F.max(joins.cast("int")).over(Window.partitionBy("line")) == 1
        )
        cont = F.col("merged") & first
        return j.select(
            "line",
            (F.col("seq") + F.coalesce(F.col("t_seq"), F.lit(0)) - F.col("merged").cast("long"))
            .cast("long").alias("seq"),
            "handset",
            "tac",
            F.when(cont, F.col("t_first_seen")).otherwise(F.col("first_seen")).alias("first_seen"),
            "last_seen",
            F.when(cont, F.col("t_first_date")).otherwise(F.col("first_date")).alias("first_date"),
            "last_date",
            (F.col("observations") + F.when(cont, F.col("t_observations")).otherwise(0))
            .cast("long").alias("observations"),
            cont.alias("continues"),
        )  # fmt: skip

    def _append(self, appended: Any, open_files: list[str], closed_files: list[str]) -> None:
        """The nightly case: the closed files stay; the runs that stop being last (a stored last
        run followed by a new run, the new runs before a line's newest) go to new closed files,
        and the open part is written again with the newest run of every line."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        cols = TENURES.names
        stored = self._read_many(open_files)
        lines = appended.select("line").distinct()
        newest = F.col("seq") == F.max("seq").over(Window.partitionBy("line"))
        marked = appended.withColumn("_newest", newest)
        continued = appended.where("continues").select("line", "seq")
        closed = marked.where("NOT _newest").select(*cols).unionByName(
            stored.join(lines, "line", "left_semi")
            .join(continued, ["line", "seq"], "left_anti")
            .select(*cols)
        )  # fmt: skip
        compact = len(closed_files) >= MAX_CLOSED_FILES
        if compact:
            closed = closed.unionByName(self._read_many(closed_files).select(*cols))
        open_ = (
            stored.join(lines, "line", "left_anti")
            .select(*cols)
            .unionByName(marked.where("_newest").select(*cols))
        )
        new_closed = self._write(closed, TENURES, "tenures")
        new_open = self._write(open_, TENURES, "tenures")
        keep = [] if compact else closed_files
        self.tx.rewrite("tenures", keep, [*new_closed, *new_open], {OPEN: new_open})

    def _write_runs(self, runs: Any, keep: list[str]) -> None:
        """Write ``runs`` (every run of the lines they hold) as closed runs and the open part,
        next to the closed files ``keep``."""
        from pyspark.sql import functions as F
        from pyspark.sql.window import Window

        marked = runs.withColumn("_last", F.max("seq").over(Window.partitionBy("line"))).persist()
        try:
            closed = self._write(marked.where("seq < _last"), TENURES, "tenures")
            open_ = self._write(marked.where("seq = _last"), TENURES, "tenures")
        finally:
            marked.unpersist()
        self.tx.rewrite("tenures", keep, [*closed, *open_], {OPEN: open_})

    # -- reading and writing -------------------------------------------------------------
    def _read(self, path: str) -> Any:
        return self.session.read.parquet(path)

    def _read_many(self, paths: Sequence[str]) -> Any:
        return self.session.read.parquet(*[str(p) for p in paths])

    def _write(self, df: Any, schema: Any, table: str) -> list[Path]:
        """Write ``df`` (its columns of ``schema``, typed and nullable exactly as the store's
        schema) from the executors into the staging folder; return its non-empty files, each
        moved to a fresh staging path of ``table``."""
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema

        out = self.tx.staging / f"spark-{table}-{self.tx.new_path(table).stem}"
        df = df.select(*schema.names).to(from_arrow_schema(schema))
        # Spark writes a column it knows is never null as a required field, which the store's
        # schema does not declare; an expression the optimiser cannot fold makes it optional.
        df = df.select(*[
            F.when(F.spark_partition_id() >= 0, F.col(f.name)).alias(f.name)
            if not f.nullable else F.col(f.name)
            for f in df.schema.fields
        ])  # fmt: skip
        df.write.parquet(str(out))
        files = []
        for part in sorted(out.glob("part-*.parquet")):
            if pq.ParquetFile(part).metadata.num_rows == 0:
                continue
            dest = self.tx.new_path(table)
            part.rename(dest)
            files.append(dest)
        return files


def _union(parts: list[Any]) -> Any:
    df = parts[0]
    for p in parts[1:]:
        df = df.unionByName(p)
    return df


def _all(conditions: list[Any]) -> Any:
    out = conditions[0]
    for c in conditions[1:]:
        out = out & c
    return out
