"""The HTML report: one self-contained file, offline, in French or English, every figure protected.

Charts are Vega-Lite specs built with Altair and rendered to static SVG by vl-convert, inlined in
the page. We chose this over Plotly with inlined JavaScript because the page then holds no script
at all: nothing can reach for a CDN, nothing can fail in the browser's console, the same input
gives the same bytes (testable by reading the HTML), and the file stays small (tens of kB, where
plotly.js alone is ~3.5 MB). What we give up is interactivity (hover, zoom), which a published
report does not need; numbers that matter are also printed as text.

Switching is shown twice: a from x to matrix (an HTML table coloured by row share, suppressed
cells hatched) and an alluvial diagram whose band widths are proportional to lines, drawn as SVG by
hand (``publish.alluvial``: Vega-Lite has no Sankey mark); a diverging bar chart of gains and
losses follows. Colours follow the vendor, never its rank (``publish.palette``).

What the pictures must not do, and the rules that prevent it:

- a campaign's hidden days are gaps in the observed line with a grey "< threshold" band, and the
  expected band is clipped at 0; the verdict of ``campaign measure`` (not significant when the
  interval contains 0) is printed in words;
- a market index is shown only where both shares are large enough to mean something
  (:data:`MIN_MARKET_SHARE`, :data:`MIN_BASE_SHARE`); the market's source, licence and what it
  measures are printed; a market period more than :data:`MAX_MARKET_GAP_DAYS` days from the
  report's date is refused;
- a table row hidden whole by disclosure control (or by noise) gets a footnote saying why.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import re
from dataclasses import dataclass, field, replace
from typing import Any

from devicepark.campaign.effect import significant
from devicepark.errors import ConfigError
from devicepark.market.periods import Period, parse_period
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
from devicepark.publish.palette import colour
from devicepark.publish.privacy import Noise, noise_base, noise_series, noise_switches

AGE_ORDER = ("0-6", "6-12", "12-24", "24-36", "36+")
RESERVED = tuple(RESERVED_LABELS)
NOT_ACTIVE = "(not active)"

# A market index (base share / market share x 100) is shown only when both shares are large
# enough for their ratio to mean something: a vendor with 0.0002 % of the worldwide market and
# 3.9 % of our base (Wiko) would otherwise show an index of 20,339.
MIN_MARKET_SHARE = 0.01
MIN_BASE_SHARE = 0.005
# A market period whose nearest day is further than this from the report's date is refused.
MAX_MARKET_GAP_DAYS = 92


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
    for m in data.markets:
        check_market(m, data.as_of)
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


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _gap_days(period: Period, day: dt.date) -> int:
    """Days from ``day`` to the nearest day of ``period`` (0 inside it)."""
    if period.contains(day):
        return 0
    return min(abs((day - period.start).days), abs((day - period.end).days))


def check_market(market: dict[str, Any], as_of: str) -> None:
    """Refuse a market comparison the report cannot show truthfully: one split by operator
    brand, or one that does not describe the report's date (its period, or the date of the base
    it compares, more than :data:`MAX_MARKET_GAP_DAYS` days away)."""
    name = market.get("market") or "?"
    if any("operator_brand" in r for r in market.get("vendors", [])):
        raise ConfigError(
            f"--market {name}: a comparison split by operator brand cannot go in the report; "
            "rerun `devicepark market compare` without --by"
        )
    day = _day(as_of)
    period = parse_period(str(market.get("period") or ""))
    if period is None:
        raise ConfigError(
            f"--market {name}: period {market.get('period')!r} is not a month (YYYY-MM) or a "
            "quarter (YYYY-Qn); pass the JSON of `devicepark market compare --format json`"
        )
    gap = _gap_days(period, day)
    if gap > MAX_MARKET_GAP_DAYS:
        raise ConfigError(
            f"--market {name}: its period {period.label} is {gap} days from the report's date "
            f"{day} (at most {MAX_MARKET_GAP_DAYS}); import market shares for a period near "
            f"{day} and rerun `devicepark market compare --as-of {day}`, or leave --market out"
        )
    if market.get("as_of"):
        gap = abs((_day(market["as_of"]) - day).days)
        if gap > MAX_MARKET_GAP_DAYS:
            raise ConfigError(
                f"--market {name}: it compares our base on {market['as_of']}, {gap} days from "
                f"the report's date {day} (at most {MAX_MARKET_GAP_DAYS}); rerun "
                f"`devicepark market compare --as-of {day}`"
            )


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
h3{font-size:17px;margin:18px 0 4px}
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
p.note,p.foot{margin:8px 0 0}
.foot{font-size:13px;color:#495057}
.hidden{color:var(--mute)}
.pill{display:inline-block;background:#e7f5ff;color:#1864ab;border-radius:99px;padding:1px 10px;
 font-size:13px;margin-right:6px}
.verdict{font-weight:600}
.scroll{overflow-x:auto}
table.matrix{width:auto;font-size:13px}
table.matrix th{font-weight:600;vertical-align:bottom;padding:4px 6px;font-size:12.5px}
table.matrix th.row{max-width:170px}
table.matrix th.corner{max-width:150px;font-weight:normal;color:var(--mute)}
table.matrix td{text-align:right;font-variant-numeric:tabular-nums;min-width:62px;padding:4px 6px;
 border:1px solid #fff}
table.matrix td small{display:block;font-size:11.5px}
table.matrix td.diag{box-shadow:inset 0 0 0 2px #343a40}
table.matrix td.sup{background:repeating-linear-gradient(45deg,#f1f3f5 0 4px,#dee2e6 4px 8px);
 color:#495057;text-align:center}
table.matrix td.na{background:#fff}
table.matrix td.zero{background:#f8f9fa;color:#adb5bd}
.chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;
 background:var(--c)}
.swatch{display:inline-block;min-width:44px;padding:0 4px;font-size:12px;text-align:center;
 margin-left:2px}
footer{color:var(--mute);font-size:13px;margin-top:24px}
svg{display:block}
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _num(n: Any, lang: str) -> str:
    if n is None:
        return f'<span class="hidden">{_e(message("suppressed", lang))}</span>'
    return _e(locale.integer(n, lang))


def _pct(x: Any, lang: str, digits: int = 2) -> str:
    if x is None:
        return f'<span class="hidden">{_e(message("suppressed", lang))}</span>'
    return _e(locale.percent(x, lang, digits))


def _name(v: Any, lang: str) -> str:
    return _e(locale.vendor_label(v, lang))


def _hidden_rows(names: list[str], pub: Published, lang: str, zero: bool = False) -> str:
    """The footnote for table rows hidden whole: why, without saying which rule hid which row
    (primary or complementary), which would partly give the hidden figure away."""
    if not names:
        return ""
    key = "hidden_rows_zero" if zero else ("hidden_rows_noised" if pub.noised else "hidden_rows")
    labels = [locale.vendor_label(n, lang) for n in names]
    text = message(key, lang, names=locale.join(labels, lang), threshold=pub.threshold)
    return f'<p class="foot">{_e(text)}</p>'


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
        body.append(_flows(pub, lang, start))
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
            f'<div class="card" style="--c:{palette.get(g["vendor"]) or colour(g["vendor"])}">'
            f"<h3>{_name(g['vendor'], lang)}</h3>"
            f'<div class="big">{_num(g["lines"], lang)}</div>'
            f"<p>{_e(message('share_total', lang, share='§1', total='§2'))}</p>"
            f"<p>{_e(message('share_identified', lang, share='§3', identified='§4'))}</p>"
            "</div>".replace("§1", _pct(g.get("share"), lang))
            .replace("§2", _num(total, lang))
            .replace("§3", _pct(g.get("share_of_identified"), lang))
            .replace("§4", _num(ident, lang))
        )
    rows = "".join(
        f"<tr><td>{_name(g['vendor'], lang)}</td><td class=n>{_num(g['lines'], lang)}</td>"
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
    hidden = [g["vendor"] for g in b.get("groups", []) if g.get("lines") is None]
    return (
        f'<section id="headline"><h2>{_e(message("headline_title", lang))}</h2>'
        f'<div class="cards">{"".join(cards)}</div>'
        f"<table>{head}{rows}</table>{_hidden_rows(hidden, pub, lang)}</section>"
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
        f"<tr><td>{_name(m['vendor'], lang)}</td>"
        f"<td class=n>{_e(locale.integer(m['threshold'], lang))}</td>"
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


# -- switching ------------------------------------------------------------------------------------

# The matrix's colour ramp: from near-white (share 0) to a deep blue (share 1), on the square
# root of the share so that the small off-diagonal shares stay visible beside the diagonal.
_RAMP = ((248, 249, 250), (24, 100, 171))


def share_colour(share: float) -> tuple[str, bool]:
    """Background colour for a row share, and whether the text on it should be white.

    >>> share_colour(0.0), share_colour(1.0)
    (('#f8f9fa', False), ('#1864ab', True))
    """
    t = max(0.0, min(1.0, share)) ** 0.5
    rgb = [round(a + (b - a) * t) for a, b in zip(*_RAMP, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb), t > 0.6


def switch_cells(
    sw: dict[str, Any], order: list[str]
) -> tuple[list[str], list[str], dict[tuple[str, str], int | None], dict[str, int | None]]:
    """Rows (states at the start), columns (states at the end), each cell's published lines
    (None: hidden; absent: 0) and each row's total (None when a hidden cell makes it unknown)."""
    fk, tk, sk = flow_keys(sw)
    cells: dict[tuple[str, str], int | None] = {}
    for f in sw.get("flows", []):
        cells[(f[fk], f[tk])] = f.get("lines")
    summary = {s[sk]: s for s in sw.get("summary", [])}
    for v, s in summary.items():
        if (v, v) not in cells and "kept" in s:
            cells[(v, v)] = s.get("kept")
    rows = [n for n in order if any(a == n for a, _ in cells)]
    cols = [n for n in order if any(b == n for _, b in cells)]
    totals: dict[str, int | None] = {}
    for r in rows:
        s = summary.get(r) or {}
        if s.get("kept") is not None and s.get("lost") is not None:
            totals[r] = int(s["kept"]) + int(s["lost"])
        else:
            row = [v for (a, _), v in cells.items() if a == r]
            totals[r] = None if any(v is None for v in row) else sum(int(v or 0) for v in row)
    return rows, cols, cells, totals


