"""Import TAC catalogs into the store: one ingest per file, the latest import of a TAC wins.

Each file gets an ingest sequence; its rows replace any earlier row of the same TAC; rejected rows
go to ``quarantine`` (table ``catalog``); in-file conflicts are merged rows (the last row of a
TAC wins), counted with the duplicates and reported in the summary, not quarantined; the file is
logged in ``ingests`` (kind ``tac``) under the path as given, like lines and observations files.
A file whose bytes were ingested before is skipped and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from devicepark.identify.catalog import detect_layout, read_catalog
from devicepark.ingest import log
from devicepark.store.schema import CATALOG, QUARANTINE
from devicepark.store.store import Transaction

__all__ = ["ingest_catalogs"]

Progress = Callable[[str, float, float | None], None]


def _current(tx: Transaction) -> pa.Table:
    """The catalog as this transaction sees it (including earlier calls in the same transaction)."""
    staged = getattr(tx, "_dp_catalog", None)
    if staged is None:
        staged = tx.base.read("catalog")
    return staged


def ingest_catalogs(
    tx: Transaction,
    paths: Sequence[str | PathLike[str]],
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Read and merge each catalog file; return one summary dict per file.

    Summary keys: file, layout, rows, imported, rejected, duplicates, conflicts, reasons
    ({code: n}), repaired, skipped. ``rows = imported + rejected + duplicates`` for every file.
    Every file's header is checked before anything is read, so a bad file changes nothing.
    """
    layouts = [detect_layout(p) for p in paths]  # InputError naming the file, before any work
    catalog = _current(tx)
    summaries: list[dict[str, Any]] = []
    changed = False
    total = float(len(paths))
    for i, (path, layout) in enumerate(zip(paths, layouts, strict=True)):
        if progress:
            progress("tac catalogs", float(i), total)
        sha = log.file_sha256(Path(path))
        if log.already_ingested(tx, sha, kind="tac"):
            summaries.append(
                {
                    "file": str(path),
                    "layout": layout.name,
                    "rows": 0,
                    "imported": 0,
                    "rejected": 0,
                    "duplicates": 0,
                    "conflicts": 0,
                    "reasons": {},
                    "repaired": 0,
                    "skipped": True,
                }
            )
            continue
        read = read_catalog(path)
        seq = log.next_seq(tx)
        new = read.table.set_column(
            CATALOG.get_field_index("import_seq"),
            CATALOG.field("import_seq"),
            pa.array([seq] * read.table.num_rows, pa.int64()),
        )
        keep = pc.invert(pc.is_in(catalog["tac"], value_set=new["tac"]))
        catalog = pa.concat_tables([catalog.filter(keep).cast(CATALOG), new])
        changed = True
        name = str(path)
        bad = sorted(read.rejects, key=lambda r: r.line_no)
        if bad:
            tx.write(
                "quarantine",
                pa.Table.from_pylist(
                    [
                        {
                            "ingest_seq": seq,
                            "table": "catalog",
                            "file": name,
                            "line_no": r.line_no,
                            "column": r.column,
                            "reason": r.reason,
                        }
                        for r in bad
                    ],
                    schema=QUARANTINE,
                ),
            )
        log.record(
            tx,
            [
                {
                    "ingest_seq": seq,
                    "kind": "tac",
                    "file": name,
                    "sha256": sha,
                    "rows": read.rows,
                    "accepted": read.imported,
                    "rejected": read.rejected,
                    "duplicates": read.duplicates,
                    "orphans": 0,
                }
            ],
        )
        summaries.append(read.summary())
    if changed:
        catalog = catalog.sort_by("tac")
        tx.write("catalog", catalog, replace=True)
        tx._dp_catalog = catalog  # type: ignore[attr-defined]
    if progress:
        progress("tac catalogs", total, total)
    return summaries
