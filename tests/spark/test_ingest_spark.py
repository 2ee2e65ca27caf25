"""``devicepark ingest --engine spark`` gives the DuckDB ingest's store, row for row.

The same messy input (bad IMEIs, duplicates in a file and across files and nights, conflicting
lines, updates, orphans that a later lines file adopts, DST times, late data, a file ingested
twice, several files per kind) is ingested in three nights on DuckDB and on Spark ``local[2]``:
every table holds the same rows (order aside), the per-file reports are equal, the written
Parquet files have the store's exact schema, and base, series and switches answer the same JSON
bytes. A file over ``--max-reject-rate`` fails the same way on both engines, and an object-store
URL is refused before anything is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from devicepark.store import Store
from devicepark.store.layout import OPEN
from devicepark.store.schema import SCHEMAS

from .conftest import CORE, KEY, cli

HEADER_LINES = "line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on"
LINES_2 = """\
+33600000001,CUST-001,Orange,consumer,prepaid,Île-de-France,2020-01-01,
06 00 00 00 03,CUST-002,Sosh,consumer,prepaid,Bretagne,2021-03-01,
+33600000098,CUST-098,Orange,consumer,postpaid,Normandie,2021-06-01,
+33600000098,CUST-098,Orange,consumer,postpaid,Bretagne,2021-06-01,
+33600000099,CUST-099,Sosh,business,postpaid,Normandie,2021-07-01,
+33600000099,CUST-099,Sosh,business,postpaid,Normandie,2021-07-01,
+33600000097,CUST-097,Orange,consumer,postpaid,Normandie,2021-02-30,
+33600000012,CUST-009,Orange,consumer,postpaid,,2021-05-01,
"""
LINES_3 = """\
+33600000001,CUST-001,Orange,consumer,postpaid,Île-de-France,2020-01-01,
+33600000099,CUST-099,Sosh,business,postpaid,Normandie,2021-07-01,
+33600000096,CUST-096,Sosh,consumer,prepaid,Normandie,2021-07-01,2022-01-15
"""
OBS_2 = """\
line_id,imei,observed_at
+33600000001,860000010001013,2022-01-20T09:00:00Z
+33600000098,350000020002024,2022-01-15T08:00:00+01:00
+33600000098,350000020002024,2022-01-15T07:00:00Z
+33600000099,860000040004045,2022-10-30 02:30:00
+33600000099,860000040004045,2022-03-27 02:15:00
+33600000099,350000030003038,2022-03-27T01:30:00Z
+33600000555,350000030003038,2022-02-01T08:00:00Z
+33600000096,86000004000404,2022-01-10T08:00:00Z
+33600000096,123456789012345,2022-01-10T09:00:00Z
+33600000096,3500000200020201,2022-01-11T09:00:00Z
0600000002,350000020002024,2022-01-10T11:00:00Z
"""
# the second night: an update, a duplicate, the orphan's line; appended sightings, a new
# handset, late data, a duplicate of the history, a silence over the gap
LINES_4 = """\
+33600000098,CUST-098,Orange,consumer,postpaid,Normandie,2021-06-01,2022-02-10
+33600000003,CUST-002,Sosh,consumer,prepaid,Bretagne,2021-03-01,
+33600000555,CUST-555,Orange,consumer,postpaid,Normandie,2020-01-01,
"""
OBS_4 = """\
line_id,imei,observed_at
+33600000001,860000010001013,2022-02-05T10:00:00Z
+33600000001,350000050005053,2022-02-06T10:00:00Z
+33600000003,350000020009094,2021-11-01T12:00:00Z
+33600000098,350000020002024,2022-01-15T07:00:00Z
+33600000555,350000030003038,2022-02-07T08:00:00Z
+33600000010,350000030004044,2022-04-10T22:30:00Z
"""
# the third night appends only (the open part is rewritten, the closed runs stay): a run
# continued, a new handset, a continued run after a DST change, a silence over the gap, a line
# seen for the first time (an orphan)
OBS_5 = """\
line_id,imei,observed_at
+33600000001,350000050005053,2022-02-08T10:00:00Z
+33600000555,860000010001013,2022-02-09T08:00:00Z
+33600000099,860000040004045,2022-11-05T08:00:00Z
+33600000096,3500000200020201,2022-03-01T09:00:00Z
+33600000777,350000030004044,2022-03-01T09:00:00Z
"""
QUERIES = [
    ("base", "--as-of", "2022-02-03", "--by", "vendor"),
    ("base", "--as-of", "2022-02-08", "--by", "vendor,segment", "--unit", "customers"),
    ("base", "--as-of", "2021-06-30", "--by", "brand", "--unit", "handsets"),
    ("series", "--from", "2021-12-01", "--to", "2022-04-30", "--every", "week"),
    ("series", "--from", "2020-06-01", "--to", "2022-06-30", "--every", "month", "--by", "vendor"),
    ("switches", "--from", "2022-01-10", "--to", "2022-02-07"),
    ("switches", "--from", "2022-02-05", "--to", "2022-03-05"),
    ("switches", "--from", "2021-01-31", "--to", "2022-01-31", "--by", "brand"),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Two nights of files: the core fixture, crafted files and a small synthetic operator whose
    observations come in two files."""
    root = tmp_path_factory.mktemp("spark-ingest-input")
    cli("synth", "--out", root / "synth", "--lines", "300", "--seed", "3")
    synth = root / "synth"
    obs = (synth / "observations.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(obs) // 2
    (root / "synth-obs-1.csv").write_text("".join(obs[:half]), encoding="utf-8")
    (root / "synth-obs-2.csv").write_text(obs[0] + "".join(obs[half:]), encoding="utf-8")

    def write(name: str, text: str, header: str = HEADER_LINES) -> Path:
        path = root / name
        path.write_text(f"{header}\n{text}" if header else text, encoding="utf-8")
        return path

    def opts(name: str, *paths: Path) -> list:
        return [a for path in paths for a in (f"--{name}", path)]

    night1 = opts("tac", CORE / "tac.csv", synth / "tac.csv")
    night1 += opts(
        "lines", CORE / "lines.csv", write("lines-2.csv", LINES_2),
        write("lines-3.csv", LINES_3), synth / "lines.csv",
    )  # fmt: skip
    night1 += opts(
        "observations", CORE / "observations.csv", write("obs-2.csv", OBS_2, ""),
        root / "synth-obs-1.csv", root / "synth-obs-2.csv",
    )  # fmt: skip
    night2 = opts("lines", write("lines-4.csv", LINES_4))
    # the core observations were ingested the night before: skipped
    night2 += opts("observations", CORE / "observations.csv", write("obs-4.csv", OBS_4, ""))
    night3 = opts("observations", write("obs-5.csv", OBS_5, ""))
    return {"night1": night1, "night2": night2, "night3": night3}


def _ingest(store: Path, files: list, *engine: str) -> dict:
    got = json.loads(cli("ingest", "--store", store, *files, "--max-reject-rate", "1",
                         "--format", "json", *engine))  # fmt: skip
    got.pop("store")
    return got


@pytest.fixture(scope="module")
def stores(spark_backend, inputs, tmp_path_factory) -> dict[str, object]:
    """The same three nights ingested on each engine; the reports of each night."""
    root = tmp_path_factory.mktemp("spark-ingest-stores")
    duck, spark = root / "duck", root / "spark"
    reports, closed = {}, {}
    for night in ("night1", "night2", "night3"):
        reports[night] = (
            _ingest(duck, inputs[night]),
            _ingest(spark, inputs[night], "--engine", "spark"),
        )
        manifest = Store.open(spark).manifest
        closed[night] = set(manifest.tables["tenures"]) - set(manifest.parts["tenures"][OPEN])
    return {"duck": duck, "spark": spark, "reports": reports, "closed": closed}


def _rows(store: Store, table: str) -> list[tuple]:
    data = store.read(table)
    if table == "ingests":
        data = data.drop_columns(["committed_at"])
    return sorted(tuple(repr(v) for v in r.values()) for r in data.to_pylist())


def test_same_reports(stores):
    for night, (duck, spark) in stores["reports"].items():
        assert spark == duck, night
    first, _ = stores["reports"]["night1"]
    kinds = {f["kind"] for f in first["files"]}
    assert kinds == {"tac", "lines", "observations"}
    total = lambda key: sum(f[key] for f in first["files"] if f["kind"] != "tac")  # noqa: E731
    assert total("rejected") and total("duplicates") and total("orphans") and total("updated")
    reasons = {r for f in first["files"] for r in f["reasons"]}
    assert {"conflicting_duplicate", "nonexistent_local_time", "bad_checksum"} <= reasons
    second, _ = stores["reports"]["night2"]
    assert [f["skipped"] for f in second["files"]] == [False, True, False]


CORE_TABLES = ("catalog", "lines", "observations", "tenures", "quarantine", "ingests")


@pytest.mark.parametrize("table", [*CORE_TABLES, "daily"])
def test_same_rows_in_every_table(stores, table):
    """Every table, the daily aggregate too when the ingest's hook writes it."""
    if table not in SCHEMAS:
        pytest.skip(f"no table {table} in this release")
    duck, spark = Store.open(stores["duck"]), Store.open(stores["spark"])
    assert spark.version == duck.version == 3
    want = _rows(duck, table)
    assert want or table not in CORE_TABLES, table
    assert _rows(spark, table) == want


def test_files_have_the_store_schema_and_layout(stores):
    spark = Store.open(stores["spark"])
    for table in CORE_TABLES:  # the tables the Spark ingest writes itself
        for f in spark.files(table):
            assert pq.read_schema(f).remove_metadata().equals(SCHEMAS[table]), (table, f)
    # the open part holds exactly the last run of every line; the other files the closed runs
    tenures = spark.read("tenures").to_pylist()
    last = {}
    for r in tenures:
        last[r["line"]] = max(last.get(r["line"], 0), r["seq"])
    opened = [r for f in spark.part_files("tenures", OPEN) for r in pq.read_table(f).to_pylist()]
    assert sorted((r["line"], r["seq"]) for r in opened) == sorted(last.items())
    assert not list((stores["spark"] / ".staging").glob("*"))  # nothing left behind


def test_an_appending_night_keeps_the_closed_runs(stores):
    """Night 3 only appends: its closed runs are night 2's files plus the runs it closed."""
    closed = stores["closed"]
    assert closed["night2"] and closed["night2"] < closed["night3"]


def test_no_raw_identifier_in_the_spark_store(stores):
    raw = [b"+33600000001", b"0600000002", b"860000010001013", b"86000001000101", b"CUST-001"]
    for f in Path(stores["spark"]).rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(r in data for r in raw), f


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(q[::2])[:60])
def test_same_json_bytes(stores, query):
    duck = cli(*query, "--store", stores["duck"], "--format", "json")
    spark = cli(*query, "--store", stores["spark"], "--format", "json")
    assert json.loads(duck)
    assert spark == duck


