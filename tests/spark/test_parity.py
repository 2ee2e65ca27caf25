"""The same store gives the same JSON on DuckDB and on Spark (local[2]), through the CLI.

Few and quick: the Spark session is the one shared by the whole run (``spark_backend``), and
each store is built once. Run with ``pytest -m spark tests/spark``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

CORE_QUERIES = [
    ("base", "--as-of", "2022-02-03", "--by", "vendor"),
    ("base", "--as-of", "2022-02-03", "--by", "brand,device_type", "--unit", "customers"),
    (
        "base",
        "--as-of",
        "2022-02-03",
        "--by",
        "vendor,operator_brand",
        "--unit",
        "handsets",
        "--include-m2m",
    ),
    ("series", "--from", "2022-01-01", "--to", "2022-02-28", "--every", "day"),
    ("series", "--from", "2021-12-01", "--to", "2022-03-31", "--every", "week", "--by", "segment"),
    ("switches", "--from", "2022-01-10", "--to", "2022-02-03"),
]

SYNTH_QUERIES = [
    ("base", "--as-of", "2022-02-03", "--by", "vendor"),
    ("base", "--as-of", "2021-06-30", "--by", "segment,region", "--unit", "customers"),
    ("base", "--as-of", "2022-06-30", "--by", "device_age", "--unit", "handsets"),
    ("series", "--from", "2020-03-01", "--to", "2022-06-30", "--every", "month", "--by", "brand"),
    ("series", "--from", "2022-01-01", "--to", "2022-03-31", "--every", "day"),
    ("switches", "--from", "2021-01-31", "--to", "2022-01-31", "--by", "brand"),
]


def both(run_json, store, query):
    duck = run_json(*query, "--store", store, "--engine", "duckdb")
    spark = run_json(*query, "--store", store, "--engine", "spark")
    return duck, spark


def _nonempty(answer: dict) -> bool:
    if "groups" in answer:
        return answer["total_lines"] > 0 and bool(answer["groups"])
    if "points" in answer:
        return any(p["groups"] for p in answer["points"])
    return bool(answer["flows"])


@pytest.mark.parametrize("query", CORE_QUERIES, ids=lambda q: "-".join(q[::2])[:60])
def test_core_store_same_json(spark_backend, run_json, core_store, query):
    duck, spark = both(run_json, core_store, query)
    assert _nonempty(duck)
    assert spark == duck


@pytest.mark.parametrize("query", SYNTH_QUERIES, ids=lambda q: "-".join(q[::2])[:60])
def test_synth_store_same_json(spark_backend, run_json, synth_store, query):
    duck, spark = both(run_json, synth_store, query)
    assert _nonempty(duck)
    assert spark == duck


CAMPAIGN = Path(__file__).resolve().parents[2] / "examples" / "semaine-xiaomi-2022.toml"


def test_campaign_audience_and_measure_same_on_both_engines(
    spark_backend, run_json, synth_store, tmp_path
):
    """The campaign commands are query commands too: same audience file, same measured effect."""
    import pyarrow.parquet as pq

    got = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"audience-{engine}.parquet"
        summary = run_json(
            "campaign",
            "audience",
            CAMPAIGN,
            "--store",
            synth_store,
            "--out",
            out,
            "--engine",
            engine,
        )
        effect = run_json(
            "campaign",
            "measure",
            CAMPAIGN,
            "--store",
            synth_store,
            "--audience",
            out,
            "--engine",
            engine,
        )
        table = pq.read_table(out).sort_by([("line", "ascending")])
        got[engine] = (summary | {"out": None}, effect, table)
    duck, spark = got["duckdb"], got["spark"]
    assert duck[0]["lines"] > 0 and duck[2].num_rows == duck[0]["lines"]
    assert duck[1]["holdout"] is not None
    assert spark[0] == duck[0]
    assert spark[1] == duck[1]
    assert spark[2].equals(duck[2])
