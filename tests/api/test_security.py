"""Item 10 of issue 18: no server path in any response, the standard security headers on every
response, and nothing exact where an anonymous request could read it."""

from __future__ import annotations

from apikit import AUTH, BASE_URL, TOKEN, assert_error, get

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def test_security_headers_on_every_response(app):
    for url, headers in ((BASE_URL, AUTH), (BASE_URL, None), ("/openapi.json", None),
                         ("/nowhere", None), ("/", AUTH), ("/v1/base", AUTH)):  # fmt: skip
        r = get(app, url, headers)
        for name, value in SECURITY.items():
            assert r.headers[name] == value, (url, name)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "permissions-policy" in r.headers


def test_exact_answers_are_never_stored_by_a_cache(app):
    r = get(app, BASE_URL, AUTH)
    assert r.headers["x-devicepark-figures"] == "exact"
    assert "no-store" in r.headers["cache-control"] and r.headers["vary"] == "Authorization"


def test_no_path_in_the_503_body(tmp_path, api_env):
    from devicepark.api.app import create_app

    missing = tmp_path / "deep" / "secret-place" / "store"
    app = create_app(missing, token=TOKEN)
    r = get(app, BASE_URL, AUTH)
    message = assert_error(r, 503, "unavailable")
    assert str(tmp_path) not in r.text and "secret-place" not in r.text
    assert "no devicepark store" in message


def test_no_path_in_the_campaign_listing(app, core_store):
    r = get(app, "/v1/campaigns", AUTH)
    assert r.status_code == 200
    invalid = r.json()["invalid"]
    assert [i["file"] for i in invalid] == ["broken.toml"]
    assert "broken.toml" in invalid[0]["error"]
    assert str(core_store) not in r.text and "/" not in invalid[0]["error"].split(":")[0]


def test_unknown_campaign_names_no_path(app, core_store):
    r = get(app, "/v1/campaigns/nope/results", AUTH)
    assert_error(r, 404, "not_found")
    assert str(core_store) not in r.text