def _matrix(pub: Published, lang: str, start: str, end: str) -> str:
    sw = pub.data.switches or {}
    order = [*pub.top, OTHER[lang], *RESERVED]
    rows, cols, cells, totals = switch_cells(sw, order)

    def head(state: str, side: str) -> str:
        text = _name(state, lang)
        if state == NOT_ACTIVE:
            word = "state_new_line" if side == "from" else "state_closed_line"
            text += f" · {_e(message(word, lang))}"
        return f'<span class="chip" style="--c:{colour(state)}"></span>{text}'

    top = "".join(f"<th class=n>{head(c, 'to')}</th>" for c in cols)
    corner = _e(message("matrix_corner", lang, start=start, end=end))
    out = [
        f'<tr><th class="corner">{corner}</th>{top}'
        f"<th class=n>{_e(message('matrix_total', lang, start=start))}</th></tr>"
    ]
    hidden_rows = []
    for r in rows:
        total = totals[r]
        tds = []
        for c in cols:
            if r == c and r == NOT_ACTIVE:  # a line inactive at both dates is in no flow
                tds.append('<td class="na"></td>')
                continue
            lines = cells.get((r, c), 0)
            diag = " diag" if r == c else ""
            if lines is None:
                tds.append(f'<td class="sup{diag}">{_e(message("suppressed", lang))}</td>')
                continue
            if not lines:
                tds.append(f'<td class="zero{diag}">0</td>')
                continue
            share = lines / total if total else None
            bg, white = share_colour(share or 0.0)
            ink = "#fff" if white else "#212529"
            small = "" if share is None else _pct(share, lang, 1)  # row total hidden: no share
            tds.append(
                f'<td class="cell{diag}" style="background:{bg};color:{ink}">'
                f"{_e(locale.integer(lines, lang))}<small>{small}</small></td>"
            )
        if all(cells.get((r, c), 0) is None for c in cols if (r, c) in cells):
            hidden_rows.append(r)
        out.append(
            f"<tr><th class=row>{head(r, 'from')}</th>{''.join(tds)}"
            f"<td class=n>{_num(total, lang)}</td></tr>"
        )
    legend = "".join(
        f'<span class="swatch" style="background:{bg};color:{"#fff" if w else "#212529"}">'
        f"{_e(locale.percent(x, lang, 0))}</span>"
        for x in (0.0, 0.05, 0.25, 0.5, 1.0)
        for bg, w in [share_colour(x)]
    )
    caption = message("matrix_caption", lang, start=start, end=end)
    return (
        f"<h3>{_e(message('matrix_title', lang))}</h3>"
        f'<div class="scroll"><table class="matrix">{"".join(out)}</table></div>'
        f'<p class="note">{_e(caption)} {_e(message("matrix_legend", lang))}{legend}</p>'
        + _hidden_rows(hidden_rows, pub, lang)
    )


