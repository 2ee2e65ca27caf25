"""Locale formatting for published figures (Babel/CLDR) and the small fr/en message catalog.

French follows CLDR exactly: digits are grouped with U+202F (narrow no-break space) and the
percent sign is preceded by U+00A0 (no-break space), so a figure never wraps across lines.

>>> integer(1_000_000, "fr") == "1\\u202f000\\u202f000"
True
>>> integer(1_000_000, "en")
'1,000,000'
>>> percent(0.0474, "fr") == "4,74\\u00a0%"
True
>>> percent(0.0474, "en")
'4.74%'
>>> date("2022-02-03", "fr"), date("2022-02-03", "en")
('3 février 2022', 'February 3, 2022')
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from devicepark.errors import ConfigError

LANGS = ("fr", "en")
_LOCALES = {"fr": "fr_FR", "en": "en_US"}


def check_lang(lang: str) -> str:
    """Return ``lang`` if devicepark speaks it, else raise ConfigError naming the choices."""
    if lang not in LANGS:
        raise ConfigError(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    return lang


def _locale(lang: str) -> Locale:
    return Locale.parse(_LOCALES[check_lang(lang)])


def integer(n: int | float | None, lang: str) -> str:
    """A count with the locale's grouping: '1 000 000' (fr, U+202F) or '1,000,000' (en)."""
    if n is None:
        return ""
    return format_decimal(int(round(n)), format="#,##0", locale=_locale(lang))


def decimal(x: float | None, lang: str, digits: int = 1) -> str:
    """A decimal number with a fixed number of fraction digits: '2,5' (fr) or '2.5' (en)."""
    if x is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(x, format=pattern, locale=_locale(lang))


