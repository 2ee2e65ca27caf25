"""The live dashboard at ``/``: the report's charts for a chosen date, vendor and operator brand.

One self-contained page, rendered on the server: the figures are the report's
(``devicepark.answers.report_data``), folded and protected by ``devicepark.publish.report.publish``
(perturbed by ``publish.cellkey`` for anonymous visitors of a public server, as every public
figure is; disclosure-controlled with the token), and drawn as inline SVG by
``devicepark.publish.charts`` (Altair + vl-convert). A plain form (GET) chooses the date, vendor,
operator brand and language; there is no script and no external resource (the CSP forbids both).

The figures are computed once per (store version, date, operator brand, language) whatever the
vendor asked, and a page once per vendor the base ranks (any other vendor string shows the
largest vendor's page, from the cache). Anonymous pages show weekly figures: the date goes back
to the Sunday or month end on or before it. Without ``--public`` the page needs the token, as
HTTP Basic credentials (any user name) or a bearer header; a browser without it gets a page that
says how to sign in (``api.auth.signin_page``, status 401). A date outside the store's data gets
a message naming the data's first and last dates, not empty charts; the chosen vendor always has
its headline (``< 10`` when too small to publish) and is highlighted in every chart, whose
captions give the date or period and the denominators in the report's words.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
from typing import Annotated, Any
from urllib.parse import urlencode

import ibis
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from devicepark import answers
from devicepark.api.auth import signin_response, wants_html
from devicepark.api.bounds import is_week_or_month_end
from devicepark.api.deps import App, admit, figures_headers
from devicepark.api.errors import ApiError
from devicepark.api.state import AnswerCache
from devicepark.base.shape import CKEYS
from devicepark.errors import ConfigError
from devicepark.identify.vendors import vendor_of
from devicepark.publish import cellkey, charts, locale
from devicepark.publish.disclosure import flow_keys
from devicepark.publish.locale import message
from devicepark.publish.palette import colour
from devicepark.publish.report import AGE_ORDER, CSS, OTHER, RESERVED, publish
from devicepark.questions import ReportQuestion, parse_date
from devicepark.store import Tables

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
LABELS = {
    "fr": {"title": "Tableau de bord devicepark", "date": "Date", "vendor": "Constructeur",
           "brand": "Marque opérateur", "all": "Toutes", "lang": "Langue", "show": "Afficher",
           "line": "ligne", "lines": "lignes", "of_total": "des lignes actives",
           "of_ident": "des lignes identifiées",
           "empty": "La base ne contient encore aucune observation.",
           "note": "Chiffres sous secret statistique (effectifs < {t} masqués)."},
    "en": {"title": "devicepark dashboard", "date": "Date", "vendor": "Vendor",
           "brand": "Operator brand", "all": "All", "lang": "Language", "show": "Show",
           "line": "line", "lines": "lines", "of_total": "of active lines",
           "of_ident": "of identified lines",
           "empty": "The store has no observations yet.",
           "note": "Disclosure-controlled figures (counts under {t} hidden)."},
}  # fmt: skip


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def report_figures(con: ibis.BaseBackend, tables: Tables, day: dt.date, brand: str | None,
                   lang: str, threshold: int, keyed: bool) -> Any:  # fmt: skip
    """The report's figures over the year to ``day``, weekly, with milestones for the ten
    largest vendors (``answers.report_data``; with cell keys when ``keyed``)."""
    q = ReportQuestion(as_of=day, start=day - dt.timedelta(days=364), every="week",
                       brand=brand or None, vendors=(), default_vendors=10,
                       threshold=threshold, lang=lang)  # fmt: skip
    return answers.report_data(con, tables, q, keyed=keyed)


def ranking(data: Any, threshold: int) -> list[str]:
    """The vendors as the page ranks them: by their published count (perturbed when keyed)."""
    base = cellkey.perturb_base(data.base, threshold) if CKEYS in data.base else data.base
    return [g["vendor"] for g in base["groups"] if g["vendor"] != "Unknown"]


def choose(vendor: str | None, ranked: list[str]) -> str | None:
    """The vendor the page shows: the one asked, in any case or by any alias of the vendor
    aliases, when the base ranks it; else the largest (:func:`unknown_note` says so).

    >>> choose("xiaomi", ["Apple", "Xiaomi"]), choose("Redmi", ["Apple", "Xiaomi"])
    ('Xiaomi', 'Xiaomi')
    >>> choose("zzz", ["Apple", "Xiaomi"])
    'Apple'
    """
    return _match(vendor, ranked) or (ranked[0] if ranked else None)


def _match(vendor: str | None, ranked: list[str]) -> str | None:
    name = (vendor or "").strip()
    if not name:
        return None
    by_fold = {v.casefold(): v for v in ranked}
    for candidate in (name, vendor_of(name) or ""):
        hit = by_fold.get(candidate.casefold())
        if hit is not None:
            return hit
    return None


def unknown_note(vendor: str | None, ranked: list[str], lang: str) -> str:
    """A notice when the vendor asked is not on the page's date (never a silent other vendor):
    the closest names of that date, and which vendor the page shows instead.

    >>> unknown_note("Xiaom", ["Apple", "Xiaomi"], "en")  # doctest: +ELLIPSIS
    '<p class="notice" id="vendor-notice">“Xiaom” is not a vendor on this date (closest: Xiaomi)...'
    >>> unknown_note("redmi", ["Apple", "Xiaomi"], "en")
    ''
    """
    if not (vendor or "").strip() or _match(vendor, ranked) is not None or not ranked:
        return ""
    asked = (vendor or "").strip()[:60]
    folds = {v.casefold(): v for v in ranked}
    close = difflib.get_close_matches(asked.casefold(), list(folds), n=3, cutoff=0.5)
    text = message("dash_unknown_vendor", lang, asked=asked, shown=ranked[0],
                   close=", ".join(folds[c] for c in close) or "—")  # fmt: skip
    return f'<p class="notice" id="vendor-notice">{_e(text)}</p>'


def figures(data: Any, vendor: str | None, lang: str, threshold: int) -> dict[str, Any]:
    """Everything the page shows, protected: ``{"pub", "vendors", "vendor", "day", "raw"}``.
    The chosen vendor (:func:`choose`) always has its own row, card and line, however small
    (``publish(also=...)``); ``raw`` holds the exact counts when the figures are exact (to tell
    a count hidden for being small from one hidden as a complement), else nothing."""
    ranked = ranking(data, threshold)
    chosen = choose(vendor, ranked)
    top = max(6, min(10, ranked.index(chosen) + 1)) if chosen in ranked else 6
    also = (chosen,) if chosen else ()
    pub = publish(data, lang=lang, top=top, threshold=threshold, also=also)
    day = dt.date.fromisoformat(data.as_of)
    raw = {} if CKEYS in data.base else {g["vendor"]: g["lines"] for g in data.base["groups"]}
    return {"pub": pub, "vendors": ranked, "vendor": chosen, "day": day, "raw": raw}


def week_end(day: dt.date) -> dt.date:
    """The Sunday or month end on or before ``day``.

    >>> week_end(dt.date(2022, 2, 3)), week_end(dt.date(2022, 2, 28)), week_end(dt.date(2022, 3, 5))
    (datetime.date(2022, 1, 31), datetime.date(2022, 2, 28), datetime.date(2022, 2, 28))
    """
    while not is_week_or_month_end(day):
        day -= dt.timedelta(days=1)
    return day


def css_string(text: str) -> str:
    r"""``text`` as a quoted CSS string: anything but letters, digits, space, ``-_.`` escaped.

    >>> print(css_string('A"b</style>'))
    "A\22 b\3c \2f style\3e "
    """
    return '"' + "".join(c if c.isalnum() or c in " -_." else f"\\{ord(c):x} " for c in text) + '"'


def highlight_css(vendor: str) -> str:
    """The alluvial's highlight (its bands and bars carry their states as data attributes):
    the chosen vendor's bands opaque, the others faint, its bars outlined."""
    v = css_string(vendor)
    return (
        "#flows path.band{fill-opacity:.18}"
        f"#flows path.band[data-from={v}],#flows path.band[data-to={v}]{{fill-opacity:.85}}"
        f"#flows rect.node[data-state={v}]{{stroke:#212529;stroke-width:2}}"
    )


