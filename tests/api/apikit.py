"""Helpers of the API tests: build the store with the CLI, call the app through httpx's ASGI
transport, run a CLI command and capture its stdout bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
from typer.testing import CliRunner

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
TOKEN = "test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CORE = Path(__file__).resolve().parents[1] / "data" / "core"
CAMPAIGN_ID = "semaine-xiaomi-2022"
BASE_URL = "/v1/base?as_of=2022-02-03"


def cli(*args: str, ok: bool = True) -> tuple[int, bytes, str]:
    """Run ``devicepark ARGS`` in-process; (exit code, stdout bytes, stderr text)."""
    from devicepark.cli.main import app

    runner = CliRunner()
    env = {"DEVICEPARK_KEY": KEY, "DEVICEPARK_PROGRESS": "0", "COLUMNS": "200"}
    result = runner.invoke(app, list(args), env=env)
    if ok and result.exit_code != 0:
        raise AssertionError(f"devicepark {' '.join(args)} exited {result.exit_code}: "
                             f"{result.output}{result.exception!r}")
    return result.exit_code, result.stdout_bytes, result.stderr


def build_core_store(store: Path) -> Path:
    cli("ingest", "--store", str(store), "--lines", str(CORE / "lines.csv"),
        "--observations", str(CORE / "observations.csv"), "--tac", str(CORE / "tac.csv"),
        "--max-reject-rate", "0.5")
    from devicepark.campaign.spec import EXAMPLE

    (store / "campaigns").mkdir()
    (store / "campaigns" / "semaine.toml").write_text(EXAMPLE, encoding="utf-8")
    (store / "campaigns" / "broken.toml").write_text('id = "x"\nbogus = 1\n', encoding="utf-8")
    return store


def get(app: Any, url: str, headers: dict[str, str] | None = None,
        params: Any = None) -> httpx.Response:
    """GET through httpx's ASGI transport (server errors come back as responses)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url, headers=headers, params=params)

    return anyio.run(go)


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    """The one error shape, exactly; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert list(data) == ["error"]
    assert list(data["error"]) == ["status", "code", "message"]
    assert data["error"]["status"] == status
    assert data["error"]["code"] == code
    assert isinstance(data["error"]["message"], str) and data["error"]["message"]
    return data["error"]["message"]

