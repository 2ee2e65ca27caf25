"""Ingest on the hand-made messy fixture: reconciliation, quarantine, privacy, atomicity."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "core"
runner = CliRunner()


def ingest(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ingest", "--store", str(store), "--format", "json", *args])
    return result.exit_code, result.stdout, result.stderr


def files_by_kind(out: str) -> dict[str, dict]:
    return {f["kind"]: f for f in json.loads(out)["files"]}


def test_fixture_reconciles_by_hand(tmp_path: Path, key_env: str) -> None:
    code, out, err = ingest(
        tmp_path / "s",
        "--lines",
        str(DATA / "lines.csv"),
        "--observations",
        str(DATA / "observations.csv"),
        "--max-reject-rate",
        "0.5",
    )
    assert code == 0, err
    files = files_by_kind(out)
    lines, obs = files["lines"], files["observations"]
    # lines.csv: 15 rows; rows 12-15 rejected (bad date, missing id, terminated before activated,
    # conflicting duplicate of line 1); row 16 repeats row 3 exactly.
    assert (
        lines["rows"],
        lines["accepted"],
        lines["rejected"],
        lines["duplicates"],
        lines["orphans"],
    ) == (15, 10, 4, 1, 0)
    assert lines["reasons"] == {
        "bad_date": 1,
        "missing_value": 1,
        "terminated_before_activated": 1,
        "conflicting_duplicate": 1,
    }
    # observations.csv: 22 rows; 6 rejected, 2 duplicates (the exact repeat and the same instant
    # spelled in UTC), 1 orphan (+33699999999), 13 accepted.
    assert (obs["rows"], obs["accepted"], obs["rejected"], obs["duplicates"], obs["orphans"]) == (
        22,
        13,
        6,
        2,
        1,
    )
    assert obs["reasons"] == {
        "bad_checksum": 1,
        "non_ascii_digit": 1,
        "zero_imei": 1,
        "nonexistent_local_time": 1,
        "bad_timestamp": 1,
        "future_timestamp": 1,
    }

    store = Store.open(tmp_path / "s")
    q = store.read("quarantine").to_pylist()
    got = sorted((r["table"], r["line_no"], r["column"], r["reason"]) for r in q)
    assert got == sorted(
        [
            ("lines", 12, "activated_on", "bad_date"),
            ("lines", 13, "line_id", "missing_value"),
            ("lines", 14, "terminated_on", "terminated_before_activated"),
            ("lines", 15, "line_id", "conflicting_duplicate"),
            ("observations", 16, "imei", "bad_checksum"),
            ("observations", 17, "imei", "non_ascii_digit"),
            ("observations", 18, "imei", "zero_imei"),
            ("observations", 20, "observed_at", "nonexistent_local_time"),
            ("observations", 21, "observed_at", "bad_timestamp"),
            ("observations", 23, "observed_at", "future_timestamp"),
        ]
    )
    lines_t = store.read("lines").to_pylist()
    assert len(lines_t) == 10
    # National spelling 0600000002 and E.164 +33600000002 are one line: its two handsets join it.
    ten = store.read("tenures")
    assert ten.num_rows == 13
    con = duckdb.connect()
    con.register("t", ten)
    con.register("l", store.read("lines"))
    joined = con.execute("SELECT count(*) FROM t JOIN l USING (line)").fetchone()[0]
    assert joined == 12  # all tenures but the orphan's


def test_local_dates_and_kinds(tmp_path: Path, key_env: str) -> None:
    ingest(
        tmp_path / "s",
        "--lines",
        str(DATA / "lines.csv"),
        "--observations",
        str(DATA / "observations.csv"),
        "--max-reject-rate",
        "0.5",
    )
    obs = Store.open(tmp_path / "s").read("observations").to_pandas()
    # 2022-01-04T23:30:00+00:00 is 00:30 on 5 January in Paris; 22:30Z is still 4 January.
    dates = sorted(str(d) for d in obs["local_date"])
    assert dates.count("2022-01-05") == 2 and dates.count("2022-01-04") == 1
    assert "2022-02-04" in dates  # 2022-02-03T23:30Z is the 4th in Paris
    assert sorted(obs["kind"].unique()) == ["IMEI", "IMEI14", "IMEISV"]


def test_privacy_no_raw_identifier_anywhere(tmp_path: Path, key_env: str) -> None:
    from devicepark.ingest.pseudonym import canonical_line_id

    store = tmp_path / "s"
    code, out, err = ingest(
        store,
        "--lines",
        str(DATA / "lines.csv"),
        "--observations",
        str(DATA / "observations.csv"),
        "--max-reject-rate",
        "0.5",
    )
    assert code == 0
    needles: set[str] = set()
    for name, cols in (("lines.csv", (0, 1)), ("observations.csv", (0, 1))):
        for row in (DATA / name).read_text(encoding="utf-8").splitlines()[1:]:
            fields = row.split(",")
            for i in cols:
                value = fields[i].strip()
                if len(value) < 8:
                    continue
                digits = value.replace("-", "").replace(" ", "")
                # the value as given, its canonical E.164 form, and an IMEI's 14-digit body
                needles.update(
                    {value, digits, digits.lstrip("+"), canonical_line_id(value), digits[:14]}
                )
    assert "CUST-001" in needles and "+33600000002" in needles  # customer ids, national -> E.164
    needles.discard("")
    for f in store.rglob("*"):
        if not f.is_file():
            continue
        blob = f.read_bytes()
        if f.suffix == ".parquet":
            blob += json.dumps(pq.read_table(f).to_pylist(), default=str).encode()
        for n in needles:
            assert n.encode() not in blob, f"{n!r} found in {f}"
    for n in needles:  # nor in what the command printed
        assert n not in out and n not in err


def test_reingest_same_file_changes_nothing(tmp_path: Path, key_env: str) -> None:
    store = tmp_path / "s"
    args = [
        "--lines",
        str(DATA / "lines.csv"),
        "--observations",
        str(DATA / "observations.csv"),
        "--max-reject-rate",
        "0.5",
    ]
    ingest(store, *args)
    before = Store.open(store).manifest.to_json()
    code, out, _ = ingest(store, *args)
    assert code == 0
    assert all(f["skipped"] for f in json.loads(out)["files"])
    assert Store.open(store).manifest.to_json() == before


def test_structural_errors_exit_2_and_commit_nothing(tmp_path: Path, key_env: str) -> None:
    store = tmp_path / "s"
    ingest(store, "--lines", str(DATA / "lines.csv"), "--max-reject-rate", "0.5")
    before = Store.open(store).manifest.to_json()
    bad = tmp_path / "bad.csv"
    bad.write_text("line_id;imei;observed_at\n+33600000001;860000010001013;2022-01-01T00:00:00Z\n")
    code, _, err = ingest(store, "--observations", str(bad))
    assert code == 2
    assert f"{bad}:1: column 1: wrong delimiter" in err
    missing = tmp_path / "missing.csv"
    missing.write_text("line_id,observed_at\nx,2022-01-01\n")
    code, _, err = ingest(store, "--observations", str(missing))
    assert code == 2 and "missing required column 'imei'" in err and f"{missing}:1" in err
    # Too many rejects: the default 1 % aborts, naming the first rejected row's line and column.
    code, _, err = ingest(store, "--observations", str(DATA / "observations.csv"))
    assert code == 2
    assert "observations.csv:16: column imei:" in err and "max-reject-rate" in err
    assert "Traceback" not in err and "+336" not in err
    assert Store.open(store).manifest.to_json() == before


def test_missing_key_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVICEPARK_KEY", raising=False)
    code, _, err = ingest(tmp_path / "s", "--lines", str(DATA / "lines.csv"))
    assert code == 2 and "devicepark key new" in err
    assert not (tmp_path / "s").exists()


def test_gzip_and_parquet_inputs_give_the_same_store(tmp_path: Path, key_env: str) -> None:
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    ingest(plain, "--lines", str(DATA / "lines.csv"), "--max-reject-rate", "0.5")
    gz = tmp_path / "lines.csv.gz"
    gz.write_bytes(gzip.compress((DATA / "lines.csv").read_bytes()))
    ingest(packed, "--lines", str(gz), "--max-reject-rate", "0.5")
    a = Store.open(plain).read("lines").drop_columns(["ingest_seq"]).sort_by("line")
    b = Store.open(packed).read("lines").drop_columns(["ingest_seq"]).sort_by("line")
    assert a.equals(b)
    pq_path = tmp_path / "lines.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{DATA / 'lines.csv'}', all_varchar=true)) "
        f"TO '{pq_path}' (FORMAT parquet)"
    )
    ingest(tmp_path / "pq", "--lines", str(pq_path), "--max-reject-rate", "0.5")
    c = Store.open(tmp_path / "pq").read("lines").drop_columns(["ingest_seq"]).sort_by("line")
    assert a.equals(c)


def test_late_data_and_split_files_give_the_same_tenures(tmp_path: Path, key_env: str) -> None:
    rows = (DATA / "observations.csv").read_text(encoding="utf-8").splitlines()
    header, body = rows[0], rows[1:]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("\n".join([header, *body[:7]]) + "\n", encoding="utf-8")
    second.write_text("\n".join([header, *body[7:]]) + "\n", encoding="utf-8")
    one, split = tmp_path / "one", tmp_path / "split"
    for s in (one, split):
        ingest(s, "--lines", str(DATA / "lines.csv"), "--max-reject-rate", "0.5")
    ingest(one, "--observations", str(DATA / "observations.csv"), "--max-reject-rate", "0.5")
    ingest(split, "--observations", str(second), "--max-reject-rate", "0.5")  # newer part first
    ingest(split, "--observations", str(first), "--max-reject-rate", "0.5")
    key = ["line", "seq"]
    a = Store.open(one).read("tenures").sort_by([(k, "ascending") for k in key])
    b = Store.open(split).read("tenures").sort_by([(k, "ascending") for k in key])
    assert a.equals(b)
    # every file written has the store's own column types (no engine type leaking through)
    import pyarrow.parquet as pq

    from devicepark.store.schema import SCHEMAS

    for store in (one, split):
        st = Store.open(store)
        for table, schema in SCHEMAS.items():
            for path in st.files(table):
                got = pq.read_schema(path)
                assert got.names == schema.names, (table, path)
                assert got.types == schema.types, (table, path, got.types)


def test_console_script_one_line_error(tmp_path: Path, key_env: str) -> None:
    exe = shutil.which("devicepark")
    cmd = [exe] if exe else [sys.executable, "-m", "devicepark.cli.main"]
    proc = subprocess.run(
        [*cmd, "ingest", "--store", str(tmp_path / "s"), "--lines", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "nope.csv" in proc.stderr