def _flows(pub: Published, lang: str, start: str | None) -> str:
    sw = pub.data.switches or {}
    fk, tk, sk = flow_keys(sw)
    other = OTHER[lang]
    order = [*pub.top, other, *RESERVED]
    d1, d2 = sw.get("from") or start, sw.get("to") or pub.data.as_of
    day1, day2 = locale.date(d1, lang), locale.date(d2, lang)
    flows = sw.get("flows", [])
    svg = charts.flows_chart(flows, fk, tk, lang, charts.colors(order), order, start=d1, end=d2)
    hidden = sum(1 for f in flows if f.get("lines") is None and f[fk] != f[tk])
    notes = [message("states_note", lang, start=day1, end=day2,
                     lookback=pub.data.lookback_days)]  # fmt: skip
    if hidden:
        notes.append(message("alluvial_hidden", lang, n=hidden))
    alluvial = (
        f"<h3>{_e(message('alluvial_title', lang))}</h3>"
        f"<figure>{svg}<figcaption>"
        f"{_e(message('alluvial_caption', lang, start=day1, end=day2))}</figcaption></figure>"
        + "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
        if svg
        else ""
    )
    names = {"gained": message("col_gained", lang), "lost": message("col_lost", lang)}
    top_summary = [s for s in sw.get("summary", []) if s.get(sk) in pub.top]
    gains = charts.gains_chart(top_summary, sk, lang, names)
    rows = "".join(
        f"<tr><td>{_name(s[sk], lang)}</td><td class=n>{_num(s.get('gained'), lang)}</td>"
        f"<td class=n>{_num(s.get('lost'), lang)}</td><td class=n>{_num(s.get('kept'), lang)}</td>"
        "</tr>"
        for s in top_summary
    )
    hidden_rows = [
        s[sk] for s in top_summary if all(s.get(k) is None for k in ("gained", "lost", "kept"))
    ]
    table = (
        f"<h3>{_e(message('flows_summary', lang))}</h3>"
        f"<figure>{gains}</figure>"
        f"<table><tr><th>{_e(message('col_vendor', lang))}</th>"
        f"<th class=n>{_e(message('col_gained', lang))}</th>"
        f"<th class=n>{_e(message('col_lost', lang))}</th>"
        f"<th class=n>{_e(message('col_kept', lang))}</th></tr>{rows}</table>"
        + _hidden_rows(hidden_rows, pub, lang)
    )
    return (
        f'<section id="flows"><h2 id="flows-title">{_e(message("flows_title", lang))}</h2>'
        + _matrix(pub, lang, day1, day2)
        + alluvial
        + table
        + "</section>"
    )


