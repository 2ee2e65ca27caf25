"""The report's charts: Vega-Lite specs built with Altair, rendered to static SVG by vl-convert.

Every chart takes already-published (protected) dicts and returns an SVG string ready to inline:
ids are prefixed per chart so that several SVGs can share one page, and the size follows the page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from devicepark.publish import locale

OTHER = {"fr": "Autres", "en": "Other"}
RESERVED_LABELS = {
    "(not active)": {"fr": "(ligne inactive)", "en": "(line not active)"},
    "(unidentified)": {"fr": "(non identifié)", "en": "(unidentified)"},
}
PALETTE = [
    "#1f6feb", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#0c8599",
    "#f08c00", "#5c940d", "#862e9c", "#364fc7",
]  # fmt: skip
GREY = "#868e96"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"

# d3 number locales that agree with Babel's CLDR output (d3's fr-FR swaps the two spaces).
D3_LOCALES = {
    "fr": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"],
           "percent": "\u00a0%"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
}  # fmt: skip
D3_TIME: dict[str, Any] = {"fr": "fr-FR", "en": "en-US"}

CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal",
             "gridColor": "#e9ecef", "domainColor": "#adb5bd", "tickColor": "#adb5bd",
             "labelColor": "#343a40", "titleColor": "#495057"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "background": "white",
}  # fmt: skip


def colors(names: Sequence[str]) -> dict[str, str]:
    """One stable colour per vendor (by rank), grey for the others and reserved states."""
    out: dict[str, str] = {}
    k = 0
    for n in names:
        if n in OTHER.values() or n in RESERVED_LABELS or n.startswith("("):
            out[n] = GREY
        else:
            out[n] = PALETTE[k % len(PALETTE)]
            k += 1
    return out


def render(chart: alt.TopLevelMixin, lang: str, name: str) -> str:
    """Static SVG for one chart; no URL may be fetched while rendering."""
    import vl_convert as vlc

    spec = chart.to_dict()
    spec.setdefault("config", {}).update(CONFIG)
    svg = vlc.vegalite_to_svg(
        spec,
        format_locale=D3_LOCALES[lang],
        time_format_locale=D3_TIME[lang],
        allowed_base_urls=[],
    )
    return _scope_svg(svg, name)


def _scope_svg(svg: str, name: str) -> str:
    """Renumber ids (clip paths, gradients) as ``name-1``, ``name-2``... in order of appearance,
    so that several SVGs can share a page and the same chart gives the same bytes (vl-convert
    numbers them per process), and let the SVG scale with the page."""
    mapping: dict[str, str] = {}
    for i in re.findall(r'\bid="([^"]+)"', svg):
        mapping.setdefault(i, f"{name}-{len(mapping) + 1}")

    def sub(m: re.Match[str]) -> str:
        return m.group(1) + mapping.get(m.group(2), m.group(2)) + m.group(3)

    svg = re.sub(r'(\bid="|url\(#|href="#)([^")]+)([")])', sub, svg)
    svg = re.sub(r"^<svg ", f'<svg role="img" aria-labelledby="{name}-title" ', svg, count=1)
    svg = re.sub(
        r'(<svg[^>]*?) width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"',
        r'\1 width="\2" height="\3" style="max-width:100%;height:auto"',
        svg,
        count=1,
    )
    return svg


def shares_chart(groups: list[dict[str, Any]], lang: str, palette: dict[str, str]) -> str:
    """Horizontal bars of each vendor's share of all active lines, labelled in the locale."""
    rows = [
        {"vendor": g["vendor"], "share": g["share"], "label": locale.percent(g["share"], lang, 1)}
        for g in groups
        if g.get("share") is not None
    ]
    df = pd.DataFrame(rows, columns=["vendor", "share", "label"])
    order = list(df["vendor"])
    scale = alt.Scale(domain=order, range=[palette.get(v, GREY) for v in order])
    base = alt.Chart(df).encode(
        y=alt.Y("vendor:N", sort=order, title=None, axis=alt.Axis(labelLimit=160)),
        x=alt.X("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=5)),
    )
    bars = base.mark_bar(cornerRadiusEnd=3, height=18).encode(
        color=alt.Color("vendor:N", scale=scale, legend=None)
    )
    text = base.mark_text(align="left", dx=4, fontSize=12, color="#212529").encode(text="label:N")
    height = max(60, 28 * len(rows))
    return render((bars + text).properties(width=640, height=height), lang, "shares")


def series_chart(
    points: list[dict[str, Any]],
    markers: list[dict[str, Any]],
    lang: str,
    palette: dict[str, str],
    vendors: Sequence[str],
) -> str:
    """Lines per vendor over time; diamonds at the dates milestones were first crossed."""
    rows = [
        {"date": p["date"], "vendor": g["vendor"], "lines": g["lines"]}
        for p in points
        for g in p.get("groups", [])
        if g.get("vendor") in vendors and g.get("lines") is not None
    ]
    df = pd.DataFrame(rows, columns=["date", "vendor", "lines"])
    names = [v for v in vendors if v in set(df["vendor"])]
    scale = alt.Scale(domain=names, range=[palette.get(v, GREY) for v in names])
    fmt = "%b %Y"
    lines = (
        alt.Chart(df)
        .mark_line(strokeWidth=2.5, interpolate="monotone")
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format=fmt, labelAngle=0, tickCount=6)),
            y=alt.Y("lines:Q", title=None, axis=alt.Axis(format=",d", tickCount=5)),
            color=alt.Color("vendor:N", scale=scale, title=None),
        )
    )
    layers: list[alt.Chart] = [lines]
    mk = [
        {**m, "label": locale.integer(m["threshold"], lang)}
        for m in markers
        if m.get("vendor") in names and m.get("date")
    ]
    if mk:
        mdf = pd.DataFrame(mk, columns=["date", "vendor", "threshold", "label"])
        pts = alt.Chart(mdf).encode(x="date:T", y="threshold:Q")
        layers.append(
            pts.mark_point(
                shape="diamond", size=160, filled=True, stroke="white", strokeWidth=1
            ).encode(color=alt.Color("vendor:N", scale=scale, title=None))
        )
        layers.append(pts.mark_text(dy=-13, fontSize=11, color="#343a40").encode(text="label:N"))
    chart = alt.layer(*layers).properties(width=760, height=300)
    return render(chart, lang, "series")


