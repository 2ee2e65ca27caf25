"""The report's switching section: a from x to matrix and an alluvial diagram of the flows.

The matrix is an HTML table: each row a state at the first date, each column one at the second,
each cell the published lines and their share of the row, its background darker as the share
grows (:func:`share_colour`); hidden cells are hatched, the diagonal (lines that kept their
vendor) outlined. The alluvial (``publish.alluvial``) draws the moves with widths proportional
to lines. A diverging bar chart and a table of gains and losses follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devicepark.publish import charts, locale
from devicepark.publish.charts import OTHER, RESERVED_LABELS
from devicepark.publish.disclosure import flow_keys
from devicepark.publish.locale import message
from devicepark.publish.page import esc, hidden_rows, num, pct, vendor_html
from devicepark.publish.palette import colour

if TYPE_CHECKING:
    from devicepark.publish.report import Published

RESERVED = tuple(RESERVED_LABELS)
NOT_ACTIVE = "(not active)"

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
        text = vendor_html(state, lang)
        if state == NOT_ACTIVE:
            word = "state_new_line" if side == "from" else "state_closed_line"
            text += f" · {esc(message(word, lang))}"
        return f'<span class="chip" style="--c:{colour(state)}"></span>{text}'

    top = "".join(f"<th class=n>{head(c, 'to')}</th>" for c in cols)
    corner = esc(message("matrix_corner", lang, start=start, end=end))
    out = [
        f'<tr><th class="corner">{corner}</th>{top}'
        f"<th class=n>{esc(message('matrix_total', lang, start=start))}</th></tr>"
    ]
    whole = []
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
                tds.append(f'<td class="sup{diag}">{esc(message("suppressed", lang))}</td>')
                continue
            if not lines:
                tds.append(f'<td class="zero{diag}">0</td>')
                continue
            share = lines / total if total else None
            bg, white = share_colour(share or 0.0)
            ink = "#fff" if white else "#212529"
            small = "" if share is None else pct(share, lang, 1)  # row total hidden: no share
            tds.append(
                f'<td class="cell{diag}" style="background:{bg};color:{ink}">'
                f"{esc(locale.integer(lines, lang))}<small>{small}</small></td>"
            )
        if all(cells.get((r, c), 0) is None for c in cols if (r, c) in cells):
            whole.append(r)
        out.append(
            f"<tr><th class=row>{head(r, 'from')}</th>{''.join(tds)}"
            f"<td class=n>{num(total, lang)}</td></tr>"
        )
    legend = "".join(
        f'<span class="swatch" style="background:{bg};color:{"#fff" if w else "#212529"}">'
        f"{esc(locale.percent(x, lang, 0))}</span>"
        for x in (0.0, 0.05, 0.25, 0.5, 1.0)
        for bg, w in [share_colour(x)]
    )
    caption = message("matrix_caption", lang, start=start, end=end)
    return (
        f"<h3>{esc(message('matrix_title', lang))}</h3>"
        f'<div class="scroll"><table class="matrix">{"".join(out)}</table></div>'
        f'<p class="note">{esc(caption)} {esc(message("matrix_legend", lang))}{legend}</p>'
        + hidden_rows(whole, lang, pub.threshold, pub.noised, perturbed=pub.perturbed)
    )


def flows_section(pub: Published, lang: str, start: str | None) -> str:
    """The whole switching section (``id="flows"``)."""
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
        f"<h3>{esc(message('alluvial_title', lang))}</h3>"
        f"<figure>{svg}<figcaption>"
        f"{esc(message('alluvial_caption', lang, start=day1, end=day2))}</figcaption></figure>"
        + "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
        if svg
        else ""
    )
    names = {"gained": message("col_gained", lang), "lost": message("col_lost", lang)}
    top_summary = [s for s in sw.get("summary", []) if s.get(sk) in pub.top]
    gains = charts.gains_chart(top_summary, sk, lang, names)
    rows = "".join(
        f"<tr><td>{vendor_html(s[sk], lang)}</td><td class=n>{num(s.get('gained'), lang)}</td>"
        f"<td class=n>{num(s.get('lost'), lang)}</td><td class=n>{num(s.get('kept'), lang)}</td>"
        "</tr>"
        for s in top_summary
    )
    whole = [
        s[sk] for s in top_summary if all(s.get(k) is None for k in ("gained", "lost", "kept"))
    ]
    table = (
        f"<h3>{esc(message('flows_summary', lang))}</h3>"
        f"<figure>{gains}</figure>"
        f"<table><tr><th>{esc(message('col_vendor', lang))}</th>"
        f"<th class=n>{esc(message('col_gained', lang))}</th>"
        f"<th class=n>{esc(message('col_lost', lang))}</th>"
        f"<th class=n>{esc(message('col_kept', lang))}</th></tr>{rows}</table>"
        + hidden_rows(whole, lang, pub.threshold, pub.noised, perturbed=pub.perturbed)
    )
    return (
        f'<section id="flows"><h2 id="flows-title">{esc(message("flows_title", lang))}</h2>'
        + _matrix(pub, lang, day1, day2)
        + alluvial
        + table
        + "</section>"
    )
