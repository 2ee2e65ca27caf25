"""The report's campaign section: the daily chart, the effect with its interval and its verdict.

The verdict is ``campaign measure``'s: significant when the 95 % interval excludes 0
(``campaign.effect.significant``), not significant when it contains 0. The words say what is
counted: new handsets seen on the network, not sales.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devicepark.campaign.effect import significant
from devicepark.publish import charts, locale
from devicepark.publish.locale import message
from devicepark.publish.page import esc

if TYPE_CHECKING:
    from devicepark.publish.report import Published


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


def campaigns_section(pub: Published, lang: str) -> str:
    """Every campaign of the report (``id="campaigns"``)."""
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
                    f"<tr><td>{esc(message(label, lang))}</td><td class=n>{esc(eff)}</td>"
                    f"<td class=n>{esc(itv)}</td><td>{esc(verdict(c.get(key), lang))}</td></tr>"
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
            lead = f'<p class="verdict">{esc(lead)}</p>'
        brands = locale.join(list(c.get("operator_brands") or []), lang)
        caption = message("campaign_caption", lang, vendor=vendor, threshold=pub.threshold)
        parts.append(
            f"<h3>{esc(c.get('campaign'))} <span class=pill>{esc(vendor)}</span>"
            f"<span class=pill>{esc(brands)}</span><span class=pill>{esc(when)}</span></h3>"
            f"{lead}<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"
            f"<table><tr><th></th><th class=n>{esc(message('col_effect', lang))}</th>"
            f"<th class=n>{esc(message('col_interval', lang))}</th>"
            f"<th>{esc(message('col_verdict', lang))}</th></tr>{rows}</table>"
            f'<p class="foot">{esc(message("campaign_table_note", lang, vendor=vendor))}</p>'
        )
    return (
        f'<section id="campaigns"><h2>{esc(message("campaign_title", lang))}</h2>'
        + "".join(parts)
        + "</section>"
    )
