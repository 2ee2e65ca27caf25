"""``devicepark sql`` and ``store.bind_views``: the store read through its manifest, never a glob
(a nightly ingest leaves the superseded tenures file beside the live one)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.store import Store, bind_views

CORE = Path(__file__).resolve().parent / "data" / "core"
runner = CliRunner()


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The core fixture, then a second night of observations: two ingests, tenures rewritten."""
    store = tmp_path_factory.mktemp("sql") / "store"
    env = {"DEVICEPARK_KEY": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}
    first = ["ingest", "--store", str(store), "--tac", str(CORE / "tac.csv"), "--lines",
             str(CORE / "lines.csv"), "--observations", str(CORE / "observations.csv"),
             "--max-reject-rate", "0.5"]  # fmt: skip
    assert runner.invoke(app, first, env=env).exit_code == 0
    night = store.parent / "night.csv"
    night.write_text(
        "line_id,imei,observed_at\n+33600000001,860000010001013,2022-02-05T10:00:00Z\n"
        "+33600000003,350000020009094,2022-02-05T11:00:00Z\n",
        encoding="utf-8",
    )
    second = ["ingest", "--store", str(store), "--observations", str(night)]
    assert runner.invoke(app, second, env=env).exit_code == 0
    return store


def sql(store: Path, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["sql", "--store", str(store), *args])
    return r.exit_code, r.stdout, r.stderr


def test_views_read_the_manifest_not_the_folder(nightly: Path) -> None:
    st = Store.open(nightly)
    live = st.read("tenures").num_rows
    on_disk = sum(
        pq.read_metadata(p).num_rows for p in (nightly / "tables/tenures").glob("*.parquet")
    )
    code, out, err = sql(nightly, "SELECT count(*) AS n FROM tenures", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == [{"n": live}]
    # the hazard the views avoid: the folder still holds the superseded file
    assert on_disk > live


def test_every_table_has_a_view_even_empty(nightly: Path) -> None:
    con = duckdb.connect()
    views = bind_views(con, Store.open(nightly))
    assert {"lines", "observations", "tenures", "catalog", "quarantine", "ingests"} <= set(views)
    assert con.sql("SELECT count(*) FROM lines").fetchall() == [(10,)]
    assert con.sql("SELECT count(*) FROM ingests").fetchall() == [(4,)]


def test_formats_csv_and_parquet(nightly: Path, tmp_path: Path) -> None:
    q = "SELECT operator_brand, count(*) AS n FROM lines GROUP BY 1 ORDER BY 1"
    code, out, _ = sql(nightly, q, "--format", "csv")
    assert code == 0
    assert list(csv.DictReader(io.StringIO(out))) == [
        {"operator_brand": "Orange", "n": "8"},
        {"operator_brand": "Sosh", "n": "2"},
    ]
    dest = tmp_path / "lines.parquet"
    code, _, err = sql(nightly, "SELECT * FROM lines", "--format", "parquet", "--out", str(dest))
    assert code == 0, err
    assert pq.read_table(dest).num_rows == 10


def test_statements_from_standard_input(nightly: Path) -> None:
    r = runner.invoke(
        app,
        ["sql", "--store", str(nightly), "--format", "json"],
        input="SELECT 1 AS a; SELECT count(*) AS n FROM catalog;",
    )
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0:1] == ["["]
    assert "\"n\": 5" in r.stdout  # five TACs in tac.csv


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SELECT * FROM nope"], "sql: Catalog Error"),
        (["SELECT 1", "--format", "xml"], "--format"),
        (["SELECT 1", "--format", "parquet"], "give --out"),
    ],
)
def test_errors_are_one_line_exit_2(nightly: Path, args: list[str], message: str) -> None:
    code, _, err = sql(nightly, *args)
    assert code == 2 and message in err and err.count("\n") == 1
