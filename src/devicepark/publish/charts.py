"""The report's charts: Vega-Lite specs built with Altair, rendered to static SVG by vl-convert,
and one drawn by hand (the switching flows: Vega-Lite has no Sankey/alluvial mark).

Every chart takes already-published (protected) dicts and returns an SVG string ready to inline:
ids are prefixed per chart so that several SVGs can share one page, and the size follows the page.
Colours come from ``devicepark.publish.palette`` (by vendor, never by rank). A chart with nothing
to draw is the empty string, and no SVG leaves :func:`render` with a size that is not finite and
at most :data:`MAX_PX` (Vega sizes a chart of empty scales at 1.8e308 pixels).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from devicepark.publish import locale
from devicepark.publish.disclosure import THRESHOLD
from devicepark.publish.palette import OTHERS, colours

OTHER = {"fr": "Autres", "en": "Other"}
RESERVED_LABELS = {
    state: {lang: locale.vendor_label(state, lang) for lang in locale.LANGS}
    for state in ("(not active)", "(unidentified)")
}
GREY = OTHERS
OBSERVED = "#e8590c"  # campaign chart: the observed daily adds
EXPECTED = "#1c7ed6"  # campaign chart: the counterfactual and its band
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
MAX_PX = 4000  # the largest width or height any chart may have, in pixels
INK = "#212529"  # the outline of a highlighted vendor

log = logging.getLogger("devicepark.publish")

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
    """One colour per vendor, fixed by its name (``palette.colours``); greys for the others,
    Unknown and the reserved states."""
    return colours(names)


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
    if svg_size(svg) is None:
        log.warning("chart %s dropped: its size is unbounded (no data to scale?)", name)
        return ""
    return _scope_svg(svg, name)


def svg_size(svg: str, limit: float = MAX_PX) -> tuple[float, float] | None:
    """(width, height) of the outer ``<svg>`` when both are finite, positive and at most
    ``limit`` pixels; None otherwise.

    >>> svg_size('<svg width="650" height="88" viewBox="0 0 650 88">')
    (650.0, 88.0)
    >>> svg_size('<svg width="1.7976931348623157e+308" height="1.7976931348623157e+308">')
    >>> svg_size('<svg width="100%" height="20">')
    """
    head = re.match(r"\s*<svg\b[^>]*>", svg)
    if head is None:
        return None
    size = []
    for attr in ("width", "height"):
        m = re.search(rf'\s{attr}="([^"]*)"', head.group(0))
        try:
            value = float(m.group(1)) if m else math.nan
        except ValueError:
            return None
        if not (math.isfinite(value) and 0 < value <= limit):
            return None
        size.append(value)
    return size[0], size[1]


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
        r'(<svg[^>]*?) width="([^"]+)" height="([^"]+)"',
        r'\1 width="\2" height="\3" style="max-width:100%;height:auto"',
        svg,
        count=1,
    )
    return svg


def _is(vendor: str) -> alt.FieldEqualPredicate:
    return alt.FieldEqualPredicate(field="vendor", equal=vendor)


def shares_chart(
    groups: list[dict[str, Any]], lang: str, palette: dict[str, str], *,
    highlight: str | None = None, hidden_label: str | None = None,
) -> str:  # fmt: skip
    """Horizontal bars of each vendor's share of all active lines, labelled in the locale.

    With ``highlight``, that vendor's bar is outlined and its label bold, the others paler; if
    its share is hidden and ``hidden_label`` is given (e.g. "< 10"), it keeps its row, with no
    bar and that label, so the chosen vendor is never missing from the picture."""
    rows = [
        {"vendor": g["vendor"], "share": g["share"], "label": locale.percent(g["share"], lang, 1)}
        for g in groups
        if g.get("share") is not None or (g.get("vendor") == highlight and hidden_label is not None)
    ]
    for r in rows:
        if r["share"] is None:
            r["share"], r["label"] = 0.0, hidden_label
    if not rows:
        return ""
    df = pd.DataFrame(rows, columns=["vendor", "share", "label"])
    order = list(df["vendor"])
    scale = alt.Scale(domain=order, range=[palette.get(v, GREY) for v in order])
    axis = alt.Axis(labelLimit=160)
    if highlight is not None:
        test = f"datum.value === {json.dumps(highlight)}"
        axis = alt.Axis(
            labelLimit=160,
            labelFontWeight=alt.ExprRef(f"{test} ? 'bold' : 'normal'"),
            labelColor=alt.ExprRef(f"{test} ? '{INK}' : '#495057'"),
        )
    base = alt.Chart(df).encode(
        y=alt.Y("vendor:N", sort=order, title=None, axis=axis),
        x=alt.X("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=5)),
    )
    bars = base.mark_bar(cornerRadiusEnd=3, height=18).encode(
        color=alt.Color("vendor:N", scale=scale, legend=None)
    )
    text = base.mark_text(align="left", dx=4, fontSize=12, color=INK).encode(text="label:N")
    if highlight is not None:
        chosen = _is(highlight)
        bars = bars.encode(
            opacity=alt.condition(chosen, alt.value(1.0), alt.value(0.45)),
            stroke=alt.condition(chosen, alt.value(INK), alt.value(None)),
            strokeWidth=alt.condition(chosen, alt.value(2), alt.value(0)),
        )
        others = alt.LogicalNotPredicate(**{"not": chosen})
        text = text.transform_filter(others) + base.transform_filter(chosen).mark_text(
            align="left", dx=4, fontSize=12, color=INK, fontWeight="bold"
        ).encode(text="label:N")
    height = max(60, 28 * len(rows))
    return render((bars + text).properties(width=640, height=height), lang, "shares")


def series_chart(
    points: list[dict[str, Any]],
    markers: list[dict[str, Any]],
    lang: str,
    palette: dict[str, str],
    vendors: Sequence[str],
    *,
    highlight: str | None = None,
) -> str:
    """Lines per vendor over time; diamonds at the dates milestones were first crossed. With
    ``highlight``, that vendor's line is thick and the others thin and paler."""
    rows = [
        {"date": p["date"], "vendor": g["vendor"], "lines": g["lines"]}
        for p in points
        for g in p.get("groups", [])
        if g.get("vendor") in vendors and g.get("lines") is not None
    ]
    if not rows:
        return ""
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
    if highlight is not None:
        chosen = _is(highlight)
        lines = lines.encode(
            size=alt.condition(chosen, alt.value(5), alt.value(1.5)),
            opacity=alt.condition(chosen, alt.value(1.0), alt.value(0.55)),
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
    *, start: str | None = None, end: str | None = None,
) -> str:  # fmt: skip
    """The switching flows as an alluvial diagram drawn by hand (``publish.alluvial``): each
    band joins a state at ``start`` (left) to one at ``end`` (right), its width proportional to
    the lines moving. Lines that kept their state and hidden (suppressed) flows are not drawn.
    ``totals`` is accepted for compatibility and unused: each side prints its own sums."""
    from devicepark.publish.alluvial import alluvial_svg

    del totals
    return alluvial_svg(
        flows, fk, tk, lang, order, colours=palette, start=start, end=end, name="flows"
    )


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


