"""Several files of each kind in one run (the normal delivery: one file per day or per probe).

One run over files split by kind and mixed in format (CSV, CSV.gz, Parquet) must give the same
store content and the same answers as one run over the concatenated files. Checked on the
hand-made messy fixture (bad rows, duplicates, orphans, DST times, a conflicting line) and on a
synthetic operator the tests did not write, through the CLI and through the Python API that the
faces call (``ingest.run.ingest`` then ``answers``).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from devicepark import answers
from devicepark.cli.main import app
from devicepark.ingest.run import ingest as run_ingest
from devicepark.questions import BaseQuestion, SeriesQuestion, SwitchesQuestion
from devicepark.store import Store
from devicepark.store.engine import connect, duckdb_connection, open_tables
from devicepark.synth import generate

CORE = Path(__file__).resolve().parents[1] / "data" / "core"
KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
runner = CliRunner()


# -- files ---------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write rows as CSV, CSV.gz or Parquet (every column text), chosen by the suffix."""
    if path.suffix == ".parquet":
        cols = {h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(header)}
        pq.write_table(pa.table(cols), path)
        return path
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    data = buf.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def split(rows: list[list[str]], parts: int, by_key: int | None) -> list[list[list[str]]]:
    """``parts`` groups in file order: contiguous chunks, or by a column (so all rows of one key,
    e.g. a conflicting repeat of a line, stay in one file as they are in one export)."""
    if by_key is None:
        size = -(-len(rows) // parts)
        return [rows[i * size : (i + 1) * size] for i in range(parts)]
    groups: list[list[list[str]]] = [[] for _ in range(parts)]
    for r in rows:
        groups[sum(map(ord, r[by_key][-2:])) % parts].append(r)
    return groups


SUFFIXES = (".csv", ".csv.gz", ".parquet")


def make_split(src: dict[str, Path], out: Path) -> dict[str, list[Path]]:
    """Each kind in 2-3 files of mixed formats, plus each kind concatenated into one CSV."""
    out.mkdir(parents=True, exist_ok=True)
    plan = {"tac": (2, None), "lines": (3, 0), "observations": (3, None)}
    files: dict[str, list[Path]] = {}
    for kind, (parts, by_key) in plan.items():
        header, rows = read_rows(src[kind])
        pieces = [p for p in split(rows, parts, by_key) if p]
        assert len(pieces) >= 2
        files[kind] = [
            write(out / f"{kind}-{i}{SUFFIXES[(i + len(kind)) % 3]}", header, piece)
            for i, piece in enumerate(pieces)
        ]
        files[f"{kind}-whole"] = [write(out / f"{kind}-whole.csv", header, rows)]
    return files


# -- comparing stores ----------------------------------------------------------------------

IGNORED = {"ingest_seq", "import_seq", "source", "file", "line_no"}  # where a row came from


def content(store: Path) -> dict[str, Counter]:
    """Each table as a multiset of rows, without the columns that name the input file."""
    st = Store.open(store)
    got = {}
    for table in ("catalog", "lines", "observations", "tenures", "quarantine"):
        data = st.read(table)
        keep = [c for c in data.column_names if c not in IGNORED]
        got[table] = Counter(tuple(sorted(r.items())) for r in data.select(keep).to_pylist())
    return got


def totals(files: list[dict[str, Any]]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for f in files:
        c = out.setdefault(f["kind"], Counter())
        for k in ("rows", "accepted", "rejected", "duplicates", "orphans"):
            c[k] += f[k]
        c.update({f"reason:{k}": v for k, v in f["reasons"].items()})
    return out


def figures(store: Path) -> dict[str, Any]:
    con = connect("duckdb")
    t = open_tables(con, Store.open(store))
    return {
        "base": answers.base(con, t, BaseQuestion.parse("2022-02-03", by="vendor, operator_brand")),
        "base_model": answers.base(
            con, t, BaseQuestion.parse("2022-01-25", by="model", unit="customers")
        ),
        "series": answers.series(
            con, t, SeriesQuestion.parse("2021-12-01", "2022-03-31", "week", by="vendor")
        ),
        "switches": answers.switches(con, t, SwitchesQuestion.parse("2021-12-15", "2022-02-03")),
    }


def cli_ingest(store: Path, files: dict[str, list[Path]], suffix: str = "") -> dict[str, Any]:
    args = ["ingest", "--store", str(store), "--format", "json", "--max-reject-rate", "1"]
    for kind in ("tac", "lines", "observations"):
        for p in files[kind + suffix]:
            args += [f"--{kind}", str(p)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def api_ingest(store: Path, files: dict[str, list[Path]], suffix: str = "") -> dict[str, Any]:
    con = duckdb_connection()
    try:
        report = run_ingest(
            Store.create(store),
            con,
            KEY,
            tac=files["tac" + suffix],
            lines=files["lines" + suffix],
            observations=files["observations" + suffix],
            max_reject_rate=1.0,
        )
    finally:
        con.close()
    return {"files": report.files, "version": report.version}


# -- the cases -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth_src(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("multi_synth")
    generate(out, lines=1500, seed=7, start=dt.date(2021, 9, 1), end=dt.date(2022, 3, 31))
    return {
        "tac": out / "tac.csv",
        "lines": out / "lines.csv",
        "observations": out / "observations.csv",
    }


CORE_SRC = {
    "tac": CORE / "tac.csv",
    "lines": CORE / "lines.csv",
    "observations": CORE / "observations.csv",
}


def check_same(split_store: Path, whole_store: Path, split_rep: dict, whole_rep: dict) -> None:
    assert len(split_rep["files"]) > len(whole_rep["files"])
    for f in split_rep["files"]:
        assert f["rows"] == f["accepted"] + f["rejected"] + f["duplicates"] + f["orphans"]
    assert totals(split_rep["files"]) == totals(whole_rep["files"])
    a, b = content(split_store), content(whole_store)
    for table in a:
        assert a[table] == b[table], table
    assert figures(split_store) == figures(whole_store)


@pytest.mark.parametrize("face", ["cli", "api"])
def test_messy_fixture_in_several_files(tmp_path: Path, key_env: str, face: str) -> None:
    files = make_split(CORE_SRC, tmp_path / "in")
    run = cli_ingest if face == "cli" else api_ingest
    split_rep = run(tmp_path / "split", files)
    whole_rep = run(tmp_path / "whole", files, "-whole")
    check_same(tmp_path / "split", tmp_path / "whole", split_rep, whole_rep)
    # The fixture's messy rows are all there, whichever file they fell in (worked out by hand in
    # test_ingest.py): 10 lines kept; 6 observations and 4 lines rejected; one orphan.
    t = totals(split_rep["files"])
    assert (t["lines"]["accepted"], t["lines"]["rejected"]) == (10, 4)
    assert (t["observations"]["rejected"], t["observations"]["orphans"]) == (6, 1)
    assert t["lines"]["reason:conflicting_duplicate"] == 1
    assert t["observations"]["reason:nonexistent_local_time"] == 1


@pytest.mark.parametrize("face", ["cli", "api"])
def test_synthetic_operator_in_several_files(
    tmp_path: Path, key_env: str, face: str, synth_src: dict[str, Path]
) -> None:
    files = make_split(synth_src, tmp_path / "in")
    run = cli_ingest if face == "cli" else api_ingest
    split_rep = run(tmp_path / "split", files)
    whole_rep = run(tmp_path / "whole", files, "-whole")
    check_same(tmp_path / "split", tmp_path / "whole", split_rep, whole_rep)
    base = figures(tmp_path / "split")["base"]
    assert base["total_lines"] > 500 and base["identified_lines"] > 0


def test_each_file_its_own_run_gives_the_same_figures(
    tmp_path: Path, key_env: str, synth_src: dict[str, Path]
) -> None:
    """Nightly deliveries: one run per observations file, after the lines and catalogs."""
    files = make_split(synth_src, tmp_path / "in")
    con = duckdb_connection()
    st = Store.create(tmp_path / "nightly")
    run_ingest(st, con, KEY, tac=files["tac"], lines=files["lines"], max_reject_rate=1.0)
    for p in files["observations"]:
        run_ingest(
            Store.open(tmp_path / "nightly"), con, KEY, observations=[p], max_reject_rate=1.0
        )
    con.close()
    api_ingest(tmp_path / "whole", files, "-whole")
    assert figures(tmp_path / "nightly") == figures(tmp_path / "whole")
    a, b = content(tmp_path / "nightly"), content(tmp_path / "whole")
    assert a["tenures"] == b["tenures"] and a["observations"] == b["observations"]


def test_catalogs_read_gzip_and_parquet(tmp_path: Path) -> None:
    from devicepark.identify.catalog import read_catalog

    header, rows = read_rows(CORE / "tac.csv")
    plain = read_catalog(CORE / "tac.csv").table
    for suffix in (".csv.gz", ".parquet"):
        got = read_catalog(write(tmp_path / f"tac{suffix}", header, rows)).table
        assert got.drop_columns(["source"]).equals(plain.drop_columns(["source"])), suffix
