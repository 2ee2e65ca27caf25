"""Queries respect --memory-limit: DuckDB is capped, spills to its temp directory, and answers
the same as without a cap (``pytest -m slow tests/spark``)."""

from __future__ import annotations

import pytest

from devicepark import answers
from devicepark.questions import BaseQuestion, SeriesQuestion, SwitchesQuestion
from devicepark.store import Store, connect, open_tables

pytestmark = pytest.mark.slow

# about DuckDB's working floor for these plans; a 64 MB cap is well under a tenth of what the
# same queries use uncapped (several hundred MB of RSS) on this store
LIMIT = "64MB"


@pytest.fixture(scope="module")
def moderate_store(tmp_path_factory):
    """20,000 synthetic lines (about half a million observations) ingested through the CLI."""
    from typer.testing import CliRunner

    from devicepark.cli.main import app as cli_app

    root = tmp_path_factory.mktemp("ooc")
    env = {"DEVICEPARK_KEY": "00112233445566778899aabbccddeeff" * 2}  # 16 distinct bytes
    runner = CliRunner()
    for args in (
        ["synth", "--out", root / "data", "--lines", "20000", "--seed", "5"],
        [
            "ingest",
            "--store",
            root / "store",
            "--lines",
            root / "data" / "lines.csv",
            "--observations",
            root / "data" / "observations.csv",
            "--tac",
            root / "data" / "tac.csv",
        ],
    ):
        r = runner.invoke(cli_app, [str(a) for a in args], env=env)
        assert r.exit_code == 0, r.output
    return root / "store"


def test_memory_limit_and_temp_directory_are_applied(tmp_path, monkeypatch):
    monkeypatch.setenv("DEVICEPARK_TEMP_DIR", str(tmp_path / "spill"))
    con = connect("duckdb", memory_limit=LIMIT)
    raw = con.con
    assert raw.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(
        tmp_path / "spill"
    )
    limit = raw.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "") in ("61.0MiB", "64.0MB", "61MiB", "64MB"), limit


def test_capped_queries_finish_with_the_same_answers(moderate_store, tmp_path, monkeypatch):
    monkeypatch.setenv("DEVICEPARK_TEMP_DIR", str(tmp_path / "spill"))
    store = Store.open(moderate_store)
    free = connect("duckdb")
    capped = connect("duckdb", memory_limit=LIMIT)
    tf, tc = open_tables(free, store), open_tables(capped, store)
    queries = [
        lambda con, t: answers.base(con, t, BaseQuestion.parse("2022-02-03", ["vendor", "region"])),
        lambda con, t: answers.series(
            con, t, SeriesQuestion.parse("2020-07-01", "2022-06-30", "day", ["vendor"])
        ),
        lambda con, t: answers.switches(con, t, SwitchesQuestion.parse("2021-02-03", "2022-02-03")),
    ]
    for q in queries:
        a = q(free, tf)
        assert q(capped, tc) == a
    assert a["flows"]
