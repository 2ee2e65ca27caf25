"""The store's format version: what this release reads, refuses and upgrades, and how."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.errors import StoreError
from devicepark.store import Store
from devicepark.store import upgrade as upgrade_mod
from devicepark.store.schema import DAILY
from devicepark.store.store import FORMAT, MANIFEST

DATA = Path(__file__).resolve().parents[1] / "data" / "core"
runner = CliRunner()
OLDER = "devicepark-store/0"  # a format older than any release wrote, upgraded by a test step


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def store(tmp_path: Path, key_env: str) -> Path:
    s = tmp_path / "store"
    files = [
        a for k in ("tac", "lines", "observations") for a in (f"--{k}", str(DATA / f"{k}.csv"))
    ]
    code, _, err = cli("ingest", "--store", str(s), *files, "--max-reject-rate", "0.5")
    assert code == 0, err
    return s


def set_format(store: Path, fmt: str) -> None:
    """Rewrite the manifest's format, as a store written by a release of that format has it."""
    manifest = json.loads((store / MANIFEST).read_text())
    manifest["format"] = fmt
    (store / MANIFEST).write_text(json.dumps(manifest, indent=2))


def answers(store: Path) -> list[dict]:
    """A few answers that touch every table: base by vendor and by operator brand, a series."""
    asked = [
        ("base", "--as-of", "2022-02-03"),
        ("base", "--as-of", "2022-01-20", "--by", "operator_brand", "--include-m2m"),
        ("series", "--from", "2021-12-01", "--to", "2022-02-28", "--every", "week"),
    ]
    got = []
    for args in asked:
        code, out, err = cli(*args, "--store", str(store), "--format", "json")
        assert code == 0, err
        got.append(json.loads(out))
    return got