def percent(x: float | None, lang: str, digits: int = 2) -> str:
    """A share as a percentage with ``digits`` decimals, rounded half up: '4,74 %' (fr, U+00A0)
    or '4.74%' (en)."""
    if x is None:
        return ""
    loc = _locale(lang)
    pattern = copy.copy(loc.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    # Round half up (as people and spreadsheets do), not Babel's default half-even.
    value = Decimal(str(x)).quantize(Decimal(1).scaleb(-(digits + 2)), rounding=ROUND_HALF_UP)
    return pattern.apply(value, loc)


def date(d: dt.date | str | None, lang: str, fmt: str = "long") -> str:
    """A calendar day: '3 février 2022' (fr) or 'February 3, 2022' (en)."""
    if d is None:
        return ""
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    return format_date(d, format=fmt, locale=_locale(lang))


def join(items: list[str], lang: str) -> str:
    """Join words as prose: 'Orange et Sosh' / 'Orange and Sosh'.

    >>> join(["Orange", "Sosh", "Red"], "fr"), join(["Orange", "Sosh"], "en")
    ('Orange, Sosh et Red', 'Orange and Sosh')
    """
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    word = MESSAGES[check_lang(lang)]["and"]
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


# The catalog: every sentence the report and the announcement show, in both languages.
# Placeholders are str.format fields, filled with already-formatted strings.
MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "and": "et",
        "report_title": "Parc de terminaux au {date}",
        "report_subtitle": "Lignes mobiles actives par constructeur de terminal, {operator}",
        "generated": "Rapport généré par devicepark le {date}.",
        "headline_title": "Chiffres clés par constructeur",
        "headline_card": "{lines} lignes",
        "share_total": "{share} de toutes les lignes actives ({total})",
        "share_identified": "{share} des lignes dont le terminal est identifié ({identified})",
        "shares_title": "Parts par constructeur",
        "shares_caption": (
            "Part des lignes actives (dénominateur : toutes les lignes actives, {total})."
        ),
        "series_title": "Évolution du nombre de lignes",
        "series_caption": (
            "Lignes par constructeur, du {start} au {end} ; "
            "les losanges marquent les seuils franchis."
        ),
        "flows_title": "Changements de terminal",
        "flows_caption": (
            "Lignes passées d'un constructeur à un autre entre le {start} et le {end} "
            "(graphe de flux : épaisseur proportionnelle au nombre de lignes)."
        ),
        "flows_summary": "Gains et pertes des principaux constructeurs",
        "age_title": "Âge des terminaux",
        "age_caption": "Lignes selon l'ancienneté du terminal actuel sur la ligne, en mois.",
        "campaign_title": "Effet des campagnes",
        "campaign_caption": (
            "Nouveaux terminaux {vendor} par jour : observés (trait plein), attendus sans la "
            "campagne (pointillés) et leur intervalle à 95 % (bande) ; la campagne est surlignée. "
            "Le tableau donne les ventes supplémentaires estimées."
        ),
        "col_adds": "Nouveaux terminaux par jour",
        "campaign_window": "pendant la campagne",
        "campaign_after": "semaines suivantes",
        "market_title": "Comparaison avec le marché",
        "definitions_title": "Définitions",
        "def_active": (
            "Ligne active : ligne ouverte au {date}, hors cartes SIM M2M (machine à machine)."
        ),
        "def_identified": (
            "Terminal identifié : terminal vu sur le réseau dans les {lookback} derniers jours."
        ),
        "def_disclosure": (
            "Secret statistique : les effectifs inférieurs à {threshold} lignes sont masqués (•), "
            "ainsi que d'autres cases qui permettraient de les retrouver par différence."
        ),
        "def_dp": (
            "Confidentialité différentielle : bruit de Laplace ajouté aux effectifs publiés "
            "(ε = {epsilon} pour ce rapport, {total} au total pour ce magasin de données)."
        ),
        "suppressed": "•",
        "suppressed_legend": "masqué (secret statistique)",
        "col_vendor": "Constructeur",
        "col_lines": "Lignes",
        "col_share": "Part",
        "col_share_identified": "Part des identifiés",
        "col_base_share": "Part dans notre base",
        "col_market_share": "Part de marché",
        "col_index": "Indice (marché = 100)",
        "col_gained": "Gagnées",
        "col_lost": "Perdues",
        "col_kept": "Conservées",
        "col_from": "De",
        "col_to": "Vers",
        "col_date": "Date",
        "col_age": "Âge du terminal (mois)",
        "col_threshold": "Seuil",
        "col_effect": "Effet",
        "col_interval": "Intervalle à 95 %",
        "milestone": "Seuil",
        "none": "Aucune donnée à publier.",
        # announce
        "ann_million": "{n} MILLION",
        "ann_millions": "{n} MILLIONS",
        "ann_headline": "{figure} d'utilisateurs #{vendor} chez {operator} !",
        "ann_headline_small": "{figure} utilisateurs #{vendor} chez {operator} !",
        "ann_body": (
            "Au {date}, {lines} lignes mobiles actives utilisent un terminal {vendor}, "
            "soit {share} des {total} lignes mobiles actives {operator}."
        ),
        "ann_definitions": (
            "Ligne active : ligne ouverte, hors M2M ; terminal vu sur le réseau "
            "dans les {lookback} derniers jours."
        ),
        "ann_dp": "Effectif bruité (ε = {epsilon}).",
    },
    "en": {
        "and": "and",
        "report_title": "Installed base of handsets on {date}",
        "report_subtitle": "Active mobile lines by handset vendor, {operator}",
        "generated": "Report generated by devicepark on {date}.",
        "headline_title": "Headline figures by vendor",
        "headline_card": "{lines} lines",
        "share_total": "{share} of all active lines ({total})",
        "share_identified": "{share} of lines with an identified handset ({identified})",
        "shares_title": "Vendor shares",
        "shares_caption": "Share of active lines (denominator: all active lines, {total}).",
        "series_title": "Lines over time",
        "series_caption": (
            "Lines per vendor from {start} to {end}; diamonds mark thresholds crossed."
        ),
        "flows_title": "Handset switching",
        "flows_caption": (
            "Lines that moved from one vendor to another between {start} and {end} "
            "(flow chart: line width proportional to the number of lines)."
        ),
        "flows_summary": "Gains and losses of the top vendors",
        "age_title": "Device age",
        "age_caption": "Lines by how long the current handset has been on the line, in months.",
        "campaign_title": "Campaign effects",
        "campaign_caption": (
            "New {vendor} handsets per day: observed (solid), expected without the campaign "
            "(dashed) and its 95% interval (band); the campaign is highlighted. The table gives "
            "the estimated incremental adds."
        ),
        "col_adds": "New handsets per day",
        "campaign_window": "during the campaign",
        "campaign_after": "following weeks",
        "market_title": "Market comparison",
        "definitions_title": "Definitions",
        "def_active": (
            "Active line: a line open on {date}, excluding M2M (machine-to-machine) SIMs."
        ),
        "def_identified": (
            "Identified handset: a handset seen on the network in the last {lookback} days."
        ),
        "def_disclosure": (
            "Statistical disclosure control: counts under {threshold} lines are hidden (•), "
            "and so are other cells that would let a reader work them out by difference."
        ),
        "def_dp": (
            "Differential privacy: Laplace noise added to published counts "
            "(ε = {epsilon} for this report, {total} in total for this store)."
        ),
        "suppressed": "•",
        "suppressed_legend": "hidden (disclosure control)",
        "col_vendor": "Vendor",
        "col_lines": "Lines",
        "col_share": "Share",
        "col_share_identified": "Share of identified",
        "col_base_share": "Share of our base",
        "col_market_share": "Market share",
        "col_index": "Index (market = 100)",
        "col_gained": "Gained",
        "col_lost": "Lost",
        "col_kept": "Kept",
        "col_from": "From",
        "col_to": "To",
        "col_date": "Date",
        "col_age": "Device age (months)",
        "col_threshold": "Threshold",
        "col_effect": "Effect",
        "col_interval": "95% interval",
        "milestone": "Threshold",
        "none": "Nothing to publish.",
        "ann_million": "{n} MILLION",
        "ann_millions": "{n} MILLION",
        "ann_headline": "{figure} #{vendor} users at {operator}!",
        "ann_headline_small": "{figure} #{vendor} users at {operator}!",
        "ann_body": (
            "On {date}, {lines} active mobile lines use a {vendor} handset: "
            "{share} of the {total} active mobile lines at {operator}."
        ),
        "ann_definitions": (
            "Active line: an open line, M2M excluded; handset seen on the network "
            "in the last {lookback} days."
        ),
        "ann_dp": "Noisy count (ε = {epsilon}).",
    },
}


def message(key: str, lang: str, **fields: Any) -> str:
    """One catalog sentence in ``lang`` with its fields filled in.

    >>> message("headline_card", "en", lines="12")
    '12 lines'
    """
    return MESSAGES[check_lang(lang)][key].format(**fields)