def count_text(lines: Any, raw: Any, lang: str, threshold: int, perturbed: bool) -> str:
    """A published count as the headline prints it: the number, ``< threshold`` when it is
    hidden for being small (always so for perturbed figures; for exact figures when the count
    itself is under the threshold), ``•`` when hidden as a complement."""
    if lines is not None:
        return locale.integer(lines, lang)
    if perturbed or (raw is not None and raw < threshold):
        return message("below_threshold", lang, threshold=threshold)
    return message("suppressed", lang)


def _headline(fig: dict[str, Any], lang: str, threshold: int, perturbed: bool) -> str:
    pub, vendor = fig["pub"], fig["vendor"]
    t = LABELS[lang]
    d = pub.data
    base = d.base
    group: dict[str, Any] = next((g for g in base.get("groups", []) if g["vendor"] == vendor), {})
    lines = group.get("lines")
    raw = None if perturbed else fig["raw"].get(vendor)
    big = count_text(lines, raw, lang, threshold, perturbed)
    word = t["line"] if lines in (0, 1) else t["lines"]
    total, ident = base.get("total_lines"), base.get("identified_lines")
    share = message("share_total", lang, share=_pct(group.get("share"), lang),
                    total=_num(total, lang))  # fmt: skip
    share_id = message("share_identified", lang, share=_pct(group.get("share_of_identified"), lang),
                       identified=_num(ident, lang))  # fmt: skip
    why = ""
    if lines is None:
        key = "dash_below" if big.startswith("<") else "dash_masked"
        why = f'<p class="why">{_e(message(key, lang, threshold=threshold))}</p>'
    return (
        f'<section id="headline" style="--c:{colour(vendor)}"><h2>{_e(vendor)}</h2>'
        f'<p class="big">{_e(big)} {_e(word)}</p>{why}'
        f'<p class="share">{_e(share)}</p><p class="share">{_e(share_id)}</p>'
        f'<p class="caption">{_e(message("dash_on", lang, date=locale.date(d.as_of, lang)))}</p>'
        "</section>"
    )


