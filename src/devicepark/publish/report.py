"""The HTML report: one self-contained file, offline, in French or English, every figure protected.

Charts are Vega-Lite specs built with Altair and rendered to static SVG by vl-convert, inlined in
the page. We chose this over Plotly with inlined JavaScript because the page then holds no script
at all: nothing can reach for a CDN, nothing can fail in the browser's console, the same input
gives the same bytes (testable by reading the HTML), and the file stays small (tens of kB, where
plotly.js alone is ~3.5 MB). What we give up is interactivity (hover, zoom), which a published
report does not need; numbers that matter are also printed as text.

This module protects the figures (fold, then perturb with ``publish.cellkey`` when the figures
come with their cell keys, as every face gives them; or noise and suppress) and lays out the
page; the larger sections have their own modules, each saying what its pictures must not do:

- ``publish.switching``: a from x to matrix (an HTML table coloured by row share, hidden cells
  hatched) and an alluvial diagram whose band widths are proportional to lines, drawn as SVG by
  hand (``publish.alluvial``: Vega-Lite has no Sankey mark), then gains and losses;
- ``publish.campaigns``: hidden days are gaps in the observed line with a grey "< threshold" band,
  the expected band is clipped at 0, the verdict of ``campaign measure`` is printed in words;
- ``publish.markets``: source, licence and what the market measures; no index from tiny shares;
  a market far from the report's date is refused (:func:`publish` calls ``check_market``);
- ``publish.page``: the style sheet, and the footnote for table rows hidden whole.

Colours follow the vendor, never its rank (``publish.palette``).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from devicepark.base.shape import CKEY, CKEYS, join_keys
from devicepark.publish import cellkey, charts, locale
from devicepark.publish.announce import round_figure
from devicepark.publish.campaigns import campaigns_section
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
from devicepark.publish.markets import check_market, markets_section
from devicepark.publish.page import CSS, esc, hidden_rows, num, pct, section, vendor_html
from devicepark.publish.palette import colour
from devicepark.publish.privacy import Noise, noise_base, noise_series, noise_switches
from devicepark.publish.switching import flows_section

__all__ = ["AGE_ORDER", "CSS", "OTHER", "RESERVED", "ReportInput", "Published", "publish",
           "render", "build", "top_vendors"]  # fmt: skip

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
    perturbed: bool = False  # cell-key perturbation (publish.cellkey)


# ---------------------------------------------------------------------------------------------
# Folding small vendors into "Other"
# ---------------------------------------------------------------------------------------------


def top_vendors(base: dict[str, Any], n: int, also: Sequence[str] = ()) -> list[str]:
    """The ``n`` largest vendors by lines ('Unknown' goes with the others), then those of
    ``also`` the base has that are not among them (the dashboard's chosen vendor)."""
    groups = [g for g in base.get("groups", []) if g.get("vendor") not in (None, "Unknown")]
    groups.sort(key=lambda g: (-(g.get("lines") or 0), str(g["vendor"])))
    top = [g["vendor"] for g in groups[:n]]
    return top + [v for v in also if v not in top and any(g["vendor"] == v for g in groups)]


def fold_groups(table: dict[str, Any], keep: list[str], other: str) -> dict[str, Any]:
    """A base-like dict with every vendor outside ``keep`` summed into ``other`` (and, for
    keyed figures, its cell key: the sum of its vendors' keys)."""
    out = copy.deepcopy(table)
    sums: dict[str, int] = {}
    keys: dict[str, list[int]] = {}
    for g in out.get("groups", []):
        name = g["vendor"] if g["vendor"] in keep else other
        sums[name] = sums.get(name, 0) + int(g.get("lines") or 0)
        if CKEY in g:
            keys.setdefault(name, []).append(g[CKEY])
    total, ident = out.get("total_lines") or 0, out.get("identified_lines") or 0
    order = [v for v in keep if v in sums] + ([other] if other in sums else [])
    out["groups"] = [
        {
            "vendor": v,
            "lines": sums[v],
            "share": sums[v] / total if total else None,
            "share_of_identified": sums[v] / ident if ident else None,
            **({CKEY: join_keys(keys[v])} if v in keys else {}),
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
    keys: dict[tuple[str, str], list[int]] = {}
    for f in sw.get("flows", []):
        k = (name(f[fk]), name(f[tk]))
        cells[k] = cells.get(k, 0) + int(f.get("lines") or 0)
        if CKEY in f:
            keys.setdefault(k, []).append(f[CKEY])
    ordered = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))
    flows = [{fk: a, tk: b, "lines": n, **({CKEY: join_keys(keys[a, b])} if (a, b) in keys else {})}
             for (a, b), n in ordered if n]  # fmt: skip
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
    also: Sequence[str] = (),
) -> Published:
    """Fold, then perturb (figures with cell keys) or optionally noise and suppress, every table
    of the report.

    Figures that come with their cell keys (``answers.report_data(..., keyed=True)``, as every
    face asks them) are perturbed by ``publish.cellkey``: the same lines get the same noise as in
    every other published answer. With ``noise``, its budget is split over the base, series,
    switches and age tables (those present); ``vendor_keys`` is the public list of vendors (e.g.
    the catalog's) so that a vendor's mere presence is noised too. Vendors of ``also`` are shown
    on their own even outside the ``top`` largest. Either way, milestone markers come from the
    published series.
    """
    other = OTHER[locale.check_lang(lang)]
    for m in data.markets:
        check_market(m, data.as_of)
    if noise is None and CKEYS in data.base:
        return _perturbed(data, lang=lang, top=top, threshold=threshold, other=other, also=also)
    d = replace(data)
    if noise is not None:
        parts = 1 + sum(x is not None for x in (d.series, d.switches, d.age))
        noise.parts = parts
        keys = [{"vendor": v} for v in vendor_keys] if vendor_keys else None
        d.base = noise_base(d.base, noise, keys=keys)
    keep = top_vendors(d.base, top, also)
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


