"""Every endpoint of the API through httpx's ASGI transport, on tests/data/core ingested by the CLI.

The base at 2022-02-03 (lookback 30 days: observations of local dates 2022-01-05..2022-02-03),
worked out by hand from tests/data/core:

- active lines (activated on or before D, not terminated by D, not M2M): line 1, 2, 3, 6, 8, 9, 10
  (4 starts on 4 Feb, 5 ends on 3 Feb, 7 is M2M; 11, 12 and the blank id are rejected): 7;
- devices: 1 Xiaomi (86000001 on 22 Jan), 2 Samsung (35000003 on 1 Feb), 6 Xiaomi (IMEISV on
  5 Jan 00:30 local), 8 Unknown (TAC 99999999), 9 Apple (23:30Z on 4 Jan is 5 Jan in Paris);
  3 (seen 1 Dec, and 23:30Z on 3 Feb is 4 Feb in Paris) and 10 (22:30Z on 4 Jan is still 4 Jan)
  are unidentified: 5 identified, Xiaomi 2 of 7.
"""

from __future__ import annotations

import io
import json

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from apikit import AUTH, CAMPAIGN_ID, CORE, TOKEN, assert_error, cli, get

BASE = "/v1/base?as_of=2022-02-03"


def test_base_figures_worked_out_by_hand(app):
    r = get(app, BASE, AUTH)
    assert r.status_code == 200
    a = r.json()
    assert (a["as_of"], a["by"], a["unit"]) == ("2022-02-03", ["vendor"], "lines")
    assert (a["total_lines"], a["identified_lines"]) == (7, 5)
    lines = {g["vendor"]: g["lines"] for g in a["groups"]}
    assert lines == {"Xiaomi": 2, "Samsung": 1, "Apple": 1, "Unknown": 1}
    xiaomi = a["groups"][0]
    assert xiaomi["vendor"] == "Xiaomi"
    assert xiaomi["share"] == pytest.approx(2 / 7)
    assert xiaomi["share_of_identified"] == pytest.approx(2 / 5)


