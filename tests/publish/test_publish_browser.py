"""The report in a real browser: Debian's chromium, driven by Playwright, network off."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from publish_samples import sample_input

from devicepark.publish.report import build

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def sync_playwright():
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = missing or "playwright not installed (pip install -e '.[test]')"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_renders_offline_without_errors(sync_playwright, tmp_path, lang):
    page_file = tmp_path / f"report-{lang}.html"
    page_file.write_text(build(sample_input(), lang=lang, generated=dt.date(2022, 2, 4)), "utf-8")
    shot = tmp_path / f"report-{lang}.png"
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.set_offline(True)

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    requests.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri(), wait_until="load")
            # visible figures: the Xiaomi card, every chart drawn with a real size
            card = page.locator(".card", has_text="Xiaomi")
            assert card.is_visible()
            big = card.locator(".big").inner_text()
            assert big.replace("\u202f", " ").replace(",", " ") == "10 012"
            svgs = page.locator("svg")
            assert svgs.count() == 6
            for k in range(svgs.count()):
                box = svgs.nth(k).bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 50
            assert page.locator("#flows svg path, #flows svg line").count() > 5
            title = page.title()
            assert ("3 février 2022" if lang == "fr" else "February 3, 2022") in title
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == []
    assert shot.stat().st_size > 50_000
