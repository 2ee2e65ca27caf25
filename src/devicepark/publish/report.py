"""The HTML report: one self-contained file, offline, in French or English, every figure protected.

Charts are Vega-Lite specs built with Altair and rendered to static SVG by vl-convert, inlined in
the page. We chose this over Plotly with inlined JavaScript because the page then holds no script
at all: nothing can reach for a CDN, nothing can fail in the browser's console, the same input
gives the same bytes (testable by reading the HTML), and the file stays small (tens of kB, where
plotly.js alone is ~3.5 MB). What we give up is interactivity (hover, zoom), which a published
report does not need; numbers that matter are also printed as text.

Switching flows are drawn as a two-column flow chart (rule marks from each "before" state to each
"after" state, width proportional to lines): Vega-Lite has no Sankey mark, and this keeps what a
Sankey shows for a handful of vendors; a diverging bar chart of gains and losses sits beside it.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from dataclasses import dataclass, field, replace
from typing import Any

from devicepark.publish import charts, locale
from devicepark.publish.announce import round_figure
from devicepark.publish.charts import OTHER, RESERVED_LABELS
from devicepark.publish.disclosure import (
    THRESHOLD,
    flow_keys,
    protect_base,
    protect_counts,
    protect_series,
    protect_switches,
)
from devicepark.publish.locale import message
from devicepark.publish.privacy import Noise, noise_base, noise_series, noise_switches

AGE_ORDER = ("0-6", "6-12", "12-24", "24-36", "36+")
RESERVED = tuple(RESERVED_LABELS)


@dataclass
class ReportInput:
    """What the report shows, as the answers' JSON-contract dicts (raw or already published)."""

    as_of: str
    base: dict[str, Any]  # by vendor
    series: dict[str, Any] | None = None  # by vendor
    switches: dict[str, Any] | None = None  # by vendor
    age: dict[str, Any] | None = None  # by device_age
    milestones: list[dict[str, Any]] = field(default_factory=list)  # answers.milestones dicts
    campaigns: list[dict[str, Any]] = field(default_factory=list)  # campaign measure dicts
    markets: list[dict[str, Any]] = field(default_factory=list)  # market compare dicts
    operator: str = ""
    lookback_days: int = 30
    start: str | None = None  # first date of the series and switches


@dataclass
class Published:
    """The protected figures the page shows, and how they were protected."""

    data: ReportInput
    top: list[str]
    markers: list[dict[str, Any]]
    threshold: int
    epsilon: float | None = None
    epsilon_total: float | None = None
    noised: bool = False


# ---------------------------------------------------------------------------------------------
# Folding small vendors into "Other"
# ---------------------------------------------------------------------------------------------


def top_vendors(base: dict[str, Any], n: int) -> list[str]:
    """The ``n`` largest vendors by lines ('Unknown' goes with the others)."""
    groups = [g for g in base.get("groups", []) if g.get("vendor") not in (None, "Unknown")]
    groups.sort(key=lambda g: (-(g.get("lines") or 0), str(g["vendor"])))
    return [g["vendor"] for g in groups[:n]]


def fold_groups(table: dict[str, Any], keep: list[str], other: str) -> dict[str, Any]:
    """A base-like dict with every vendor outside ``keep`` summed into ``other``."""
    out = copy.deepcopy(table)
    sums: dict[str, int] = {}
    for g in out.get("groups", []):
        name = g["vendor"] if g["vendor"] in keep else other
        sums[name] = sums.get(name, 0) + int(g.get("lines") or 0)
    total, ident = out.get("total_lines") or 0, out.get("identified_lines") or 0
    order = [v for v in keep if v in sums] + ([other] if other in sums else [])
    out["groups"] = [
        {
            "vendor": v,
            "lines": sums[v],
            "share": sums[v] / total if total else None,
            "share_of_identified": sums[v] / ident if ident else None,
        }
        for v in order
    ]
    return out


def fold_series(series: dict[str, Any], keep: list[str], other: str) -> dict[str, Any]:
    out = copy.deepcopy(series)
    out["points"] = [fold_groups(p, keep, other) for p in out.get("points", [])]
    return out


def fold_switches(sw: dict[str, Any], keep: list[str], other: str) -> dict[str, Any]:
    """Flows between the kept vendors, ``other`` and the reserved states; summary recomputed."""
    from devicepark.base.switches import summary

    fk, tk, sk = flow_keys(sw)

    def name(v: str) -> str:
        return v if v in keep or v in RESERVED else other

    cells: dict[tuple[str, str], int] = {}
    for f in sw.get("flows", []):
        k = (name(f[fk]), name(f[tk]))
        cells[k] = cells.get(k, 0) + int(f.get("lines") or 0)
    ordered = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))
    flows = [{fk: a, tk: b, "lines": n} for (a, b), n in ordered if n]
    return {**copy.deepcopy(sw), "flows": flows, "summary": summary(flows, sk)}