def flows_chart(
    flows: list[dict[str, Any]], fk: str, tk: str, lang: str, palette: dict[str, str],
    order: Sequence[str], totals: dict[str, tuple[int | None, int | None]] | None = None,
) -> str:  # fmt: skip
    """A two-column flow chart (a Sankey without stacking): each line joins a state on the
    left (before) to one on the right (after), its width proportional to the lines moving.
    ``totals`` gives the published (lost, gained) per state, printed beside its name."""
    moves = [
        f for f in flows if f.get("lines") and f[fk] != f[tk] and f[fk] in order and f[tk] in order
    ]
    if not moves:
        return ""
    pos = {name: k for k, name in enumerate(order)}
    label = {n: RESERVED_LABELS.get(n, {}).get(lang, n) for n in order}
    biggest = max(f["lines"] for f in moves)
    rows = [
        {
            "from": label[f[fk]],
            "to": label[f[tk]],
            "y1": pos[f[fk]],
            "y2": pos[f[tk]],
            "x1": 0.0,
            "x2": 1.0,
            "lines": f["lines"],
            "width": 1.0 + 22.0 * f["lines"] / biggest,
            "label": locale.integer(f["lines"], lang),
        }
        for f in sorted(moves, key=lambda f: f["lines"])
    ]
    df = pd.DataFrame(rows)
    totals = totals or {}

    def side_text(n: str, k: int, sign: str) -> str:
        value = totals.get(n, (None, None))[k]
        return f"{sign}{locale.integer(value, lang)}" if value else ""

    nodes = pd.DataFrame(
        [{"name": label[n], "y": pos[n], "x": 0.0, "side": "left",
          "text": f"{label[n]}  {side_text(n, 0, '−')}".strip()} for n in order]
        + [{"name": label[n], "y": pos[n], "x": 1.0, "side": "right",
            "text": f"{side_text(n, 1, '+')}  {label[n]}".strip()} for n in order]
    )  # fmt: skip
    names = [label[n] for n in order]
    scale = alt.Scale(domain=names, range=[palette.get(n, GREY) for n in order])
    x = alt.X("x1:Q", scale=alt.Scale(domain=[0, 1]), axis=None)
    y = alt.Y("y1:Q", scale=alt.Scale(domain=[len(order) - 0.5, -0.5]), axis=None)
    links = (
        alt.Chart(df)
        .mark_rule(opacity=0.45, strokeCap="round")
        .encode(
            x=x,
            x2="x2:Q",
            y=y,
            y2="y2:Q",
            color=alt.Color("from:N", scale=scale, legend=None),
            strokeWidth=alt.StrokeWidth("width:Q", scale=None, legend=None),
        )
    )
    dots = (
        alt.Chart(nodes)
        .mark_circle(size=90, opacity=1)
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1]), axis=None),
            y=alt.Y("y:Q", scale=alt.Scale(domain=[len(order) - 0.5, -0.5]), axis=None),
            color=alt.Color("name:N", scale=scale, legend=None),
        )
    )
    left = (
        dots.transform_filter("datum.side == 'left'")
        .mark_text(align="right", dx=-10, fontSize=12, color="#212529")
        .encode(text="text:N")
    )
    right = (
        dots.transform_filter("datum.side == 'right'")
        .mark_text(align="left", dx=10, fontSize=12, color="#212529")
        .encode(text="text:N")
    )
    chart = alt.layer(links, dots, left, right).properties(
        width=420, height=max(160, 34 * len(order)), padding={"left": 190, "right": 190, "top": 8,
                                                             "bottom": 8}
    )  # fmt: skip
    return render(chart, lang, "flows")


