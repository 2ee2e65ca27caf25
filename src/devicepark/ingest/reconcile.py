"""The account of one input file: ``rows = accepted + rejected + duplicates + orphans``.

``start`` skips a file whose bytes were ingested before and gives the others an ingest sequence;
rejected rows go to a ``Quarantine`` as they are found: counted per reason and written to a
staging Parquet file at once (file, line, column, reason code; never the value), so a file of
millions of bad rows costs no memory. ``check_reject_rate`` aborts the file as soon as the
``--max-reject-rate`` can no longer be met, and ``finish`` checks the account and the rate a last
time, then adds the quarantine to the transaction and logs the file. A failed check raises an
InputError, so nothing from the run is committed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from devicepark.errors import InputError
from devicepark.ingest import log
from devicepark.ingest.readers import InputFile
from devicepark.store.duck import PARQUET, execute, lit
from devicepark.store.schema import QUARANTINE
from devicepark.store.store import Transaction

Rejected = tuple[int, str | None, str]  # (line, column, reason code)


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


def start(tx: Transaction, info: InputFile, kind: str) -> tuple[FileReport, str, int | None]:
    """The file's report, its content hash and its ingest sequence (None: ingested before)."""
    rep = FileReport(file=info.name, kind=kind, layout=info.fmt)
    sha = log.file_sha256(info.path)
    if log.already_ingested(tx, sha, kind):
        rep.skipped = True
        return rep, sha, None
    seq = log.next_seq(tx)
    rep.ingest_seq = seq
    return rep, sha, seq


# The reject rate is checked after every block once this many rows are read (and at the end).
MIN_ROWS_BEFORE_ABORT = 10_000


class Quarantine:
    """The rejected rows of one file: counted per reason and written to a staging Parquet file as
    they come, never held in memory. Blocks arrive in file order; rows added out of order (the
    conflicting duplicates of a lines file, found at the end) are sorted back by ``close``."""

    def __init__(self, tx: Transaction, seq: int, table: str, file: str) -> None:
        self.path = tx.new_path("quarantine")
        self.seq, self.table, self.file = seq, table, file
        self.count = 0
        self.first: Rejected | None = None  # the rejected row of the smallest line
        self._reasons: dict[str, list[int]] = {}  # reason -> [first line, rows]
        self._writer: pq.ParquetWriter | None = None
        self._last = 0  # the largest line written
        self._ordered = True

    @property
    def reasons(self) -> dict[str, int]:
        """Rows per reason, the reasons in the order they first appear in the file."""
        ordered = sorted(self._reasons.items(), key=lambda kv: kv[1][0])
        return {reason: n for reason, (_, n) in ordered}

    def add(self, line_no: pa.Array, column: pa.Array, reason: pa.Array) -> None:
        """Count and write rejected rows (three arrays of one length)."""
        n = len(line_no)
        if not n:
            return
        rows = pa.table(
            {
                "ingest_seq": pa.repeat(pa.scalar(self.seq, pa.int64()), n),
                "table": pa.repeat(pa.scalar(self.table, pa.string()), n),
                "file": pa.repeat(pa.scalar(self.file, pa.string()), n),
                "line_no": pa.array(line_no, pa.int64()),
                "column": pa.array(column, pa.string()),
                "reason": pa.array(reason, pa.string()),
            },
            schema=QUARANTINE,
        ).sort_by("line_no")
        lo = rows["line_no"][0].as_py()
        if lo < self._last:
            self._ordered = False
        self._last = max(self._last, rows["line_no"][-1].as_py())
        if self.first is None or lo < self.first[0]:
            self.first = (lo, rows["column"][0].as_py(), rows["reason"][0].as_py())
        per = rows.group_by("reason").aggregate([("line_no", "min"), ("line_no", "count")])
        for reason, first, count in zip(
            per["reason"].to_pylist(),
            per["line_no_min"].to_pylist(),
            per["line_no_count"].to_pylist(),
            strict=True,
        ):
            seen = self._reasons.setdefault(reason, [first, 0])
            seen[0] = min(seen[0], first)
            seen[1] += count
        self.count += n
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, QUARANTINE, compression="zstd")
        self._writer.write_table(rows)

    def add_rows(self, rows: list[Rejected]) -> None:
        """Count and write a (small) list of (line, column, reason)."""
        if rows:
            line_no, column, reason = zip(*rows, strict=True)
            self.add(pa.array(line_no), pa.array(column), pa.array(reason))

    def close(self, con: duckdb.DuckDBPyConnection) -> Path | None:
        """Finish the file; return it (in file order), or None when no row was rejected."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if not self.count:
            self.path.unlink(missing_ok=True)
            return None
        if not self._ordered:  # DuckDB sorts out of core
            ordered = self.path.with_name(self.path.stem + "-sorted.parquet")
            execute(
                con,
                f"COPY (SELECT * FROM read_parquet({lit(self.path)}) ORDER BY line_no) "
                f"TO {lit(ordered)} ({PARQUET})",
            )
            ordered.replace(self.path)
            self._ordered = True
        return self.path

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.path.unlink(missing_ok=True)


def check_reject_rate(rep: FileReport, q: Quarantine, rate: float, rows_left: int = 0) -> None:
    """Raise when the file's rejected rows exceed ``rate`` even if each of the ``rows_left``
    rows that the rest of the file can still hold were accepted (0 at the end of the file)."""
    if not rep.rows or q.count <= rate * (rep.rows + rows_left):
        return
    assert q.first is not None
    counts = ", ".join(f"{k} {v}" for k, v in sorted(q.reasons.items(), key=lambda kv: -kv[1]))
    share = f"{100 * q.count / rep.rows:.2f} %"
    limit = f"--max-reject-rate {100 * rate:g} %"
    if rows_left:
        what = (
            f"{q.count} of the first {rep.rows} rows rejected ({share}): the rest of the file "
            f"cannot bring the share under {limit} ({counts})"
        )
    else:
        what = f"{q.count} of {rep.rows} rows rejected ({share}), above {limit} ({counts})"
    raise InputError(
        f"{what}; first: {q.first[2]}; nothing was committed",
        file=rep.file,
        line=q.first[0],
        column=q.first[1],
        hint="fix the export, or raise --max-reject-rate to accept and quarantine these rows",
    )


def finish(
    tx: Transaction,
    con: duckdb.DuckDBPyConnection,
    rep: FileReport,
    sha: str,
    quarantine: Quarantine,
    rate: float,
) -> None:
    """Count the rejects, check the account and the reject rate, quarantine, log the file."""
    rep.rejected = quarantine.count
    rep.reasons = quarantine.reasons
    if not rep.balanced:  # a bug, never a silent loss
        raise InputError(
            f"reconciliation failed: {rep.rows} rows != {rep.accepted} accepted "
            f"+ {rep.rejected} rejected "
            f"+ {rep.duplicates} duplicates + {rep.orphans} orphans",
            file=rep.file,
        )
    check_reject_rate(rep, quarantine, rate)
    assert rep.ingest_seq is not None
    path = quarantine.close(con)
    if path is not None:
        tx.add("quarantine", [path])
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