def _num(x: Any, lang: str) -> str:
    return message("suppressed", lang) if x is None else locale.integer(x, lang)


def _pct(x: Any, lang: str) -> str:
    return message("suppressed", lang) if x is None else locale.percent(x, lang)


def _charts(fig: dict[str, Any], lang: str, threshold: int, perturbed: bool) -> list[str]:
    """The four charts, each with the chosen vendor highlighted and a caption giving the date or
    period and the denominators, in the report's words."""
    pub, vendor = fig["pub"], fig["vendor"]
    d = pub.data
    other = OTHER[lang]
    palette = charts.colors([*pub.top, other])
    day = locale.date(d.as_of, lang)
    on = message("dash_on", lang, date=day)
    lit = message("dash_highlighted", lang, vendor=locale.vendor_label(vendor, lang))
    out = []
    group: dict[str, Any] = next((g for g in d.base["groups"] if g["vendor"] == vendor), {})
    raw = None if perturbed else fig["raw"].get(vendor)
    hidden = count_text(group.get("lines"), raw, lang, threshold, perturbed)
    svg = charts.shares_chart(d.base.get("groups", []), lang, palette, highlight=vendor,
                              hidden_label=hidden)  # fmt: skip
    total = _num(d.base.get("total_lines"), lang)
    cap = [on, message("shares_caption", lang, total=total), lit]
    out.append(_section("shares", message("shares_title", lang), svg, cap))
    points = (d.series or {}).get("points") or []
    if points:
        markers = [m for m in pub.markers if m["vendor"] == vendor]
        svg = charts.series_chart(points, markers, lang, palette, pub.top, highlight=vendor)
        start = locale.date(d.start or points[0]["date"], lang)
        end = locale.date(points[-1]["date"], lang)
        cap = [message("series_caption", lang, start=start, end=end),
               message("dash_series_weekly", lang), lit]  # fmt: skip
        drawn = any(
            g["vendor"] == vendor and g.get("lines") is not None
            for p in points
            for g in p.get("groups", [])
        )
        if not drawn:
            cap.append(message("dash_series_hidden", lang, vendor=vendor, threshold=threshold))
        out.append(_section("series", message("series_title", lang), svg, cap))
    sw = d.switches or {}
    if sw.get("flows"):
        fk, tk, sk = flow_keys(sw)
        order = [*pub.top, other, *RESERVED]
        d1, d2 = sw.get("from") or d.start, sw.get("to") or d.as_of
        a, b = locale.date(d1, lang), locale.date(d2, lang)
        svg = charts.flows_chart(sw["flows"], fk, tk, lang, charts.colors(order), order,
                                 start=d1, end=d2)  # fmt: skip
        moves = sum(int(f.get("lines") or 0) for f in sw["flows"] if f[fk] != f[tk])
        mine: dict[str, Any] = next((x for x in sw.get("summary", []) if x.get(sk) == vendor), {})
        cap = [
            message("dash_alluvial_caption", lang, n=locale.integer(moves, lang), start=a, end=b),
            message(
                "dash_switch_vendor",
                lang,
                vendor=vendor,
                start=a,
                end=b,
                **{k: _num(mine.get(k), lang) for k in ("gained", "lost", "kept")},
            ),
            lit,
            message("states_note", lang, start=a, end=b, lookback=d.lookback_days),
        ]
        out.append(_section("flows", message("flows_title", lang), svg, cap))
    if d.age and d.age.get("groups"):
        svg = charts.age_chart(d.age["groups"], AGE_ORDER, lang)
        ident = _num(d.age.get("identified_lines"), lang)
        cap = [message("age_caption", lang),
               message("dash_age_denominator", lang, date=day, identified=ident)]  # fmt: skip
        out.append(_section("age", message("age_title", lang), svg, cap))
    return out