def test_spark_store_answers_on_spark(stores):
    """A Spark-ingested store needs no DuckDB pass: Spark answers from it, the same JSON."""
    query = ("switches", "--from", "2022-01-10", "--to", "2022-02-07", "--format", "json")
    duck = cli(*query, "--store", stores["duck"])
    assert cli(*query, "--store", stores["spark"], "--engine", "spark") == duck


def _run(*args) -> tuple[int, str]:
    from devicepark.cli.main import app

    result = CliRunner().invoke(app, [str(a) for a in args], env={"DEVICEPARK_KEY": KEY})
    return result.exit_code, result.output


def test_reject_rate_aborts_alike(spark_backend, tmp_path):
    """Too many rejects: the same one-line error on both engines, nothing committed."""
    bad = tmp_path / "bad.csv"
    rows = [f"+336{i:08d},C{i},Orange,consumer,postpaid,,2021-01-01," for i in range(40)]
    rows += [f"+337{i:08d},C{i},Orange,consumer,postpaid,,2021-02-30," for i in range(10)]
    bad.write_text(HEADER_LINES + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    outcomes = []
    for engine in ("duckdb", "spark"):
        store = tmp_path / engine
        cli("ingest", "--store", store, "--tac", CORE / "tac.csv")
        code, output = _run("ingest", "--store", store, "--lines", bad, "--engine", engine,
                            "--max-reject-rate", "0.05")  # fmt: skip
        assert Store.open(store).version == 1  # unchanged
        outcomes.append((code, output.strip().splitlines()[-1]))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 2 and "above --max-reject-rate 5 %" in outcomes[0][1]


@pytest.mark.parametrize("url", ["s3a://bucket/store", "gs://bucket/store", "abfss://c@a/store"])
def test_object_store_is_refused(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    code, output = _run("ingest", "--store", url, "--lines", CORE / "lines.csv",
                        "--engine", "spark")  # fmt: skip
    assert code == 2
    assert "has no atomic rename" in output and "Traceback" not in output
    assert not list(tmp_path.iterdir())  # nothing created, no session started
    shutil.rmtree(tmp_path / "s3a:", ignore_errors=True)


def test_a_file_error_in_a_task_is_the_same_one_line(spark_backend, tmp_path):
    """A structural fault found while a task reads its file (here a run of blank lines) comes
    back to the driver as the DuckDB path's InputError, file and line included; an earlier
    file's own failure comes first on both engines (checked without --max-reject-rate 1)."""
    broken = tmp_path / "broken.csv"
    good = [f"+336{i:08d},C{i},Orange,consumer,postpaid,,2021-01-01," for i in range(5)]
    broken.write_text(
        HEADER_LINES + "\n" + "\n".join(good) + "\n" * 1500 + good[0] + "\n", encoding="utf-8"
    )
    outcomes, first = [], []
    for engine in ("duckdb", "spark"):
        args = ("ingest", "--store", tmp_path / engine, "--lines", CORE / "lines.csv",
                "--lines", broken, "--engine", engine)  # fmt: skip
        code, output = _run(*args)
        first.append((code, output.strip().splitlines()[-1]))
        code, output = _run(*args, "--max-reject-rate", "1")
        assert not (tmp_path / engine).exists()  # a failed first ingest leaves no store
        outcomes.append((code, output.strip().splitlines()[-1]))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 2 and "broken.csv:" in outcomes[0][1], outcomes[0]
    assert first[0] == first[1] and "lines.csv:12:" in first[0][1]
