"""The report's pictures, read back from their SVG: they must say what the figures say.

- campaign chart: no observed-line segment spans a hidden day; the band never goes below 0;
- alluvial: every band's width is proportional to its lines (within a pixel), bars are the sums;
- switching matrix: counts, row shares, hidden cells marked, colour growing with the share.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from publish_samples import campaign_dict, sample_input

from devicepark.publish import charts
from devicepark.publish.alluvial import alluvial_svg
from devicepark.publish.report import build, publish
from devicepark.publish.switching import share_colour

NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


def _points(d: str) -> list[tuple[float, float]]:
    """The vertices of an SVG path made of M/L commands (Vega's straight lines; a line of one
    point is drawn as ``Mx,yZ``)."""
    assert re.fullmatch(rf"(?:[ML]{NUM},{NUM})+Z?", d), d
    return [(float(x), float(y)) for x, y in re.findall(rf"[ML]({NUM}),({NUM})", d)]


def _line_paths(svg: str, stroke: str) -> list[str]:
    tags = re.findall(r'<path [^>]*aria-roledescription="line mark"[^>]*>', svg)
    return [re.search(r' d="([^"]+)"', t).group(1) for t in tags if f'stroke="{stroke}"' in t]


def _campaign(hidden: list[int], low_shift: float = 0.0) -> dict:
    c = campaign_dict()
    for d in c["daily"]:
        d["low"] += low_shift
        d["expected"] += low_shift / 2
        d["suppressed"] = False
    for k in hidden:
        c["daily"][k].update(observed=None, suppressed=True)
    return c


def _observed_gaps(svg: str, hidden: list[int], days: int) -> None:
    """Assert that no observed segment touches or crosses a hidden day's x."""
    expected = _line_paths(svg, charts.EXPECTED)
    assert len(expected) == 1
    xs = [x for x, _ in _points(expected[0])]
    assert len(xs) == days  # one vertex per day: the x of every day
    observed = [_points(d) for d in _line_paths(svg, charts.OBSERVED)]
    assert observed, "no observed line drawn"
    drawn = {round(x, 2) for line in observed for x, _ in line}
    for k in hidden:
        xk = xs[k]
        assert round(xk, 2) not in drawn, f"day {k} is hidden but has a vertex"
        for line in observed:
            for (xa, _), (xb, _) in zip(line, line[1:], strict=False):
                assert not (xa < xk < xb), f"a segment {xa}-{xb} spans hidden day {k} at {xk}"
    assert len(drawn) == days - len(hidden)  # every shown day is on the line


@pytest.mark.parametrize("hidden", [[3], [0, 1], [10, 11, 12], [5, 7, 27]])
def test_campaign_line_breaks_at_hidden_days(hidden):
    svg = charts.campaign_chart(_campaign(hidden), "en", "c", {"adds": "adds"}, threshold=10)
    _observed_gaps(svg, hidden, 28)
    # each run of hidden days is a grey band labelled "< 10"
    runs = len([k for k in hidden if k - 1 not in hidden])
    assert svg.count(">&lt; 10<") == runs
    assert len(re.findall(r'<path [^>]*fill="#ced4da"', svg)) == runs


def test_campaign_in_the_published_report_breaks_too():
    pub = publish(sample_input(), lang="fr")
    c = pub.data.campaigns[0]
    hidden = [k for k, d in enumerate(c["daily"]) if d["suppressed"]]
    assert hidden == [3]
    svg = charts.campaign_chart(c, "fr", "c", {"adds": "n"}, threshold=pub.threshold)
    _observed_gaps(svg, hidden, len(c["daily"]))


def test_campaign_band_is_clipped_at_zero():
    svg = charts.campaign_chart(_campaign([], low_shift=-40.0), "en", "c", {"adds": "adds"})
    y_axis = re.search(r'aria-label="Y-axis[^"]*values from (-?[\d.,]+) to', svg)
    assert y_axis is not None and y_axis.group(1) == "0"  # unclipped, it would start at -20
    assert "−" not in svg and ">-" not in svg  # no negative tick label


def test_campaign_verdict_and_wording_in_both_languages():
    inp = sample_input()
    noisy = campaign_dict()
    noisy.update(campaign="flat", effect={"cumulative": 4.2, "low": -20.5, "high": 31.0})
    inp.campaigns.append(noisy)
    fr = build(inp, lang="fr", generated=dt.date(2022, 2, 4))
    en = build(inp, lang="en", generated=dt.date(2022, 2, 4))
    assert (
        "Pendant la campagne, écart entre les nouveaux terminaux Xiaomi vus sur le réseau et "
        "ceux attendus sans elle : +126 (intervalle à 95 % : [81 ; 172]) ; effet significatif, "
        "l&#x27;intervalle ne contient pas 0."
    ) in fr
    assert ": +4 (intervalle à 95 % : [-20 ; 31]) ; effet non significatif, l&#x27;interv" in fr
    assert (
        "During the campaign, new Xiaomi handsets seen on the network minus those expected "
        "without it: +126 (95% interval: [81, 172]); significant, the interval excludes 0."
    ) in en
    assert ": +4 (95% interval: [-20, 31]); not significant, the interval contains 0." in en
    # the two after-periods, the flat campaign's window in its table and in its lead sentence
    assert en.count("not significant, the interval contains 0") == 4
    for page in (fr, en):
        assert "ventes supplémentaires" not in page and "incremental adds" not in page
    assert "ce ne sont pas des ventes" in fr and "these are not sales" in en


# -- switching ------------------------------------------------------------------------------------

