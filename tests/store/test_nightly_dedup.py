"""A night's exact duplicates are found against the stored history and within the night, with
the stored instants spelt with any offset, and a night after everything stored finds none."""

from __future__ import annotations

from pathlib import Path

from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection

DATA = Path(__file__).resolve().parents[1] / "data" / "core"
HEAD = "line_id,imei,observed_at\n"
A, B = "+33600000001,860000010001013", "+33600000002,350000020002024"


def night(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEAD + "".join(r + "\n" for r in rows))
    return path


def accounts(store: Path, path: Path) -> dict:
    rep = ingest(Store.create(store), duckdb_connection(), load_key(), observations=[path])
    return {k: rep.files[0][k] for k in ("rows", "accepted", "duplicates")}


def test_duplicates_inside_and_outside_the_nights_range(tmp_path: Path, key_env: str) -> None:
    store = tmp_path / "store"
    first = night(tmp_path, "d1.csv", [f"{A},2022-03-01T01:00:00Z", f"{B},2022-03-01T02:00:00Z"])
    ingest(
        Store.create(store),
        duckdb_connection(),
        load_key(),
        lines=[DATA / "lines.csv"],
        observations=[first],
        max_reject_rate=0.5,
    )
    # the same instants again (one spelt with another offset), a new handset at a stored
    # instant, a new instant, and a repeat inside the file
    second = night(
        tmp_path,
        "d2.csv",
        [
            f"{A},2022-03-01T02:00:00+01:00",
            f"{B},2022-03-01T02:00:00Z",
            "+33600000002,860000010001013,2022-03-01T02:00:00Z",
            f"{A},2022-03-02T01:00:00Z",
            f"{A},2022-03-02T01:00:00Z",
        ],
    )
    assert accounts(store, second) == {"rows": 5, "accepted": 2, "duplicates": 3}
    # a night after everything stored: nothing of the history lies in its range
    third = night(tmp_path, "d3.csv", [f"{A},2022-03-03T01:00:00Z", f"{A},2022-03-02T01:00:00Z"])
    assert accounts(store, third) == {"rows": 2, "accepted": 1, "duplicates": 1}
    fourth = night(tmp_path, "d4.csv", [f"{B},2022-03-04T01:00:00Z"])
    assert accounts(store, fourth) == {"rows": 1, "accepted": 1, "duplicates": 0}
