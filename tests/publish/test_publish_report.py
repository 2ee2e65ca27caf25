"""The report: one offline HTML file that holds the figures it should, and no hidden one."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from publish_samples import TOTAL, VENDORS, base_dict, sample_input

from devicepark.publish.privacy import Noise
from devicepark.publish.report import ReportInput, build, publish

NNBSP, NBSP = "\u202f", "\u00a0"
GEN = dt.date(2022, 2, 4)


class _Text(HTMLParser):
    """Visible text, outside <svg> (chart labels are checked separately), cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.svg = 0
        self.rows: list[list[str]] = []
        self.cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svg += 1
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
            self.cell = True

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg -= 1
        if tag in ("td", "th", "tr", "table"):
            self.cell = False

    def handle_data(self, data):
        if self.svg:
            return
        self.parts.append(data)
        if self.cell:
            self.rows[-1][-1] += data

    @property
    def text(self) -> str:
        return " ".join(self.parts)


def _parse(page: str) -> _Text:
    p = _Text()
    p.feed(page)
    return p


@pytest.fixture
def report_input() -> ReportInput:
    return sample_input()


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    inp = sample_input()
    return {lang: build(inp, lang=lang, generated=GEN) for lang in ("fr", "en")}


def test_headline_figures_fr(pages):
    p = _parse(pages["fr"])
    row = next(r for r in p.rows if r and r[0] == "Xiaomi")
    assert row == ["Xiaomi", f"10{NNBSP}012", f"9,91{NBSP}%", f"10,38{NBSP}%"]
    assert "Parc de terminaux au 3 février 2022" in p.text
    # the cards give both denominators, spelled out
    assert f"40,84{NBSP}% de toutes les lignes actives (101{NNBSP}000)" in p.text
    ident = sum(VENDORS.values())
    assert f"{ident // 1000}{NNBSP}{ident % 1000:03d}" in p.text
    assert f"42,77{NBSP}% des lignes dont le terminal est identifié" in p.text
    autres = next(r for r in p.rows if r and r[0] == "Autres")
    assert autres[1] == f"1{NNBSP}063"  # Motorola 905 + Nokia 8 + Unknown 150


def test_headline_figures_en(pages):
    p = _parse(pages["en"])
    row = next(r for r in p.rows if r and r[0] == "Apple")
    assert row == ["Apple", "41,250", "40.84%", "42.77%"]
    assert "Installed base of handsets on February 3, 2022" in p.text
    assert "of all active lines (101,000)" in p.text


def test_every_section_is_there(pages):
    for lang, page in pages.items():
        for sid in ("headline", "shares", "series", "flows", "age", "campaigns", "definitions"):
            assert f'id="{sid}"' in page, (lang, sid)
        assert page.count("<svg") == 6  # shares, series, flows, gains, age, one campaign


def test_series_milestones_flows_age_campaign_fr(pages):
    p = _parse(pages["fr"])
    assert ["Xiaomi", f"7{NNBSP}500", "28 juillet 2021"] in p.rows
    assert ["Xiaomi", f"10{NNBSP}000", "24 janvier 2022"] in p.rows
    # switching summary of Xiaomi: gained 2 264 (1200+310+420+180+4+90+60), lost 235, kept 7 900
    assert ["Xiaomi", f"2{NNBSP}264", "235", f"7{NNBSP}900"] in p.rows
    assert ["12-24", f"26{NNBSP}000", f"26,97{NBSP}%"] in p.rows
    assert ["pendant la campagne", "126", "[81 ; 172]"] in p.rows
    assert ["semaines suivantes", "-12", "[-60 ; 36]"] in p.rows


def test_chart_labels_are_localised(pages):
    assert f"40,8{NBSP}%" in pages["fr"] and "40.8%" in pages["en"]  # bar labels
    assert f"10{NNBSP}000" in pages["fr"] and "10,000" in pages["en"]  # axis and milestones


def test_offline_and_script_free(pages):
    for page in pages.values():
        assert "<script" not in page.lower()
        assert "<link" not in page.lower()
        assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page)
        assert not re.search(r"url\((?!#)", page)
        assert "@import" not in page and "@font-face" not in page
        # the only absolute URLs are XML namespaces, never fetched
        urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_svg_ids_are_unique(pages):
    ids = re.findall(r'\bid="([^"]+)"', pages["fr"])
    assert len(ids) == len(set(ids))


def test_same_input_same_bytes(pages):
    again = build(sample_input(), lang="fr", generated=GEN)
    assert again == pages["fr"]


def test_small_vendor_is_hidden_with_a_complement():
    counts = {"Apple": 500, "Samsung": 300, "Xiaomi": 95, "Nokia": 8, "Wiko": 40}
    inp = ReportInput(as_of="2022-02-03", base=base_dict(counts, 1_000), operator="Orange")
    page = build(inp, lang="en", top=6, generated=GEN)
    rows = {r[0]: r for r in _parse(page).rows if r}
    assert rows["Nokia"][1:] == ["•", "•", "•"]
    assert rows["Wiko"][1:] == ["•", "•", "•"]  # the smallest other cell
    assert rows["Xiaomi"][1] == "95"
    # differencing: identified - published = 48, the sum of both hidden cells, not one of them
    published = sum(
        int(r[1].replace(",", "")) for k, r in rows.items() if k in counts and r[1] != "•"
    )
    assert sum(counts.values()) - published == 48
    assert ">8<" not in page and ">40<" not in page


def test_small_campaign_days_are_hidden(report_input):
    pub = publish(report_input, lang="en")
    daily = pub.data.campaigns[0]["daily"]
    assert daily[3]["observed"] is None and daily[3]["suppressed"] is True
    assert all(d["observed"] is not None for k, d in enumerate(daily) if k != 3)


def test_report_with_differential_privacy(report_input):
    noise = Noise(1.0)
    pub = publish(report_input, lang="fr", noise=noise, vendor_keys=[*VENDORS, "Wiko"])
    assert noise.parts == 4
    assert [s.table for s in noise.spent] == ["base", "series", "switches", "device_age"]
    assert noise.total == pytest.approx(1.0)
    b = pub.data.base
    assert b["total_lines"] != TOTAL or b["identified_lines"] != sum(VENDORS.values())
    page = build(report_input, lang="fr", noise=Noise(0.5), epsilon_total=2.5, generated=GEN)
    assert "ε = 0,50 pour ce rapport, 2,50 au total" in _parse(page).text


def test_market_section_hides_what_the_base_hides(report_input):
    report_input.markets = [
        {
            "as_of": "2022-02-03",
            "market": "statcounter-fr",
            "period": "2022-02",
            "vendors": [
                {"vendor": "Apple", "base_share": 0.4277, "market_share": 0.38, "index": 112.6,
                 "gap_lines": -4_600},
                {"vendor": "Nokia", "base_share": 0.00008, "market_share": 0.01, "index": 0.8,
                 "gap_lines": 957},
            ],
        }
    ]  # fmt: skip
    page = build(report_input, lang="en", generated=GEN)
    assert ["Vendor", "Share of our base", "Market share", "Index (market = 100)"] in _parse(
        page
    ).rows
    market = [r for r in _parse(page).rows if len(r) == 4 and r[0] in ("Apple", "Nokia")]
    assert ["Apple", "42.77%", "38.00%", "113"] in market
    assert ["Nokia", "•", "1.00%", ""] in market  # Nokia's 8 lines are hidden in the base