def _age(pub: Published, lang: str) -> str:
    groups = pub.data.age.get("groups", [])  # type: ignore[union-attr]
    svg = charts.age_chart(groups, AGE_ORDER, lang)
    by_age = {g.get("device_age"): g for g in groups}
    # With noise a bucket whose noisy count is 0 is dropped: show it, hidden, and say why.
    # Without noise an absent bucket is a true zero (e.g. a store younger than six months).
    shown = AGE_ORDER if pub.noised else [k for k in AGE_ORDER if k in by_age]
    empty: dict[str, Any] = {"lines": None}
    rows = "".join(
        f"<tr><td>{_e(k)}</td><td class=n>{_num(by_age.get(k, empty).get('lines'), lang)}</td>"
        f"<td class=n>{_pct(by_age.get(k, empty).get('share_of_identified'), lang)}</td></tr>"
        for k in shown
    )
    suppressed = [k for k in AGE_ORDER if k in by_age and by_age[k].get("lines") is None]
    dropped = [k for k in AGE_ORDER if k not in by_age] if pub.noised else []
    table = (
        f"<table><tr><th>{_e(message('col_age', lang))}</th>"
        f"<th class=n>{_e(message('col_lines', lang))}</th>"
        f"<th class=n>{_e(message('col_share', lang))}</th></tr>{rows}</table>"
        + _hidden_rows(suppressed, pub, lang)
        + _hidden_rows(dropped, pub, lang, zero=True)
    )
    return _section("age", message("age_title", lang), svg, message("age_caption", lang), table)


# -- campaigns ------------------------------------------------------------------------------------


