"""Switching flows as an alluvial diagram, drawn as plain SVG (Vega-Lite has no Sankey mark).

States at the first date stand on the left, states at the second on the right; each band joins
one to the other and its width is the number of lines moving times one scale shared by every band
and bar, so widths are proportional to lines (to the hundredth of a pixel). No script, no id, no
external resource: the page stays offline and the same flows give the same bytes.

Each band is a ``<path class="band">`` carrying ``data-from``, ``data-to`` and ``data-lines``;
each bar a ``<rect class="node">`` with ``data-side``, ``data-state`` and ``data-lines``, so that
tests (and curious readers) can check the picture against the figures.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from devicepark.publish import locale
from devicepark.publish.charts import FONT
from devicepark.publish.palette import colour

WIDTH = 760
LABEL = 210  # room for the labels on each side
BAR = 12  # width of a state's bar
GAP = 14  # vertical space between two bars
BODY = 380  # height of the tallest column (bars and gaps)
HEAD = 30  # the dates above the columns
OPACITY = 0.5


def _f(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def layout(
    flows: list[dict[str, Any]], fk: str, tk: str, order: Sequence[str]
) -> dict[str, Any] | None:
    """Where everything goes: ``scale`` (px per line), ``nodes`` and ``bands`` with their
    coordinates in the drawing; None when there is nothing to draw."""
    pos = {n: k for k, n in enumerate(order)}
    moves = [
        f for f in flows
        if f.get("lines") and f[fk] != f[tk] and f[fk] in pos and f[tk] in pos
    ]  # fmt: skip
    if not moves:
        return None
    total = sum(int(f["lines"]) for f in moves)
    sides: dict[str, dict[str, int]] = {"from": {}, "to": {}}
    for f in moves:
        sides["from"][f[fk]] = sides["from"].get(f[fk], 0) + int(f["lines"])
        sides["to"][f[tk]] = sides["to"].get(f[tk], 0) + int(f["lines"])
    tallest = max(len(sides["from"]), len(sides["to"]))
    scale = (BODY - GAP * (tallest - 1)) / total
    x = {"from": float(LABEL), "to": float(WIDTH - LABEL - BAR)}
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    for side, sums in sides.items():
        names = sorted(sums, key=pos.__getitem__)
        height = total * scale + GAP * (len(names) - 1)
        y = HEAD + (BODY - height) / 2
        for n in names:
            h = sums[n] * scale
            nodes[(side, n)] = {"side": side, "state": n, "lines": sums[n],
                                "x": x[side], "y": y, "h": h, "cursor": y}  # fmt: skip
            y += h + GAP
    bands = []
    # Bands leave each left bar in the order of their right end, and reach each right bar in
    # the order of their left end, so that they cross as little as possible.
    for f in sorted(moves, key=lambda f: (pos[f[fk]], pos[f[tk]])):
        a = nodes[("from", f[fk])]
        w = int(f["lines"]) * scale
        bands.append({"from": f[fk], "to": f[tk], "lines": int(f["lines"]), "w": w,
                      "y0": a["cursor"]})  # fmt: skip
        a["cursor"] += w
    for b in sorted(bands, key=lambda b: (pos[b["to"]], pos[b["from"]])):
        z = nodes[("to", b["to"])]
        b["y1"] = z["cursor"]
        z["cursor"] += b["w"]
    return {"scale": scale, "nodes": list(nodes.values()), "bands": bands, "total": total}


def alluvial_svg(
    flows: list[dict[str, Any]],
    fk: str,
    tk: str,
    lang: str,
    order: Sequence[str],
    *,
    colours: dict[str, str] | None = None,
    start: str | None = None,
    end: str | None = None,
    name: str = "flows",
) -> str:
    """The SVG of the flows between the states of ``order`` (in that order, top to bottom)."""
    plan = layout(flows, fk, tk, order)
    if plan is None:
        return ""
    colours = colours or {}

    def fill(state: str) -> str:
        return colours.get(state) or colour(state)

    def sub(state: str, side: str) -> str:
        """What a reserved state means on this side: a new line, or a closed one."""
        if state != "(not active)":
            return ""
        word = "state_new_line" if side == "from" else "state_closed_line"
        return locale.message(word, lang)

    height = HEAD + BODY + 8
    x0, x1 = LABEL + BAR, WIDTH - LABEL - BAR
    xm = (x0 + x1) / 2
    out = [
        f'<svg role="img" aria-labelledby="{_e(name)}-title" xmlns="http://www.w3.org/2000/svg" '
        f'class="alluvial" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'style="max-width:100%;height:auto" font-family="{_e(FONT)}" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
    ]
    for x, when, anchor in ((LABEL, start, "start"), (WIDTH - LABEL, end, "end")):
        if when:
            text = locale.message("alluvial_at", lang, date=locale.date(when, lang))
            out.append(
                f'<text x="{_f(x)}" y="16" text-anchor="{anchor}" font-weight="600" '
                f'fill="#343a40">{_e(text)}</text>'
            )
    for b in plan["bands"]:
        y0, y1, w = b["y0"], b["y1"], b["w"]
        d = (
            f"M{_f(x0)},{_f(y0)}C{_f(xm)},{_f(y0)} {_f(xm)},{_f(y1)} {_f(x1)},{_f(y1)}"
            f"L{_f(x1)},{_f(y1 + w)}C{_f(xm)},{_f(y1 + w)} {_f(xm)},{_f(y0 + w)} "
            f"{_f(x0)},{_f(y0 + w)}Z"
        )
        sep = "\u00a0: " if lang == "fr" else ": "
        title = (
            f"{locale.vendor_label(b['from'], lang)} → {locale.vendor_label(b['to'], lang)}"
            f"{sep}{locale.integer(b['lines'], lang)}"
        )
        out.append(
            f'<path class="band" data-from="{_e(b["from"])}" data-to="{_e(b["to"])}" '
            f'data-lines="{b["lines"]}" d="{d}" fill="{fill(b["from"])}" '
            f'fill-opacity="{OPACITY}"><title>{_e(title)}</title></path>'
        )
    for n in plan["nodes"]:
        out.append(
            f'<rect class="node" data-side="{n["side"]}" data-state="{_e(n["state"])}" '
            f'data-lines="{n["lines"]}" x="{_f(n["x"])}" y="{_f(n["y"])}" width="{BAR}" '
            f'height="{_f(max(n["h"], 0.01))}" fill="{fill(n["state"])}"/>'
        )
        count = locale.integer(n["lines"], lang)
        name = locale.vendor_label(n["state"], lang)
        if n["side"] == "from":
            text, x, anchor = f"{name}\u2003{count}", n["x"] - 6, "end"
        else:
            text, x, anchor = f"{count}\u2003{name}", n["x"] + BAR + 6, "start"
        mid = n["y"] + n["h"] / 2
        note = sub(n["state"], n["side"])
        if note:  # two lines: the state, then what it means on this side
            out.append(
                f'<text x="{_f(x)}" y="{_f(mid)}" text-anchor="{anchor}" fill="#212529">'
                f'<tspan dy="-0.15em">{_e(text)}</tspan><tspan x="{_f(x)}" dy="1.15em" '
                f'font-size="11" fill="#6c757d">{_e(note)}</tspan></text>'
            )
            continue
        out.append(
            f'<text x="{_f(x)}" y="{_f(mid)}" dy="0.35em" text-anchor="{anchor}" '
            f'fill="#212529">{_e(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
