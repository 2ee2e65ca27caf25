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
    assert [
        "pendant la campagne",
        "126",
        "[81 ; 172]",
        "effet significatif, l'intervalle ne contient pas 0",
    ] in p.rows
    assert ["semaines suivantes", "-12", "[-60 ; 36]",
            "effet non significatif, l'intervalle contient 0"] in p.rows  # fmt: skip


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
    # a footnote says why both rows are hidden, without saying which rule hid which
    assert "Wiko and Nokia: whole row hidden (•) by disclosure control: fewer than 10 lines" in (
        _parse(page).text
    )
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


# (vendor, base_share, market_share, index, gap_lines) of the market comparison
_MARKET_VENDORS = [
    ("Apple", 0.4277, 0.38, 112.6, -4_600),
    ("Samsung", 0.3745, 0.30, 124.8, 1),
    ("Xiaomi", 0.1038, 0.21, 49.4, 1),
    ("Google", 0.0153, 0.0004, 3825.0, 1),
    ("Oppo", 0.0229, 0.05, 45.7, 1),
    ("Nokia", 0.00008, 0.01, 0.8, 957),
    ("Unknown", 0.0016, 0.02, 7.8, 1),
    ("Other", 0.0, 0.0296, 0.0, 1),
]


def _market(name: str = "statcounter-fr", period: str = "2022-02", **extra) -> dict:
    keys = ("vendor", "base_share", "market_share", "index", "gap_lines")
    return {
        "as_of": "2022-02-03",
        "market": name,
        "period": period,
        "vendors": [dict(zip(keys, row, strict=True)) for row in _MARKET_VENDORS],
        **extra,
    }


def _market_rows(page: str) -> dict[str, list[str]]:
    section = page[page.index('<section id="market">') :]
    return {r[0]: r for r in _parse(section[: section.index("</section>")]).rows if r}


def test_market_section_shows_the_cards_vendors(report_input):
    report_input.markets = [_market()]
    page = build(report_input, lang="en", generated=GEN)
    rows = _market_rows(page)
    assert rows["Vendor"] == ["Vendor", "Share of our base", "Market share", "Index (market = 100)"]
    # the cards' vendors, in the cards' order; not Nokia, nor the market's Unknown and Other
    assert list(rows)[1:] == ["Apple", "Samsung", "Xiaomi", "Huawei", "Oppo", "Google"]
    assert rows["Apple"] == ["Apple", "42.77%", "38.00%", "113"]
    assert rows["Xiaomi"] == ["Xiaomi", "10.38%", "21.00%", "49"]
    # Huawei is in our base (the comparison has no row for it) but not named by this market
    assert rows["Huawei"] == ["Huawei", "4.47%", "not named", "—"]
    assert "not named: a vendor the source does not name." in _parse(page).text


def test_market_index_of_tiny_shares_is_not_shown(report_input):
    report_input.markets = [_market()]
    page = build(report_input, lang="fr", generated=GEN)
    rows = _market_rows(page)
    # Google: 1,53 % of our base against 0,04 % of the market: an index of 3 825 means nothing
    assert rows["Google"] == ["Google", f"1,53{NBSP}%", f"0,04{NBSP}%", "—"]
    assert "3825" not in page and f"3{NNBSP}825" not in page
    assert (
        f"— : pas d'indice quand la part de marché est inférieure à 1{NBSP}% ou la part dans "
        f"notre base inférieure à 0,5{NBSP}%"
    ) in _parse(page).text


def test_market_credits_statcounter_and_says_what_it_measures(report_input):
    report_input.markets = [_market("statcounter-ww")]
    fr = _parse(build(report_input, lang="fr", generated=GEN)).text
    en = _parse(build(report_input, lang="en", generated=GEN)).text
    assert "Source : StatCounter Global Stats (gs.statcounter.com)" in fr
    assert "licence CC BY-SA 3.0" in fr
    assert "Source: StatCounter Global Stats (gs.statcounter.com), data licensed under " in en
    assert "CC BY-SA 3.0" in en
    assert "la part des pages web consultées depuis un mobile" in fr
    assert "(monde entier)" in fr and "(worldwide)" in en
    assert "neither a share of sales nor a share of the handsets in use in France" in en
    assert "période du marché : février 2022" in fr and "market period: February 2022" in en


def test_market_from_another_source_names_it(report_input):
    report_input.markets = [_market("test-survey", source="Test survey", kind="shipments")]
    en = _parse(build(report_input, lang="en", generated=GEN)).text
    assert "Source: Test survey." in en
    assert "CC BY-SA" not in en
    assert "the share of handsets shipped" in en and "(region not stated)" in en
    report_input.markets = [_market("test-survey")]  # no source, no kind
    en = _parse(build(report_input, lang="en", generated=GEN)).text
    assert "Source: test-survey." in en
    assert "What this market measures is not stated in the comparison file" in en


