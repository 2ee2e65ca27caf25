"""The report in a real browser: Debian's chromium, driven by Playwright, network off."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

import pytest
from publish_samples import full_input, sample_input

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


@pytest.fixture(scope="module")
def offline(sync_playwright):
    """Opens an offline Chromium context (1200 x 900 viewport); the browser closes after it."""

    @contextlib.contextmanager
    def open_context():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                context = browser.new_context(viewport={"width": 1200, "height": 900})
                context.set_offline(True)
                yield context
            finally:
                browser.close()

    return open_context


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_renders_offline_without_errors(offline, tmp_path, lang):
    page_file = tmp_path / f"report-{lang}.html"
    page_file.write_text(build(sample_input(), lang=lang, generated=dt.date(2022, 2, 4)), "utf-8")
    shot = tmp_path / f"report-{lang}.png"
    errors: list[str] = []
    requests: list[str] = []
    with offline() as context:

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
    assert errors == []
    assert requests == []
    assert shot.stat().st_size > 50_000


# Read back from the rendered page: screen coordinates after layout and scaling, not the SVG text.
_OBSERVED_XS = """(args) => {
  const [stroke, step] = args;
  const out = [];
  for (const p of document.querySelectorAll(
      `#campaigns svg path[aria-roledescription="line mark"][stroke="${stroke}"]`)) {
    const m = p.getScreenCTM(), n = p.getTotalLength();
    for (let s = 0; s <= n; s += step) {
      const q = p.getPointAtLength(s);
      out.push(q.x * m.a + q.y * m.c + m.e);
    }
  }
  return out;
}"""

_NODES = """() => [...document.querySelectorAll('#flows svg rect.node')].map(r => ({
  lines: +r.dataset.lines, side: r.dataset.side, h: r.getBoundingClientRect().height,
  scale: r.ownerSVGElement.getBoundingClientRect().width / r.ownerSVGElement.viewBox.baseVal.width
}))"""


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pictures_read_right_in_the_browser(offline, tmp_path, lang):
    from devicepark.publish import charts, palette

    page_file = tmp_path / f"pictures-{lang}.html"
    page_file.write_text(build(sample_input(), lang=lang, generated=dt.date(2022, 2, 4)), "utf-8")
    with offline() as context:
        page = context.new_page()
        page.goto(page_file.as_uri(), wait_until="load")

        # campaign: the observed line never enters the grey band of a hidden day
        band = page.locator('#campaigns svg path[fill="#ced4da"]')
        assert band.count() == 1
        box = band.bounding_box()
        assert box is not None and box["width"] > 5
        xs = page.evaluate(_OBSERVED_XS, [charts.OBSERVED, 1.0])
        assert len(xs) > 500
        inside = [x for x in xs if box["x"] + 0.5 < x < box["x"] + box["width"] - 0.5]
        assert inside == []
        assert page.locator("#campaigns svg text", has_text="< 10").is_visible()
        verdict = {"fr": "effet significatif, l'intervalle ne contient pas 0",
                   "en": "significant, the interval excludes 0"}[lang]  # fmt: skip
        assert page.locator("#campaigns p.verdict", has_text=verdict).is_visible()

        # alluvial: bar heights on screen proportional to lines, within a pixel
        nodes = page.evaluate(_NODES)
        assert len(nodes) >= 8
        big = max(nodes, key=lambda n: n["lines"])
        per_line = big["h"] / big["lines"]
        for n in nodes:
            assert abs(n["h"] - n["lines"] * per_line) < 1, n
        assert sum(n["lines"] for n in nodes if n["side"] == "from") == sum(
            n["lines"] for n in nodes if n["side"] == "to"
        )

        # matrix: hidden cells hatched, the diagonal darker than the cells beside it
        hatch = page.locator("table.matrix td.sup").first.evaluate(
            "e => getComputedStyle(e).backgroundImage"
        )
        assert "repeating-linear-gradient" in hatch
        rgb = (
            page.locator("table.matrix tr")
            .nth(1)
            .locator("td")
            .evaluate_all("tds => tds.slice(0, 2).map(e => getComputedStyle(e).backgroundColor)")
        )
        dark, light = (sum(map(int, c[4:-1].split(","))) for c in rgb)
        assert dark < light

        # the same Xiaomi colour on the card and on the alluvial's bar
        card = page.locator(".card", has_text="Xiaomi").evaluate(
            "e => getComputedStyle(e).borderLeftColor"
        )
        bar = page.locator('#flows rect.node[data-state="Xiaomi"]').first.evaluate(
            "e => getComputedStyle(e).fill"
        )
        hexa = palette.colour("Xiaomi")
        want = f"rgb({int(hexa[1:3], 16)}, {int(hexa[3:5], 16)}, {int(hexa[5:7], 16)})"
        assert card == bar == want
        page.locator("#flows").screenshot(path=str(tmp_path / "flows.png"))
        page.locator("#campaigns").screenshot(path=str(tmp_path / "campaigns.png"))
    assert (tmp_path / "flows.png").stat().st_size > 20_000


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_report_with_two_campaigns_and_a_market_in_the_browser(offline, tmp_path, lang):
    """The report a press team reads: a significant campaign, one that is not, a market."""
    page_file = tmp_path / f"full-{lang}.html"
    page_file.write_text(build(full_input(), lang=lang, generated=dt.date(2022, 2, 4)), "utf-8")
    errors: list[str] = []
    with offline() as context:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri(), wait_until="load")
        verdicts = page.locator("#campaigns p.verdict").all_inner_texts()
        yes, no = {
            "fr": ("effet significatif, l'intervalle ne contient pas 0",
                   "effet non significatif, l'intervalle contient 0"),
            "en": ("significant, the interval excludes 0",
                   "not significant, the interval contains 0"),
        }[lang]  # fmt: skip
        assert len(verdicts) == 2
        assert "Xiaomi" in verdicts[0] and verdicts[0].endswith(yes + ".")
        assert "Apple" in verdicts[1] and verdicts[1].endswith(no + ".")
        assert page.locator("#campaigns svg").count() == 2
        market = page.locator("#market")
        assert market.is_visible()
        text = market.inner_text()
        assert "StatCounter Global Stats (gs.statcounter.com)" in text and "CC BY-SA" in text
        assert ("période du marché : février 2022" if lang == "fr"
                else "market period: February 2022") in text  # fmt: skip
        google = market.locator("tr", has_text="Google").locator("td").all_inner_texts()
        assert google[-1] == "—"  # no index from a 0.04 % market share
        boxes = page.evaluate(
            "() => [...document.querySelectorAll('svg')].map(s => {"
            "const r = s.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        assert len(boxes) == 7
        assert all(200 < w <= 1200 and 50 < h <= 2000 for w, h in boxes), boxes
        assert page.evaluate("document.documentElement.scrollHeight") < 20_000
        shot = tmp_path / f"report-full-{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("DEVICEPARK_SCREENSHOTS"):
            folder = Path(os.environ["DEVICEPARK_SCREENSHOTS"])
            if folder.is_dir():
                page.screenshot(path=str(folder / shot.name), full_page=True)
    assert errors == []
    assert shot.stat().st_size > 50_000