def gains_chart(summary: list[dict[str, Any]], key: str, lang: str, names: dict[str, str]) -> str:
    """Diverging bars: lines gained (right) and lost (left) by each top vendor."""
    rows = []
    for s in summary:
        if s.get("gained") is None or s.get("lost") is None:
            continue
        rows.append({"vendor": s[key], "kind": names["gained"], "lines": s["gained"]})
        rows.append({"vendor": s[key], "kind": names["lost"], "lines": -s["lost"]})
    if not rows:
        return ""
    df = pd.DataFrame(rows)
    order = list(dict.fromkeys(r["vendor"] for r in rows))
    chart = (
        alt.Chart(df)
        .mark_bar(height=14, cornerRadius=2)
        .encode(
            y=alt.Y("vendor:N", sort=order, title=None),
            x=alt.X("lines:Q", title=None, axis=alt.Axis(format=",d")),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=[names["gained"], names["lost"]], range=["#2f9e44", "#e03131"]
                ),
                title=None,
            ),
        )
        .properties(width=640, height=max(60, 30 * len(order)))
    )
    return render(chart, lang, "gains")


def age_chart(groups: list[dict[str, Any]], order: Sequence[str], lang: str) -> str:
    """Bars of lines by device age bucket (months), labelled with their share."""
    rows = [
        {"age": g["device_age"], "lines": g["lines"],
         "label": locale.percent(g.get("share_of_identified"), lang, 1)}
        for g in groups
        if g.get("lines") is not None and g.get("device_age") is not None
    ]  # fmt: skip
    if not rows:
        return ""
    df = pd.DataFrame(rows)
    base = alt.Chart(df).encode(
        x=alt.X("age:N", sort=list(order), title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("lines:Q", title=None, axis=alt.Axis(format=",d", tickCount=4)),
    )
    chart = base.mark_bar(color="#7048e8", cornerRadiusEnd=3, width=56) + base.mark_text(
        dy=-8, fontSize=12, color="#212529"
    ).encode(text="label:N")
    return render(chart.properties(width=520, height=220), lang, "age")


def campaign_chart(campaign: dict[str, Any], lang: str, name: str, names: dict[str, str]) -> str:
    """Observed daily adds against the counterfactual and its 95 % band; the window shaded."""
    daily = campaign.get("daily") or []
    if not daily:
        return ""
    df = pd.DataFrame(daily, columns=["date", "observed", "expected", "low", "high"])
    window = campaign.get("window") or {}
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
    layers = []
    if window.get("starts") and window.get("ends"):
        end = dt.date.fromisoformat(str(window["ends"])[:10]) + dt.timedelta(days=1)
        wdf = pd.DataFrame([{"a": window["starts"], "b": end.isoformat()}])  # ends is inclusive
        layers.append(alt.Chart(wdf).mark_rect(color="#fff3bf").encode(x="a:T", x2="b:T"))
    layers += [
        alt.Chart(df).mark_area(color="#a5d8ff", opacity=0.6).encode(x=x, y="low:Q", y2="high:Q"),
        alt.Chart(df)
        .mark_line(color="#1c7ed6", strokeDash=[5, 3])
        .encode(x=x, y=alt.Y("expected:Q", title=names["adds"])),
        alt.Chart(df.dropna(subset=["observed"]))
        .mark_line(color="#e8590c", point=alt.OverlayMarkDef(color="#e8590c"), strokeWidth=2)
        .encode(x=x, y="observed:Q"),
    ]
    return render(alt.layer(*layers).properties(width=760, height=220), lang, name)