# ---------------------------------------------------------------------------------------------
# Protection
# ---------------------------------------------------------------------------------------------


def publish(
    data: ReportInput,
    *,
    lang: str = "fr",
    top: int = 6,
    threshold: int = THRESHOLD,
    noise: Noise | None = None,
    vendor_keys: list[str] | None = None,
) -> Published:
    """Fold, optionally noise, then suppress every table of the report.

    With ``noise``, its budget is split over the base, series, switches and age tables (those
    present); ``vendor_keys`` is the public list of vendors (e.g. the catalog's) so that a
    vendor's mere presence is noised too. Milestone markers then come from the noisy series.
    """
    other = OTHER[locale.check_lang(lang)]
    d = replace(data)
    if noise is not None:
        parts = 1 + sum(x is not None for x in (d.series, d.switches, d.age))
        noise.parts = parts
        keys = [{"vendor": v} for v in vendor_keys] if vendor_keys else None
        d.base = noise_base(d.base, noise, keys=keys)
    keep = top_vendors(d.base, top)
    names = [*keep, other]
    d.base = protect_base(fold_groups(d.base, keep, other), threshold)
    if d.series is not None:
        s = fold_series(d.series, keep, other)
        if noise is not None:
            s = noise_series(s, noise, keys=[{"vendor": v} for v in names])
        d.series = protect_series(s, threshold)
    if d.switches is not None:
        w = fold_switches(d.switches, keep, other)
        if noise is not None:
            w = noise_switches(w, noise)
        d.switches = protect_switches(w, threshold)
    if d.age is not None:
        a = d.age
        if noise is not None:
            a = noise_base(a, noise, name="device_age", keys=[{"device_age": k} for k in AGE_ORDER])
        d.age = protect_base(a, threshold)
    d.campaigns = [_protect_campaign(c, threshold) for c in d.campaigns]
    full = protect_base(data.base, threshold) if noise is None else None
    d.markets = [_protect_market(m, full) for m in d.markets]
    markers = _markers(d, threshold, from_series=noise is not None)
    return Published(d, keep, markers, threshold, noised=noise is not None)


def _protect_campaign(c: dict[str, Any], threshold: int) -> dict[str, Any]:
    out = copy.deepcopy(c)
    if out.get("daily"):
        out["daily"] = protect_counts(out["daily"], "observed", threshold)
    return out


