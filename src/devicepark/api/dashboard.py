"""The live dashboard at ``/``: the report's charts for a chosen date, vendor and operator brand.

One self-contained page, rendered on the server: the figures are the report's
(``devicepark.answers.report_data``), folded and disclosure-controlled by
``devicepark.publish.report.publish`` whatever the server's mode, and drawn as inline SVG by
``devicepark.publish.charts`` (Altair + vl-convert). A plain form (GET) chooses the date,
vendor, operator brand and language; there is no script and no external resource (the CSP
forbids both). Pages are cached per (store version, parameters). Without ``--public`` the page
needs the token, as HTTP Basic credentials (any user name) or a bearer header.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from devicepark import answers
from devicepark.api import auth
from devicepark.api.deps import App
from devicepark.errors import ConfigError
from devicepark.publish import charts, locale
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


def figures(con: ibis.BaseBackend, tables: Tables, day: dt.date, vendor: str | None,
            brand: str | None, lang: str, threshold: int) -> dict[str, Any]:  # fmt: skip
    """Everything the page shows, protected: ``{"pub", "vendors", "vendor", "day"}``.

    The figures are the report's (``answers.report_data``) over the year to ``day``, weekly;
    the chosen vendor is the one asked when the base ranks it, else the largest.
    """
    asked = (vendor,) if vendor and vendor != "Unknown" else ()
    q = ReportQuestion(as_of=day, start=day - dt.timedelta(days=364), every="week",
                       brand=brand or None, vendors=asked, default_vendors=1,
                       threshold=threshold, lang=lang)  # fmt: skip
    data = answers.report_data(con, tables, q)
    ranked = [g["vendor"] for g in data.base["groups"] if g["vendor"] != "Unknown"]
    chosen = vendor if vendor in ranked else (ranked[0] if ranked else None)
    top = max(6, min(10, ranked.index(chosen) + 1)) if chosen in ranked else 6
    pub = publish(data, lang=lang, top=top, threshold=threshold)
    return {"pub": pub, "vendors": ranked, "vendor": chosen, "day": day}


def page(fig: dict[str, Any] | None, form: dict[str, Any], lang: str, threshold: int) -> str:
    """The HTML of the dashboard."""
    t = LABELS[lang]
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
        f'<p class="sub">{_e(t["note"].format(t=threshold))}</p></header>\n'
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )


def _section(sid: str, title: str, svg: str) -> str:
    fig = f"<figure>{svg}</figure>" if svg else ""
    return f'<section id="{sid}"><h2 id="{sid}-title">{_e(title)}</h2>{fig}</section>'


router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def dashboard(
    request: Request,
    app: App,
    as_of: Annotated[str | None, Query()] = None,
    vendor: Annotated[str | None, Query()] = None,
    brand: Annotated[str | None, Query()] = None,
    lang: Annotated[str, Query()] = "fr",
) -> HTMLResponse:
    """The page for a date (default: the last with data), a vendor and an operator brand."""
    if not app.public:
        auth.require(request, app.token, browser=True)
    if lang not in LABELS:
        raise ConfigError(f"lang: {lang!r}; choose fr or en")
    store = app.store.store()
    brand = brand or None
    version = (store.version, store.manifest.committed_at)
    key = (version, "dashboard", as_of, vendor, brand, lang)

    def run() -> str:
        with app.store.tables(store) as (con, t):
            span = answers.data_span(con, t)
            brands = sorted(
                b for b in con.to_pyarrow(t.lines.select("operator_brand").distinct())
                .column(0).to_pylist() if b
            )  # fmt: skip
            form = {"as_of": as_of or "", "vendor": vendor, "brand": brand or "",
                    "brands": brands, "vendors": []}  # fmt: skip
            if span is None:
                return page(None, form, lang, app.threshold)
            day = parse_date(as_of, "as_of") if as_of else span[1]
            fig = figures(con, t, day, vendor, brand, lang, app.threshold)
        form.update(as_of=day.isoformat(), vendor=fig["vendor"], vendors=fig["vendors"])
        return page(fig, form, lang, app.threshold)

    text = app.cache.get_or_compute(key, run)
    return HTMLResponse(text, headers={"Content-Security-Policy": CSP})
