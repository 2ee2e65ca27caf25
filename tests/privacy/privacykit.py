"""The attack suite's kit: a synthetic store with many small cells, ingested through the CLI;
the public app and its relaxed twin (to show that the perturbation alone defeats an attack the
bounds refuse); and the one check every attack ends with (:func:`assert_defeated`)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from pathlib import Path
from typing import Any

import anyio
import httpx
from typer.testing import CliRunner

from devicepark.publish.cellkey import MAX_NOISE, stats

KEY = "3c1f0e2d4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1aa"
TOKEN = "privacy-test-token-0123456789abcdef-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = ROOT / "examples" / "semaine-xiaomi-2022.toml"
SUNDAY = "2022-02-06"
VARIANCE = stats()["variance"]


def cli(*args: str) -> bytes:
    """``devicepark ARGS`` in-process; its stdout bytes (fails on a non-zero exit)."""
    from devicepark.cli.main import app

    env = {"DEVICEPARK_KEY": KEY, "DEVICEPARK_PROGRESS": "0", "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, f"{args}: {result.output}{result.exception!r}"
    return result.stdout_bytes


def build(root: Path, lines: int = 12000) -> Path:
    """A synthetic operator (``devicepark.synth.generate``) ingested by ``devicepark ingest``,
    with the example campaign planted and its file in the store's campaigns folder."""
    from devicepark.synth import generate

    data = root / "export"
    generate(data, lines=lines, seed=17, start=dt.date(2021, 9, 1), end=dt.date(2022, 3, 31),
             campaign=CAMPAIGN, uplift=0.5)  # fmt: skip
    store = root / "store"
    cli("ingest", "--store", str(store), "--tac", str(data / "tac.csv"),
        "--lines", str(data / "lines.csv"), "--observations", str(data / "observations.csv"),
        "--format", "json")  # fmt: skip
    (store / "campaigns").mkdir()
    (store / "campaigns" / "semaine.toml").write_bytes(CAMPAIGN.read_bytes())
    return store


def get(app: Any, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url, headers=headers)

    return anyio.run(go)


def public(app: Any, url: str) -> dict[str, Any]:
    """An anonymous answer (must be a perturbed 200)."""
    r = get(app, url)
    assert r.status_code == 200, r.text
    assert r.headers["x-devicepark-figures"] == "perturbed"
    return r.json()


def exact(app: Any, url: str) -> dict[str, Any]:
    """The internal (token) answer: the truth the attacks try to reach."""
    r = get(app, url, AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["x-devicepark-figures"] == "exact"
    return r.json()


def refused(app: Any, url: str, bound: str) -> str:
    """A 400 naming the bound."""
    r = get(app, url)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "outside_public_bounds" and bound in error["message"], error
    return str(error["message"])


def counts(answer: dict[str, Any], by: list[str], count: str = "lines") -> dict[tuple, Any]:
    return {tuple(g[k] for k in by): g[count] for g in answer["groups"]}


def assert_defeated(recovered: list[int], truth: list[int], cells: list[int]) -> dict[str, Any]:
    """An attack failed: most recovered values differ from the truth, and each error is what
    the documented noise allows: at most MAX_NOISE per published cell the attack combined, and
    a root mean square of the order of the p-table's standard deviation per cell (up to twice
    it: cells shown because their noise lifted them over the threshold bias a difference).

    Only non-zero counts are attacked: a cell without lines is a true zero, published as 0
    everywhere (PRIVACY.md: zeros stay zero)."""
    assert len(recovered) == len(truth) == len(cells)
    assert all(t > 0 for t in truth), "a true zero is not a hidden count"
    assert len(recovered) >= 5, f"too few hidden cells to attack ({len(recovered)})"
    errors = [r - t for r, t in zip(recovered, truth, strict=True)]
    hits = sum(e == 0 for e in errors)
    assert hits < len(errors) / 2, f"{hits} of {len(errors)} hidden counts recovered exactly"
    for e, k in zip(errors, cells, strict=True):
        assert abs(e) <= MAX_NOISE * k, (e, k)
    rms = statistics.fmean(e * e for e in errors) ** 0.5
    sd = statistics.fmean(k * VARIANCE for k in cells) ** 0.5
    assert 0.3 * sd < rms <= 2.0 * sd, (rms, sd)
    return {"n": len(errors), "exact": hits, "rms": rms, "sd": sd}


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)
