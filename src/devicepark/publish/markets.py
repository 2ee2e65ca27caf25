"""The report's market section, and the rules that keep it from misleading.

- It shows the vendors the cards show, their share of our base and of the market, and an index
  (base / market x 100) only when both shares are large enough for their ratio to mean something
  (:data:`MIN_MARKET_SHARE`, :data:`MIN_BASE_SHARE`; a vendor with 0.0002 % of the worldwide
  market and 3.9 % of our base, Wiko, would otherwise show an index of 20,339).
- It credits the source, with StatCounter's CC BY-SA 3.0 licence, and says what the market
  measures (StatCounter: the share of web pages viewed from mobiles, not handsets in France).
- :func:`check_market` refuses a comparison whose period, or whose base, is more than
  :data:`MAX_MARKET_GAP_DAYS` days from the report's date, and one split by operator brand.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from devicepark.errors import ConfigError
from devicepark.publish import locale
from devicepark.publish.locale import message
from devicepark.publish.page import esc, num, pct, vendor_html

if TYPE_CHECKING:
    from devicepark.publish.report import Published

MIN_MARKET_SHARE = 0.01
MIN_BASE_SHARE = 0.005
MAX_MARKET_GAP_DAYS = 92

_PERIOD = re.compile(r"^(\d{4})-(?:(\d{2})|Q([1-4]))$")


def period_days(label: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a comparison's period, as ``market compare`` writes it (``2022-02``
    or ``2022-Q1``; publish comes before market in the data's flow, so it reads the label
    itself); None for anything else.

    >>> period_days("2022-02"), period_days("2022-Q4")[1], period_days("Feb 2022")
    ((datetime.date(2022, 2, 1), datetime.date(2022, 2, 28)), datetime.date(2022, 12, 31), None)
    """
    m = _PERIOD.match(label.strip())
    if not m:
        return None
    year = int(m.group(1))
    first, months = (int(m.group(2)), 1) if m.group(2) else (3 * int(m.group(3)) - 2, 3)
    if not 1 <= first <= 12:
        return None
    after = dt.date(year + (first + months > 12), (first + months - 1) % 12 + 1, 1)
    return dt.date(year, first, 1), after - dt.timedelta(days=1)


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _gap_days(period: tuple[dt.date, dt.date], day: dt.date) -> int:
    """Days from ``day`` to the nearest day of ``period`` (0 inside it)."""
    start, end = period
    if start <= day <= end:
        return 0
    return min(abs((day - start).days), abs((day - end).days))


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
    label = str(market.get("period") or "")
    period = period_days(label)
    if period is None:
        raise ConfigError(
            f"--market {name}: period {market.get('period')!r} is not a month (YYYY-MM) or a "
            "quarter (YYYY-Qn); pass the JSON of `devicepark market compare --format json`"
        )
    gap = _gap_days(period, day)
    if gap > MAX_MARKET_GAP_DAYS:
        raise ConfigError(
            f"--market {name}: its period {label} is {gap} days from the report's date "
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
    """'février 2022' / 'February 2022' for a month, 'T1 2022' / 'Q1 2022' for a quarter."""
    period = period_days(label)
    if period is None:
        return label
    if "-Q" in label:
        q = label.strip()[-1]
        return f"T{q} {period[0].year}" if lang == "fr" else f"Q{q} {period[0].year}"
    return locale.date(period[0], lang, "MMMM y")


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


def markets_section(pub: Published, lang: str) -> str:
    """Every market comparison of the report (``id="market"``)."""
    parts = []
    for m in pub.data.markets:
        rows, unnamed = _market_rows(m, pub)
        cells = []
        for r in rows:
            b, mk = r["base_share"], r["market_share"]
            if not r["named"]:
                market_cell, index_cell = esc(message("market_not_named", lang)), "—"
            else:
                market_cell = pct(mk, lang)
                if b is None:
                    index_cell = num(None, lang)
                elif index_shown(b, mk):
                    index_cell = esc(locale.integer(100 * b / mk, lang))
                else:
                    index_cell = "—"
            cells.append(
                f"<tr><td>{vendor_html(r['vendor'], lang)}</td><td class=n>{pct(b, lang)}</td>"
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
            f"<h3>{esc(m.get('market'))} "
            + "".join(f"<span class=pill>{esc(p)}</span>" for p in pills)
            + "</h3>"
            f'<p class="note">{esc(measures)}</p><p class="note">{esc(source)}</p>'
            f"<table><tr><th>{esc(message('col_vendor', lang))}</th>"
            f"<th class=n>{esc(message('col_base_share', lang))}</th>"
            f"<th class=n>{esc(message('col_market_share', lang))}</th>"
            f"<th class=n>{esc(message('col_index', lang))}</th></tr>{''.join(cells)}</table>"
            + "".join(f'<p class="foot">{esc(n)}</p>' for n in notes)
        )
    return (
        f'<section id="market"><h2>{esc(message("market_title", lang))}</h2>'
        + "".join(parts)
        + "</section>"
    )
