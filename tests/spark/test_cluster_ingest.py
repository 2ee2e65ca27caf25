"""The tenure fold of docs/SPARK.md (Spark SQL window functions) rebuilds devicepark's own
tenures table from the stored observations, row for row."""

from __future__ import annotations

import pytest

from devicepark.store import Store

pytestmark = pytest.mark.spark

# as printed in docs/SPARK.md, appendix "The tenure fold in Spark SQL"
FOLD = """
  WITH o AS (
    SELECT *, lag(handset) OVER w AS prev_handset, lag(local_date) OVER w AS prev_date
    FROM obs_new WINDOW w AS (PARTITION BY line ORDER BY observed_at, handset)),
  b AS (
    SELECT *, CASE WHEN prev_handset IS NULL OR prev_handset <> handset
                     OR datediff(local_date, prev_date) > {G} THEN 1 ELSE 0 END AS brk FROM o),
  r AS (
    SELECT *, sum(brk) OVER (PARTITION BY line ORDER BY observed_at, handset
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS seq FROM b)
  SELECT line, CAST(seq AS BIGINT) AS seq, first(handset) AS handset, first(tac) AS tac,
         min(observed_at) AS first_seen, max(observed_at) AS last_seen,
         min(local_date) AS first_date, max(local_date) AS last_date,
         CAST(count(*) AS BIGINT) AS observations
  FROM r GROUP BY line, seq"""

COLS = ["line", "seq", "handset", "tac", "first_date", "last_date", "observations"]


def test_spark_fold_equals_devicepark_tenures(spark_backend, synth_store):
    st = Store.open(synth_store)
    session = spark_backend._session
    session.read.parquet(*st.files("observations")).createOrReplaceTempView("obs_new")
    got = session.sql(FOLD.format(G=st.config.tenure_gap_days)).select(*COLS).collect()
    want = st.read("tenures", COLS).to_pylist()
    assert len(want) > 1000
    assert sorted(tuple(r) for r in got) == sorted(tuple(r[c] for c in COLS) for r in want)