@pytest.mark.parametrize(
    ("url", "args"),
    [
        (BASE, ["base", "--as-of", "2022-02-03"]),
        (BASE + "&by=vendor,operator_brand&unit=customers&lookback_days=45",
         ["base", "--as-of", "2022-02-03", "--by", "vendor,operator_brand", "--unit",
          "customers", "--lookback-days", "45"]),
        (BASE + "&include_m2m=true", ["base", "--as-of", "2022-02-03", "--include-m2m"]),
        ("/v1/series?from=2022-01-01&to=2022-02-05",
         ["series", "--from", "2022-01-01", "--to", "2022-02-05"]),
        ("/v1/series?from=2021-12-01&to=2022-02-28&every=week&by=vendor,segment",
         ["series", "--from", "2021-12-01", "--to", "2022-02-28", "--every", "week", "--by",
          "vendor,segment"]),
        ("/v1/switches?from=2022-01-10&to=2022-02-03&by=brand",
         ["switches", "--from", "2022-01-10", "--to", "2022-02-03", "--by", "brand"]),
        ("/v1/adds?from=2022-01-01&to=2022-02-05&by=operator_brand",
         ["adds", "--from", "2022-01-01", "--to", "2022-02-05", "--by", "operator_brand"]),
        ("/v1/adds?from=2022-01-01&to=2022-02-05&vendor=Xiaomi&all_changes=true",
         ["adds", "--from", "2022-01-01", "--to", "2022-02-05", "--vendor", "Xiaomi",
          "--all-changes"]),
        ("/v1/milestones?vendor=Xiaomi&every=1",
         ["milestones", "--vendor", "Xiaomi", "--every", "1"]),
        ("/v1/milestones?vendor=Xiaomi&threshold=2&threshold=1&from=2022-01-01&to=2022-02-04",
         ["milestones", "--vendor", "Xiaomi", "--threshold", "1", "--threshold", "2", "--from",
          "2022-01-01", "--to", "2022-02-04"]),
    ],
)
def test_json_bytes_equal_the_cli(app, core_store, url, args):
    """The body is byte for byte what ``--format json`` prints (trailing newline included)."""
    _, out, _ = cli(*args, "--store", str(core_store), "--format", "json")
    r = get(app, url, AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.content == out


def test_cached_answer_is_identical(app):
    first = get(app, BASE, AUTH).content
    hits = app.state.cache.hits
    assert get(app, BASE, AUTH).content == first
    assert app.state.cache.hits == hits + 1


def test_store_reopened_when_its_manifest_changes(store_copy, api_env, tmp_path):
    from devicepark.api.app import create_app

    app = create_app(store_copy, token=TOKEN)
    before = get(app, BASE, AUTH).json()
    extra = tmp_path / "more_lines.csv"
    extra.write_text("line_id,operator_brand,activated_on\n+33600000099,Orange,2021-01-01\n",
                     encoding="utf-8")
    cli("ingest", "--store", str(store_copy), "--lines", str(extra))
    after = get(app, BASE, AUTH).json()
    assert (before["total_lines"], after["total_lines"]) == (7, 8)
    assert after["identified_lines"] == 5


# -- campaigns ----------------------------------------------------------------------------------


def test_campaign_listing(app):
    r = get(app, "/v1/campaigns", AUTH)
    assert r.status_code == 200
    a = r.json()
    assert [c["campaign"] for c in a["campaigns"]] == [CAMPAIGN_ID]
    c = a["campaigns"][0]
    assert (c["file"], c["vendor"], c["days"], c["offers"]) == ("semaine.toml", "Xiaomi", 7, 1)
    assert c["starts"] == "2022-02-03T00:00:00+01:00"
    assert [i["file"] for i in a["invalid"]] == ["broken.toml"]
    assert "bogus" in a["invalid"][0]["error"]


def test_campaigns_directory_option(core_store, api_env, tmp_path):
    from devicepark.api.app import create_app

    app = create_app(core_store, token=TOKEN, campaigns_dir=tmp_path)
    assert get(app, "/v1/campaigns", AUTH).json() == {"campaigns": [], "invalid": []}


@pytest.mark.parametrize(
    ("query", "args"),
    [
        ("at=2022-02-04T10:00", ["--at", "2022-02-04T10:00"]),
        ("at=2022-02-04T10:00&channel=store", ["--at", "2022-02-04T10:00", "--channel", "store"]),
        ("at=2022-02-09T23:30:00Z", ["--at", "2022-02-09T23:30:00Z"]),
    ],
)
def test_offers_bytes_equal_the_cli(app, core_store, query, args):
    _, out, _ = cli("campaign", "offers", str(core_store / "campaigns" / "semaine.toml"), *args,
                    "--format", "json")
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/offers?{query}", AUTH)
    assert r.status_code == 200, r.text
    assert r.content == out


def test_offers_prices_by_hand(app):
    a = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/offers?at=2022-02-04T10:00", AUTH).json()
    assert a["active"] is True
    prices = {o["model"]: o["price"] for o in a["offers"]}
    # 199.99 - 30 online; the surprise phase on 4 Feb: 649.99 less 20 % = 519.99
    assert prices == {"Redmi Note 11": 169.99, "Xiaomi 11T Pro": 519.99}
    store = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/offers?at=2022-02-05T10:00&channel=store",
                AUTH).json()
    assert store["active"] is True and store["offers"] == []  # the Redmi offer is online only
    # 23:30Z on 9 Feb is 00:30 on 10 Feb in Paris: the window has closed
    after = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/offers?at=2022-02-09T23:30:00Z", AUTH).json()
    assert (after["active"], after["offers"]) == (False, [])


def test_offers_default_to_now(app):
    a = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/offers", AUTH).json()
    assert a["active"] is False  # the 2022 campaign is long over


