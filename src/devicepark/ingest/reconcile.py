"""The account of one input file: ``rows = accepted + rejected + duplicates + orphans``.

``start`` skips a file whose bytes were ingested before and gives the others an ingest sequence;
``finish`` checks the account and the reject rate, then quarantines the rejected rows (file, line,
column, reason code; never the value) and logs the file. A failed check raises an InputError, so
nothing from the run is committed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from devicepark.errors import InputError
from devicepark.ingest import log
from devicepark.ingest.readers import InputFile
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


def finish(
    tx: Transaction,
    rep: FileReport,
    sha: str,
    rejects: list[Rejected],
    table: str,
    rate: float,
) -> None:
    """Count the rejects, check the account and the reject rate, quarantine, log the file."""
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


def _check_reject_rate(rep: FileReport, rejects: list[Rejected], rate: float) -> None:
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


def _quarantine(tx: Transaction, seq: int, table: str, file: str, rows: list[Rejected]) -> None:
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