def _out_of_range(day: dt.date, span: tuple[dt.date, dt.date], form: dict[str, Any],
                  lang: str) -> str:  # fmt: skip
    first, last = (locale.date(x, lang) for x in span)
    text = message("dash_out_of_range", lang, date=locale.date(day, lang), first=first, last=last)
    query = {"as_of": span[1].isoformat(), "vendor": form["vendor"] or "",
             "brand": form["brand"] or "", "lang": lang}  # fmt: skip
    href = "/?" + urlencode({k: v for k, v in query.items() if v})
    link = message("dash_show_last", lang, date=last)
    return (
        f'<section id="out-of-range"><p class="big-note">{_e(text)}</p>'
        f'<p><a href="{_e(href)}">{_e(link)}</a></p></section>'
    )


def page(
    fig: dict[str, Any] | None, form: dict[str, Any], lang: str, threshold: int,
    perturbed: bool = False, *, span: tuple[dt.date, dt.date] | None = None,
    outside: dt.date | None = None,
) -> str:  # fmt: skip
    """The HTML of the dashboard: the figures of ``fig``; or, when ``outside`` is a date out of
    the store's ``span``, a message naming the data's first and last dates instead of charts."""
    t = LABELS[lang]
    note = cellkey.note(lang, threshold) if perturbed else t["note"].format(t=threshold)
    vendors = form["vendors"] or ([form["vendor"]] if form["vendor"] else [])
    opts = "".join(
        f'<option value="{_e(v)}"{" selected" if v == form["vendor"] else ""}>{_e(v)}</option>'
        for v in vendors
    )
    bopts = f'<option value="">{_e(t["all"])}</option>' + "".join(
        f'<option value="{_e(b)}"{" selected" if b == form["brand"] else ""}>{_e(b)}</option>'
        for b in form["brands"]
    )
    lopts = "".join(
        f'<option value="{x}"{" selected" if x == lang else ""}>{x}</option>' for x in ("fr", "en")
    )
    head = (
        f'<form method="get" action="/" class="controls">'
        f"<label>{_e(t['date'])} "
        f'<input type="date" name="as_of" value="{_e(form["as_of"])}"></label>'
        f'<label>{_e(t["vendor"])} <select name="vendor">{opts}</select></label>'
        f'<label>{_e(t["brand"])} <select name="brand">{bopts}</select></label>'
        f'<label>{_e(t["lang"])} <select name="lang">{lopts}</select></label>'
        f'<button type="submit">{_e(t["show"])}</button></form>'
    )
    sections = []
    extra_css = ""
    if outside is not None and span is not None:
        sections.append(_out_of_range(outside, span, form, lang))
    elif fig is None:
        sections.append(f'<section id="empty"><p>{_e(t["empty"])}</p></section>')
    else:
        sections.append(_headline(fig, lang, threshold, perturbed))
        sections += _charts(fig, lang, threshold, perturbed)
        extra_css = highlight_css(fig["vendor"])
    title = t["title"]
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}\n{STYLE}{extra_css}</style>\n</head>\n<body>\n"
        f"<main>\n<header><h1>{_e(title)}</h1>{head}"
        f'<p class="sub">{_e(note)}</p></header>\n'
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )


