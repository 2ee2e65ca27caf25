"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright, against a
uvicorn server on 127.0.0.1, with every other address blocked."""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from apikit import TOKEN

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip

pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists() or not _has_playwright():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} or playwright missing in CI")
        pytest.skip(f"{CHROMIUM} or playwright not installed")


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def serve(api_env):
    """``serve(store, **create_app_options)``: the app on a free port of 127.0.0.1, its URL."""
    import uvicorn

    from devicepark.api.app import create_app

    running = []

    def start(store, **options) -> str:
        app = create_app(store, token=TOKEN, **options)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        running.append((srv, thread))
        deadline = time.monotonic() + 20
        while not srv.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for srv, thread in running:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(core_store, serve):
    """The app on the tiny store (threshold 1: its figures all show)."""
    return serve(core_store, threshold=1)


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory):
    from test_dashboard import build_synth_store

    return build_synth_store(tmp_path_factory.mktemp("browser"))


@contextmanager
def chromium(server, credentials=True):
    """A page of Debian's Chromium that may reach ``server`` only; yields (page, errors). Without
    ``credentials`` it answers the Basic prompt with a wrong password (Playwright cannot press
    the prompt's Cancel: with no credentials at all it fails the navigation)."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            creds = {"username": "analyst", "password": TOKEN if credentials else "not-it"}
            context = browser.new_context(
                http_credentials=creds, viewport={"width": 1200, "height": 900}
            )
            page = context.new_page()

            def guard(route):
                if route.request.url.startswith(server):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            browser.close()
    assert outside == []


def _shot(page, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("DEVICEPARK_SCREENSHOTS"):
        folder = Path(os.environ["DEVICEPARK_SCREENSHOTS"])
        if folder.is_dir():
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert path.stat().st_size > 10_000


def _height(page) -> float:
    return page.evaluate("document.documentElement.scrollHeight")


def _svgs_bounded(page) -> int:
    """Every SVG drawn at a finite size no wider than the page; their number."""
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect())"
        ".map(r => [r.width, r.height])"
    )
    for w, h in boxes:
        assert 0 < w <= 1200 and 0 < h <= 2000, (w, h)
    return len(boxes)


_STYLE = """([sel, prop]) => [...document.querySelectorAll(sel)].map(
  e => getComputedStyle(e).getPropertyValue(prop))"""


def test_dashboard_in_chromium(server, tmp_path):
    with chromium(server) as (page, errors):
        page.goto(server + "/", timeout=60_000)
        assert page.locator("h1").inner_text() == "Tableau de bord devicepark"
        # the latest date with data, the largest vendor, all brands
        assert page.locator("input[name=as_of]").input_value() == "2022-02-04"
        assert page.locator("#headline h2").inner_text() == "Xiaomi"
        assert _svgs_bounded(page) == 4

        page.fill("input[name=as_of]", "2022-02-03")
        page.select_option("select[name=vendor]", "Samsung")
        page.select_option("select[name=brand]", "Orange")
        page.select_option("select[name=lang]", "en")
        with page.expect_navigation(timeout=60_000):
            page.click("button[type=submit]")
        query = parse_qs(urlparse(page.url).query)
        assert query == {"as_of": ["2022-02-03"], "vendor": ["Samsung"], "brand": ["Orange"],
                         "lang": ["en"]}  # fmt: skip
        assert page.locator("h1").inner_text() == "devicepark dashboard"
        assert page.locator("#headline h2").inner_text() == "Samsung"
        # Orange lines active on 3 Feb: 1, 2, 6, 8, 9, 10 (line 1 kept its Orange row or not:
        # its Sosh duplicate was rejected as conflicting); Samsung is line 2 only.
        assert page.locator("#headline .big").inner_text() == "1 line"
        assert page.locator("#headline").get_by_text("On February 3, 2022.").is_visible()
        assert _svgs_bounded(page) == 4
        # Samsung highlighted: its bar outlined, the others pale; its line the thickest
        bars = page.locator('#shares svg path[aria-roledescription="bar"]')
        chosen = bars.and_(page.locator('[aria-label$="vendor: Samsung"]'))
        assert chosen.count() == 1 and chosen.evaluate("e => getComputedStyle(e).stroke") == (
            "rgb(33, 37, 41)"
        )
        others = page.evaluate(_STYLE, ['#shares path[aria-roledescription="bar"]', "opacity"])
        assert sorted(others) == ["0.45"] * (len(others) - 1) + ["1"]
        line = page.locator('#series path[aria-roledescription="line mark"]'
                            '[aria-label$="vendor: Samsung"]')  # fmt: skip
        assert line.evaluate("e => getComputedStyle(e).strokeWidth") == "5px"
        bands = page.evaluate(_STYLE, ["#flows path.band", "fill-opacity"])
        mine = page.evaluate(_STYLE, ['#flows path.band[data-to="Samsung"]', "fill-opacity"])
        assert mine and set(mine) == {"0.85"} and "0.18" in bands
        # captions: the date or period and the denominators
        cap = page.locator("#shares figcaption").inner_text()
        assert cap == ("On February 3, 2022. Share of active lines (denominator: all active "
                       "lines, 6). Samsung is highlighted.")  # fmt: skip
        assert (
            "Lines per vendor from February 4, 2021 to January 30, 2022"
            in page.locator("#series figcaption").inner_text()
        )
        flows = page.locator("#flows figcaption").inner_text()
        assert "between February 4, 2021 (left) and February 3, 2022 (right)" in flows
        assert "Samsung, February 4, 2021 to February 3, 2022: lines gained 1, lost 0" in flows
        assert page.locator("#flows svg text", has_text="Samsung").first.text_content() in (
            "1\u2003Samsung",
            "Samsung\u20031",
        )  # the switching chart shows counts
        assert _height(page) < 6_000
        _shot(page, tmp_path, "dashboard")
    assert errors == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dashboard_out_of_range_in_chromium(server, tmp_path, lang):
    with chromium(server) as (page, errors):
        page.goto(server + f"/?as_of=2023-06-01&vendor=Apple&lang={lang}", timeout=60_000)
        box = page.locator("#out-of-range")
        assert box.is_visible()
        first, last = {"fr": ("1 décembre 2021", "4 février 2022"),
                       "en": ("December 1, 2021", "February 4, 2022")}[lang]  # fmt: skip
        text = box.inner_text()
        assert first in text and last in text and ("2023" in text)
        assert page.locator("svg").count() == 0  # no empty charts
        assert _height(page) < 1_500
        _shot(page, tmp_path, f"dashboard-out-of-range-{lang}")
        with page.expect_navigation(timeout=60_000):
            box.locator("a").click()  # the link to the last date with data
        assert page.locator("#headline h2").inner_text() == "Apple"
        assert page.locator("input[name=as_of]").input_value() == "2022-02-04"
        assert _svgs_bounded(page) == 4
    assert errors == []


