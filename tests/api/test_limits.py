"""Bounded work per request (issue 18, item 1) and what the public face may ask (issue 17,
item 2): a cost known before a query runs, public bounds, rate limits, the engine gate."""

from __future__ import annotations

import re

import pytest
from apikit import AUTH, TOKEN, assert_error, get

from devicepark.api.work import Limits

SUNDAY = "2022-01-30"


@pytest.fixture
def make(core_store, api_env):
    from devicepark.api.app import create_app

    def build(**limits):
        return create_app(core_store, token=TOKEN, public=True, limits=Limits(**limits))

    return build


def test_a_costly_request_is_refused_before_it_runs_naming_the_limit(make, monkeypatch):
    from devicepark import answers

    app = make(max_cells=1000)
    card = get(app, f"/v1/base?as_of={SUNDAY}", AUTH)  # reads the key cardinalities once
    assert card.status_code == 200
    ran = []
    monkeypatch.setattr(answers, "base", lambda *a, **k: ran.append(1))
    url = f"/v1/base?as_of={SUNDAY}&by=model,region,plan,segment,operator_brand,device_age"
    msg = assert_error(get(app, url, AUTH), 400, "too_costly")
    assert "the limit per request is 1,000" in msg and "groups x points" in msg
    assert ran == []  # refused before any query
    series = "/v1/series?from=2019-01-01&to=2022-02-03&every=day&by=model,region"
    assert "limit per request" in assert_error(get(app, series, AUTH), 400, "too_costly")


def test_the_estimate_bounds_the_groups_by_the_store_s_values():
    from devicepark.api.work import estimate
    from devicepark.questions import AddsQuestion, BaseQuestion, SeriesQuestion

    card = {"vendor": 5, "model": 9, "region": 4, "operator_brand": 3, "device_age": 5}
    assert estimate("base", BaseQuestion.parse(SUNDAY, "model,region,device_age"), card) == 180
    q = SeriesQuestion.parse("2022-01-01", "2022-01-31", "day", "vendor,operator_brand")
    assert estimate("series", q, card) == 31 * 15
    assert estimate("adds", AddsQuestion.parse("2022-01-01", "2022-01-10", "Xiaomi", "vendor"),
                    card) == 10  # fmt: skip


@pytest.mark.parametrize(
    ("url", "bound"),
    [
        ("/v1/base?as_of=2022-02-03", "neither a Sunday nor the last day of a month"),
        (f"/v1/base?as_of={SUNDAY}&by=vendor,model", "no model or region with another key"),
        (f"/v1/base?as_of={SUNDAY}&by=vendor,operator_brand,plan", "at most 2 keys"),
        (f"/v1/base?as_of={SUNDAY}&unit=customers", "unit: lines only"),
        (f"/v1/base?as_of={SUNDAY}&lookback_days=29", "lookback_days: only 30"),
        ("/v1/series?from=2022-01-01&to=2022-01-31", "every: week or month only"),
        ("/v1/series?from=2019-01-01&to=2022-01-31&every=week", "at most 106 weeks"),
        ("/v1/switches?from=2022-01-02&to=2022-02-03", "2022-02-03 is neither"),
        ("/v1/adds?from=2021-01-01&to=2022-01-31", "at most 92 days"),
        ("/v1/adds?from=2022-01-01&to=2022-01-31&by=model", "by: at most one of"),
        ("/v1/milestones?vendor=Xiaomi&every=250", "multiples of 100"),
        ("/v1/campaigns/semaine-xiaomi-2022/results?after_days=14", "after_days: only 21"),
        ("/v1/campaigns/semaine-xiaomi-2022/results?holdout=true", "holdout"),
    ],
)
def test_public_bounds_are_400s_naming_the_bound(make, url, bound):
    app = make()
    msg = assert_error(get(app, url), 400, "outside_public_bounds")
    assert bound in msg and "send the token" in msg
    assert get(app, url, AUTH).status_code != 400 or "holdout" in url or "after" in url


def test_allowed_pairs(make):
    app = make()
    for by in ("vendor,operator_brand", "device_age,brand", "model", "region", "plan"):
        assert get(app, f"/v1/base?as_of={SUNDAY}&by={by}").status_code == 200, by


def test_rate_limits_per_client_in_public_mode(make):
    app = make(requests="5/minute", work="3/minute")
    codes = [get(app, f"/v1/base?as_of={SUNDAY}&by={k}").status_code
             for k in ("vendor", "brand", "plan", "segment")]  # fmt: skip
    assert codes == [200, 200, 200, 429]  # the fourth query is over 3 per minute
    r = get(app, f"/v1/base?as_of={SUNDAY}&by=vendor")  # a cached answer: no work
    assert r.status_code == 200
    r = get(app, f"/v1/base?as_of={SUNDAY}&by=vendor")
    msg = assert_error(r, 429, "rate_limited")  # the sixth request is over 5 per minute
    assert "at most 5 requests per 1 minute per client" in msg
    assert int(r.headers["retry-after"]) >= 1
    # the token is not rate-limited
    assert all(get(app, f"/v1/base?as_of={SUNDAY}", AUTH).status_code == 200 for _ in range(8))


def test_the_gate_bounds_the_queries_running_at_once():
    import threading
    import time

    from devicepark.api.errors import ApiError
    from devicepark.api.work import Gate

    gate = Gate(1, wait=0.2)
    inside = threading.Event()
    release = threading.Event()

    def hold():
        with gate.turn():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(5)
    start = time.monotonic()
    with pytest.raises(ApiError) as info, gate.turn():
        pass
    assert info.value.status == 503 and info.value.code == "busy"
    assert time.monotonic() - start < 2
    release.set()
    t.join()
    with gate.turn():
        pass


def test_a_query_over_its_time_limit_is_stopped(make):
    """The wall-clock limit interrupts DuckDB's work on the request's cursor."""
    import time

    app = make(seconds=0.5)
    state = app.state

    from devicepark.api.work import Ticket, run_guarded, stopper

    ticket = Ticket()

    def work():
        with state.store.tables() as (con, _):
            stop, done = stopper(con)
            ticket.attach(stop)
            return con.raw_sql("SELECT sum(hash(i)) FROM range(1000000000000) t(i)").fetchall()

    start = time.monotonic()
    from devicepark.api.errors import ApiError

    with pytest.raises(ApiError) as info:
        run_guarded(work, ticket, state.running, state.gate, 0.5)
    assert info.value.status == 503 and info.value.code == "timeout"
    assert time.monotonic() - start < 5 and len(state.running) == 0


def test_dashboard_vendor_strings_do_not_recompute(make):
    app = make()
    first = get(app, "/?lang=en")
    assert first.status_code == 200
    misses = app.state.cache.misses
    for junk in ("zzz", "Nope", "x" * 40, "Xiaom"):
        r = get(app, f"/?lang=en&vendor={junk}")
        # the largest vendor's page, from the cache, with a notice naming what was asked
        notice = re.search(rb'<p class="notice" id="vendor-notice">[^<]*</p>', r.content)
        assert r.status_code == 200 and notice is not None
        assert r.content.replace(notice.group(0), b"") == first.content
        assert junk.encode() in notice.group(0) and b"showing" in notice.group(0)
    # each new string costs a lookup, never the figures or a page again
    figures = [k for k in app.state.cache._items if k[2] in ("figures", "page")]
    assert len(figures) == 2 and app.state.cache.misses - misses == 4
