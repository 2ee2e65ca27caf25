"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright, against a
uvicorn server on 127.0.0.1, with every other address blocked."""

from __future__ import annotations

import os
import socket
import threading
import time
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
def server(core_store, api_env):
    """The app on a free port of 127.0.0.1 (threshold 1: the tiny store's figures all show)."""
    import uvicorn

    from devicepark.api.app import create_app

    app = create_app(core_store, token=TOKEN, threshold=1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_dashboard_in_chromium(server, tmp_path):
    _need_chromium()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(
                http_credentials={"username": "analyst", "password": TOKEN},
                viewport={"width": 1200, "height": 900},
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

            page.goto(server + "/", timeout=60_000)
            assert page.locator("h1").inner_text() == "Tableau de bord devicepark"
            # the latest date with data, the largest vendor, all brands
            assert page.locator("input[name=as_of]").input_value() == "2022-02-04"
            assert page.locator("#headline h2").inner_text() == "Xiaomi"
            assert page.locator("section svg").count() >= 3

            page.fill("input[name=as_of]", "2022-02-03")
            page.select_option("select[name=vendor]", "Samsung")
            page.select_option("select[name=brand]", "Orange")
            page.select_option("select[name=lang]", "en")
            with page.expect_navigation(timeout=60_000):
                page.click("button[type=submit]")
            query = parse_qs(urlparse(page.url).query)
            assert query == {"as_of": ["2022-02-03"], "vendor": ["Samsung"], "brand": ["Orange"],
                             "lang": ["en"]}
            assert page.locator("h1").inner_text() == "devicepark dashboard"
            assert page.locator("#headline h2").inner_text() == "Samsung"
            # Orange lines active on 3 Feb: 1, 2, 6, 8, 9, 10 (line 1 kept its Orange row or not:
            # its Sosh duplicate was rejected as conflicting); Samsung is line 2 only.
            assert page.locator("#headline .big").inner_text() == "1 line"
            assert page.locator("#shares svg").count() == 1
            assert page.locator("#series svg").count() == 1
            assert "Samsung" in page.locator("#shares svg").text_content()
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            if os.environ.get("DEVICEPARK_SCREENSHOTS"):
                page.screenshot(path=os.environ["DEVICEPARK_SCREENSHOTS"], full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert outside == []
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