def _utc_ms(day: dt.date, hours: float = 0.0) -> int:
    """Milliseconds since the epoch at ``day`` 00:00 UTC plus ``hours`` (how Vega-Lite reads a
    date-only ISO string)."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int((start + dt.timedelta(hours=hours)).timestamp() * 1000)


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """``(first, last)`` index of each run of consecutive true flags.

    >>> _runs([False, True, True, False, True])
    [(1, 2), (4, 4)]
    """
    out: list[tuple[int, int]] = []
    for k, flag in enumerate(flags):
        if flag and out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        elif flag:
            out.append((k, k))
    return out


def campaign_chart(
    campaign: dict[str, Any],
    lang: str,
    name: str,
    names: dict[str, str],
    threshold: int = THRESHOLD,
) -> str:
    """Observed daily adds against the counterfactual and its 95 % band; the window shaded.

    The band and the expected line are clipped at 0 (a count cannot be negative). A day whose
    observed count is hidden breaks the observed line (each run of shown days is its own path,
    never joined across a hidden day) and is drawn as a grey "< threshold" band from 0 up to the
    threshold instead.
    """
    daily = campaign.get("daily") or []
    if not daily:
        return ""
    rows: list[dict[str, Any]] = []
    segment = 0
    for d in daily:
        hidden = d.get("observed") is None
        segment += hidden
        rows.append(
            {
                "date": str(d["date"])[:10],
                "observed": None if hidden else d["observed"],
                "expected": None if d.get("expected") is None else max(0.0, d["expected"]),
                "low": None if d.get("low") is None else max(0.0, d["low"]),
                "high": None if d.get("high") is None else max(0.0, d["high"]),
                "segment": segment,
            }
        )
    df = pd.DataFrame(rows)
    window = campaign.get("window") or {}
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
    layers: list[Any] = []
    if window.get("starts") and window.get("ends"):
        end = dt.date.fromisoformat(str(window["ends"])[:10]) + dt.timedelta(days=1)
        wdf = pd.DataFrame([{"a": window["starts"], "b": end.isoformat()}])  # ends is inclusive
        layers.append(alt.Chart(wdf).mark_rect(color="#fff3bf").encode(x="a:T", x2="b:T"))
    layers += [
        alt.Chart(df).mark_area(color="#a5d8ff", opacity=0.6).encode(x=x, y="low:Q", y2="high:Q"),
        alt.Chart(df)
        .mark_line(color=EXPECTED, strokeDash=[5, 3])
        .encode(x=x, y=alt.Y("expected:Q", title=names["adds"], scale=alt.Scale(zero=True))),
    ]
    gaps = _runs([r["observed"] is None for r in rows])
    if gaps:
        days = [dt.date.fromisoformat(r["date"]) for r in rows]
        band = pd.DataFrame(
            [
                {"a": _utc_ms(days[i], -12), "b": _utc_ms(days[j], 12),
                 "mid": _utc_ms(days[i], 12 * (j - i)), "bottom": 0, "top": threshold,
                 "label": names.get("below", f"< {threshold}")}
                for i, j in gaps
            ]
        )  # fmt: skip
        base = alt.Chart(band)
        layers += [
            base.mark_rect(
                color="#ced4da", opacity=0.7, stroke="#868e96", strokeDash=[2, 2]
            ).encode(x="a:T", x2="b:T", y="bottom:Q", y2="top:Q"),
            base.mark_text(dy=-7, fontSize=11, color="#495057").encode(
                x="mid:T", y="top:Q", text="label:N"
            ),
        ]
    shown = df.dropna(subset=["observed"])
    layers += [
        alt.Chart(shown)
        .mark_line(color=OBSERVED, strokeWidth=2)
        .encode(x=x, y="observed:Q", detail="segment:N"),
        alt.Chart(shown)
        .mark_point(color=OBSERVED, filled=True, size=22)
        .encode(x=x, y="observed:Q"),
    ]
    return render(alt.layer(*layers).properties(width=760, height=220), lang, name)