def _interval(part: dict[str, Any] | None, lang: str) -> tuple[str, str]:
    if not part or part.get("cumulative") is None:
        return "", ""
    eff = locale.integer(part["cumulative"], lang)
    lo, hi = locale.integer(part.get("low"), lang), locale.integer(part.get("high"), lang)
    return eff, f"[{lo} ; {hi}]" if lang == "fr" else f"[{lo}, {hi}]"


def verdict(part: dict[str, Any] | None, lang: str) -> str:
    """``campaign measure``'s verdict in words: significant when the 95 % interval excludes 0
    (``campaign.effect.significant``), not significant when it contains 0.

    >>> verdict({"cumulative": 1.0, "low": -2.0, "high": 4.0}, "en")
    'not significant, the interval contains 0'
    """
    if not part or part.get("low") is None or part.get("high") is None:
        return message("verdict_unknown", lang)
    key = "verdict_significant" if significant(part) else "verdict_not_significant"
    return message(key, lang)


def _signed(x: float, lang: str) -> str:
    text = locale.integer(x, lang)
    return f"+{text}" if round(x) > 0 else text


def _campaigns(pub: Published, lang: str) -> str:
    parts = []
    for k, c in enumerate(pub.data.campaigns):
        vendor = c.get("vendor", "")
        names = {
            "adds": message("col_adds", lang),
            "below": message("below_threshold", lang, threshold=pub.threshold),
        }
        svg = charts.campaign_chart(c, lang, f"campaign{k}", names, threshold=pub.threshold)
        w = c.get("window") or {}
        when = f"{locale.date(w.get('starts'), lang)} – {locale.date(w.get('ends'), lang)}"
        rows = ""
        for key, label in (("effect", "campaign_window"), ("after", "campaign_after")):
            eff, itv = _interval(c.get(key), lang)
            if eff:
                rows += (
                    f"<tr><td>{_e(message(label, lang))}</td><td class=n>{_e(eff)}</td>"
                    f"<td class=n>{_e(itv)}</td><td>{_e(verdict(c.get(key), lang))}</td></tr>"
                )
        lead = ""
        effect = c.get("effect")
        if effect and effect.get("cumulative") is not None:
            lead = message(
                "campaign_verdict",
                lang,
                effect=_signed(effect["cumulative"], lang),
                vendor=vendor,
                interval=_interval(effect, lang)[1],
                verdict=verdict(effect, lang),
            )
            lead = f'<p class="verdict">{_e(lead)}</p>'
        brands = locale.join(list(c.get("operator_brands") or []), lang)
        caption = message("campaign_caption", lang, vendor=vendor, threshold=pub.threshold)
        parts.append(
            f"<h3>{_e(c.get('campaign'))} <span class=pill>{_e(vendor)}</span>"
            f"<span class=pill>{_e(brands)}</span><span class=pill>{_e(when)}</span></h3>"
            f"{lead}<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"
            f"<table><tr><th></th><th class=n>{_e(message('col_effect', lang))}</th>"
            f"<th class=n>{_e(message('col_interval', lang))}</th>"
            f"<th>{_e(message('col_verdict', lang))}</th></tr>{rows}</table>"
            f'<p class="foot">{_e(message("campaign_table_note", lang, vendor=vendor))}</p>'
        )
    return (
        f'<section id="campaigns"><h2>{_e(message("campaign_title", lang))}</h2>'
        + "".join(parts)
        + "</section>"
    )


# -- market ---------------------------------------------------------------------------------------


def index_shown(base_share: float | None, market_share: float | None) -> bool:
    """Whether an index means something: both shares known and neither tiny.

    >>> index_shown(0.039, 0.000002), index_shown(0.003, 0.2), index_shown(0.05, 0.21)
    (False, False, True)
    """
    return (
        base_share is not None
        and market_share is not None
        and market_share >= MIN_MARKET_SHARE
        and base_share >= MIN_BASE_SHARE
    )


def _is_statcounter(m: dict[str, Any]) -> bool:
    return "statcounter" in f"{m.get('source') or ''} {m.get('market') or ''}".casefold()


def _scope(m: dict[str, Any], lang: str) -> str:
    """Where the market was measured: the JSON's ``region`` if it has one, else what the
    market's name says plainly (``ww``/``worldwide``, ``fr``/``france``), else 'not stated'."""
    if m.get("region"):
        return str(m["region"])
    words = set(re.split(r"[^a-z]+", str(m.get("market") or "").casefold()))
    if words & {"ww", "worldwide", "world", "global"}:
        return message("scope_worldwide", lang)
    if words & {"fr", "france"}:
        return message("scope_france", lang)
    return message("scope_unstated", lang)


