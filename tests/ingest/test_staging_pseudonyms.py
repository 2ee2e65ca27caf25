"""Staging pseudonymises each slice inside DuckDB (``staging.Pseudonyms``): whatever the slicing,
it stages the same rows and rejections, and every pseudonym is the reference HMAC's
(``pseudonym.pseudonym``); the local date is the instant's date in the store's zone."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from devicepark.ingest import staging
from devicepark.ingest.pseudonym import pseudonym
from devicepark.ingest.readers import open_input
from devicepark.ingest.reconcile import FileReport, Quarantine
from devicepark.store.engine import duckdb_connection

KEY = bytes.fromhex("3c9e1f7a20d4b68e5f0a7c3d91e2b84f" * 2)
NOW = dt.datetime(2022, 7, 1, tzinfo=dt.UTC)
OBS = staging.OBS_PSEUDONYMS


class _Files:
    """What ``Quarantine`` needs of a transaction: a new file path."""

    def __init__(self, root: Path) -> None:
        self.root, self.n = root, 0

    def new_path(self, table: str) -> Path:
        self.n += 1
        return self.root / f"{table}-{self.n}.parquet"


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _export(path: Path, seed: int, rows: int) -> None:
    rng = random.Random(seed)
    lines = [f"+336{rng.randrange(10**8):08d}" for _ in range(40)] + ["06 12 34 56 78", "L-42"]
    imeis = [_luhn(f"35{rng.randrange(10**12):012d}") for _ in range(30)]
    imeis += ["123", "35-209900-176148-1"]
    stamps = [
        "2022-03-27T02:30:00",
        "2022-01-01 10:00",
        "bad",
        "",
        "2022-05-01T10:00:00+02:00",
        "2030-01-01T00:00:00Z",
    ]  # nonexistent, naive, bad, missing, offset, future
    out = ["line_id,imei,observed_at"]
    for _ in range(rows):
        day = f"2022-0{rng.randint(1, 6)}-{rng.randint(10, 28)}"
        stamp = f"{day}T{rng.randint(10, 23)}:0{rng.randint(0, 9)}:00"
        if rng.random() < 0.2:
            stamp = rng.choice(stamps)
        line = rng.choice(lines) if rng.random() < 0.97 else ""
        out.append(f"{line},{rng.choice(imeis)},{stamp}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _stage(tmp: Path, src: Path) -> tuple[pa.Table, pa.Table]:
    info = open_input(src, staging.OBS_REQUIRED, "observations", staging.OBS_COLUMNS)
    rep = FileReport(file=str(src), kind="observations")
    quarantine = Quarantine(_Files(tmp), 1, "observations", str(src))  # type: ignore[arg-type]
    stage = tmp / "stage.parquet"
    con = duckdb_connection()
    sql = staging.observations_sql("33", "Europe/Paris", NOW)
    staging.stage_rows(
        con, info, staging.OBS_COLUMNS, sql, stage, rep, quarantine, 1.0, lambda *a, **k: None,
        lambda t: staging.imei_parts(staging.id_parts(t, "33")),
        pseudonyms=staging.Pseudonyms(KEY, OBS),
    )  # fmt: skip
    path = quarantine.close(con)
    rejected = pq.read_table(path) if path else pa.table({})
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]
    return pq.read_table(stage).sort_by("line_no"), rejected


def _reference(src: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Per export line number: the reference pseudonyms of its line and IMEI, where well-formed."""
    rows = [r.split(",") for r in src.read_text(encoding="utf-8").splitlines()[1:]]
    lines, handsets = {}, {}
    for no, (line, imei, _) in enumerate(rows, start=2):
        if line:
            canon = "+33612345678" if line == "06 12 34 56 78" else line
            lines[no] = pseudonym(KEY, "line", canon)
        digits = imei.replace("-", "")  # "35-209900-176148-1" is spelt with dashes
        if digits.isdigit() and len(digits) == 15:
            handsets[no] = pseudonym(KEY, "handset", digits[:14])
    return lines, handsets


@pytest.mark.parametrize("seed", [1, 2])
def test_each_slicing_stages_the_same_rows_with_the_reference_pseudonyms(
    tmp_path, monkeypatch, seed
) -> None:
    src = tmp_path / "obs.csv"
    _export(src, seed, 1500)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    whole = _stage(tmp_path / "a", src)
    monkeypatch.setattr(staging, "SLICE_ROWS", 97)  # many slices, each hashed on its own
    sliced = _stage(tmp_path / "b", src)
    assert whole[0].num_rows > 1000 and whole[1].num_rows > 100
    assert sliced[0].equals(whole[0])
    assert sliced[1].equals(whole[1])
    lines, handsets = _reference(src)
    for row in sliced[0].select(["line_no", "line", "handset"]).to_pylist():
        assert row["line"] == lines[row["line_no"]]
        assert row["handset"] == handsets[row["line_no"]]
    assert len(set(sliced[0]["line"].to_pylist())) >= 40


