"""Tokens, public mode and the one error shape."""

from __future__ import annotations

import base64

import pytest
from apikit import AUTH, BASE_URL, CAMPAIGN_ID, TOKEN, assert_error, cli, get

AGGREGATES = [
    BASE_URL,
    "/v1/series?from=2022-01-01&to=2022-01-03",
    "/v1/switches?from=2022-01-01&to=2022-02-03",
    "/v1/adds?from=2022-01-01&to=2022-01-03",
    "/v1/milestones?vendor=Xiaomi",
    "/v1/campaigns",
    f"/v1/campaigns/{CAMPAIGN_ID}/offers?at=2022-02-04",
    f"/v1/campaigns/{CAMPAIGN_ID}/results",
]
AUDIENCE = f"/v1/campaigns/{CAMPAIGN_ID}/audience"


@pytest.mark.parametrize("url", [*AGGREGATES, AUDIENCE, "/"])
@pytest.mark.parametrize(
    "headers",
    [None, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
     {"Authorization": f"Bearer {TOKEN}x"}],
)
def test_every_endpoint_needs_the_token(app, url, headers):
    r = get(app, url, headers)
    assert "token" in assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Basic" if url == "/" else "Bearer")


def test_token_is_compared_in_constant_time(app, monkeypatch):
    import devicepark.api.auth as auth

    calls = []
    real = auth.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert get(app, BASE_URL, {"Authorization": "Bearer nope"}).status_code == 401
    assert get(app, BASE_URL, AUTH).status_code == 200
    assert calls == [(b"nope", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def test_token_from_the_environment(core_store, api_env, monkeypatch):
    from devicepark.api.app import create_app

    monkeypatch.setenv("DEVICEPARK_API_TOKEN", "from-env")
    app = create_app(core_store)
    assert get(app, BASE_URL, {"Authorization": "Bearer from-env"}).status_code == 200
    assert get(app, BASE_URL, AUTH).status_code == 401


def test_without_a_configured_token_nothing_private_is_served(core_store, api_env):
    from devicepark.api.app import create_app

    app = create_app(core_store)
    for url in (BASE_URL, AUDIENCE):
        message = assert_error(get(app, url, {"Authorization": "Bearer "}), 401, "unauthorized")
        assert "DEVICEPARK_API_TOKEN" in message


def test_dashboard_accepts_basic_credentials(app):
    creds = base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
    r = get(app, "/", {"Authorization": f"Basic {creds}"})
    assert r.status_code == 200
    bad = base64.b64encode(b"anyone:wrong").decode()
    assert_error(get(app, "/", {"Authorization": f"Basic {bad}"}), 401, "unauthorized")
    # Basic is for the browser page only
    assert_error(get(app, BASE_URL, {"Authorization": f"Basic {creds}"}), 401, "unauthorized")


# -- public mode ---------------------------------------------------------------------------------
# Anonymous requests get perturbed figures (tests/privacy holds the attacks); these tests pin the
# contract: which endpoints, which headers, and that a token still gets the CLI's exact bytes.

PUBLIC_BASE = "/v1/base?as_of=2022-01-31"  # a month end: public figures are weekly or monthly


@pytest.fixture
def public_app(core_store, api_env):
    from devicepark.api.app import create_app

    return create_app(core_store, token=TOKEN, public=True, threshold=2)


def _lines_by_vendor(core_store, day):
    """Each identified line's vendor at ``day``, read with the plain (unkeyed) base query."""
    from devicepark.base.snapshot import base_lines
    from devicepark.store import Store, connect, open_tables

    con = connect("duckdb")
    rows = con.to_pyarrow(base_lines(open_tables(con, Store.open(core_store)), day)).to_pylist()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["vendor"] if r["identified"] else None, []).append(r["line"])
    return out


def test_public_base_is_perturbed_from_each_cells_lines(public_app, core_store):
    """Each published count is the count plus the p-table's noise for the sum of its lines'
    record keys (first two hex characters of the pseudonym), worked out here from the lines."""
    import datetime as dt

    from devicepark.publish.cellkey import MAX_NOISE, perturb

    def key(lines):
        return sum(int(x[:2], 16) for x in lines) % 256

    by_vendor = _lines_by_vendor(core_store, dt.date(2022, 1, 31))
    r = get(public_app, PUBLIC_BASE)
    assert r.status_code == 200 and r.headers["x-devicepark-figures"] == "perturbed"
    a = r.json()
    assert a["disclosure"]["method"] == "cell-key perturbation"
    assert a["disclosure"]["max_noise"] == MAX_NOISE and a["disclosure"]["hidden_under"] == 2
    groups = {v: ls for v, ls in by_vendor.items() if v is not None}
    assert {g["vendor"] for g in a["groups"]} == set(groups)
    for g in a["groups"]:
        lines = groups[g["vendor"]]
        want = perturb(len(lines), key(lines))
        assert g["lines"] == (want if want >= 2 else None)
        assert g["suppressed"] == (g["lines"] is None)
    everyone = [x for ls in by_vendor.values() for x in ls]
    identified = [x for ls in groups.values() for x in ls]
    assert a["total_lines"] == perturb(len(everyone), key(everyone))
    assert a["identified_lines"] == perturb(len(identified), key(identified))


def test_public_headers_say_perturbed_and_the_token_gets_exact_bytes(public_app, core_store):
    anon = get(public_app, PUBLIC_BASE)
    exact = get(public_app, PUBLIC_BASE, AUTH)
    _, out, _ = cli("base", "--store", str(core_store), "--as-of", "2022-01-31",
                    "--format", "json")  # fmt: skip
    assert exact.content == out and exact.headers["x-devicepark-figures"] == "exact"
    assert "no-store" in exact.headers["cache-control"]
    assert anon.headers["x-devicepark-figures"] == "perturbed"
    assert "disclosure" not in exact.json() and "disclosure" in anon.json()
    # and again, from the cache: neither answer reads the other's
    assert get(public_app, PUBLIC_BASE, AUTH).content == out
    assert get(public_app, PUBLIC_BASE).content == anon.content


def test_a_wrong_token_on_a_public_server_is_401_not_anonymous(public_app):
    r = get(public_app, PUBLIC_BASE, {"Authorization": "Bearer wrong"})
    assert_error(r, 401, "unauthorized")


def test_public_adds_hide_small_days(public_app):
    a = get(public_app, "/v1/adds?from=2022-01-04&to=2022-01-06").json()
    for p in a["points"]:
        assert p["suppressed"] == (p["adds"] is None)
        assert p["adds"] is None or p["adds"] == 0 or p["adds"] >= 2


def test_public_milestones_take_round_thresholds_only(core_store, api_env):
    from devicepark.api.app import create_app

    app = create_app(core_store, token=TOKEN, public=True)  # threshold 10
    msg = assert_error(get(app, "/v1/milestones?vendor=Xiaomi&every=10"), 400,
                       "outside_public_bounds")  # fmt: skip
    assert "multiples of 100" in msg
    a = get(app, "/v1/milestones?vendor=Xiaomi&every=100").json()
    assert a["last_count"] is None  # 2 lines, perturbed: under the threshold
    assert a["disclosure"]["max_noise"] == 4
    assert get(app, "/v1/milestones?vendor=Xiaomi&every=10", AUTH).status_code == 200


def test_public_campaign_files_and_offers_need_the_token(public_app):
    for url in ("/v1/campaigns", f"/v1/campaigns/{CAMPAIGN_ID}/offers?at=2022-02-04"):
        assert_error(get(public_app, url), 401, "unauthorized")
        assert get(public_app, url, AUTH).status_code == 200


def test_public_audience_still_needs_the_token(public_app):
    assert_error(get(public_app, AUDIENCE), 401, "unauthorized")
    assert get(public_app, AUDIENCE, AUTH).status_code == 200


def test_public_dashboard_needs_no_token(public_app):
    r = get(public_app, "/")
    assert r.status_code == 200 and r.headers["x-devicepark-figures"] == "perturbed"
    assert "Perturbed figures" in r.text or "Chiffres perturbés" in r.text


# -- the one error shape -------------------------------------------------------------------------


def test_error_shape_is_pinned(app, monkeypatch):
    """Datasette-style: one shape for 400, 401, 404, 405, 422 and 500."""
    r = get(app, "/v1/base?as_of=2022-02-30", AUTH)
    assert assert_error(r, 400, "bad_request") == (
        "as_of: '2022-02-30' is not a date (expected YYYY-MM-DD)")
    assert r.content == (
        b'{\n  "error": {\n    "status": 400,\n    "code": "bad_request",\n'
        b'    "message": "as_of: \'2022-02-30\' is not a date (expected YYYY-MM-DD)"\n  }\n}\n'
    )
    assert_error(get(app, "/v1/base?as_of=2022-02-03&by=colour", AUTH), 400, "bad_request")
    assert_error(get(app, "/v1/base?as_of=2022-02-03", None), 401, "unauthorized")
    assert_error(get(app, "/v1/nowhere", AUTH), 404, "not_found")
    assert assert_error(get(app, "/v1/base", AUTH), 422, "invalid_parameter") == (
        "as_of: Field required")
    msg = assert_error(get(app, "/v1/base?as_of=2022-02-03&lookback_days=abc", AUTH), 422,
                       "invalid_parameter")
    assert msg.startswith("lookback_days:")
    assert_error(get(app, "/v1/base?as_of=2022-02-03&lookback_days=0", AUTH), 422,
                 "invalid_parameter")

    async def post():
        import httpx

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/v1/base", headers=AUTH)

    import anyio

    assert_error(anyio.run(post), 405, "method_not_allowed")

    from devicepark import answers

    def boom(*a, **k):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(answers, "base", boom)
    r = get(app, "/v1/base?as_of=2021-01-01", AUTH)
    assert assert_error(r, 500, "internal_error") == "internal error (RuntimeError)"


def test_out_of_range_requests_are_400(app):
    for url in ("/v1/base?as_of=0001-01-01", "/v1/series?from=2000-01-01&to=2022-01-01",
                "/v1/series?from=2022-02-01&to=2022-01-01&every=fortnight",
                "/v1/adds?from=1900-01-01&to=2999-01-01"):
        assert_error(get(app, url, AUTH), 400, "bad_request")


def test_missing_store_is_503(tmp_path, api_env):
    from devicepark.api.app import create_app

    app = create_app(tmp_path / "none", token=TOKEN)
    assert "no devicepark store" in assert_error(get(app, BASE_URL, AUTH), 503, "unavailable")