def _perturbed(
    data: ReportInput, *, lang: str, top: int, threshold: int, other: str, also: Sequence[str]
) -> Published:
    """``publish`` for keyed figures: every cell perturbed from its own key (Other from the
    sum of its vendors' keys), the top vendors ranked by their published counts."""
    d = replace(data)
    full = cellkey.perturb_base(data.base, threshold)
    keep = top_vendors(full, top, also)
    d.base = cellkey.perturb_base(fold_groups(data.base, keep, other), threshold, sort=False)
    if d.series is not None:
        d.series = cellkey.perturb_series(fold_series(d.series, keep, other), threshold, sort=False)
    if d.switches is not None:
        d.switches = cellkey.perturb_switches(fold_switches(d.switches, keep, other), threshold)
    if d.age is not None:
        d.age = cellkey.perturb_base(d.age, threshold)
    d.campaigns = [
        cellkey.perturb_results(
            {k: v for k, v in c.items() if k != cellkey.DAY_KEYS},
            c.get(cellkey.DAY_KEYS) or {},
            threshold,
        )
        for c in d.campaigns
    ]
    d.markets = [cellkey.perturb_market(m, full, d.as_of) for m in d.markets]
    markers = _markers(d, threshold, from_series=True)
    return Published(d, keep, markers, threshold, perturbed=True)


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
        f"<h1>{esc(message('report_title', lang, date=day))}</h1>",
        f'<p class="sub">{esc(message("report_subtitle", lang, operator=d.operator))}</p>',
        "</header>",
        _headline(pub, lang, palette),
        _shares(pub, lang, palette),
    ]
    if d.series and d.series.get("points"):
        body.append(_series(pub, lang, palette, start))
    if d.switches and d.switches.get("flows"):
        body.append(flows_section(pub, lang, start))
    if d.age and d.age.get("groups"):
        body.append(_age(pub, lang))
    if d.campaigns:
        body.append(campaigns_section(pub, lang))
    if d.markets:
        body.append(markets_section(pub, lang))
    body.append(_definitions(pub, lang, day))
    gen = locale.date(generated or dt.date.today(), lang)
    body.append(f"<footer>{esc(message('generated', lang, date=gen))}</footer>")
    title = message("report_title", lang, date=day)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
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
            f'<div class="card" style="--c:{palette.get(g["vendor"]) or colour(g["vendor"])}">'
            f"<h3>{vendor_html(g['vendor'], lang)}</h3>"
            f'<div class="big">{num(g["lines"], lang)}</div>'
            f"<p>{esc(message('share_total', lang, share='§1', total='§2'))}</p>"
            f"<p>{esc(message('share_identified', lang, share='§3', identified='§4'))}</p>"
            "</div>".replace("§1", pct(g.get("share"), lang))
            .replace("§2", num(total, lang))
            .replace("§3", pct(g.get("share_of_identified"), lang))
            .replace("§4", num(ident, lang))
        )
    rows = "".join(
        f"<tr><td>{vendor_html(g['vendor'], lang)}</td><td class=n>{num(g['lines'], lang)}</td>"
        f"<td class=n>{pct(g.get('share'), lang)}</td>"
        f"<td class=n>{pct(g.get('share_of_identified'), lang)}</td></tr>"
        for g in b.get("groups", [])
    )
    head = (
        f"<tr><th>{esc(message('col_vendor', lang))}</th>"
        f"<th class=n>{esc(message('col_lines', lang))}</th>"
        f"<th class=n>{esc(message('col_share', lang))}</th>"
        f"<th class=n>{esc(message('col_share_identified', lang))}</th></tr>"
    )
    hidden = [g["vendor"] for g in b.get("groups", []) if g.get("lines") is None]
    return (
        f'<section id="headline"><h2>{esc(message("headline_title", lang))}</h2>'
        f'<div class="cards">{"".join(cards)}</div>'
        f"<table>{head}{rows}</table>"
        + hidden_rows(hidden, lang, pub.threshold, pub.noised, perturbed=pub.perturbed)
        + "</section>"
    )


