"""The query commands end to end on a tiny store: JSON contracts, CSV, tables, errors."""

from __future__ import annotations

import csv
import io
import json

import ibis
import pytest
from basekit import Fixture, Line, Obs, at, day, open_fixture
from typer.testing import CliRunner

from devicepark.cli.main import app

APPLE, XIAOMI, POCO = "11111111", "22222222", "22222223"
CATALOG = {
    APPLE: ("Apple", "Apple", "iPhone 13", "smartphone"),
    XIAOMI: ("Xiaomi", "Redmi", "Redmi Note 10", "smartphone"),
    POCO: ("Xiaomi", "POCO", "POCO X3", "smartphone"),
}
runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # Day 10: L1 Apple, L2 Apple, L3 Xiaomi/Redmi, L4 not yet active.
    # Day 40: L1 Xiaomi/POCO (switched on day 30), L2 unidentified (last seen day 10),
    #         L3 Xiaomi/Redmi, L4 Apple (activated day 35).
    fx = Fixture(
        [
            Line("L1", day(0), customer="C1"),
            Line("L2", day(0), customer="C1", operator_brand="Sosh"),
            Line("L3", day(0)),
            Line("L4", day(35)),
        ],
        [
            Obs("L1", "A1", APPLE, at(5)),
            Obs("L1", "P1", POCO, at(30)),
            Obs("L2", "A2", APPLE, at(10)),
            Obs("L3", "R3", XIAOMI, at(2)),
            Obs("L3", "R3", XIAOMI, at(25)),
            Obs("L4", "A4", APPLE, at(36)),
        ],
        CATALOG,
    )
    path = tmp_path_factory.mktemp("cli") / "store"
    open_fixture(path, fx, ibis.duckdb.connect())
    return str(path)


def run(*args: str):
    return runner.invoke(app, list(args))


def run_json(command: str, store: str, *args: str) -> dict:
    """``command --store STORE ARGS --format json``, which must succeed: its answer."""
    r = run(command, "--store", store, *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_base_json_contract(store):
    assert run_json("base", store, "--as-of", day(40).isoformat()) == {
        "as_of": "2022-02-10",
        "by": ["vendor"],
        "unit": "lines",
        "total_lines": 4,
        "identified_lines": 3,
        "groups": [
            {"vendor": "Xiaomi", "lines": 2, "share": 0.5, "share_of_identified": 2 / 3},
            {"vendor": "Apple", "lines": 1, "share": 0.25, "share_of_identified": 1 / 3},
        ],
    }


def test_base_customers_csv_and_table(store):
    args = ["--store", store, "--as-of", "2022-02-10", "--by", "brand", "--unit", "customers"]
    r = run("base", *args, "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["brand"], x["customers"]) for x in rows] == [
        ("Apple", "1"),
        ("POCO", "1"),
        ("Redmi", "1"),
    ]
    r = run("base", "--store", store, "--as-of", "2022-02-10")
    assert r.exit_code == 0
    assert "50.00 %" in r.stdout and "Xiaomi" in r.stdout


def test_series_json(store):
    a = run_json("series", store, "--from", "2022-02-06", "--to", "2022-02-13", "--every", "week")
    assert (a["by"], a["every"]) == (["vendor"], "week")
    assert [p["date"] for p in a["points"]] == ["2022-02-06", "2022-02-13"]
    p = a["points"][0]  # day 36: L2 seen day 10 is still in force until day 39
    assert (p["total_lines"], p["identified_lines"]) == (4, 4)
    assert [(g["vendor"], g["lines"]) for g in p["groups"]] == [("Apple", 2), ("Xiaomi", 2)]


def test_switches_by_brand(store):
    a = run_json("switches", store, "--from", "2022-01-11", "--to", "2022-02-10", "--by", "brand")
    assert a["flows"] == [
        {"from_brand": "(not active)", "to_brand": "Apple", "lines": 1},
        {"from_brand": "Apple", "to_brand": "(unidentified)", "lines": 1},
        {"from_brand": "Apple", "to_brand": "POCO", "lines": 1},
        {"from_brand": "Redmi", "to_brand": "Redmi", "lines": 1},
    ]
    summary = {s["brand"]: (s["gained"], s["lost"], s["kept"], s["loyalty"]) for s in a["summary"]}
    assert summary == {"Apple": (1, 2, 0, 0.0), "POCO": (1, 0, 0, None), "Redmi": (0, 0, 1, 1.0)}


def test_adds(store):
    window = ["--from", "2022-01-30", "--to", "2022-02-06"]
    a = run_json("adds", store, *window, "--vendor", "Xiaomi", "--by", "operator_brand")
    assert len(a["points"]) == 8
    assert [(p["date"], p["adds"]) for p in a["points"] if p["adds"]] == [("2022-01-31", 1)]
    assert a["points"][1]["groups"] == [{"operator_brand": "Orange", "adds": 1}]


def test_milestones(store):
    window = ["--from", "2022-01-01", "--to", "2022-02-10"]
    a = run_json("milestones", store, "--vendor", "Xiaomi", "--step", "1", *window)
    assert [(m["threshold"], m["first_crossed"]) for m in a["milestones"]] == [
        (1, "2022-01-03"),
        (2, "2022-01-31"),
    ]
    assert a["next"]["threshold"] == 3


def test_milestones_every_is_a_deprecated_alias_of_step(store):
    args = ["milestones", "--store", store, "--vendor", "Xiaomi", "--format", "json"]
    new, old = run(*args, "--step", "1"), run(*args, "--every", "1")
    assert new.exit_code == old.exit_code == 0, old.output
    assert old.stdout == new.stdout and json.loads(new.stdout)["every"] == 1
    assert "deprecated; use --step" in old.stderr and "deprecated" not in new.stderr
    assert "--every" not in run("milestones", "--help").stdout  # hidden: one meaning per name


@pytest.mark.parametrize(
    "args",
    [
        ["base", "--as-of", "2022-02-30"],
        ["base", "--as-of", "2022-02-10", "--by", "vendor,colour"],
        ["series", "--from", "2022-02-10", "--to", "2022-02-01"],
        ["series", "--from", "2022-02-01", "--to", "2022-02-10", "--every", "year"],
        ["switches", "--from", "2022-02-01", "--to", "2022-02-10", "--by", "model"],
    ],
)
def test_bad_options_exit_2_with_one_line(store, args):
    r = runner.invoke(app, [args[0], "--store", store, *args[1:]])
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
