"""The store's data span (first and last local dates of its sightings) comes from the Parquet
footers of its tenures, never a scan; it must equal a naive reading of every tenure, whoever
wrote the files (a file without statistics is read instead) and however many files there are."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from devicepark import answers
from devicepark.answers.span import data_dates, outside
from devicepark.store import Store, connect, open_tables
from devicepark.store.schema import TENURES

D0 = dt.date(2021, 1, 1)


def tenures(rng: random.Random, n: int) -> pa.Table:
    rows = []
    for i in range(n):
        a = D0 + dt.timedelta(days=rng.randrange(700))
        b = a + dt.timedelta(days=rng.randrange(90))
        t = dt.datetime.combine(a, dt.time(12), dt.UTC)
        rows.append({"line": f"l{i}", "seq": 1, "handset": "h", "tac": "35332811",
                     "first_seen": t, "last_seen": t, "first_date": a, "last_date": b,
                     "observations": 1})  # fmt: skip
    return pa.Table.from_pylist(rows, schema=TENURES)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(0, 40), min_size=1, max_size=4), stats=st.lists(st.booleans(),
       min_size=4, max_size=4), seed=st.integers(0, 10**6))  # fmt: skip
def test_the_span_is_every_tenure_s_dates(tmp_path_factory, sizes, stats, seed) -> None:
    rng = random.Random(seed)
    store = Store.create(tmp_path_factory.mktemp("s") / "store")
    assert data_dates(store) is None
    parts = [tenures(rng, n) for n in sizes]
    with store.transaction() as tx:
        for part, with_stats in zip(parts, stats, strict=False):
            path = tx.new_path("tenures")  # some files as another writer might leave them
            pq.write_table(part, path, write_statistics=with_stats, row_group_size=7)
            tx.add("tenures", [path])
    store = Store.open(store.path)
    rows = pa.concat_tables(parts)
    want = None
    if rows.num_rows:
        want = (min(rows["first_date"].to_pylist()), max(rows["last_date"].to_pylist()))
    assert data_dates(store) == want
    con = connect("duckdb")
    assert answers.data_span(con, open_tables(con, store)) == want
    if want is not None:
        day_after = want[1] + dt.timedelta(days=1)
        assert outside(store, want[0], want[1]) is None
        assert outside(store, day_after) == (
            f"{day_after.isoformat()} outside the dates the store has sightings for "
            f"({want[0].isoformat()} to {want[1].isoformat()})"
        )
