"""The engine layer: both engines read a store's tables with the same values (dates and UTC
instants included), and two stores bound in one session never see each other's rows."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from devicepark.store import Store
from devicepark.store.engine import connect, open_tables, table, view_name
from devicepark.store.schema import OBSERVATIONS

UTC = dt.UTC
# instants around the Paris DST switch, midnight UTC, and far dates
INSTANTS = [
    dt.datetime(2022, 3, 27, 0, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2022, 3, 27, 1, 0, tzinfo=UTC),
    dt.datetime(2021, 12, 31, 23, 30, tzinfo=UTC),
    dt.datetime(1999, 1, 1, tzinfo=UTC),
    dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
]


def _store(path, tag: str) -> Store:
    st = Store.create(path)
    n = len(INSTANTS)
    obs = pa.table({
        "line": [f"{tag}{i:031x}" for i in range(n)],
        "handset": [f"{i:032x}" for i in range(n)],
        "tac": ["35000000"] * n,
        "kind": ["IMEI"] * n,
        "observed_at": INSTANTS,
        "local_date": [(t + dt.timedelta(hours=1)).date() for t in INSTANTS],
        "ingest_seq": list(range(n)),
    }).cast(OBSERVATIONS)
    with st.transaction() as tx:
        tx.write("observations", obs)
    return st.refresh()


def _read(con, st: Store) -> list[dict]:
    t = open_tables(con, st).observations
    return sorted(con.to_pyarrow(t).to_pylist(), key=lambda r: r["line"])


def test_view_names_differ_by_store_and_version(tmp_path):
    a, b = _store(tmp_path / "a", "a"), _store(tmp_path / "b", "b")
    assert view_name(a, "observations") != view_name(b, "observations")
    before = view_name(a, "observations")
    with a.transaction() as tx:
        tx.write("observations", a.read("observations"))
    assert view_name(Store.open(tmp_path / "a"), "observations") != before


def test_empty_table_keeps_its_schema(backend, tmp_path):
    st = _store(tmp_path / "s", "a")
    t = table(backend, st, "tenures")
    assert backend.to_pyarrow(t.count()).as_py() == 0
    assert "first_date" in t.columns


@pytest.mark.spark
def test_spark_reads_the_same_values_as_duckdb(spark_backend, tmp_path):
    st = _store(tmp_path / "s", "a")
    duck = _read(connect("duckdb"), st)
    spark = _read(spark_backend, st)
    assert spark == duck
    assert [r["observed_at"] for r in sorted(duck, key=lambda r: r["ingest_seq"])] == INSTANTS
    assert spark_backend._session.conf.get("spark.sql.session.timeZone") == "UTC"


@pytest.mark.spark
def test_two_stores_in_one_spark_session(spark_backend, tmp_path):
    a, b = _store(tmp_path / "a", "a"), _store(tmp_path / "b", "b")
    ta, tb = open_tables(spark_backend, a), open_tables(spark_backend, b)
    lines_a = set(spark_backend.to_pyarrow(ta.observations.line).to_pylist())
    lines_b = set(spark_backend.to_pyarrow(tb.observations.line).to_pylist())
    assert all(x.startswith("a") for x in lines_a) and all(x.startswith("b") for x in lines_b)
    assert len(lines_a) == len(lines_b) == len(INSTANTS)


@pytest.mark.spark
def test_spark_conf_cannot_move_the_session_off_utc(spark_backend):
    con = connect("spark", spark_conf={"spark.sql.session.timeZone": "Europe/Paris",
                                       "spark.sql.shuffle.partitions": "3"})
    session = con._session
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"
    assert session.conf.get("spark.sql.shuffle.partitions") == "3"  # passthrough works
    session.conf.set("spark.sql.shuffle.partitions", "8")