def test_unknown_campaign_is_404(app):
    for tail in ("offers", "results", "audience"):
        r = get(app, f"/v1/campaigns/nope/{tail}", AUTH)
        assert "nope" in assert_error(r, 404, "not_found")


def test_results_on_a_store_too_short_to_measure(app):
    """A month of data cannot give the 8-week pre-period: one 400, in the error shape."""
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/results", AUTH)
    assert_error(r, 400, "bad_request")


def test_audience_parquet_equals_the_cli(app, core_store, tmp_path):
    out = tmp_path / "aud.parquet"
    cli("campaign", "audience", str(core_store / "campaigns" / "semaine.toml"),
        "--store", str(core_store), "--out", str(out))
    expected = pq.read_table(out)
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/audience", AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    assert "attachment" in r.headers["content-disposition"]
    got = pq.read_table(io.BytesIO(r.content))
    assert got.equals(expected)
    assert all(len(p) == 32 for p in got.column("line").to_pylist())


def test_audience_csv_and_no_raw_identifier(app):
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/audience?format=csv", AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    table = pcsv.read_csv(io.BytesIO(r.content))
    parquet = pq.read_table(io.BytesIO(get(app, f"/v1/campaigns/{CAMPAIGN_ID}/audience",
                                           AUTH).content))
    assert table.column_names == parquet.column_names
    assert table.num_rows == parquet.num_rows
    raw = {row.split(",")[0] for row in (CORE / "lines.csv").read_text().splitlines()[1:]}
    for ident in raw - {""}:
        assert ident.encode() not in r.content
        assert ident.lstrip("+0").encode() not in r.content


def test_audience_bad_format_is_422(app):
    r = get(app, f"/v1/campaigns/{CAMPAIGN_ID}/audience?format=xlsx", AUTH)
    assert "format" in assert_error(r, 422, "invalid_parameter")


# -- the spec ------------------------------------------------------------------------------------


def test_openapi_spec_is_served(app):
    r = get(app, "/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert set(spec["paths"]) == {
        "/v1/base", "/v1/series", "/v1/switches", "/v1/adds", "/v1/milestones", "/v1/campaigns",
        "/v1/campaigns/{campaign_id}/offers", "/v1/campaigns/{campaign_id}/results",
        "/v1/campaigns/{campaign_id}/audience",
    }
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    names = {p["name"] for p in spec["paths"]["/v1/series"]["get"]["parameters"]}
    assert names == {"from", "to", "every", "by", "unit", "lookback_days", "include_m2m"}
    error = spec["paths"]["/v1/base"]["get"]["responses"]["422"]["content"]["application/json"]
    assert error["schema"]["required"] == ["error"]
    assert json.dumps(spec).count("HTTPValidationError") == 0


def test_concurrent_misses_match_sequential_answers(app):
    """Cursors per request: parallel cache misses on many dates give the sequential answers."""
    import anyio
    import httpx

    dates = [f"2022-01-{d:02d}" for d in range(5, 29, 4)]
    results: dict[str, bytes] = {}

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t",
                                     headers=AUTH) as client:

            async def one(day: str) -> None:
                r = await client.get(f"/v1/base?as_of={day}&by=vendor,operator_brand")
                assert r.status_code == 200, r.text
                results[day] = r.content

            async with anyio.create_task_group() as tg:
                for day in dates:
                    tg.start_soon(one, day)

    anyio.run(go)
    from devicepark.api.app import create_app

    fresh = create_app(app.state.store.path, token=TOKEN)
    for day in dates:
        assert get(fresh, f"/v1/base?as_of={day}&by=vendor,operator_brand", AUTH).content == \
            results[day]


def test_no_page_loads_a_cdn(app):
    """Swagger UI and ReDoc fetch scripts from a CDN: they are off; the spec alone is served."""
    assert get(app, "/docs").status_code == 404
    assert get(app, "/redoc").status_code == 404