def _period_label(label: str, lang: str) -> str:
    period = parse_period(label)
    if period is None:
        return label
    if period.kind == "quarter":
        q = label.split("-Q")[1]
        return f"T{q} {period.start.year}" if lang == "fr" else f"Q{q} {period.start.year}"
    return locale.date(period.start, lang, "MMMM y")


def _market_rows(m: dict[str, Any], pub: Published) -> tuple[list[dict[str, Any]], bool]:
    """The rows shown: the cards' vendors (not the rest together: its two sides would not
    hold the same vendors); and whether any vendor is not named by the source."""
    by_name = {str(r.get("vendor")).casefold(): r for r in m.get("vendors", [])}
    # A vendor the comparison has no row for: its share in the report's own (published) base,
    # when the comparison is of the same day.
    same_day = str(m.get("as_of") or pub.data.as_of)[:10] == str(pub.data.as_of)[:10]
    ours = {g["vendor"]: g.get("share_of_identified") for g in pub.data.base.get("groups", [])}
    rows: list[dict[str, Any]] = []
    for v in pub.top:
        r = by_name.get(v.casefold())
        base_share = r.get("base_share") if r else (ours.get(v) if same_day else None)
        market_share = r.get("market_share") if r else None
        rows.append({"vendor": v, "base_share": base_share, "market_share": market_share,
                     "named": market_share is not None})  # fmt: skip
    if pub.noised:
        for r in rows:
            r["base_share"] = None
    return rows, any(not r["named"] for r in rows)


def _markets(pub: Published, lang: str) -> str:
    parts = []
    for m in pub.data.markets:
        rows, unnamed = _market_rows(m, pub)
        cells = []
        for r in rows:
            name = r["vendor"]
            b, mk = r["base_share"], r["market_share"]
            if not r["named"]:
                market_cell, index_cell = _e(message("market_not_named", lang)), "—"
            else:
                market_cell = _pct(mk, lang)
                if b is None:
                    index_cell = _num(None, lang)
                elif index_shown(b, mk):
                    index_cell = _e(locale.integer(100 * b / mk, lang))
                else:
                    index_cell = "—"
            cells.append(
                f"<tr><td>{_name(name, lang)}</td><td class=n>{_pct(b, lang)}</td>"
                f"<td class=n>{market_cell}</td><td class=n>{index_cell}</td></tr>"
            )
        period = str(m.get("period") or "")
        pills = [message("market_period", lang, period=_period_label(period, lang))]
        if m.get("as_of") and str(m["as_of"])[:10] != str(pub.data.as_of)[:10]:
            pills.append(message("market_base_date", lang, date=locale.date(m["as_of"], lang)))
        kind = m.get("kind") or ("usage" if _is_statcounter(m) else None)
        measures = message(
            f"market_measures_{kind}" if kind in ("usage", "shipments", "installed")
            else "market_measures_unknown",
            lang,
            scope=_scope(m, lang),
        )  # fmt: skip
        if _is_statcounter(m):
            source = message("market_source_statcounter", lang)
        else:
            source = message("market_source", lang, source=m.get("source") or m.get("market"))
        notes = [
            message(
                "market_index_rule",
                lang,
                market=locale.percent(MIN_MARKET_SHARE, lang, 0),
                base=locale.percent(MIN_BASE_SHARE, lang, 1),
            )
        ]
        if unnamed:
            notes.append(message("market_not_named_note", lang))
        if pub.noised:
            notes.append(message("market_noised", lang))
        parts.append(
            f"<h3>{_e(m.get('market'))} "
            + "".join(f"<span class=pill>{_e(p)}</span>" for p in pills)
            + "</h3>"
            f'<p class="note">{_e(measures)}</p><p class="note">{_e(source)}</p>'
            f"<table><tr><th>{_e(message('col_vendor', lang))}</th>"
            f"<th class=n>{_e(message('col_base_share', lang))}</th>"
            f"<th class=n>{_e(message('col_market_share', lang))}</th>"
            f"<th class=n>{_e(message('col_index', lang))}</th></tr>{''.join(cells)}</table>"
            + "".join(f'<p class="foot">{_e(n)}</p>' for n in notes)
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
