"""The live dashboard at ``/``: the report's charts for a chosen date, vendor and operator brand.

One self-contained page, rendered on the server: the figures come from ``devicepark.answers``,
are folded and disclosure-controlled by ``devicepark.publish.report.publish`` (as the report's
are, whatever the server's mode) and drawn as inline SVG by ``devicepark.publish.charts``
(Altair + vl-convert). A plain form (GET) chooses the date, vendor, operator brand and language;
there is no script and no external resource (the CSP forbids both). Pages are cached per
(store version, parameters). Without ``--public`` the page needs the token, as HTTP Basic
credentials (any user name) or a bearer header.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from devicepark.api import auth
from devicepark.api.state import AnswerCache, StoreState
from devicepark.errors import ConfigError

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


def milestone_step(count: int) -> int:
    """A round step giving a few thresholds under ``count``.

    >>> milestone_step(52_700), milestone_step(7), milestone_step(1_040_000)
    (10000, 10, 250000)
    """
    if count < 20:
        return 10
    power = 10 ** int(math.log10(count))
    for step in (power // 4, power // 2, power):
        if step >= 10 and count / step <= 5:
            return step
    return power


def figures(con: Any, tables: Any, day: dt.date, vendor: str | None, brand: str | None,
            lang: str, threshold: int) -> dict[str, Any]:  # fmt: skip
    """Everything the page shows, protected: ``{"pub", "vendors", "vendor", "day"}``."""
    from devicepark import answers
    from devicepark.publish.report import ReportInput, publish

    if brand:
        lines = tables.lines
        tables = dataclasses.replace(tables, lines=lines.filter(lines.operator_brand == brand))
    start = day - dt.timedelta(days=364)
    base = answers.base(con, tables, day, ["vendor"])
    ranked = [g["vendor"] for g in base["groups"] if g["vendor"] != "Unknown"]
    vendor = vendor if vendor in ranked else (ranked[0] if ranked else None)
    series = answers.series(con, tables, start, day, "week", ["vendor"])
    switches = answers.switches(con, tables, start, day, "vendor")
    age = answers.base(con, tables, day, ["device_age"])
    milestones = []
    if vendor is not None:
        count = next(g["lines"] for g in base["groups"] if g["vendor"] == vendor)
        try:
            milestones.append(answers.milestones(
                con, tables, vendor, milestone_step(count), None, start, day))  # fmt: skip
        except (ValueError, ArithmeticError):  # the forecast can fail on a flat, tiny series:
            pass  # the page then shows no milestone markers rather than no page at all
    data = ReportInput(
        as_of=day.isoformat(), base=base, series=series, switches=switches, age=age,
        milestones=milestones, operator=brand or "", start=start.isoformat(),
    )  # fmt: skip
    top = max(6, min(10, ranked.index(vendor) + 1)) if vendor in ranked else 6
    pub = publish(data, lang=lang, top=top, threshold=threshold)
    return {"pub": pub, "vendors": ranked, "vendor": vendor, "day": day}


def page(fig: dict[str, Any] | None, form: dict[str, Any], lang: str, threshold: int) -> str:
    """The HTML of the dashboard."""
    from devicepark.publish import charts, locale
    from devicepark.publish.locale import message
    from devicepark.publish.report import AGE_ORDER, CSS, OTHER, RESERVED

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
            from devicepark.publish.disclosure import flow_keys

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


def register(app: FastAPI, state: StoreState, cache: AnswerCache, token: str | None,
             public: bool, threshold: int) -> None:  # fmt: skip
    """Add ``GET /`` to the app."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(
        request: Request,
        as_of: str | None = Query(None),
        vendor: str | None = Query(None),
        brand: str | None = Query(None),
        lang: str = Query("fr"),
    ) -> HTMLResponse:
        from devicepark import answers
        from devicepark.base.common import as_date

        if not public:
            auth.require(request, token, browser=True)
        if lang not in LABELS:
            raise ConfigError(f"lang: {lang!r}; choose fr or en")
        store = state.store()
        brand = brand or None
        version = (store.version, store.manifest.committed_at)
        key = (version, "dashboard", as_of, vendor, brand, lang)

        def run() -> str:
            with state.tables(store) as (con, t):
                span = answers.data_span(con, t)
                brands = sorted(
                    b for b in con.to_pyarrow(t.lines.select("operator_brand").distinct())
                    .column(0).to_pylist() if b
                )  # fmt: skip
                form = {"as_of": as_of or "", "vendor": vendor, "brand": brand or "",
                        "brands": brands, "vendors": []}  # fmt: skip
                if span is None:
                    return page(None, form, lang, threshold)
                day = as_date(as_of, "as_of") if as_of else span[1]
                if not 1900 <= day.year <= 2999:
                    raise ConfigError(f"as_of: {as_of!r} is out of range")
                fig = figures(con, t, day, vendor, brand, lang, threshold)
            form.update(as_of=day.isoformat(), vendor=fig["vendor"], vendors=fig["vendors"])
            return page(fig, form, lang, threshold)

        text = cache.get_or_compute(key, run)
        return HTMLResponse(text, headers={"Content-Security-Policy": CSP})
