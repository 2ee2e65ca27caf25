"""TAC catalog readers: layouts from the header, columns by name, every row accounted for."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from identifykit import unknown_row

from devicepark.errors import InputError
from devicepark.identify.catalog import detect_layout, lookup, read_catalog
from devicepark.store.schema import CATALOG

# -- GSMA exports, as the three releases name their columns -----------------------------------

# The columns the 17- and 20-column releases share, in their order, after their Bands column(s).
GSMA_COMMON = [
    "Allocation Date",
    "Country Code",
    "Fixed Code",
    "Manufacturer Code",
    "Radio Interface",
    "Brand Name",
    "Model Name",
    "Operating System",
    "NFC",
    "Bluetooth",
    "WLAN",
    "Device Type",
]
GSMA17 = ["TAC", "Marketing Name", "Internal Model Name", "Manufacturer", "Bands", *GSMA_COMMON]
GSMA20 = [
    "TAC",
    "Marketing Name",
    "Internal Model Name",
    "Manufacturer (or) Applicant",
    "Bands",
    "5G Bands",
    "LPWAN",
    *GSMA_COMMON,
    "Removable UICC",
]
# The 25-column release adds SIM columns and, here, moves columns around: names, not positions.
GSMA25 = [
    "TAC",
    "Brand Name",
    "Model Name",
    "Marketing Name",
    "Manufacturer (or) Applicant",
    "Internal Model Name",
    "Device Type",
    "Operating System",
    "Allocation Date",
    "Bands",
    "5G Bands",
    "LPWAN",
    "Country Code",
    "Fixed Code",
    "Manufacturer Code",
    "Radio Interface",
    "NFC",
    "Bluetooth",
    "WLAN",
    "Removable UICC",
    "Removable EUICC",
    "NonRemovable UICC",
    "NonRemovable EUICC",
    "Simultaneous Active SIMs",
    "Number of SIM slots",
]

XIAOMI = {
    "TAC": "86753104",
    "Marketing Name": "Redmi Note 11",
    "Internal Model Name": "2201117TG",
    "Manufacturer": "Xiaomi Communications Co Ltd",
    "Bands": "GSM 850,GSM 900,LTE FDD BAND 1",
    "Allocation Date": "14-Dec-2021",
    "Country Code": "156",
    "Fixed Code": "Not Known",
    "Manufacturer Code": "Not Known",
    "Radio Interface": "LTE",
    "Brand Name": "Redmi",
    "Model Name": "Redmi Note 11",
    "Operating System": "Android",
    "NFC": "Y",
    "Bluetooth": "Y",
    "WLAN": "Y",
    "Device Type": "Smartphone",
}
SAMSUNG = {
    "TAC": "35332811",
    "Marketing Name": "Galaxy S21 5G",
    "Internal Model Name": "SM-G991B",
    "Manufacturer": "Samsung Korea",
    "Bands": "-",
    "Allocation Date": "01-Jan-2021",
    "Brand Name": "Samsung",
    "Model Name": "SM-G991B",
    "Operating System": "Android",
    "Device Type": "Smartphone",
}
NOKIA = {  # a leading-zero TAC and a feature phone, brand and maker differ
    "TAC": "01326600",
    "Marketing Name": "Nokia 105",
    "Manufacturer": "HMD Global Oy",
    "Allocation Date": "01-Jan-2016",
    "Brand Name": "Nokia",
    "Model Name": "TA-1010",
    "Operating System": "Not Known",
    "Device Type": "Mobile Phone/Feature phone",
}
DONGLE = {  # a quote inside a field, nulls everywhere else
    "TAC": "86361703",
    "Marketing Name": 'E3372 "Stick"',
    "Manufacturer": "HUAWEI TECHNOLOGIES CO.,LTD",
    "Allocation Date": "-",
    "Brand Name": "Not Known",
    "Model Name": "-",
    "Device Type": "Dongle",
}
EXCEL = {"TAC": "1326601", "Manufacturer": "HMD Global Oy", "Brand Name": "Nokia"}  # lost its 0


def gsma_file(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    def cell(row: dict[str, str], name: str) -> str:
        key = "Manufacturer" if name.startswith("Manufacturer (or)") else name
        return row.get(key, "Not Known")

    lines = ["|".join(header)] + ["|".join(cell(r, n) for n in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "layout"), [(GSMA17, "gsma17"), (GSMA20, "gsma20"), (GSMA25, "gsma25")]
)
def test_gsma_layouts(tmp_path: Path, header: list[str], layout: str) -> None:
    path = gsma_file(tmp_path / f"{layout}.txt", header, [XIAOMI, SAMSUNG, NOKIA, DONGLE, EXCEL])
    assert len(header) == int(layout[4:])
    read = read_catalog(path)
    assert read.layout == layout
    assert (read.rows, read.imported, read.rejected, read.duplicates) == (5, 4, 1, 0)
    assert [(r.line_no, r.column, r.reason) for r in read.rejects] == [(6, "tac", "bad_tac")]
    rows = {r["tac"]: r for r in read.table.to_pylist()}
    x = rows["86753104"]
    assert (x["vendor"], x["brand"], x["model"], x["marketing_name"]) == (
        "Xiaomi",
        "Redmi",
        "Redmi Note 11",
        "Redmi Note 11",
    )
    assert (x["device_type"], x["os"], x["release_year"]) == ("smartphone", "Android", 2021)
    assert (x["manufacturer_raw"], x["brand_raw"], x["model_raw"], x["device_type_raw"]) == (
        "Xiaomi Communications Co Ltd",
        "Redmi",
        "Redmi Note 11",
        "Smartphone",
    )
    assert (x["source"], x["layout"], x["import_seq"]) == (f"{layout}.txt", layout, None)
    s = rows["35332811"]
    assert (s["vendor"], s["model"], s["release_year"]) == ("Samsung", "SM-G991B", 2021)
    n = rows["01326600"]
    assert (n["vendor"], n["brand"], n["device_type"], n["os"], n["release_year"]) == (
        "Nokia",
        "Nokia",
        "feature phone",
        None,
        2016,
    )
    assert n["manufacturer_raw"] == "HMD Global Oy"
    d = rows["86361703"]
    assert (d["vendor"], d["brand"], d["device_type"]) == ("Huawei", "Huawei", "modem/dongle")
    assert d["model"] == 'E3372 "Stick"' and d["model_raw"] == "-"  # model falls back, raw kept
    assert d["brand_raw"] == "Not Known" and d["release_year"] is None
    assert read.table.schema == CATALOG


def test_gsma_other_column_count_and_bad_header(tmp_path: Path) -> None:
    path = gsma_file(
        tmp_path / "g.txt", ["TAC", "Marketing Name", "Brand Name", "Device Type"], [XIAOMI]
    )
    assert read_catalog(path).layout == "gsma"
    bad = gsma_file(tmp_path / "b.txt", ["TAC", "Marketing Name", "Bands"], [XIAOMI])
    with pytest.raises(InputError, match="Manufacturer") as info:
        read_catalog(bad)
    assert info.value.file == str(bad) and info.value.line == 1


OSMOCOM = """Osmocom TAC database under CC-BY-SA v3.0 (c) Harald Welte 2016
tac,name,name,contributor,comment,gsmarena,gsmarena,aka
35675904,Oppo,N1,Kévin Redon,,http://www.gsmarena.com/oppo_n1-5724.php,,
 35572302,Nokia,3120 classic,someone,,,,
