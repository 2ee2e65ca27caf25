"""The ingest log: one row per ingested file, its content hash and its reconciliation."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from devicepark.store.schema import INGESTS
from devicepark.store.store import Transaction


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes (the identity of an ingested file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _log(tx: Transaction) -> pa.Table:
    if not hasattr(tx, "_ingest_log"):
        tx._ingest_log = tx.base.read("ingests")  # type: ignore[attr-defined]
        tx._ingest_pending = []  # type: ignore[attr-defined]
        tx._ingest_seq = int(pc.max(tx._ingest_log["ingest_seq"]).as_py() or 0)  # type: ignore[attr-defined]
    return tx._ingest_log  # type: ignore[attr-defined]


def next_seq(tx: Transaction) -> int:
    """Allocate the next ingest sequence number (one per file) within this transaction."""
    _log(tx)
    tx._ingest_seq += 1  # type: ignore[attr-defined]
    return tx._ingest_seq  # type: ignore[attr-defined]


def already_ingested(tx: Transaction, sha256: str, kind: str | None = None) -> bool:
    """Whether a file with these bytes was committed before (or earlier in this transaction)."""
    log = _log(tx)
    pending = [r for r in tx._ingest_pending if r["sha256"] == sha256]  # type: ignore[attr-defined]
    mask = pc.equal(log["sha256"], sha256)
    if kind is not None:
        mask = pc.and_(mask, pc.equal(log["kind"], kind))
        pending = [r for r in pending if r["kind"] == kind]
    return bool(pending) or bool(pc.any(mask).as_py())


def record(tx: Transaction, rows: list[dict[str, Any]]) -> None:
    """Append rows to the ingest log (written when the transaction commits)."""
    if not rows:
        return
    _log(tx)
    now = dt.datetime.now(dt.UTC)
    full = [{**{c: r.get(c) for c in INGESTS.names}, "committed_at": now} for r in rows]
    tx._ingest_pending.extend(full)  # type: ignore[attr-defined]
    tx.write("ingests", pa.Table.from_pylist(full, schema=INGESTS))
