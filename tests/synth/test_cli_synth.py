"""``devicepark synth`` end to end: files, summary, JSON, errors."""

from __future__ import annotations

import json

import pytest

from devicepark.cli.main import main


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return info.value.code or 0, captured.out, captured.err


def test_synth_writes_the_contract(tmp_path, capsys):
    code, out, _ = run(capsys, "synth", "--out", tmp_path, "--lines", 800, "--seed", 9)
    assert code == 0
    for name in ("lines.csv", "observations.csv", "tac.csv", "truth.json"):
        assert (tmp_path / name).is_file()
    assert "800" in out and "Xiaomi" in out and "Vérité terrain" in out
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["generator"]["lines"] == 800 and truth["generator"]["seed"] == 9


def test_synth_json_and_gzip(tmp_path, capsys):
    code, out, _ = run(
        capsys,
        "synth",
        "--out",
        tmp_path,
        "--lines",
        300,
        "--seed",
        2,
        "--gzip",
        "--sightings-per-month",
        2.0,
        "--start",
        "2021-06-01",
        "--end",
        "2022-03-31",
        "--format",
        "json",
    )
    assert code == 0
    summary = json.loads(out)
    assert summary["lines"] == 300 and summary["files"]["observations"] == "observations.csv.gz"
    assert (tmp_path / "observations.csv.gz").is_file()
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert (
        truth["daily"]["from"] == "2021-06-01"
        and truth["files"]["observations"]["rows"] == (summary["observations"])
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (("--end", "2019-01-01"), "--end"),
        (("--start", "2020-13-01"), "--start"),
        (("--lines", "3"), "--lines"),
        (("--uplift", "0.3"), "--campaign"),
    ],
)
def test_synth_bad_options_exit_2(tmp_path, capsys, args, message):
    code, _, err = run(capsys, "synth", "--out", tmp_path, *args)
    assert code == 2 and message in err and "Traceback" not in err
