"""The report's page: its style sheet and the small HTML pieces every section uses.

Numbers go through ``locale`` (Babel); a hidden (suppressed) figure prints as ``•``; a table row
hidden whole gets a footnote saying why (:func:`hidden_rows`).
"""

from __future__ import annotations

import html
from typing import Any

from devicepark.publish import cellkey, locale
from devicepark.publish.locale import message

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


def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def num(n: Any, lang: str) -> str:
    if n is None:
        return f'<span class="hidden">{esc(message("suppressed", lang))}</span>'
    return esc(locale.integer(n, lang))


def pct(x: Any, lang: str, digits: int = 2) -> str:
    if x is None:
        return f'<span class="hidden">{esc(message("suppressed", lang))}</span>'
    return esc(locale.percent(x, lang, digits))


def vendor_html(v: Any, lang: str) -> str:
    return esc(locale.vendor_label(v, lang))


def hidden_rows(
    names: list[str], lang: str, threshold: int, noised: bool, zero: bool = False,
    perturbed: bool = False,
) -> str:  # fmt: skip
    """The footnote for table rows hidden whole: why, without saying which rule hid which row
    (primary or complementary), which would partly give the hidden figure away; for perturbed
    figures (``publish.cellkey``), that the published count is under the threshold."""
    if not names:
        return ""
    labels = [locale.vendor_label(n, lang) for n in names]
    if perturbed and not zero:
        text = cellkey.hidden_text(locale.join(labels, lang), lang, threshold)
        return f'<p class="foot">{esc(text)}</p>'
    key = "hidden_rows_zero" if zero else ("hidden_rows_noised" if noised else "hidden_rows")
    text = message(key, lang, names=locale.join(labels, lang), threshold=threshold)
    return f'<p class="foot">{esc(text)}</p>'


def section(sid: str, title: str, svg: str, caption: str, extra: str = "") -> str:
    fig = f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>" if svg else ""
    return f'<section id="{sid}"><h2 id="{sid}-title">{esc(title)}</h2>{fig}{extra}</section>'
