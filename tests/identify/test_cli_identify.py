"""The imei and tac commands: JSON contracts, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from identifykit import unknown_row
from typer.testing import CliRunner

from devicepark.cli.main import app, main

runner = CliRunner()

CATALOG = """tac,manufacturer,brand,model,device_type
86753104,Xiaomi Communications Co Ltd,Redmi,Redmi Note 11,smartphone
35332811,Samsung Korea,,SM-G991B,tablet
3533281,Samsung Korea,,bad,tablet
"""


def run_json(args: list[str]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_imei_check_json_keys_and_echo() -> None:
    values = ["35-209900-176148-1", "352099001761482", "٣٥٢٠٩٩٠٠١٧٦١٤٨١", " 3520990017614800 "]
    rows = run_json(["imei", "check", *values, "--format", "json"])
    assert [list(r) for r in rows] == [["value", "valid", "reason", "kind", "tac"]] * 4
    assert [r["value"] for r in rows] == values  # echoed exactly as given
    assert rows[0] == {
        "value": values[0],
        "valid": True,
        "reason": None,
        "kind": "IMEI",
        "tac": "35209900",
    }
    assert [r["reason"] for r in rows[1:]] == ["bad_checksum", "non_ascii_digit", None]
    assert rows[3]["kind"] == "IMEISV"


def test_imei_check_table_exits_zero_on_invalid() -> None:
    result = runner.invoke(app, ["imei", "check", "12"])
    assert result.exit_code == 0
    assert "bad_length" in result.stdout


def test_tac_import_and_lookup(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(CATALOG, encoding="utf-8")
    store = tmp_path / "store"  # created by the import
    data = run_json(["tac", "import", str(path), "--store", str(store), "--format", "json"])
    assert data == {
        "files": [
            {
                "file": str(path),
                "layout": "own",
                "rows": 3,
                "imported": 2,
                "rejected": 1,
                "conflicts": 0,
            }
        ],
        "tacs_in_catalog": 2,
    }
    rows = run_json(
        [
            "tac",
            "lookup",
            "86753104",
            "00000001",
            "35332811",
            "--store",
            str(store),
            "--format",
            "json",
        ]
    )
    assert rows[0] == {
        "tac": "86753104",
        "vendor": "Xiaomi",
        "brand": "Redmi",
        "model": "Redmi Note 11",
        "device_type": "smartphone",
        "manufacturer_raw": "Xiaomi Communications Co Ltd",
        "brand_raw": "Redmi",
    }
    assert rows[1] == unknown_row("00000001")
    assert (rows[2]["vendor"], rows[2]["device_type"]) == ("Samsung", "tablet")
    table = runner.invoke(app, ["tac", "import", str(path), "--store", str(store)])
    assert table.exit_code == 0
    assert "skipped" in table.stdout and "TACs in catalog" in table.stdout


def test_tac_import_table_shows_reasons(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(CATALOG, encoding="utf-8")
    result = runner.invoke(app, ["tac", "import", str(path), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0
    assert (
        "bad_tac=1" in result.stdout
        and "TACs in catalog / TAC dans le catalogue: 2" in result.stdout
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.csv", "missing.csv: cannot read TAC catalog"),
        (
            lambda d: (d / "p.csv").write_text("sku,price\n") and d / "p.csv",
            "p.csv: no TAC catalog header",
        ),
        (
            lambda d: (d / "m.csv").write_text("tac,model\n1,2\n") and d / "m.csv",
            "neither 'manufacturer' nor 'brand'",
        ),
        (  # a header over the 1 MiB line limit (csv's own 128 KiB limit once crashed here)
            lambda d: (d / "h.csv").write_text("tac,brand," + "x" * (1 << 20) + "\n")
            and d / "h.csv",
            "h.csv:1: line longer than 1048576 bytes",
        ),
        (
            lambda d: (d / "d.csv").write_text("tac,Brand,model,brand\n35332811,a,b,c\n")
            and d / "d.csv",
            "d.csv:1: column brand: column 'brand' appears twice in the header (columns 2 and 4",
        ),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path: Path, capsys, make, expected: str) -> None:
    path = make(tmp_path)
    store = tmp_path / "store"
    with pytest.raises(SystemExit) as info:
        main(["tac", "import", str(path), "--store", str(store)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err
    assert not store.exists()  # nothing created for a bad file


def test_lookup_without_store_exits_2(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["tac", "lookup", "86753104", "--store", str(tmp_path / "none")])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")
