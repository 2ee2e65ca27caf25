"""``/v1/campaigns/{id}/results`` on a small synthetic operator (two and a half years of data): the
same bytes as ``devicepark campaign measure --format json``, with and without the holdout."""

from __future__ import annotations

import pytest
from apikit import AUTH, CAMPAIGN_ID, TOKEN, cli, get

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory):
    from devicepark.campaign.spec import EXAMPLE
    from devicepark.synth import generate

    root = tmp_path_factory.mktemp("synth")
    data = generate(root / "data", lines=3000, seed=7)
    store = root / "store"
    cli("ingest", "--store", str(store), "--lines", str(data.lines_path), "--observations",
        str(data.observations_path), "--tac", str(data.tac_path), "--max-reject-rate", "0.5")
    (store / "campaigns").mkdir()
    (store / "campaigns" / "semaine.toml").write_text(EXAMPLE, encoding="utf-8")
    return store


def test_results_bytes_equal_the_cli(synth_store, api_env, tmp_path):
    from devicepark.api.app import create_app

    app = create_app(synth_store, token=TOKEN)
    file = str(synth_store / "campaigns" / "semaine.toml")
    _, out, _ = cli("campaign", "measure", file, "--store", str(synth_store), "--after-days", "14",
                    "--format", "json")
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/results?after_days=14", AUTH)
    assert r.status_code == 200, r.text
    assert r.content == out
    assert r.json()["holdout"] is None

    audience = tmp_path / "aud.parquet"
    cli("campaign", "audience", file, "--store", str(synth_store), "--out", str(audience))
    _, out, _ = cli("campaign", "measure", file, "--store", str(synth_store), "--audience",
                    str(audience), "--format", "json")
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/results?holdout=true", AUTH)
    assert r.status_code == 200, r.text
    assert r.content == out
    assert set(r.json()["holdout"]) >= {"treatment", "holdout", "difference", "low", "high"}


def test_holdout_and_audience_refuse_another_key(synth_store, api_env, monkeypatch):
    """The server's DEVICEPARK_KEY must be the store's: another key's pseudonyms would split
    the audience into lines that do not exist. Refused, naming neither key nor path."""
    from devicepark.api.app import create_app

    monkeypatch.setenv("DEVICEPARK_KEY", bytes(range(100, 132)).hex())
    app = create_app(synth_store, token=TOKEN)
    for url in (f"/v1/campaigns/{CAMPAIGN_ID}/results?holdout=true",
                f"/v1/campaigns/{CAMPAIGN_ID}/audience?format=csv"):  # fmt: skip
        r = get(app, url, AUTH)
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text[:200])
        message = r.json()["error"]["message"]
        assert "another pseudonymisation key" in message, message
        assert str(synth_store) not in message and bytes(range(100, 132)).hex() not in message
    ok = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/results", AUTH)  # no key needed without holdout
    assert ok.status_code == 200, ok.text
