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
HTTP Basic credentials (any user name) or a bearer header.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from devicepark import answers
from devicepark.api.bounds import is_week_or_month_end
from devicepark.api.deps import App, admit, figures_headers
from devicepark.api.state import AnswerCache
from devicepark.base.shape import CKEYS
from devicepark.errors import ConfigError
from devicepark.publish import cellkey, charts, locale
from devicepark.publish.disclosure import flow_keys
from devicepark.publish.locale import message
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
           "empty": "Le magasin ne contient encore aucune observation.",
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


def figures(data: Any, vendor: str | None, lang: str, threshold: int) -> dict[str, Any]:
    """Everything the page shows, protected: ``{"pub", "vendors", "vendor", "day"}``; the
    chosen vendor is the one asked when the base ranks it, else the largest."""
    ranked = ranking(data, threshold)
    chosen = vendor if vendor in ranked else (ranked[0] if ranked else None)
    top = max(6, min(10, ranked.index(chosen) + 1)) if chosen in ranked else 6
    pub = publish(data, lang=lang, top=top, threshold=threshold)
    day = dt.date.fromisoformat(data.as_of)
    return {"pub": pub, "vendors": ranked, "vendor": chosen, "day": day}


def week_end(day: dt.date) -> dt.date:
    """The Sunday or month end on or before ``day``.

    >>> week_end(dt.date(2022, 2, 3)), week_end(dt.date(2022, 2, 28)), week_end(dt.date(2022, 3, 5))
    (datetime.date(2022, 1, 31), datetime.date(2022, 2, 28), datetime.date(2022, 2, 28))
    """
    while not is_week_or_month_end(day):
        day -= dt.timedelta(days=1)
    return day


def page(
    fig: dict[str, Any] | None, form: dict[str, Any], lang: str, threshold: int,
    perturbed: bool = False,
) -> str:  # fmt: skip
    """The HTML of the dashboard."""
    t = LABELS[lang]
    note = cellkey.note(lang, threshold) if perturbed else t["note"].format(t=threshold)
    opts = "".join(
        f'<option value="{_e(v)}"{" selected" if v == form["vendor"] else ""}>{_e(v)}</option>'
        for v in form["vendors"]
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
        f'<label>{_e(t["date"])} '
        f'<input type="date" name="as_of" value="{_e(form["as_of"])}"></label>'
        f'<label>{_e(t["vendor"])} <select name="vendor">{opts}</select></label>'
        f'<label>{_e(t["brand"])} <select name="brand">{bopts}</select></label>'
        f'<label>{_e(t["lang"])} <select name="lang">{lopts}</select></label>'
        f'<button type="submit">{_e(t["show"])}</button></form>'
    )
    sections = []
    if fig is None:
        sections.append(f'<section id="empty"><p>{_e(t["empty"])}</p></section>')
    else:
        pub, vendor = fig["pub"], fig["vendor"]
        d = pub.data
        other = OTHER[lang]
        palette = charts.colors([*pub.top, other])
        group = next((g for g in d.base.get("groups", []) if g["vendor"] == vendor), None)
        if group is not None:

            def num(x: Any) -> str:
                return "•" if x is None else locale.integer(x, lang)

            def pct(x: Any) -> str:
                return "•" if x is None else locale.percent(x, lang)

            sections.append(
                f'<section id="headline"><h2>{_e(vendor)}</h2>'
                f'<p class="big">{_e(num(group["lines"]))} '
                f'{_e(t["line"] if group["lines"] in (0, 1) else t["lines"])}</p>'
                f'<p>{_e(pct(group["share"]))} {_e(t["of_total"])} '
                f'({_e(num(d.base.get("total_lines")))}) · {_e(pct(group["share_of_identified"]))}'
                f' {_e(t["of_ident"])} ({_e(num(d.base.get("identified_lines")))})</p></section>'
            )
        svg = charts.shares_chart(d.base.get("groups", []), lang, palette)
        sections.append(_section("shares", message("shares_title", lang), svg))
        if d.series and d.series.get("points"):
            markers = [m for m in pub.markers if m["vendor"] == vendor]
            svg = charts.series_chart(d.series["points"], markers, lang, palette, pub.top)
            sections.append(_section("series", message("series_title", lang), svg))
        if d.switches and d.switches.get("flows"):
            fk, tk, _ = flow_keys(d.switches)
            pal = {**palette, **{n: charts.GREY for n in RESERVED}}
            order = [*pub.top, other, *RESERVED]
            svg = charts.flows_chart(d.switches["flows"], fk, tk, lang, pal, order)
            sections.append(_section("flows", message("flows_title", lang), svg))
        if d.age and d.age.get("groups"):
            svg = charts.age_chart(d.age["groups"], AGE_ORDER, lang)
            sections.append(_section("age", message("age_title", lang), svg))
    title = t["title"]
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}\n.controls{{display:flex;flex-wrap:wrap;gap:12px;"
        "align-items:end}.controls label{display:flex;flex-direction:column;font-size:14px;"
        "color:var(--mute)}.controls input,.controls select,.controls button{font:inherit;"
        "padding:4px 8px}.big{font-size:28px;font-weight:700;margin:0}</style>\n</head>\n<body>\n"
        f"<main>\n<header><h1>{_e(title)}</h1>{head}"
        f'<p class="sub">{_e(note)}</p></header>\n'
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )


def _section(sid: str, title: str, svg: str) -> str:
    fig = f"<figure>{svg}</figure>" if svg else ""
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
    """The page for a date (default: the last with data), a vendor and an operator brand."""
    admit(request, browser=True)
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
        data = once("figures", lambda: report_figures(con, t, day, brand, lang, threshold, keyed),
                    day, brand, lang)  # fmt: skip
        ranked = once("ranking", lambda: ranking(data, threshold), day, brand, lang)
        chosen = vendor if vendor in ranked else (ranked[0] if ranked else None)

        def render() -> str:
            fig = figures(data, chosen, lang, threshold)
            form.update(as_of=day.isoformat(), vendor=fig["vendor"], vendors=fig["vendors"])
            return page(fig, form, lang, threshold, keyed)

        return str(once("page", render, day, brand, lang, chosen))

    question = ("dashboard", day_asked, vendor, brand, lang)
    data, exact = await app.answer(request, "dashboard", question, compute,
                                   encode=lambda text: str(text).encode("utf-8"))  # fmt: skip
    headers = {**figures_headers(exact), "Content-Security-Policy": CSP}
    return HTMLResponse(data, headers=headers)


def cached(cache: AnswerCache, key: Any, fn: Any) -> Any:
    """``fn()`` once per key (the figures of a page, shared by every vendor asked)."""
    return cache.get_or_compute(key, fn)