def _shares(pub: Published, lang: str, palette: dict[str, str]) -> str:
    b = pub.data.base
    svg = charts.shares_chart(b.get("groups", []), lang, palette)
    cap = message("shares_caption", lang, total=locale.integer(b.get("total_lines"), lang))
    return section("shares", message("shares_title", lang), svg, cap)


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
        f"<tr><td>{vendor_html(m['vendor'], lang)}</td>"
        f"<td class=n>{esc(locale.integer(m['threshold'], lang))}</td>"
        f"<td>{esc(locale.date(m['date'], lang))}</td></tr>"
        for m in pub.markers
    )
    extra = ""
    if rows:
        extra = (
            f"<table><tr><th>{esc(message('col_vendor', lang))}</th>"
            f"<th class=n>{esc(message('col_threshold', lang))}</th>"
            f"<th>{esc(message('col_date', lang))}</th></tr>{rows}</table>"
        )
    return section("series", message("series_title", lang), svg, cap, extra)


def _age(pub: Published, lang: str) -> str:
    groups = pub.data.age.get("groups", [])  # type: ignore[union-attr]
    svg = charts.age_chart(groups, AGE_ORDER, lang)
    by_age = {g.get("device_age"): g for g in groups}
    # With noise a bucket whose noisy count is 0 is dropped: show it, hidden, and say why.
    # Without noise an absent bucket is a true zero (e.g. a store younger than six months).
    shown = AGE_ORDER if pub.noised else [k for k in AGE_ORDER if k in by_age]
    empty: dict[str, Any] = {"lines": None}
    rows = "".join(
        f"<tr><td>{esc(k)}</td><td class=n>{num(by_age.get(k, empty).get('lines'), lang)}</td>"
        f"<td class=n>{pct(by_age.get(k, empty).get('share_of_identified'), lang)}</td></tr>"
        for k in shown
    )
    suppressed = [k for k in AGE_ORDER if k in by_age and by_age[k].get("lines") is None]
    dropped = [k for k in AGE_ORDER if k not in by_age] if pub.noised else []
    table = (
        f"<table><tr><th>{esc(message('col_age', lang))}</th>"
        f"<th class=n>{esc(message('col_lines', lang))}</th>"
        f"<th class=n>{esc(message('col_share', lang))}</th></tr>{rows}</table>"
        + hidden_rows(suppressed, lang, pub.threshold, pub.noised, perturbed=pub.perturbed)
        + hidden_rows(dropped, lang, pub.threshold, pub.noised, zero=True)
    )
    return section("age", message("age_title", lang), svg, message("age_caption", lang), table)


def _definitions(pub: Published, lang: str, day: str) -> str:
    items = [
        message("def_active", lang, date=day),
        message("def_identified", lang, lookback=pub.data.lookback_days),
        cellkey.note(lang, pub.threshold)
        if pub.perturbed
        else message("def_disclosure", lang, threshold=pub.threshold),
    ]
    if pub.epsilon is not None:
        total = locale.decimal(pub.epsilon_total or pub.epsilon, lang, 2)
        items.append(
            message("def_dp", lang, epsilon=locale.decimal(pub.epsilon, lang, 2), total=total)
        )
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return (
        f'<section id="definitions" class="note"><h2>{esc(message("definitions_title", lang))}</h2>'
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
