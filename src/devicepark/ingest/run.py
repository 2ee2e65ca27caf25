"""One ingest run: catalogs, then lines, then observations, then tenures, in one transaction.

For each file the run reconciles ``rows = accepted + rejected + duplicates + orphans``. Rejected
rows go to the quarantine table with file, line, column and reason code (never the raw value).
A structural failure (missing column, unreadable file, wrong delimiter, too many rejects) raises
an InputError and nothing from the run is committed. The key must pass
``pseudonym.check_key_strength`` and be the store's (``Transaction.bind_key``); a file-system
fault (a full disk...) is a StoreError and leaves the store at its previous version. A store
written by an earlier release is first upgraded to this release's format, in a commit of its own
(``IngestReport.upgraded_from`` says so).

The steps live one module each: ``staging`` (validation and pseudonyms, block by block),
``lines``, ``observations``, ``reconcile`` (the account of a file, quarantine, reject rate),
``log`` (the ingest log) and ``devicepark.tenure.refold`` (the tenures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from devicepark.errors import ConfigError, StoreError
from devicepark.ingest.lines import ingest_lines
from devicepark.ingest.observations import ingest_observations
from devicepark.ingest.pseudonym import check_key_strength
from devicepark.ingest.readers import InputFile, open_input
from devicepark.ingest.reconcile import FileReport
from devicepark.ingest.staging import (
    LINE_COLUMNS,
    LINE_REQUIRED,
    OBS_COLUMNS,
    OBS_REQUIRED,
    Progress,
)
from devicepark.reasons import Reason
from devicepark.store.store import Derive, Store, Transaction
from devicepark.store.upgrade import upgrade

__all__ = ["FileReport", "IngestReport", "ingest"]

# ``derive`` (``store.Derive``) runs inside the ingest's transaction after the refold, on the
# ingest's DuckDB connection; without it a derived table the ingest's changes invalidate is
# dropped (``store.DERIVED``) and queries fold the tenures exactly.


@dataclass
class IngestReport:
    store: str
    version: int
    files: list[dict[str, Any]]
    tenures_rebuilt_lines: int = 0
    upgraded_from: str | None = None  # the store's format before this ingest upgraded it


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
    derive: Derive | None = None,
) -> IngestReport:
    """Ingest files into ``store`` atomically; return the per-file reconciliation."""
    progress = progress or (lambda *a, **k: None)
    now = now or dt.datetime.now(dt.UTC)
    if not (0.0 <= max_reject_rate <= 1.0):  # also refuses NaN
        raise ConfigError(f"--max-reject-rate must lie in 0..1, got {max_reject_rate}")
    check_key_strength(key)
    store.check_key(key)  # fails fast; checked again under the store's lock
    # Check every header before doing any work, so a bad file fails fast.
    line_inputs = [open_input(p, LINE_REQUIRED, "lines", LINE_COLUMNS) for p in lines]
    obs_inputs = [open_input(p, OBS_REQUIRED, "observations", OBS_COLUMNS) for p in observations]
    try:
        upgraded_from = upgrade(store)
        report = _run(
            store, con, key, line_inputs, obs_inputs, tac, max_reject_rate, progress, now, derive
        )
    except duckdb.IOException as exc:  # the engine could not write (staging, spill, store)
        raise _engine_fault(store, exc) from None
    report.upgraded_from = upgraded_from
    return report


def _run(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    line_inputs: list[InputFile],
    obs_inputs: list[InputFile],
    tac: Sequence[str | Path],
    max_reject_rate: float,
    progress: Progress,
    now: dt.datetime,
    derive: Derive | None = None,
) -> IngestReport:
    reports: list[FileReport] = []
    rebuilt = 0
    with store.transaction() as tx:
        tx.bind_key(key)
        if tac:
            reports.extend(_ingest_catalogs(tx, tac, progress))
        for info in line_inputs:
            reports.append(ingest_lines(tx, con, key, info, max_reject_rate, progress))
        new_obs: list[Path] = []
        for info in obs_inputs:
            rep, staged = ingest_observations(tx, con, key, info, max_reject_rate, progress, now)
            reports.append(rep)
            if staged is not None:
                new_obs.append(staged)
        if new_obs:
            from devicepark.tenure.refold import refold  # loads Ibis: only when there is work

            progress("tenures", 0, 1)
            rebuilt = refold(tx, con, new_obs)
            progress("tenures", 1, 1)
        if derive is not None and tx.changed:
            progress("daily", 0, 1)
            derive(tx, con)
            progress("daily", 1, 1)
        version = tx.base.version + (1 if tx.changed else 0)
    return IngestReport(str(store.path), version, [r.to_dict() for r in reports], rebuilt)


def _engine_fault(store: Store, exc: duckdb.IOException) -> StoreError:
    """DuckDB's own I/O error as one line; its message (which may quote SQL) is not repeated."""
    known = {
        "No space left": "no space left on the device",
        "Disk quota": "disk quota exceeded",
        "Read-only file system": "read-only file system",
        "Permission denied": "permission denied",
    }
    reason = next((v for k, v in known.items() if k in str(exc)), "an input/output error")
    return StoreError(
        f"{store.path}: cannot write the store's files ({reason}); the store is unchanged",
        hint="free space or fix the permissions (and DEVICEPARK_TEMP_DIR), then run again",
    )


def _ingest_catalogs(
    tx: Transaction, tac: Sequence[str | Path], progress: Progress
) -> list[FileReport]:
    """Import the TAC catalogs; one report per file, its merged rows counted as duplicates."""
    from devicepark.ingest.catalog import ingest_catalogs

    reports = []
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
            if k not in (Reason.DUPLICATE, Reason.CONFLICT)
        }
        rep.skipped = bool(summary.get("skipped", False))
        reports.append(rep)
    return reports