STYLE = (
    ".controls{display:flex;flex-wrap:wrap;gap:12px;align-items:end}.controls label{display:flex;"
    "flex-direction:column;font-size:14px;color:var(--mute)}.controls input,.controls select,"
    ".controls button{font:inherit;padding:4px 8px}.big{font-size:28px;font-weight:700;margin:0}"
    "#headline{border-left:6px solid var(--c,#1f6feb)}#headline p{margin:2px 0}"
    ".caption,.why{color:var(--mute);font-size:14px}.big-note{font-size:18px;margin:0 0 8px}"
    ".notice{background:#fff3cd;border:1px solid #e0c36a;border-radius:6px;padding:8px 12px}"
)
NOTICE = "</header>\n"  # where a request's own notice goes, after the cached page is made


def _section(sid: str, title: str, svg: str, caption: list[str]) -> str:
    text = _e(" ".join(caption))
    fig = f"<figure>{svg}<figcaption>{text}</figcaption></figure>" if svg else ""
    if not svg:  # nothing to draw: the caption still says what and when
        fig = f'<p class="caption">{text}</p>'
    return f'<section id="{sid}"><h2 id="{sid}-title">{_e(title)}</h2>{fig}</section>'


router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(
    request: Request,
    app: App,
    as_of: Annotated[str | None, Query()] = None,
    vendor: Annotated[str | None, Query()] = None,
    brand: Annotated[str | None, Query()] = None,
    lang: Annotated[str, Query()] = "fr",
) -> HTMLResponse:
    """The page for a date (default: the last with data), a vendor and an operator brand; a
    browser without the right token gets the sign-in page (``auth.signin_response``)."""
    try:
        admit(request, browser=True)
    except ApiError as exc:
        if exc.status == 401 and wants_html(request):
            return signin_response(request, app.token, request.query_params.get("lang"), CSP)
        raise
    if lang not in LABELS:
        raise ConfigError(f"lang: {lang!r}; choose fr or en")
    day_asked = parse_date(as_of, "as_of") if as_of else None
    brand = brand or None
    cache, threshold = app.cache, app.threshold

    def compute(con: ibis.BaseBackend, t: Tables, keyed: bool) -> str:
        version = (t.store.version, t.store.manifest.committed_at)
        figs = "perturbed" if keyed else "exact"

        def once(name: str, fn: Any, *key: Any) -> Any:
            return cached(cache, (figs, version, name, *key), fn)

        span = once("span", lambda: answers.data_span(con, t))
        brands = once("brands", lambda: answers.operator_brands(con, t))
        if brand is not None and brand not in brands:
            raise ConfigError(f"brand: {brand!r} is not an operator brand of this store; "
                              f"choose among: {', '.join(brands)}")  # fmt: skip
        form = {"as_of": as_of or "", "vendor": vendor, "brand": brand or "",
                "brands": brands, "vendors": []}  # fmt: skip
        if span is None:
            return page(None, form, lang, threshold, keyed)
        day = day_asked or span[1]
        if keyed:  # public figures are weekly: the Sunday or month end on or before
            day = week_end(day)
        if not span[0] <= day <= span[1]:  # say so, with the data's dates, not empty charts
            form.update(as_of=day.isoformat())
            return page(None, form, lang, threshold, keyed, span=span, outside=day)
        data = once("figures", lambda: report_figures(con, t, day, brand, lang, threshold, keyed),
                    day, brand, lang)  # fmt: skip
        ranked = once("ranking", lambda: ranking(data, threshold), day, brand, lang)
        chosen = choose(vendor, ranked)

        def render() -> str:
            fig = figures(data, chosen, lang, threshold)
            form.update(as_of=day.isoformat(), vendor=fig["vendor"], vendors=fig["vendors"])
            return page(fig, form, lang, threshold, keyed)

        html_page = str(once("page", render, day, brand, lang, chosen))
        note = unknown_note(vendor, ranked, lang)  # after the cache: one page per vendor shown
        return html_page.replace(NOTICE, NOTICE + note, 1) if note else html_page

    question = ("dashboard", day_asked, vendor, brand, lang)
    data, exact = await app.answer(request, "dashboard", question, compute,
                                   encode=lambda text: str(text).encode("utf-8"))  # fmt: skip
    headers = {**figures_headers(exact), "Content-Security-Policy": CSP}
    return HTMLResponse(data, headers=headers)


def cached(cache: AnswerCache, key: Any, fn: Any) -> Any:
    """``fn()`` once per key (the figures of a page, shared by every vendor asked)."""
    return cache.get_or_compute(key, fn)
