"""The ingest's fold in DuckDB SQL (``refold.fold_duckdb``) gives exactly the runs of the Ibis
fold (``tenure.fold.fold``, the definition queries use), on random sightings with ties, exact
repeats, silences around the gap and dates that go backwards (a DST fall-back over midnight)."""

from __future__ import annotations

import datetime as dt

import duckdb
import ibis
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from devicepark.store.schema import TENURES
from devicepark.tenure.fold import fold
from devicepark.tenure.refold import fold_duckdb

T0 = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
sighting = st.tuples(
    st.sampled_from(["L1", "L2", "L3"]),
    st.sampled_from(["A", "B", "C"]),
    st.sampled_from(["11111111", "22222222"]),
    st.integers(0, 60),  # day
    st.sampled_from([0, 1, 12]),  # hour: ties and near-ties
    st.integers(-1, 1),  # local date minus the UTC date: may go backwards
)


def _table(rows: list[tuple]) -> pa.Table:
    at = [T0 + dt.timedelta(days=d, hours=h) for _, _, _, d, h, _ in rows]
    local = [(a + dt.timedelta(days=s)).date() for a, (*_, s) in zip(at, rows, strict=True)]
    return pa.table(
        {
            "line": pa.array([r[0] for r in rows], pa.string()),
            "handset": pa.array([r[1] for r in rows], pa.string()),
            "tac": pa.array([r[2] for r in rows], pa.string()),
            "observed_at": pa.array(at, pa.timestamp("us", tz="UTC")),
            "local_date": pa.array(local, pa.date32()),
        }
    )


SQL_TYPES = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.date32(): "DATE"}


def _runs(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    typed = ", ".join(
        f"CAST({f.name} AS {SQL_TYPES.get(f.type, 'TIMESTAMPTZ')}) AS {f.name}" for f in TENURES
    )
    return sorted(con.execute(f"SELECT {typed} FROM ({sql})").fetchall())


CON = duckdb.connect()
CON.execute("SET TimeZone = 'UTC'").fetchall()
CON.execute(
    "CREATE TABLE o (line VARCHAR, handset VARCHAR, tac VARCHAR, observed_at TIMESTAMPTZ, "
    "local_date DATE)"
).fetchall()
IBIS_SQL = {
    gap: ibis.to_sql(fold(ibis.duckdb.from_connection(CON).table("o"), gap), dialect="duckdb")
    for gap in (0, 1, 2, 30)
}


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(sighting, max_size=25), gap=st.sampled_from([0, 1, 2, 30]))
def test_duckdb_fold_equals_the_ibis_fold(rows: list[tuple], gap: int) -> None:
    rows = rows + rows[: len(rows) // 3]  # exact repeats
    CON.register("obs", _table(rows))
    CON.execute("DELETE FROM o").fetchall()
    CON.execute("INSERT INTO o SELECT * FROM obs").fetchall()
    CON.unregister("obs")
    assert _runs(CON, fold_duckdb("o", gap)) == _runs(CON, IBIS_SQL[gap])
