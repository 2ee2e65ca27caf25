"""End to end through the console script: market import, market compare, claim check."""

from __future__ import annotations

import json

import pytest

from devicepark.cli.main import main

STATCOUNTER = "market/statcounter-vendor-ww-monthly-201003-202405.csv"


def run(capsys, command: str, **fields: object) -> tuple[int, str, str]:
    """Run ``devicepark COMMAND`` (words split on spaces after formatting in ``fields``)."""
    with pytest.raises(SystemExit) as info:
        main(command.format(**fields).split())
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_import_statcounter_reports_the_zero_row(capsys, tiny_store, shared_data) -> None:
    cmd = "market import {f} --store {s} --name ww"
    f, s = shared_data / STATCOUNTER, tiny_store.path
    code, out, _ = run(capsys, cmd + " --format json", f=f, s=s)
    assert code == 0
    got = json.loads(out)
    assert (got["layout"], got["unit"]) == ("statcounter", "percent")
    assert got["source"] == "StatCounter Global Stats"
    assert (got["periods"], got["first_period"], got["last_period"]) == (170, "2010-04", "2024-05")
    assert got["rows"] == 170 * 70
    notices = {(n["code"], n["line"], n["period"]) for n in got["notices"]}
    assert notices == {("empty_period", 172, "2010-03"), ("out_of_order", 172, "2010-03")}
    code, out, _ = run(capsys, cmd, f=f, s=s)
    assert code == 0 and "2010-03" in out and "172" in out  # the table prints the notices too


def test_reimport_replaces_only_that_market(capsys, tiny_store, market_csv, shared_data) -> None:
    s = tiny_store.path
    run(capsys, "market import {f} --store {s} --name ww", f=shared_data / STATCOUNTER, s=s)
    run(capsys, "market import {f} --store {s} --name s", f=market_csv, s=s)
    run(capsys, "market import {f} --store {s} --name s --kind shipments", f=market_csv, s=s)
    table = tiny_store.refresh().read("market")
    names, kinds = table["name"].to_pylist(), table["kind"].to_pylist()
    assert names.count("s") == 12 and names.count("ww") == 170 * 70
    assert {k for n, k in zip(names, kinds, strict=True) if n == "s"} == {"shipments"}


def test_compare_json_csv_table_and_series(capsys, tiny_store, market_csv) -> None:
    s = tiny_store.path
    run(capsys, "market import {f} --store {s} --name s", f=market_csv, s=s)
    cmd = "market compare --store {s} --market s "
    code, out, _ = run(capsys, cmd + "--as-of 2022-02-03 --format json", s=s)
    got = json.loads(out)
    assert code == 0 and got["period"] == "2022-02"
    assert got["vendors"][0] == {
        "vendor": "Apple", "base_share": 0.5, "market_share": pytest.approx(0.4),
        "index": pytest.approx(125.0), "gap_lines": -2,
    }  # fmt: skip
    code, out, _ = run(capsys, cmd + "--as-of 2022-02-03 --by operator_brand --format csv", s=s)
    lines = out.splitlines()
    assert lines[0] == "as_of,period,operator_brand,vendor,base_share,market_share,index,gap_lines"
    assert lines[1] == "2022-02-03,2022-02,Orange,Apple,0.6,0.4,150.0,-2"
    code, out, _ = run(capsys, cmd + "--from 2022-01-01 --to 2022-02-28 --format json", s=s)
    assert [p["period"] for p in json.loads(out)["points"]] == ["2022-01", "2022-02"]
    code, out, _ = run(capsys, cmd + "--as-of 2022-02-03", s=s)
    assert code == 0 and "Apple" in out and "125" in out


def test_claim_check_exits_0_whatever_the_verdict(capsys, tiny_store) -> None:
    cmd = "claim check --store {s} --vendor {v} --count {n} --as-of 2022-02-03 "
    s = tiny_store.path
    for n, verdict in ((5, "supported"), (6, "overclaim")):
        code, out, _ = run(capsys, cmd + "--of 22 --format json", s=s, v="xiaomi", n=n)
        assert code == 0 and json.loads(out)["verdict"] == verdict
    # With M2M the Orange M2M SIM in a Xiaomi module counts too: 6 of 23 lines.
    code, out, _ = run(capsys, cmd + "--of 23 --include-m2m --format json", s=s, v="Xiaomi", n=6)
    assert code == 0 and json.loads(out)["verdict"] == "supported"
    code, out, _ = run(capsys, cmd + "--share 25", s=s, v="Xiaomi", n=5)
    assert code == 0 and "wrong_denominator" in out and "22.72 %" in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ("market compare --market nope --as-of 2022-02-03", "no market named 'nope'"),
        ("market compare --market s", "give --as-of"),
        ("market compare --market s --as-of 3-Feb", "--as-of: '3-Feb' is not a date"),
        ("market compare --market s --as-of 2021-12-01", "starts with 2022-01"),
        ("claim check --vendor Xiaomi --count 0 --as-of 2022-02-03", "--count"),
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, tiny_store, market_csv, argv, words) -> None:
    s = tiny_store.path
    run(capsys, "market import {f} --store {s} --name s", f=market_csv, s=s)
    code, _, err = run(capsys, argv + " --store {s}", s=s)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_malformed_market_file_exits_2_naming_file_line_column(
    capsys, tiny_store, tmp_path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('"Date","Samsung","Apple"\n2022-01,30,40\n2022-02,31,n/a\n', encoding="utf-8")
    code, _, err = run(capsys, "market import {f} --store {s} --name x", f=bad, s=tiny_store.path)
    assert code == 2
    assert err.startswith(f"error: {bad}:3: column Apple: expected a share")
    assert not tiny_store.refresh().has("market")  # nothing written