@pytest.fixture
def older(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Register a test upgrade from OLDER to this release's format; return what it saw."""
    seen: list[str] = []
    monkeypatch.setitem(
        upgrade_mod.UPGRADES, OLDER, (FORMAT, lambda tx: seen.append(tx.base.format))
    )
    return seen


def as_release_1(store: Path) -> None:
    """Rewrite a store the way devicepark-store/1 (the release before the tenures' open part)
    wrote it: the tenures in one file, no parts in the manifest, format devicepark-store/1."""
    s = Store.open(store)
    one = store / "tables" / "tenures" / "release-1.parquet"
    pq.write_table(pa.concat_tables(pq.read_table(f) for f in s.files("tenures")), one)
    manifest = json.loads((store / MANIFEST).read_text())
    manifest["tables"]["tenures"] = [one.relative_to(store).as_posix()]
    del manifest["parts"]
    manifest["tables"].pop("daily", None)
    manifest["format"] = "devicepark-store/1"
    (store / MANIFEST).write_text(json.dumps(manifest, indent=2))


def test_a_release_1_store_is_upgraded_and_answers_the_same(
    store: Path, check_open_part: Callable[[Path], None]
) -> None:
    check_open_part(store)
    expected = answers(store)
    as_release_1(store)
    version = Store.open(store).version
    assert answers(store) == expected
    code, out, _ = cli("store", "upgrade", "--store", str(store))
    assert code == 0
    assert out.strip() == (
        f"store {store} upgraded from devicepark-store/1 to {FORMAT} (version {version + 1})"
    )
    check_open_part(store)
    assert answers(store) == expected


def as_release_2(store: Path) -> None:
    """Rewrite a store the way devicepark-store/2 (the release before the daily aggregate) wrote
    it: no daily table, format devicepark-store/2."""
    manifest = json.loads((store / MANIFEST).read_text())
    assert manifest["tables"].pop("daily")  # this release's ingest wrote it
    manifest["parts"].pop("daily")
    manifest["format"] = "devicepark-store/2"
    (store / MANIFEST).write_text(json.dumps(manifest, indent=2))


def test_a_release_2_store_gets_the_daily_aggregate_in_its_upgrade(store: Path) -> None:
    expected = answers(store)
    built = pa.concat_tables(pq.read_table(f).cast(DAILY) for f in Store.open(store).files("daily"))
    as_release_2(store)
    assert not Store.open(store).files("daily") and answers(store) == expected
    code, out, _ = cli("store", "upgrade", "--store", str(store))
    assert code == 0 and "upgraded from devicepark-store/2 to devicepark-store/3" in out
    after = Store.open(store)
    assert after.format == FORMAT == "devicepark-store/3"
    # the same aggregate as the ingest built (one first build: the same rows), same answers
    rebuilt = pa.concat_tables(pq.read_table(f).cast(DAILY) for f in after.files("daily"))
    assert built.num_rows > 0
    assert sorted(rebuilt.to_pylist(), key=str) == sorted(built.to_pylist(), key=str)
    assert answers(store) == expected


def test_the_first_ingest_upgrades_a_release_1_store(
    store: Path, tmp_path: Path, check_open_part: Callable[[Path], None]
) -> None:
    as_release_1(store)
    night = tmp_path / "night.csv"
    night.write_text("line_id,imei,observed_at\n+33600000001,860000010001013,2022-02-10T01:00Z\n")
    code, _, err = cli("ingest", "--store", str(store), "--observations", str(night))
    assert code == 0, err
    assert f"upgraded from devicepark-store/1 to {FORMAT}" in err
    assert Store.open(store).format == FORMAT
    check_open_part(store)


@pytest.mark.parametrize("fmt", ["devicepark-store/99", "devicepark-store/1000"])
def test_a_newer_format_is_refused_in_one_line(store: Path, fmt: str) -> None:
    set_format(store, fmt)
    with pytest.raises(StoreError, match="newer devicepark"):
        Store.open(store)
    for args in (("base", "--as-of", "2022-02-03"), ("store", "upgrade")):
        code, out, err = cli(*args, "--store", str(store))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and str(store) in err and fmt in err and FORMAT in err, err


@pytest.mark.parametrize("fmt", ["parquet-lake/1", "devicepark-store/x", None])
def test_an_unknown_format_is_refused(store: Path, fmt: str | None) -> None:
    set_format(store, fmt)  # type: ignore[arg-type]
    code, out, err = cli("base", "--as-of", "2022-02-03", "--store", str(store))
    assert code == 2 and err.startswith("error: ") and "not a devicepark store manifest" in err


def test_an_old_format_with_no_upgrade_is_refused(store: Path) -> None:
    set_format(store, OLDER)  # no upgrade registered for it
    code, _, err = cli("base", "--as-of", "2022-02-03", "--store", str(store))
    assert code == 2 and OLDER in err and FORMAT in err and "neither read nor upgrade" in err


def test_a_current_store_is_left_as_it_is(store: Path) -> None:
    before = (store / MANIFEST).read_text()
    code, out, _ = cli("store", "upgrade", "--store", str(store))
    assert (
        code == 0 and out.strip() == f"store {store} is already at format {FORMAT}; nothing to do"
    )
    assert (store / MANIFEST).read_text() == before


def test_upgrade_command_upgrades_in_one_commit_and_answers_the_same(
    store: Path, older: list[str]
) -> None:
    expected = answers(store)
    set_format(store, OLDER)
    version = Store.open(store).version
    assert Store.open(store).format == OLDER
    assert answers(store) == expected  # an older store this release upgrades is still read
    code, out, _ = cli("store", "upgrade", "--store", str(store))
    assert code == 0, out
    assert out.strip() == f"store {store} upgraded from {OLDER} to {FORMAT} (version {version + 1})"
    assert older == [OLDER]
    after = Store.open(store)
    assert (after.format, after.version) == (FORMAT, version + 1)
    assert json.loads((store / MANIFEST).read_text())["format"] == FORMAT
    assert answers(store) == expected
    code, out, _ = cli("store", "upgrade", "--store", str(store))
    assert code == 0 and "nothing to do" in out and older == [OLDER]


def test_a_writer_other_than_the_upgrade_is_refused_on_an_older_store(
    store: Path, older: list[str]
) -> None:
    set_format(store, OLDER)
    with pytest.raises(StoreError, match="devicepark store upgrade"):
        with Store.open(store).transaction():
            pass
    assert Store.open(store).format == OLDER and older == []


def test_the_first_ingest_upgrades_and_says_so(store: Path, older: list[str]) -> None:
    expected = answers(store)
    set_format(store, OLDER)
    version = Store.open(store).version
    again = ("--observations", str(DATA / "observations.csv"), "--max-reject-rate", "0.5")
    code, _, err = cli("ingest", "--store", str(store), *again)
    assert code == 0, err
    assert f"store {store} upgraded from {OLDER} to {FORMAT}" in err
    after = Store.open(store)
    # the upgrade's commit; the file was ingested already, so the ingest itself changes nothing
    assert after.format == FORMAT and after.version == version + 1
    assert answers(store) == expected and older == [OLDER]