def _protect_market(m: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    """Hide a vendor's base share (and gap) when its count is hidden or cannot be checked."""
    out = copy.deepcopy(m)
    shown = {g["vendor"] for g in (base or {}).get("groups", []) if not g.get("suppressed")}
    for row in out.get("vendors", []):
        if row.get("vendor") not in shown:
            row["base_share"] = row["index"] = row["gap_lines"] = None
    return out


def _markers(d: ReportInput, threshold: int, from_series: bool) -> list[dict[str, Any]]:
    """Milestone diamonds: the first crossing of each round threshold, per vendor.

    A threshold already reached on the series' first date was not crossed in the window shown:
    it gets no marker. With noise, crossings computed on raw data would leak, so they are read
    off the noisy series instead.
    """
    from devicepark.base.milestones import crossings

    points = (d.series or {}).get("points", [])
    dates = [dt.date.fromisoformat(str(p["date"])[:10]) for p in points]
    first = dates[0].isoformat() if dates else None
    out: list[dict[str, Any]] = []
    for m in d.milestones:
        v = m["vendor"]
        found = m.get("milestones", [])
        if from_series:  # thresholds too come from the noisy counts: a quarter of the peak
            counts = [
                next((g["lines"] or 0 for g in p["groups"] if g["vendor"] == v), 0) for p in points
            ]
            peak = max(counts, default=0)
            every = max(threshold, round_figure(max(1, peak // 4)))
            ths = list(range(every, peak + 1, every))
            found = crossings(dates, counts, ths) if dates else []
        for c in found:
            when = c.get("first_crossed")
            if not when or c["threshold"] < threshold or (first is not None and when <= first):
                continue
            out.append({"vendor": v, "threshold": c["threshold"], "date": when})
    out.sort(key=lambda m: (m["date"], m["vendor"]))
    return out


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

CSS = """
:root{--ink:#212529;--mute:#6c757d;--line:#e9ecef;--accent:#1f6feb;--bg:#f8f9fa}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
 font:16px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:32px 24px 48px}
header{margin-bottom:24px}
h1{font-size:30px;line-height:1.2;margin:0 0 4px}
h2{font-size:21px;margin:0 0 4px}
.sub{color:var(--mute);margin:0}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:20px 24px;
 margin:18px 0;box-shadow:0 1px 2px rgba(0,0,0,.03)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:14px;margin-top:14px}
.card{border:1px solid var(--line);border-left:6px solid var(--c,#1f6feb);border-radius:10px;
 padding:12px 14px;background:#fff}
.card h3{margin:0;font-size:15px;color:var(--mute);font-weight:600}
.card .big{font-size:28px;font-weight:700;letter-spacing:-.01em;margin:2px 0}
.card p{margin:0;font-size:13.5px;color:#495057}
figure{margin:14px 0 0}
figcaption{color:var(--mute);font-size:14px;margin-top:6px}
table{border-collapse:collapse;width:100%;font-size:14px;margin-top:12px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.note{font-size:13.5px;color:#495057}
.hidden{color:var(--mute)}
.pill{display:inline-block;background:#e7f5ff;color:#1864ab;border-radius:99px;padding:1px 10px;
 font-size:13px;margin-right:6px}
footer{color:var(--mute);font-size:13px;margin-top:24px}
svg{display:block}
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _num(n: Any, lang: str) -> str:
    if n is None:
        return f'<span class="hidden">{_e(message("suppressed", lang))}</span>'
    return _e(locale.integer(n, lang))


def _pct(x: Any, lang: str) -> str:
    if x is None:
        return f'<span class="hidden">{_e(message("suppressed", lang))}</span>'
    return _e(locale.percent(x, lang))


def render(pub: Published, lang: str = "fr", generated: dt.date | None = None) -> str:
    """The whole page as one string (UTF-8, no external resource)."""
    locale.check_lang(lang)
    d = pub.data
    other = OTHER[lang]
    palette = charts.colors([*pub.top, other])
    day = locale.date(d.as_of, lang)
    points = (d.series or {}).get("points") or [{}]
    start = d.start or points[0].get("date")
    body = [
        "<header>",
        f"<h1>{_e(message('report_title', lang, date=day))}</h1>",
        f'<p class="sub">{_e(message("report_subtitle", lang, operator=d.operator))}</p>',
        "</header>",
        _headline(pub, lang, palette),
        _shares(pub, lang, palette),
    ]
    if d.series and d.series.get("points"):
        body.append(_series(pub, lang, palette, start))
    if d.switches and d.switches.get("flows"):
        body.append(_flows(pub, lang, palette, start))
    if d.age and d.age.get("groups"):
        body.append(_age(pub, lang))
    if d.campaigns:
        body.append(_campaigns(pub, lang))
    if d.markets:
        body.append(_markets(pub, lang))
    body.append(_definitions(pub, lang, day))
    gen = locale.date(generated or dt.date.today(), lang)
    body.append(f"<footer>{_e(message('generated', lang, date=gen))}</footer>")
    title = message("report_title", lang, date=day)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


def _headline(pub: Published, lang: str, palette: dict[str, str]) -> str:
    b = pub.data.base
    total, ident = b.get("total_lines"), b.get("identified_lines")
    cards = []
    for g in b.get("groups", []):
        if g["vendor"] not in pub.top:
            continue
        cards.append(
            f'<div class="card" style="--c:{palette.get(g["vendor"], "#868e96")}">'
            f"<h3>{_e(g['vendor'])}</h3>"
            f'<div class="big">{_num(g["lines"], lang)}</div>'
            f"<p>{_e(message('share_total', lang, share='§1', total='§2'))}</p>"
            f"<p>{_e(message('share_identified', lang, share='§3', identified='§4'))}</p>"
            "</div>".replace("§1", _pct(g.get("share"), lang))
            .replace("§2", _num(total, lang))
            .replace("§3", _pct(g.get("share_of_identified"), lang))
            .replace("§4", _num(ident, lang))
        )
    rows = "".join(
        f"<tr><td>{_e(g['vendor'])}</td><td class=n>{_num(g['lines'], lang)}</td>"
        f"<td class=n>{_pct(g.get('share'), lang)}</td>"
        f"<td class=n>{_pct(g.get('share_of_identified'), lang)}</td></tr>"
        for g in b.get("groups", [])
    )
    head = (
        f"<tr><th>{_e(message('col_vendor', lang))}</th>"
        f"<th class=n>{_e(message('col_lines', lang))}</th>"
        f"<th class=n>{_e(message('col_share', lang))}</th>"
        f"<th class=n>{_e(message('col_share_identified', lang))}</th></tr>"
    )
    return (
        f'<section id="headline"><h2>{_e(message("headline_title", lang))}</h2>'
        f'<div class="cards">{"".join(cards)}</div>'
        f"<table>{head}{rows}</table></section>"
    )


def _section(sid: str, title: str, svg: str, caption: str, extra: str = "") -> str:
    fig = f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>" if svg else ""
    return f'<section id="{sid}"><h2 id="{sid}-title">{_e(title)}</h2>{fig}{extra}</section>'


def _shares(pub: Published, lang: str, palette: dict[str, str]) -> str:
    b = pub.data.base
    svg = charts.shares_chart(b.get("groups", []), lang, palette)
    cap = message("shares_caption", lang, total=locale.integer(b.get("total_lines"), lang))
    return _section("shares", message("shares_title", lang), svg, cap)


def _series(pub: Published, lang: str, palette: dict[str, str], start: str | None) -> str:
    points = pub.data.series["points"]  # type: ignore[index]
    svg = charts.series_chart(points, pub.markers, lang, palette, pub.top)
    cap = message(
        "series_caption",
        lang,
        start=locale.date(start or points[0]["date"], lang),
        end=locale.date(points[-1]["date"], lang),
    )
    rows = "".join(
        f"<tr><td>{_e(m['vendor'])}</td><td class=n>{_e(locale.integer(m['threshold'], lang))}</td>"
        f"<td>{_e(locale.date(m['date'], lang))}</td></tr>"
        for m in pub.markers
    )
    extra = ""
    if rows:
        extra = (
            f"<table><tr><th>{_e(message('col_vendor', lang))}</th>"
            f"<th class=n>{_e(message('col_threshold', lang))}</th>"
            f"<th>{_e(message('col_date', lang))}</th></tr>{rows}</table>"
        )
    return _section("series", message("series_title", lang), svg, cap, extra)


def _flows(pub: Published, lang: str, palette: dict[str, str], start: str | None) -> str:
    sw = pub.data.switches or {}
    fk, tk, sk = flow_keys(sw)
    other = OTHER[lang]
    order = [*pub.top, other, *RESERVED]
    pal = {**palette, **{n: charts.GREY for n in RESERVED}}
    pal.update({RESERVED_LABELS[n][lang]: charts.GREY for n in RESERVED})
    totals = {s[sk]: (s.get("lost"), s.get("gained")) for s in sw.get("summary", [])}
    svg = charts.flows_chart(sw.get("flows", []), fk, tk, lang, pal, order, totals)
    names = {"gained": message("col_gained", lang), "lost": message("col_lost", lang)}
    top_summary = [s for s in sw.get("summary", []) if s.get(sk) in pub.top]
    gains = charts.gains_chart(top_summary, sk, lang, names)
    cap = message(
        "flows_caption",
        lang,
        start=locale.date(sw.get("from") or start, lang),
        end=locale.date(sw.get("to") or pub.data.as_of, lang),
    )
    rows = "".join(
        f"<tr><td>{_e(s[sk])}</td><td class=n>{_num(s.get('gained'), lang)}</td>"
        f"<td class=n>{_num(s.get('lost'), lang)}</td><td class=n>{_num(s.get('kept'), lang)}</td>"
        "</tr>"
        for s in top_summary
    )
    table = (
        f"<h3>{_e(message('flows_summary', lang))}</h3>"
        f"<figure>{gains}</figure>"
        f"<table><tr><th>{_e(message('col_vendor', lang))}</th>"
        f"<th class=n>{_e(message('col_gained', lang))}</th>"
        f"<th class=n>{_e(message('col_lost', lang))}</th>"
        f"<th class=n>{_e(message('col_kept', lang))}</th></tr>{rows}</table>"
    )
    return _section("flows", message("flows_title", lang), svg, cap, table)


def _age(pub: Published, lang: str) -> str:
    groups = pub.data.age.get("groups", [])  # type: ignore[union-attr]
    svg = charts.age_chart(groups, AGE_ORDER, lang)
    by_age = {g.get("device_age"): g for g in groups}
    rows = "".join(
        f"<tr><td>{_e(k)}</td><td class=n>{_num(by_age[k].get('lines'), lang)}</td>"
        f"<td class=n>{_pct(by_age[k].get('share_of_identified'), lang)}</td></tr>"
        for k in AGE_ORDER
        if k in by_age
    )
    table = (
        f"<table><tr><th>{_e(message('col_age', lang))}</th>"
        f"<th class=n>{_e(message('col_lines', lang))}</th>"
        f"<th class=n>{_e(message('col_share', lang))}</th></tr>{rows}</table>"
    )
    return _section("age", message("age_title", lang), svg, message("age_caption", lang), table)


def _interval(part: dict[str, Any] | None, lang: str) -> tuple[str, str]:
    if not part or part.get("cumulative") is None:
        return "", ""
    eff = locale.integer(part["cumulative"], lang)
    lo, hi = locale.integer(part.get("low"), lang), locale.integer(part.get("high"), lang)
    return eff, f"[{lo} ; {hi}]" if lang == "fr" else f"[{lo}, {hi}]"


def _campaigns(pub: Published, lang: str) -> str:
    parts = []
    for k, c in enumerate(pub.data.campaigns):
        vendor = c.get("vendor", "")
        names = {"adds": message("col_adds", lang)}
        svg = charts.campaign_chart(c, lang, f"campaign{k}", names)
        w = c.get("window") or {}
        when = f"{locale.date(w.get('starts'), lang)} – {locale.date(w.get('ends'), lang)}"
        rows = ""
        for key, label in (("effect", "campaign_window"), ("after", "campaign_after")):
            eff, itv = _interval(c.get(key), lang)
            if eff:
                rows += (
                    f"<tr><td>{_e(message(label, lang))}</td><td class=n>{_e(eff)}</td>"
                    f"<td class=n>{_e(itv)}</td></tr>"
                )
        brands = locale.join(list(c.get("operator_brands") or []), lang)
        parts.append(
            f"<h3>{_e(c.get('campaign'))} <span class=pill>{_e(vendor)}</span>"
            f"<span class=pill>{_e(brands)}</span><span class=pill>{_e(when)}</span></h3>"
            f"<figure>{svg}<figcaption>{_e(message('campaign_caption', lang, vendor=vendor))}"
            f"</figcaption></figure>"
            f"<table><tr><th></th><th class=n>{_e(message('col_effect', lang))}</th>"
            f"<th class=n>{_e(message('col_interval', lang))}</th></tr>{rows}</table>"
        )
    return (
        f'<section id="campaigns"><h2>{_e(message("campaign_title", lang))}</h2>'
        + "".join(parts)
        + "</section>"
    )


def _markets(pub: Published, lang: str) -> str:
    parts = []
    for m in pub.data.markets:
        rows = "".join(
            f"<tr><td>{_e(r.get('vendor'))}</td><td class=n>{_pct(r.get('base_share'), lang)}</td>"
            f"<td class=n>{_pct(r.get('market_share'), lang)}</td>"
            f"<td class=n>{_e(locale.integer(r.get('index'), lang))}</td></tr>"
            for r in m.get("vendors", [])[:12]
        )
        parts.append(
            f"<h3>{_e(m.get('market'))} <span class=pill>{_e(m.get('period'))}</span></h3>"
            f"<table><tr><th>{_e(message('col_vendor', lang))}</th>"
            f"<th class=n>{_e(message('col_base_share', lang))}</th>"
            f"<th class=n>{_e(message('col_market_share', lang))}</th>"
            f"<th class=n>{_e(message('col_index', lang))}</th></tr>{rows}</table>"
        )
    return (
        f'<section id="market"><h2>{_e(message("market_title", lang))}</h2>'
        + "".join(parts)
        + "</section>"
    )


def _definitions(pub: Published, lang: str, day: str) -> str:
    items = [
        message("def_active", lang, date=day),
        message("def_identified", lang, lookback=pub.data.lookback_days),
        message("def_disclosure", lang, threshold=pub.threshold),
    ]
    if pub.epsilon is not None:
        total = locale.decimal(pub.epsilon_total or pub.epsilon, lang, 2)
        items.append(
            message("def_dp", lang, epsilon=locale.decimal(pub.epsilon, lang, 2), total=total)
        )
    lis = "".join(f"<li>{_e(i)}</li>" for i in items)
    return (
        f'<section id="definitions" class="note"><h2>{_e(message("definitions_title", lang))}</h2>'
        f"<ul>{lis}</ul></section>"
    )


def build(
    data: ReportInput,
    *,
    lang: str = "fr",
    top: int = 6,
    threshold: int = THRESHOLD,
    noise: Noise | None = None,
    vendor_keys: list[str] | None = None,
    epsilon_total: float | None = None,
    generated: dt.date | None = None,
) -> str:
    """Protect then render: the report's HTML for ``data``."""
    pub = publish(
        data, lang=lang, top=top, threshold=threshold, noise=noise, vendor_keys=vendor_keys
    )
    if noise is not None:
        pub.epsilon = noise.total
        pub.epsilon_total = epsilon_total
    return render(pub, lang, generated)
