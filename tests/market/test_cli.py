"""End to end through the console script: market import, market compare, claim check."""

from __future__ import annotations

import json

import pytest

from devicepark.cli.main import main

STATCOUNTER = "market/statcounter-vendor-ww-monthly-201003-202405.csv"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_import_statcounter_reports_the_zero_row(capsys, tiny_store, shared_data) -> None:
    code, out, _ = run(
        capsys,
        "market",
        "import",
        str(shared_data / STATCOUNTER),
        "--store",
        str(tiny_store.path),
        "--name",
        "ww",
        "--format",
        "json",
    )
    assert code == 0
    got = json.loads(out)
    assert (got["layout"], got["unit"], got["source"]) == (
        "statcounter",
        "percent",
        "StatCounter Global Stats",
    )
    assert (got["periods"], got["first_period"], got["last_period"]) == (170, "2010-04", "2024-05")
    assert got["rows"] == 170 * 70
    assert {(n["code"], n["line"]) for n in got["notices"]} == {
        ("empty_period", 172),
        ("out_of_order", 172),
    }
    code, out, _ = run(
        capsys,
        "market",
        "import",
        str(shared_data / STATCOUNTER),
        "--store",
        str(tiny_store.path),
        "--name",
        "ww",
    )
    assert code == 0 and "2010-03" in out and "172" in out  # the table prints the notices too


def test_reimport_replaces_only_that_market(capsys, tiny_store, market_csv, shared_data) -> None:
    store = str(tiny_store.path)
    run(
        capsys, "market", "import", str(shared_data / STATCOUNTER), "--store", store, "--name", "ww"
    )
    run(capsys, "market", "import", str(market_csv), "--store", store, "--name", "s")
    run(
        capsys,
        "market",
        "import",
        str(market_csv),
        "--store",
        store,
        "--name",
        "s",
        "--kind",
        "shipments",
    )
    table = tiny_store.refresh().read("market")
    names = table["name"].to_pylist()
    assert names.count("s") == 12 and names.count("ww") == 170 * 70
    assert {k for n, k in zip(names, table["kind"].to_pylist(), strict=True) if n == "s"} == {
        "shipments"
    }


def test_compare_json_csv_and_series(capsys, tiny_store, market_csv) -> None:
    store = str(tiny_store.path)
    run(capsys, "market", "import", str(market_csv), "--store", store, "--name", "s")
    code, out, _ = run(
        capsys,
        "market",
        "compare",
        "--store",
        store,
        "--market",
        "s",
        "--as-of",
        "2022-02-03",
        "--format",
        "json",
    )
    got = json.loads(out)
    assert code == 0 and got["period"] == "2022-02"
    assert got["vendors"][0] == {
        "vendor": "Apple",
        "base_share": 0.5,
        "market_share": pytest.approx(0.4),
        "index": pytest.approx(125.0),
        "gap_lines": -2,
    }
    code, out, _ = run(
        capsys,
        "market",
        "compare",
        "--store",
        store,
        "--market",
        "s",
        "--as-of",
        "2022-02-03",
        "--by",
        "operator_brand",
        "--format",
        "csv",
    )
    lines = out.splitlines()
    assert lines[0] == "as_of,period,operator_brand,vendor,base_share,market_share,index,gap_lines"
    assert lines[1].startswith("2022-02-03,2022-02,Orange,Apple,0.6,0.4,150")
    code, out, _ = run(
        capsys,
        "market",
        "compare",
        "--store",
        store,
        "--market",
        "s",
        "--from",
        "2022-01-01",
        "--to",
        "2022-02-28",
        "--format",
        "json",
    )
    got = json.loads(out)
    assert [p["period"] for p in got["points"]] == ["2022-01", "2022-02"]
    code, out, _ = run(
        capsys, "market", "compare", "--store", store, "--market", "s", "--as-of", "2022-02-03"
    )
    assert code == 0 and "Apple" in out and "125" in out


def test_claim_check_exits_0_whatever_the_verdict(capsys, tiny_store) -> None:
    store = str(tiny_store.path)
    for count, verdict in (("5", "supported"), ("6", "overclaim")):
        code, out, _ = run(
            capsys,
            "claim",
            "check",
            "--store",
            store,
            "--vendor",
            "xiaomi",
            "--count",
            count,
            "--of",
            "22",
            "--as-of",
            "2022-02-03",
            "--format",
            "json",
        )
        assert code == 0 and json.loads(out)["verdict"] == verdict
    code, out, _ = run(
        capsys,
        "claim",
        "check",
        "--store",
        store,
        "--vendor",
        "Xiaomi",
        "--count",
        "5",
        "--share",
        "25",
        "--as-of",
        "2022-02-03",
    )
    assert code == 0 and "wrong_denominator" in out and "22.72 %" in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            ["market", "compare", "--market", "nope", "--as-of", "2022-02-03"],
            "no market named 'nope'",
        ),
        (["market", "compare", "--market", "s"], "give --as-of"),
        (["market", "compare", "--market", "s", "--as-of", "3 Feb"], "--as-of takes a date"),
        (
            ["claim", "check", "--vendor", "Xiaomi", "--count", "0", "--as-of", "2022-02-03"],
            "--count",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, tiny_store, market_csv, argv, words) -> None:
    run(capsys, "market", "import", str(market_csv), "--store", str(tiny_store.path), "--name", "s")
    code, out, err = run(capsys, *argv, "--store", str(tiny_store.path))
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_malformed_market_file_exits_2_naming_file_line_column(
    capsys, tiny_store, tmp_path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('"Date","Samsung","Apple"\n2022-01,30,40\n2022-02,31,n/a\n', encoding="utf-8")
    code, _, err = run(
        capsys, "market", "import", str(bad), "--store", str(tiny_store.path), "--name", "x"
    )
    assert code == 2
    assert err.startswith(f"error: {bad}:3: column Apple: expected a share")
    assert not tiny_store.refresh().has("market")  # nothing written
