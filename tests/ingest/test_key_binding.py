"""One key per store (issue 18, item 2): the manifest records the key's fingerprint; ingest,
``campaign audience`` and the API's audience refuse another key with one line; a store made
before fingerprints gets one at its next ingest; keys with too little entropy are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.store import Store
from devicepark.store.store import key_fingerprint

CORE = Path(__file__).resolve().parents[1] / "data" / "core"
CAMPAIGN = Path(__file__).resolve().parents[2] / "examples" / "semaine-xiaomi-2022.toml"
KEY_A = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"  # tests/conftest.py
KEY_B = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"


def run(key: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"DEVICEPARK_KEY": key})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def ingest(key: str, store: Path, *files: str) -> tuple[int, str, str]:
    return run(key, "ingest", "--store", str(store), *files, "--max-reject-rate", "0.5",
               "--format", "json")  # fmt: skip


def total_lines(store: Path) -> int:
    code, out, err = run(KEY_A, "base", "--store", str(store), "--as-of", "2022-02-03",
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    return json.loads(out)["total_lines"]


def state(store: Path) -> dict[str, bytes]:
    return {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("key") / "store"
    files = ["--lines", str(CORE / "lines.csv"), "--observations", str(CORE / "observations.csv")]
    code, _, err = ingest(KEY_A, store, *files, "--tac", str(CORE / "tac.csv"))
    assert code == 0, err
    return store


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "store"
    shutil.copytree(built, dest)
    return dest


def test_the_manifest_records_the_fingerprint_not_the_key(store: Path) -> None:
    manifest = (store / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(manifest)["key_fingerprint"] == key_fingerprint(bytes.fromhex(KEY_A))
    assert KEY_A not in manifest and KEY_A[:16] not in manifest


def test_a_second_key_is_refused_and_counts_nothing_twice(store: Path, tmp_path: Path) -> None:
    before_lines = total_lines(store)
    again = tmp_path / "lines-again.csv"  # the same lines, other bytes (not skipped by its hash)
    again.write_bytes((CORE / "lines.csv").read_bytes() + b"\n")
    before = state(store)
    code, out, err = ingest(KEY_B, store, "--lines", str(again))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"error: {store}: this store was built with ")
    assert "another pseudonymisation key" in err and "Rotating the key" in err
    assert KEY_B not in err and KEY_A not in err
    assert state(store) == before
    assert total_lines(store) == before_lines
    code, _, err = ingest(KEY_A, store, "--lines", str(again))  # the store's key: duplicates
    assert code == 0, err
    assert total_lines(store) == before_lines


def test_a_store_without_fingerprint_gets_one_at_its_next_ingest(
    store: Path, tmp_path: Path
) -> None:
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    del manifest["key_fingerprint"]  # as the previous release wrote it
    (store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert Store.open(store).key_fingerprint is None
    again = tmp_path / "lines-again.csv"
    again.write_bytes((CORE / "lines.csv").read_bytes() + b"\n")
    code, _, err = ingest(KEY_A, store, "--lines", str(again))
    assert code == 0, err
    assert Store.open(store).key_fingerprint == key_fingerprint(bytes.fromhex(KEY_A))
    code, _, err = ingest(KEY_B, store, "--lines", str(CORE / "lines.csv"))
    assert code == 2 and "another pseudonymisation key" in err


def test_campaign_audience_refuses_another_key(store: Path, tmp_path: Path) -> None:
    args = ["campaign", "audience", str(CAMPAIGN), "--store", str(store), "--format", "json"]
    code, _, err = run(KEY_B, *args, "--out", str(tmp_path / "b.parquet"))
    assert code == 2 and err.count("\n") == 1, err
    assert "another pseudonymisation key" in err
    assert not (tmp_path / "b.parquet").exists()
    code, _, err = run(KEY_A, *args, "--out", str(tmp_path / "a.parquet"))
    assert code == 0, err


def test_the_api_audience_refuses_another_key(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from devicepark.api.app import create_app

    (store / "campaigns").mkdir()
    shutil.copy(CAMPAIGN, store / "campaigns" / "semaine.toml")
    token = "key-test-token-0123456789abcdef"
    url = "/v1/campaigns/semaine-xiaomi-2022/audience"

    def get(key: str) -> httpx.Response:
        monkeypatch.setenv("DEVICEPARK_KEY", key)
        api = create_app(store, token=token)

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(url, headers={"Authorization": f"Bearer {token}"})

        return anyio.run(go)

    refused = get(KEY_B)
    assert refused.status_code == 400, refused.text
    assert "another pseudonymisation key" in refused.json()["error"]["message"]
    assert get(KEY_A).status_code == 200


@pytest.mark.parametrize("key", ["00" * 32, "ab" * 32, "0123456789abcdef" * 4])
def test_ingest_refuses_a_key_with_too_little_entropy(key: str, tmp_path: Path) -> None:
    code, _, err = ingest(key, tmp_path / "s", "--lines", str(CORE / "lines.csv"))
    assert code == 2 and err.count("\n") == 1
    assert "too little entropy" in err and key not in err
    assert not (tmp_path / "s").exists()


def test_the_library_refuses_a_weak_key_too(tmp_path: Path) -> None:
    from devicepark.errors import ConfigError
    from devicepark.ingest.run import ingest as run_ingest
    from devicepark.store.engine import duckdb_connection

    with pytest.raises(ConfigError, match="too little entropy"):
        run_ingest(Store.create(tmp_path / "s"), duckdb_connection(), bytes(32),
                   lines=[CORE / "lines.csv"])  # fmt: skip


def test_key_new_writes_a_strong_key(tmp_path: Path) -> None:
    from devicepark.ingest.pseudonym import load_key

    code, _, err = run(KEY_A, "key", "new", "--out", str(tmp_path / "k"))
    assert code == 0, err
    key = load_key(tmp_path / "k")
    assert len(key) == 32 and len(set(key)) >= 16
