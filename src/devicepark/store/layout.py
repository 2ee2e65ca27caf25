"""How the tenures table lies in files: closed runs, written once, and the open part (each line's
last run), the only one a night rewrites.

Since format ``devicepark-store/2`` the manifest names the tenures' ``open`` part: one file that
holds exactly the last run (highest ``seq``) of every line that has runs. Every other file of
the table holds earlier runs, which an appending night never changes: the nightly refold reads
and rewrites only the open part (its size is the number of lines, not the history) and appends
the runs it closes as a new file. Readers see the union of all files, as before.
"""

from __future__ import annotations

from typing import Any

from devicepark.store.duck import PARQUET, execute, lit, scalar
from devicepark.store.schema import TENURES
from devicepark.store.store import Transaction

OPEN = "open"  # the part of the tenures holding each line's last run
COLUMNS = ", ".join(TENURES.names)


def write_tenures(con: Any, tx: Transaction, source: str, keep: list[str] | None = None) -> None:
    """Write the runs ``source`` (SQL giving every tenures column, typed) as the table's closed
    runs and its open part, next to the files ``keep`` (closed files kept as they are, which
    must hold no run of a line in ``source``). Reads ``source`` once more than it writes it."""
    whole = tx.staging / "tenures-whole.parquet"
    execute(con, f"COPY ({source}) TO {lit(whole)} (FORMAT parquet)")
    src = f"read_parquet({lit(whole)})"
    last = f"(SELECT line, max(seq) AS seq FROM {src} GROUP BY line)"
    write_parts(
        con,
        tx,
        closed=f"SELECT {COLUMNS} FROM {src} ANTI JOIN {last} l USING (line, seq)",
        open_=f"SELECT {COLUMNS} FROM {src} SEMI JOIN {last} l USING (line, seq)",
        keep=keep or [],
    )
    whole.unlink()


def write_parts(con: Any, tx: Transaction, *, closed: str, open_: str, keep: list[str]) -> None:
    """Write the SQL ``closed`` (runs that are not their line's last) as one new closed file
    (none if it is empty) and ``open_`` (each line's last run) as the open part, and make the
    table those files plus the closed files ``keep``."""
    closed_path, open_path = tx.new_path("tenures"), tx.new_path("tenures")
    n_closed = scalar(con, f"COPY ({closed}) TO {lit(closed_path)} ({PARQUET})")
    execute(con, f"COPY ({open_}) TO {lit(open_path)} ({PARQUET})")
    if not n_closed:
        closed_path.unlink(missing_ok=True)
    add = [closed_path, open_path] if n_closed else [open_path]
    tx.rewrite("tenures", keep, add, {OPEN: [open_path]})