FLOWS = [  # (from, to, lines): a flow of no lines is hidden by disclosure control
    {"from_vendor": a, "to_vendor": b, "lines": n} | ({"suppressed": True} if n is None else {})
    for a, b, n in [
        ("Samsung", "Xiaomi", 1200),
        ("Apple", "Xiaomi", 310),
        ("Samsung", "Apple", 900),
        ("Apple", "Samsung", 37),
        ("(not active)", "Apple", 800),
        ("Apple", "(not active)", 13),
        ("Xiaomi", "Apple", None),
        ("Apple", "Apple", 39000),
    ]
]
ORDER = ["Apple", "Samsung", "Xiaomi", "Autres", "(not active)", "(unidentified)"]


def _bands(svg: str) -> list[dict]:
    out = []
    for attrs in re.findall(r'<path class="band" ([^>]*)>', svg):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        nums = [float(v) for v in re.findall(NUM, a["d"])]
        # M x0,y0 C .. .. x1,y1 L x1,y1+w C .. .. x0,y0+w Z
        y0, y1, y1w, y0w = nums[1], nums[7], nums[9], nums[15]
        out.append({**a, "left": y0w - y0, "right": y1w - y1, "lines": int(a["data-lines"])})
    return out


def test_alluvial_band_widths_are_proportional_to_lines():
    svg = alluvial_svg(FLOWS, "from_vendor", "to_vendor", "fr", ORDER, start="2021-02-28",
                       end="2022-02-03")  # fmt: skip
    bands = _bands(svg)
    # kept lines (the diagonal) and the hidden flow are not drawn
    assert sorted((b["data-from"], b["data-to"]) for b in bands) == sorted(
        (f["from_vendor"], f["to_vendor"])
        for f in FLOWS
        if f["lines"] and f["from_vendor"] != f["to_vendor"]
    )
    big = max(bands, key=lambda b: b["lines"])
    px_per_line = big["left"] / big["lines"]
    assert px_per_line > 0.05
    for b in bands:
        assert abs(b["left"] - b["lines"] * px_per_line) < 1, b
        assert abs(b["right"] - b["left"]) < 0.02, b  # the same width at both ends
    # each bar is as tall as the bands it sends or receives, and labelled with their sum
    for side, key in (("from", "data-from"), ("to", "data-to")):
        for attrs in re.findall(rf'<rect class="node" data-side="{side}" ([^>]*)>', svg):
            a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
            mine = [b for b in bands if b[key] == a["data-state"]]
            assert int(a["data-lines"]) == sum(b["lines"] for b in mine)
            assert abs(float(a["height"]) - sum(b["left"] for b in mine)) < 0.05
    assert "<script" not in svg and "foreignObject" not in svg and "href" not in svg


def test_alluvial_says_what_an_inactive_line_is_on_each_side():
    svg = alluvial_svg(FLOWS, "from_vendor", "to_vendor", "fr", ORDER)
    assert re.search(r"\(ligne inactive\)\u2003800</tspan><tspan[^>]*>nouvelle ligne<", svg)
    assert re.search(r"13\u2003\(ligne inactive\)</tspan><tspan[^>]*>ligne fermée<", svg)
    en = alluvial_svg(FLOWS, "from_vendor", "to_vendor", "en", ORDER)
    assert ">new line<" in en and ">closed line<" in en and "(inactive line)" in en


def test_no_flow_no_picture():
    assert alluvial_svg([FLOWS[-1]], "from_vendor", "to_vendor", "en", ORDER) == ""


def _matrix(page: str) -> str:
    return re.search(r'<table class="matrix">.*?</table>', page, re.S).group(0)


def test_switching_matrix_counts_shares_and_hidden_cells():
    page = build(sample_input(), lang="fr", generated=dt.date(2022, 2, 4))
    m = _matrix(page)
    rows = re.findall(r"<tr>(.*?)</tr>", m)
    head = re.findall(r"<th[^>]*>(.*?)</th>", rows[0])
    cols = [re.sub(r"<[^>]+>", "", h) for h in head]
    assert cols[1:4] == ["Apple", "Samsung", "Xiaomi"]
    assert "(ligne inactive) · ligne fermée" in cols
    body = {re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", r).group(1)): r
            for r in rows[1:]}  # fmt: skip
    assert "(ligne inactive) · nouvelle ligne" in body
    samsung = re.findall(r"<td[^>]*>(.*?)</td>", body["Samsung"])
    # Samsung at the start: kept 33 000 + lost 2 100 = 35 100; 1 200 went to Xiaomi (3,4 %)
    assert samsung[2] == "1\u202f200<small>3,4\u00a0%</small>"
    assert samsung[1] == "33\u202f000<small>94,0\u00a0%</small>"
    assert samsung[-1] == "35\u202f100"
    # Autres -> Xiaomi (4 lines, from Nokia) is hidden, and so is its complement
    autres = re.findall(r'<td class="([^"]*)"[^>]*>(.*?)</td>', body["Autres"])
    assert ("sup", "•") in autres
    assert ">4<" not in m
    # the row is hidden whole: a footnote says why
    assert "Autres : ligne entière masquée (•) par le secret statistique" in page


def test_switching_matrix_colour_grows_with_the_share():
    page = build(sample_input(), lang="en", generated=dt.date(2022, 2, 4))
    cells = re.findall(
        r'<td class="cell[^"]*" style="background:#([0-9a-f]{6});[^"]*">[^<]*<small>([\d.]+)%',
        _matrix(page),
    )
    assert len(cells) >= 10
    by_share = sorted((float(s), sum(int(c[k : k + 2], 16) for k in (0, 2, 4))) for c, s in cells)
    lightness = [light for _, light in by_share]
    assert lightness == sorted(lightness, reverse=True)  # larger share, darker cell
    assert share_colour(0.0)[0] != share_colour(0.03)[0]  # small shares still show