def test_dashboard_small_vendor_in_chromium(synth_store, serve, tmp_path):
    server = serve(synth_store)  # the default threshold, 10
    with chromium(server) as (page, errors):
        page.goto(server + "/?as_of=2022-03-31&vendor=Fairphone&lang=en", timeout=60_000)
        assert page.locator("#headline h2").inner_text() == "Fairphone"
        assert page.locator("#headline .big").inner_text() == "< 10 lines"
        assert page.locator("#headline .why").inner_text() == (
            "Fewer than 10 lines: too few to publish (disclosure control)."
        )
        # its row in the shares chart, outlined and labelled "< 10", not folded into Other
        label = page.locator('#shares svg text[aria-label$="vendor: Fairphone; label: < 10"]')
        assert label.is_visible() and label.text_content() == "< 10"
        bar = page.locator('#shares path[aria-roledescription="bar"][aria-label$="Fairphone"]')
        assert bar.evaluate("e => getComputedStyle(e).stroke") == "rgb(33, 37, 41)"
        assert (
            "Fairphone: fewer than 10 lines on every date"
            in page.locator("#series figcaption").inner_text()
        )
        assert _svgs_bounded(page) == 4 and _height(page) < 8_000
        _shot(page, tmp_path, "dashboard-small-vendor")

        # Doro, 17th of 18 vendors, keeps its own card, bar, line and bands
        page.goto(server + "/?as_of=2022-03-31&vendor=Doro&lang=fr", timeout=60_000)
        assert page.locator("#headline .big").inner_text() == "13 lignes"
        line = page.locator('#series path[aria-roledescription="line mark"][aria-label$="Doro"]')
        assert line.evaluate("e => getComputedStyle(e).strokeWidth") == "5px"
        bar = page.locator('#shares path[aria-roledescription="bar"][aria-label$="vendor: Doro"]')
        assert bar.evaluate("e => getComputedStyle(e).stroke") == "rgb(33, 37, 41)"
        # its flows are all under the threshold here: the caption gives its counts as hidden
        assert (
            "Doro, du 1 avril 2021 au 31 mars 2022 : lignes gagnées"
            in page.locator("#flows figcaption").inner_text()
        )
    assert errors == []


def test_sign_in_page_in_chromium(server, tmp_path):
    with chromium(server, credentials=False) as (page, errors):
        response = page.goto(server + "/?lang=en", timeout=60_000)
        assert response is not None and response.status == 401
        assert page.locator('section[lang="en"] p.why').inner_text() == (
            "The token presented is not the right one."
        )
        en = page.locator('section[lang="en"]')
        assert en.locator("h1").inner_text() == "Signing in to the devicepark dashboard"
        assert "DEVICEPARK_API_TOKEN" in en.inner_text()
        assert (
            "any user name and the token as the password" in en.locator("li.browser").inner_text()
        )
        assert "Authorization: Bearer <token>" in en.locator("li.proxy").inner_text()
        fr = page.locator('section[lang="fr"]')
        assert fr.is_visible() and "le jeton comme mot de passe" in fr.inner_text()
        _shot(page, tmp_path, "dashboard-sign-in")
    assert [e for e in errors if "401" not in e] == []
