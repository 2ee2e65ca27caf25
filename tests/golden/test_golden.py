"""Golden outputs: the JSON of every command and endpoint on a fixed synthetic store, and the
report's HTML structure, frozen byte for byte.

Refactors must keep them identical; an issue that changes an output regenerates them on purpose
(``DEVICEPARK_UPDATE_GOLDEN=1 pytest tests/golden``) and the diff shows what changed.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import os
import re
from pathlib import Path

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from devicepark.publish import locale
from devicepark.synth import generate

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data"
ROOT = HERE.parents[1]
KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
TOKEN = "golden-token-0123456789abcdef0123456789"
UPDATE = os.environ.get("DEVICEPARK_UPDATE_GOLDEN") == "1"
# The market survey: each period's shares of these vendors, in this order.
MARKET_VENDORS = ("Apple", "Samsung", "Xiaomi", "Huawei", "Oppo")
MARKET_SHARES = {"2022-01": (30, 33, 20, 7, 5), "2022-02": (31, 32, 21, 6, 5)}
MARKET = "period,vendor,share,source\n" + "".join(
    f"{period},{vendor},{share},Test survey\n"
    for period, shares in MARKET_SHARES.items()
    for vendor, share in zip(MARKET_VENDORS, shares, strict=True)
)


def run(*args: str, ok: bool = True) -> bytes:
    from devicepark.cli.main import app

    env = {"DEVICEPARK_KEY": KEY, "DEVICEPARK_PROGRESS": "0", "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    if ok:
        assert result.exit_code == 0, f"{args}: {result.output}{result.exception!r}"
    return result.stdout_bytes


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("golden")
    data = root / "export"
    campaign = ROOT / "examples" / "semaine-xiaomi-2022.toml"
    generate(data, lines=3000, seed=20220203, start=dt.date(2021, 9, 1),
             end=dt.date(2022, 3, 31), campaign=campaign, uplift=0.3)
    store = root / "store"
    run("ingest", "--store", str(store), "--tac", str(data / "tac.csv"),
        "--lines", str(data / "lines.csv"), "--observations", str(data / "observations.csv"),
        "--format", "json")
    market = root / "market.csv"
    market.write_text(MARKET, encoding="utf-8")
    run("market", "import", str(market), "--store", str(store), "--name", "test-survey",
        "--source", "Test survey", "--format", "json")
    (store / "campaigns").mkdir()
    (store / "campaigns" / "semaine.toml").write_bytes(campaign.read_bytes())
    return {"root": root, "store": store, "campaign": campaign}


def commands(w: dict[str, Path]) -> dict[str, list[str]]:
    s = ["--store", str(w["store"])]
    camp = str(w["campaign"])
    j = ["--format", "json"]
    return {
        "base_vendor": ["base", *s, "--as-of", "2022-02-03", *j],
        "base_vendor_brand": ["base", *s, "--as-of", "2022-02-03", "--by",
                              "vendor,operator_brand", *j],
        "base_model_customers": ["base", *s, "--as-of", "2022-01-15", "--by", "model",
                                 "--unit", "customers", *j],
        "base_handsets_m2m": ["base", *s, "--as-of", "2022-02-03", "--by", "device_type",
                              "--unit", "handsets", "--include-m2m", *j],
        "base_lookback": ["base", *s, "--as-of", "2022-02-03", "--by", "segment,plan",
                          "--lookback-days", "10", *j],
        "series_month": ["series", *s, "--from", "2021-10-01", "--to", "2022-03-31",
                         "--every", "month", *j],
        "series_week_brand": ["series", *s, "--from", "2022-01-01", "--to", "2022-02-28",
                              "--every", "week", "--by", "operator_brand", *j],
        "series_csv": ["series", *s, "--from", "2022-01-25", "--to", "2022-02-05",
                       "--format", "csv"],
        "switches": ["switches", *s, "--from", "2021-11-01", "--to", "2022-02-03", *j],
        "adds": ["adds", *s, "--from", "2022-01-20", "--to", "2022-02-15", "--vendor",
                 "Xiaomi", *j],
        "adds_by": ["adds", *s, "--from", "2022-01-20", "--to", "2022-02-15", "--by",
                    "vendor", "--all-changes", *j],
        "milestones": ["milestones", *s, "--vendor", "Xiaomi", "--step", "50", *j],
        "announce_fr": ["announce", *s, "--vendor", "Xiaomi", "--as-of", "2022-02-03", *j],
        "announce_en": ["announce", *s, "--vendor", "Samsung", "--as-of", "2022-02-03",
                        "--lang", "en", *j],
        "claim": ["claim", "check", *s, "--vendor", "Xiaomi", "--count", "100", "--as-of",
                  "2022-02-03", *j],
        "market_compare": ["market", "compare", *s, "--market", "test-survey", "--as-of",
                           "2022-02-03", *j],
        "campaign_check": ["campaign", "check", camp, *s, *j],
        "campaign_offers": ["campaign", "offers", camp, "--at", "2022-02-04T10:00", *j],
        "campaign_measure": ["campaign", "measure", camp, *s, *j],
        "imei_check": ["imei", "check", "490154203237518", "49-015420-323751", "123", *j],
        "tac_lookup": ["tac", "lookup", "35000002", "00000000", *s, *j],
    }


def check(name: str, got: bytes) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got)
        return
    assert path.exists(), f"no golden {name}; regenerate with DEVICEPARK_UPDATE_GOLDEN=1"
    assert got == path.read_bytes(), f"{name} changed"


def test_commands(world: dict[str, Path]) -> None:
    for name, args in commands(world).items():
        out = run(*args)
        check(f"cli/{name}.{'csv' if 'csv' in args else 'json'}", out)


API = {
    "base": "/v1/base?as_of=2022-02-03&by=vendor,operator_brand",
    "series": "/v1/series?from=2021-12-01&to=2022-02-28&every=month",
    "switches": "/v1/switches?from=2021-11-01&to=2022-02-03",
    "adds": "/v1/adds?from=2022-01-25&to=2022-02-10&vendor=Xiaomi",
    "milestones": "/v1/milestones?vendor=Xiaomi&every=50",
    "campaigns": "/v1/campaigns",
    "offers": "/v1/campaigns/semaine-xiaomi-2022/offers?at=2022-02-04T10:00",
    "results": "/v1/campaigns/semaine-xiaomi-2022/results",
    # Sundays: what a public server publishes (the two above are refused there, a frozen 400)
    "base_sunday": "/v1/base?as_of=2022-02-06&by=vendor,operator_brand",
    "switches_sunday": "/v1/switches?from=2021-10-31&to=2022-02-06",
    "bad_date": "/v1/base?as_of=2022-13-03",
    "bad_by": "/v1/base?as_of=2022-02-03&by=colour",
}


def api_get(app, url: str, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url, headers=headers)

    return anyio.run(go)


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
def test_endpoints(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch, public: bool) -> None:
    from devicepark.api.app import create_app

    monkeypatch.setenv("DEVICEPARK_KEY", KEY)
    app = create_app(world["store"], token=TOKEN, public=public)
    auth = {} if public else {"Authorization": f"Bearer {TOKEN}"}
    for name, url in API.items():
        r = api_get(app, url, auth)
        body = f"{r.status_code}\n".encode() + r.content
        check(f"api/{'public' if public else 'private'}/{name}.json", body)


class Skeleton(html.parser.HTMLParser):
    """Tags with their class and id, and the visible text, outside SVG drawings (whose paths
    depend on the chart renderer's version)."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []
        self.svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svg += 1
            self.out.append("<svg/>")
        if self.svg:
            return
        keep = " ".join(f"{k}={v}" for k, v in attrs if k in ("class", "id", "lang"))
        self.out.append(f"<{tag}{' ' + keep if keep else ''}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg -= 1
            return
        if not self.svg:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.svg and not text.startswith(("@", "/*")):
            self.out.append(text)


def skeleton(html_text: str) -> bytes:
    body = re.sub(r"<style.*?</style>", "", html_text, flags=re.S)
    p = Skeleton()
    p.feed(body)
    return ("\n".join(p.out) + "\n").encode()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_structure(world: dict[str, Path], lang: str) -> None:
    root = world["root"]
    result = root / f"measure-{lang}.json"
    result.write_bytes(run("campaign", "measure", str(world["campaign"]), "--store",
                           str(world["store"]), "--format", "json"))
    market = root / f"compare-{lang}.json"
    market.write_bytes(run("market", "compare", "--store", str(world["store"]), "--market",
                           "test-survey", "--as-of", "2022-02-03", "--format", "json"))
    out = root / f"report-{lang}.html"
    run("report", "--store", str(world["store"]), "--as-of", "2022-02-03", "--lang", lang,
        "--from", "2021-11-01", "--campaign", str(result), "--market", str(market),
        "--vendor", "Xiaomi", "--out", str(out))
    # the footer names the day the report was made: frozen as a token, not as the golden's day
    html = out.read_text(encoding="utf-8").replace(locale.date(dt.date.today(), lang), "TODAY")
    check(f"report/report-{lang}.txt", skeleton(html))