@pytest.mark.parametrize(
    "tz, day",
    [
        ("Europe/Paris", "2022-10-30"),  # fall back 03:00 -> 02:00
        ("Europe/Paris", "2022-03-27"),  # spring forward 02:00 -> 03:00
        ("America/Sao_Paulo", "2018-02-17"),  # fall back at midnight: 24:00 -> 23:00
        ("America/Sao_Paulo", "2018-11-04"),  # spring forward at midnight: no 00:xx
    ],
)
def test_local_date_is_the_date_of_the_instant_in_the_zone(tmp_path, tz, day) -> None:
    from zoneinfo import ZoneInfo

    base = dt.datetime.fromisoformat(day) - dt.timedelta(hours=3)
    stamps = [base + dt.timedelta(minutes=20 * i) for i in range(20)]
    rows = [
        f"+3361234{i:04d},{_luhn('35209900176148')},{s:%Y-%m-%dT%H:%M:%S}"
        for i, s in enumerate(stamps)
    ]
    rows += [
        f"+3361235{i:04d},{_luhn('35209900176148')},{s:%Y-%m-%dT%H:%M:%S}-02:00"
        for i, s in enumerate(stamps)
    ]
    src = tmp_path / "obs.csv"
    src.write_text("line_id,imei,observed_at\n" + "\n".join(rows) + "\n", encoding="utf-8")
    info = open_input(src, staging.OBS_REQUIRED, "observations", staging.OBS_COLUMNS)
    rep = FileReport(file=str(src), kind="observations")
    quarantine = Quarantine(_Files(tmp_path), 1, "observations", str(src))  # type: ignore[arg-type]
    sql = staging.observations_sql("33", tz, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    staging.stage_rows(
        duckdb_connection(), info, staging.OBS_COLUMNS, sql, tmp_path / "s.parquet", rep,
        quarantine, 1.0, lambda *a, **k: None,
        lambda t: staging.imei_parts(staging.id_parts(t, "33")),
        pseudonyms=staging.Pseudonyms(KEY, OBS),
    )  # fmt: skip
    staged = pq.read_table(tmp_path / "s.parquet").to_pylist()
    assert len(staged) >= 36  # at most the nonexistent local times are rejected
    for row in staged:
        assert row["local_date"] == row["observed_at"].astimezone(ZoneInfo(tz)).date()


def test_lines_are_staged_with_the_reference_line_and_customer_pseudonyms(tmp_path) -> None:
    """A lines file goes through the same ``Pseudonyms`` as observations: each staged line and
    customer is the reference HMAC of its canonical id; an empty customer stays null, and a
    rejected row (a bad date) is not staged."""
    rows = ["line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on"]
    expected = {}
    for i in range(300):
        line, customer = f"+3361{i:07d}", (f"C{i % 40}" if i % 3 else "")
        bad = i % 50 == 7
        rows.append(f"{line},{customer},Orange,,,,{'2021-13-01' if bad else '2021-01-01'},")
        if not bad:
            expected[pseudonym(KEY, "line", line)] = (
                pseudonym(KEY, "customer", customer) if customer else None
            )
    rows.append("06 12 34 56 78,C1,Sosh,,,,2021-01-01,")  # a national spelling: canonical E.164
    expected[pseudonym(KEY, "line", "+33612345678")] = pseudonym(KEY, "customer", "C1")
    src = tmp_path / "lines.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    info = open_input(src, staging.LINE_REQUIRED, "lines", staging.LINE_COLUMNS)
    rep = FileReport(file=str(src), kind="lines")
    quarantine = Quarantine(_Files(tmp_path), 1, "lines", str(src))  # type: ignore[arg-type]
    stage = tmp_path / "stage.parquet"
    staging.stage_file(
        duckdb_connection(), "lines", info, stage, rep, quarantine, 1.0, lambda *a, **k: None,
        key=KEY, cc="33",
    )  # fmt: skip
    staged = pq.read_table(stage).select(["line", "customer"]).to_pylist()
    assert {r["line"]: r["customer"] for r in staged} == expected
    assert len(staged) == len(expected) == 295