@pytest.mark.parametrize(
    ("period", "as_of", "message"),
    [
        ("2021-06", "2022-02-03", "period 2021-06 is 218 days from the report's date 2022-02-03"),
        ("2022-Q3", "2022-02-03", "period 2022-Q3 is 148 days"),
        ("2022-02", "2021-09-01", "compares our base on 2021-09-01, 155 days"),
        ("Feb 2022", "2022-02-03", "is not a month (YYYY-MM) or a quarter"),
        ("brands", "2022-02-03", "a comparison split by operator brand cannot go in the report"),
    ],
)
def test_market_far_from_the_report_date_is_refused(report_input, period, as_of, message):
    from devicepark.errors import ConfigError

    market = {**_market(period=period), "as_of": as_of}
    if period == "brands":
        market["period"] = "2022-02"
        market["vendors"] = [{"operator_brand": "Sosh", **r} for r in market["vendors"]]
    report_input.markets = [market]
    with pytest.raises(ConfigError, match=re.escape(message)):
        build(report_input, lang="en", generated=GEN)


def test_market_near_the_report_date_is_labelled_with_its_period(report_input):
    report_input.markets = [_market(period="2021-12")]  # the latest before the date: accepted
    fr = _parse(build(report_input, lang="fr", generated=GEN)).text
    assert "période du marché : décembre 2021" in fr
    report_input.markets = [_market(period="2022-Q1")]
    assert "market period: Q1 2022" in _parse(build(report_input, lang="en", generated=GEN)).text


def test_labels_are_translated(report_input):
    from devicepark.publish.locale import vendor_label

    assert vendor_label("Unknown", "fr") == "Inconnu" and vendor_label("Unknown", "en") == "Unknown"
    assert vendor_label("Other", "fr") == "Autres"
    report_input.markets = [_market()]
    text = _parse(build(report_input, lang="fr", generated=GEN)).text
    for english in ("Unknown", "Other ", "(not active)", "(unidentified)", "not named"):
        assert english not in text


def test_market_section_hides_what_the_base_hides(report_input):
    counts = {"Apple": 500, "Samsung": 300, "Xiaomi": 95, "Nokia": 8, "Wiko": 40}
    report_input.base = base_dict(counts, 1_000)
    report_input.series = report_input.switches = report_input.campaigns = None  # type: ignore
    report_input.age = None
    report_input.campaigns = []
    report_input.markets = [
        {
            "as_of": "2022-02-03",
            "market": "statcounter-fr",
            "period": "2022-02",
            "vendors": [
                {"vendor": "Apple", "base_share": 0.5537, "market_share": 0.38, "index": 145.7,
                 "gap_lines": -4_600},
                {"vendor": "Nokia", "base_share": 0.00886, "market_share": 0.02, "index": 44.3,
                 "gap_lines": 957},
            ],
        }
    ]  # fmt: skip
    page = build(report_input, lang="en", generated=GEN)
    rows = _market_rows(page)
    assert rows["Apple"] == ["Apple", "55.37%", "38.00%", "146"]
    assert rows["Nokia"] == ["Nokia", "•", "2.00%", "•"]  # Nokia's 8 lines are hidden in the base
    assert "0.89%" not in page and "44" not in rows["Nokia"][3]


def test_noise_hides_whole_rows_and_says_why():
    counts = {"Apple": 5_000, "Samsung": 3_000, "Xiaomi": 950, "Nokia": 3}
    inp = ReportInput(as_of="2022-02-03", base=base_dict(counts, 9_000), operator="Orange")
    age = base_dict({}, 9_000)
    age.update(by=["device_age"], identified_lines=8_953, groups=[
        {"device_age": k, "lines": n, "share": n / 9_000, "share_of_identified": n / 8_953}
        for k, n in {"0-6": 2_000, "6-12": 3_000, "12-24": 3_953}.items()
    ])  # fmt: skip
    inp.age = age
    # a huge budget: the noise is tiny, so the noisy counts are (nearly) the true ones
    page = build(inp, lang="en", top=6, noise=Noise(5_000.0), generated=GEN)
    text = _parse(page).text
    rows = {r[0]: r for r in _parse(page).rows if r}
    assert rows["Nokia"][1:] == ["•", "•", "•"]
    assert "Nokia: whole row hidden (•): after differential-privacy noise was added" in text
    # the two age buckets with no line at all: their noisy count is 0 and they are dropped
    assert rows["24-36"][1:] == ["•", "•"] and rows["36+"][1:] == ["•", "•"]
    assert "24-36 and 36+: whole row hidden (•): its noisy count is zero" in text