86753104,Redmi,Note 11,x,,,,
35572302,Nokia,3120 classic,someone else,,,,"3120c,RM-364"
 33205600,Sagem,DMC 830,,,,,
3320560,Sagem,too short,,,,,

,Sagem,no tac,,,,,
86032703,Xiaomi,Mi 8,,,,,
33205600,Sagem,M314-B0,,,,,
35675904,Oppo,N1,,"a ""quoted"" comment",,,
12345678,Only,three
"""


def test_osmocom_layout_rules(tmp_path: Path) -> None:
    path = tmp_path / "tacdb.csv"
    path.write_text(OSMOCOM, encoding="utf-8")
    read = read_catalog(path)
    assert read.layout == "osmocom"
    # Worked by hand: data rows are lines 3-8 and 10-14 (line 9 is blank, not a row) = 11.
    # Kept: 35675904, 35572302, 86753104, 33205600, 86032703 = 5. Rejected: lines 8, 10, 14 = 3.
    # Merged: line 3 (same as 13) and line 4 (same as 6) are duplicates, line 7 conflicts with 12.
    assert read.rows == 11
    assert (read.imported, read.rejected, read.duplicates) == (5, 3, 3)
    assert [(r.line_no, r.column, r.reason) for r in read.rejects] == [
        (8, "tac", "bad_tac"),
        (10, "tac", "missing_tac"),
        (14, None, "bad_field_count"),
    ]
    assert [(r.line_no, r.reason) for r in read.conflicts] == [(7, "conflict")]
    assert read.repaired == 2  # ' 35572302' and ' 33205600' lost their leading space
    rows = {r["tac"]: r for r in read.table.to_pylist()}
    assert rows["33205600"]["model"] == "M314-B0"  # the last row of a TAC wins
    assert rows["86753104"]["vendor"] == rows["86032703"]["vendor"] == "Xiaomi"
    assert rows["86753104"]["brand"] == "Redmi" and rows["86753104"]["manufacturer_raw"] is None
    assert rows["35675904"]["vendor"] == "OPPO" and rows["35675904"]["brand_raw"] == "Oppo"
    assert read.summary() == {
        "file": str(path),
        "layout": "osmocom",
        "rows": 11,
        "imported": 5,
        "rejected": 3,
        "duplicates": 3,
        "conflicts": 1,
        "repaired": 2,
        "skipped": False,
        "reasons": {
            "bad_field_count": 1,
            "bad_tac": 1,
            "conflict": 1,
            "duplicate": 2,
            "missing_tac": 1,
        },
    }


def test_own_csv(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "\ufeffTAC,Brand,Model,Release_Year,Device_Type,OS,Marketing Name,Extra\n"
        "86753104,Redmi,Redmi Note 11,2022,smartphone,Android,Redmi Note 11,x\n"
        "35332811,Samsung,SM-G991B,not a year,tablet,,,\n"
        "35332811,Samsung,SM-G991B,not a year,tablet,,,\n"
        "35332812,  ,,,, ,,\n",
        encoding="utf-8",
    )
    read = read_catalog(path)
    assert read.layout == "own"
    assert (read.rows, read.imported, read.rejected, read.duplicates, read.conflicts) == (
        4,
        3,
        0,
        1,
        [],
    )
    rows = {r["tac"]: r for r in read.table.to_pylist()}
    assert (rows["86753104"]["vendor"], rows["86753104"]["release_year"]) == ("Xiaomi", 2022)
    assert rows["35332811"]["release_year"] is None and rows["35332811"]["device_type"] == "tablet"
    assert rows["35332812"]["vendor"] == "Unknown" and rows["35332812"]["device_type"] == "other"
    only_maker = tmp_path / "m.csv"
    only_maker.write_text("manufacturer,tac\nSamsung Korea,35332811\n", encoding="utf-8")
    assert read_catalog(only_maker).table.column("vendor").to_pylist() == ["Samsung"]


def test_header_errors_name_the_file(tmp_path: Path) -> None:
    no_maker = tmp_path / "nomaker.csv"
    no_maker.write_text("tac,model\n35332811,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="manufacturer") as info:
        detect_layout(no_maker)
    assert "nomaker.csv" in str(info.value)
    unknown = tmp_path / "prices.csv"
    unknown.write_text("sku,price\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no TAC catalog header") as info:
        read_catalog(unknown)
    assert str(info.value).startswith(str(unknown))
    with pytest.raises(InputError, match="cannot read"):
        read_catalog(tmp_path / "missing.csv")


def test_line_limit_is_the_readers_one(tmp_path: Path) -> None:
    """Fields over csv's 128 KiB default are read up to the 1 MiB line limit every reader
    shares; a longer row is rejected as field_too_large and the rows after it still count."""
    wide = "w" * (200 << 10)
    path = tmp_path / "wide.csv"
    path.write_text(
        f"tac,brand,model,{wide}\n"  # a 200 KiB header name: an unknown column, kept
        f"35332811,Samsung,{wide},x\n"
        f"35332812,Samsung,{'z' * (1 << 20)},x\n"
        "35332813,Apple,iPhone,x\n",
        encoding="utf-8",
    )
    read = read_catalog(path)
    assert (read.rows, read.imported, read.rejected) == (3, 2, 1)
    assert [(r.line_no, r.reason) for r in read.rejects] == [(3, "field_too_large")]
    models = dict(zip(read.table["tac"].to_pylist(), read.table["model"].to_pylist(), strict=True))
    assert models == {"35332811": wide, "35332813": "iPhone"}
    assert csv_limit() == 131072  # the reader put csv's process-wide limit back


def csv_limit() -> int:
    import csv

    return csv.field_size_limit()


@pytest.mark.parametrize(
    ("header", "where", "named"),
    [
        ("tac,Brand,model, brand \n", ":1: column brand:", "columns 2 and 4: 'Brand' and 'brand'"),
        ("tac,brand,MODEL,model\n", ":1: column model:", "columns 3 and 4"),
        ("tac,brand,Foo,foo\n", ":1: column #4:", "columns 3 and 4 have the same name"),
        ("tac,brand,Release Year,release_year\n", ":1: column release year:", "columns 3 and 4"),
        ("TAC|Marketing Name|Brand Name|brand name\n", ":1: column brand name:", "columns 3 and 4"),
        ("note\ntac,name,name,Name\n", ":2: column #4:", "columns 2 and 4 have the same name"),
    ],
)
def test_duplicate_columns_are_refused(tmp_path: Path, header: str, where: str, named: str) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(header + "35332811,Samsung,SM-G991B,x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_catalog(path)
    text = str(info.value)
    assert text.startswith(str(path) + where) and named in text and "SM-G991B" not in text
    with pytest.raises(InputError):
        detect_layout(path)


def test_osmocom_keeps_its_own_repeated_names(tmp_path: Path) -> None:
    path = tmp_path / "tacdb.csv"
    path.write_text(
        "licence line\ntac,name,name,contributor,comment,gsmarena,gsmarena,aka\n"
        "35675904,Oppo,N1,someone,,u1,u2,\n",
        encoding="utf-8",
    )
    read = read_catalog(path)
    assert read.layout == "osmocom" and read.table["model"].to_pylist() == ["N1"]


def test_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("tac,brand,model\n35675904,Oppo,Réno\n".encode("cp1252"))
    assert read_catalog(path).table.column("model").to_pylist() == ["Réno"]


def test_lookup(tmp_path: Path) -> None:
    path = gsma_file(tmp_path / "g.txt", GSMA17, [XIAOMI, NOKIA])
    table = read_catalog(path).table
    rows = lookup(table, ["01326600", "99999999", "86753104"])
    assert rows[0] == {
        "tac": "01326600",
        "vendor": "Nokia",
        "brand": "Nokia",
        "model": "TA-1010",
        "device_type": "feature phone",
        "manufacturer_raw": "HMD Global Oy",
        "brand_raw": "Nokia",
    }
    assert rows[1] == unknown_row("99999999")
    assert rows[2]["vendor"] == "Xiaomi"
    with pytest.raises(InputError):
        lookup(table, ["1234"])


def test_real_osmocom_file(shared_data: Path) -> None:
    read = read_catalog(shared_data / "tac" / "osmocom_tacdb.csv")
    assert read.layout == "osmocom"
    assert read.rows == 22_527
    assert read.rows == read.imported + read.rejected + read.duplicates
    # Four TACs carry a leading space: repaired. Three repeat a TAC listed elsewhere: two
    # identical (duplicates), one with another model (a conflict, the later row wins).
    assert read.repaired == 4
    assert (read.imported, read.rejected, read.duplicates) == (22_524, 0, 3)
    assert dict(read.reasons) == {"duplicate": 2, "conflict": 1}
    assert [(c.line_no, c.reason) for c in read.conflicts] == [(4021, "conflict")]
    t = read.table
    assert t.filter(pc.equal(t["tac"], "33205600")).column("model").to_pylist() == ["M314-B0"]
    assert t.filter(pc.equal(t["tac"], "33010667")).num_rows == 1  # the fourth, repaired
    xiaomi = t.filter(pc.is_in(t["brand_raw"], value_set=pa.array(["Xiaomi", "Redmi"])))
    assert xiaomi.num_rows == 18
    assert set(xiaomi.column("vendor").to_pylist()) == {"Xiaomi"}
    assert pc.count_distinct(t["tac"]).as_py() == t.num_rows


# -- property: every row accounted for, the last row of a TAC wins ----------------------------

tacs = st.one_of(
    st.sampled_from(["86753104", "35332811", "01326600", " 35332811", "3533281", "", "3533281a"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)
models = st.sampled_from(["A1", "A2", "B"])


@settings(deadline=None)
@given(st.lists(st.tuples(tacs, models), min_size=1, max_size=25))
def test_accounting_property(tmp_path_factory, rows: list[tuple[str, str]]) -> None:
    path = tmp_path_factory.mktemp("p") / "c.csv"
    path.write_text(
        "tac,brand,model\n" + "".join(f"{t},Xiaomi,{m}\n" for t, m in rows), encoding="utf-8"
    )
    read = read_catalog(path)
    good = [(t.strip(), m) for t, m in rows if len(t.strip()) == 8 and t.strip().isdigit()]
    last = dict(good)  # naive reference: a dict keeps the last model per TAC
    assert read.rows == len(rows) == read.imported + read.rejected + read.duplicates
    assert read.rejected == len(rows) - len(good)
    assert {r["tac"]: r["model"] for r in read.table.to_pylist()} == last
    assert read.repaired == sum(1 for t, _ in rows if t != t.strip() and t.strip() in last)
    conflicts = sum(
        1
        for i, (t, m) in enumerate(good)
        if i < max(j for j, (u, _) in enumerate(good) if u == t) and m != last[t]
    )
    assert len(read.conflicts) == conflicts
