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
        "matrix_title": "D'où viennent et où vont les lignes",
        "matrix_caption": (
            "Chaque ligne du tableau part d'un état au {start}, chaque colonne arrive à un état "
            "au {end} ; dans chaque case, le nombre de lignes et, dessous, sa part de la ligne "
            "du tableau. Couleur : cette part (plus foncé, plus grande part). La diagonale "
            "compte les lignes restées chez le même constructeur. • : masqué (secret "
            "statistique)."
        ),
        "matrix_corner": "Au {start} ↓ · au {end} →",
        "matrix_total": "Total au {start}",
        "matrix_legend": "Part de la ligne :",
        "alluvial_title": "Flux entre constructeurs",
        "alluvial_caption": (
            "Lignes qui ont changé d'état entre le {start} (à gauche) et le {end} (à droite) ; "
            "l'épaisseur de chaque bande est proportionnelle au nombre de lignes. Les lignes "
            "restées chez le même constructeur ne sont pas dessinées (voir la diagonale de la "
            "matrice)."
        ),
        "alluvial_hidden": (
            "{n} flux masqués par le secret statistique ne sont pas dessinés (• dans la matrice)."
        ),
        "alluvial_at": "Au {date}",
        "states_note": (
            "« (ligne inactive) » : à gauche, une nouvelle ligne, pas encore ouverte au "
            "{start} ; à droite, une ligne fermée, qui n'est plus active au {end}. "
            "« (non identifié) » : une ligne active dont le terminal n'a pas été vu sur le "
            "réseau dans les {lookback} jours précédents."
        ),
        "state_new_line": "nouvelle ligne",
        "state_closed_line": "ligne fermée",
        "age_title": "Âge des terminaux",
        "age_caption": "Lignes selon l'ancienneté du terminal actuel sur la ligne, en mois.",
        "campaign_title": "Effet des campagnes",
        "campaign_caption": (
            "Nouveaux terminaux {vendor} vus sur le réseau chaque jour (ce ne sont pas des "
            "ventes) : observés (trait plein), attendus sans la campagne (pointillés) et leur "
            "intervalle à 95 % (bande, jamais sous 0) ; la campagne est surlignée. Les jours à "
            "moins de {threshold} nouveaux terminaux sont masqués (bande grise « < {threshold} ») "
            "et la courbe y est interrompue."
        ),
        "campaign_table_note": (
            "Effet : nombre estimé de nouveaux terminaux {vendor} vus sur le réseau en plus de "
            "ce qui était attendu sans la campagne (négatif : en moins) ; ce ne sont pas des "
            "ventes."
        ),
        "campaign_verdict": (
            "Pendant la campagne, écart entre les nouveaux terminaux {vendor} vus sur le réseau "
            "et ceux attendus sans elle : {effect} (intervalle à 95 % : {interval}) ; {verdict}."
        ),
        "verdict_significant": "effet significatif, l'intervalle ne contient pas 0",
        "verdict_not_significant": "effet non significatif, l'intervalle contient 0",
        "verdict_unknown": "effet indéterminé, pas d'intervalle",
        "col_verdict": "Conclusion",
        "col_adds": "Nouveaux terminaux vus par jour",
        "below_threshold": "< {threshold}",
        "campaign_window": "pendant la campagne",
        "campaign_after": "semaines suivantes",
        "market_title": "Comparaison avec le marché",
        "market_period": "période du marché : {period}",
        "market_base_date": "parts de notre base au {date}",
        "market_source": "Source : {source}.",
        "market_source_statcounter": (
            "Source : StatCounter Global Stats (gs.statcounter.com), données sous licence "
            "CC BY-SA 3.0 (Creative Commons Attribution – Partage dans les mêmes conditions)."
        ),
        "market_measures_usage": (
            "Ce que mesure ce marché : la part des pages web consultées depuis un mobile, par "
            "constructeur du terminal ({scope}). Ce n'est ni une part des ventes, ni une part "
            "des terminaux en service en France."
        ),
        "market_measures_shipments": (
            "Ce que mesure ce marché : la part des terminaux livrés (ventes aux distributeurs) "
            "par constructeur ({scope}), pas une part des terminaux en service."
        ),
        "market_measures_installed": (
            "Ce que mesure ce marché : la part des terminaux en service par constructeur ({scope})."
        ),
        "market_measures_unknown": (
            "Ce que mesure ce marché n'est pas précisé par le fichier de comparaison "
            "({scope}) : lisez la documentation de la source avant de comparer."
        ),
        "scope_worldwide": "monde entier",
        "scope_france": "France",
        "scope_unstated": "zone géographique non précisée",
        "market_index_rule": (
            "— : pas d'indice quand la part de marché est inférieure à {market} ou la part "
            "dans notre base inférieure à {base} : le rapport de deux parts aussi petites ne "
            "veut rien dire."
        ),
        "market_not_named": "non cité",
        "market_not_named_note": "non cité : constructeur que la source ne nomme pas.",
        "market_noised": (
            "Les parts de notre base ne sont pas publiées ici : la comparaison au marché est "
            "calculée sans bruit, et la publier à côté de figures bruitées (--epsilon) "
            "annulerait la protection."
        ),
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
        "hidden_rows": (
            "{names} : ligne entière masquée (•) par le secret statistique : moins de "
            "{threshold} lignes, ou masquée en complément pour qu'aucune autre case masquée ne "
            "puisse être retrouvée par différence (dire laquelle des deux raisons la "
            "révélerait en partie)."
        ),
        "hidden_rows_noised": (
            "{names} : ligne entière masquée (•) : après ajout du bruit de confidentialité "
            "différentielle, l'effectif bruité est inférieur à {threshold} lignes, ou la ligne "
            "est masquée en complément pour qu'aucune autre case masquée ne puisse être "
            "retrouvée par différence."
        ),
        "hidden_rows_zero": (
            "{names} : ligne entière masquée (•) : son effectif bruité est nul (le bruit de "
            "confidentialité différentielle peut effacer une petite catégorie)."
        ),
        "vendor_unknown": "Inconnu",
        "vendor_other": "Autres",
        "state_not_active": "(ligne inactive)",
        "state_unidentified": "(non identifié)",
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
        # dashboard
        "dash_on": "Au {date}.",
        "dash_out_of_range": (
            "Pas de données au {date} : la base a des observations du {first} au {last}. "
            "Choisissez une date dans cet intervalle."
        ),
        "dash_show_last": "Afficher le {date}",
        "dash_unknown_vendor": (
            "« {asked} » n'est pas un constructeur de cette date (les plus proches : {close}) ; "
            "voici {shown}."
        ),
        "dash_below": (
            "Moins de {threshold} lignes : trop peu pour être publié (secret statistique)."
        ),
        "dash_masked": "Effectif masqué (secret statistique).",
        "dash_highlighted": "{vendor} est mis en évidence.",
        "dash_series_weekly": "Un point par semaine.",
        "dash_series_hidden": (
            "{vendor} : moins de {threshold} lignes à chaque date, aucune courbe n'est tracée."
        ),
        "dash_alluvial_caption": (
            "Lignes qui ont changé d'état entre le {start} (à gauche) et le {end} (à droite), "
            "{n} en tout ; l'épaisseur de chaque bande est proportionnelle au nombre de lignes, "
            "écrit à côté de chaque état. Les lignes restées chez le même constructeur ne sont "
            "pas dessinées."
        ),
        "dash_switch_vendor": (
            "{vendor}, du {start} au {end} : lignes gagnées {gained}, perdues {lost}, "
            "conservées {kept}."
        ),
        "dash_age_denominator": (
            "Tous constructeurs confondus ; parts des lignes dont le terminal est identifié au "
            "{date} ({identified})."
        ),
        # the dashboard's sign-in page (api/auth.py); {env} is the token's variable
        "signin_title": "Connexion au tableau de bord devicepark",
        "signin_missing": (
            "Ce tableau de bord demande le jeton d'accès du serveur, que cette requête ne "
            "présente pas."
        ),
        "signin_wrong": "Le jeton présenté n'est pas le bon.",
        "signin_none": (
            "Ce serveur n'a pas de jeton d'accès : personne ne peut ouvrir ce tableau de bord. "
            "Qui administre le serveur doit définir la variable d'environnement {env} avant de "
            "lancer « devicepark serve » (ou lancer « devicepark serve --public » pour des "
            "chiffres perturbés, ouverts à tous)."
        ),
        "signin_what": (
            "Le jeton est la valeur de la variable d'environnement {env} donnée au lancement de «"
            " devicepark serve » ; demandez-le à qui administre le serveur."
        ),
        "signin_how": "Pour se connecter :",
        "signin_browser": (
            "dans le navigateur : rechargez la page ; à la demande d'identifiant, saisissez "
            "n'importe quel nom d'utilisateur et le jeton comme mot de passe ;"
        ),
        "signin_proxy": (
            "derrière un proxy inverse : faites-lui ajouter l'en-tête « Authorization: Bearer "
            "<jeton> » à chaque requête."
        ),
        "signin_retry": "Recharger et se connecter",
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
        "matrix_title": "Where lines came from and went to",
        "matrix_caption": (
            "Each row starts from a state on {start}, each column ends in a state on {end}; "
            "each cell gives the number of lines and, below it, its share of the row. Colour: "
            "that share (darker, larger). The diagonal counts lines that kept their vendor. "
            "•: hidden (disclosure control)."
        ),
        "matrix_corner": "On {start} ↓ · on {end} →",
        "matrix_total": "Total on {start}",
        "matrix_legend": "Share of the row:",
        "alluvial_title": "Flows between vendors",
        "alluvial_caption": (
            "Lines whose state changed between {start} (left) and {end} (right); each band's "
            "width is proportional to its number of lines. Lines that kept their vendor are not "
            "drawn (see the matrix's diagonal)."
        ),
        "alluvial_hidden": (
            "{n} flows hidden by disclosure control are not drawn (• in the matrix)."
        ),
        "alluvial_at": "On {date}",
        "states_note": (
            "“(inactive line)”: on the left, a new line, not yet open on {start}; on the "
            "right, a closed line, no longer active on {end}. “(unidentified)”: an active line "
            "whose handset was not seen on the network in the previous {lookback} days."
        ),
        "state_new_line": "new line",
        "state_closed_line": "closed line",
        "age_title": "Device age",
        "age_caption": "Lines by how long the current handset has been on the line, in months.",
        "campaign_title": "Campaign effects",
        "campaign_caption": (
            "New {vendor} handsets seen on the network per day (these are not sales): observed "
            "(solid), expected without the campaign (dashed) and its 95% interval (band, never "
            "below 0); the campaign is highlighted. Days with fewer than {threshold} new "
            "handsets are hidden (grey band “< {threshold}”) and the line breaks there."
        ),
        "campaign_table_note": (
            "Effect: the estimated number of new {vendor} handsets seen on the network above "
            "what was expected without the campaign (negative: below); these are not sales."
        ),
        "campaign_verdict": (
            "During the campaign, new {vendor} handsets seen on the network minus those "
            "expected without it: {effect} (95% interval: {interval}); {verdict}."
        ),
        "verdict_significant": "significant, the interval excludes 0",
        "verdict_not_significant": "not significant, the interval contains 0",
        "verdict_unknown": "undetermined, no interval",
        "col_verdict": "Verdict",
        "col_adds": "New handsets seen per day",
        "below_threshold": "< {threshold}",
        "campaign_window": "during the campaign",
        "campaign_after": "following weeks",
        "market_title": "Market comparison",
        "market_period": "market period: {period}",
        "market_base_date": "shares of our base on {date}",
        "market_source": "Source: {source}.",
        "market_source_statcounter": (
            "Source: StatCounter Global Stats (gs.statcounter.com), data licensed under "
            "CC BY-SA 3.0 (Creative Commons Attribution-ShareAlike)."
        ),
        "market_measures_usage": (
            "What this market measures: the share of web pages viewed from mobile devices, by "
            "handset vendor ({scope}). It is neither a share of sales nor a share of the "
            "handsets in use in France."
        ),
        "market_measures_shipments": (
            "What this market measures: the share of handsets shipped (sold in to retailers) "
            "by vendor ({scope}), not a share of handsets in use."
        ),
        "market_measures_installed": (
            "What this market measures: the share of handsets in use by vendor ({scope})."
        ),
        "market_measures_unknown": (
            "What this market measures is not stated in the comparison file ({scope}): read "
            "the source's documentation before comparing."
        ),
        "scope_worldwide": "worldwide",
        "scope_france": "France",
        "scope_unstated": "region not stated",
        "market_index_rule": (
            "—: no index when the market share is under {market} or the share of our base "
            "under {base}: the ratio of two shares that small means nothing."
        ),
        "market_not_named": "not named",
        "market_not_named_note": "not named: a vendor the source does not name.",
        "market_noised": (
            "Shares of our base are not published here: the market comparison is computed "
            "without noise, and publishing it beside noisy figures (--epsilon) would undo the "
            "protection."
        ),
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
        "hidden_rows": (
            "{names}: whole row hidden (•) by disclosure control: fewer than {threshold} "
            "lines, or hidden as a complement so that no other hidden cell can be worked out "
            "by difference (saying which of the two would partly reveal it)."
        ),
        "hidden_rows_noised": (
            "{names}: whole row hidden (•): after differential-privacy noise was added, the "
            "noisy count is under {threshold} lines, or the row is hidden as a complement so "
            "that no other hidden cell can be worked out by difference."
        ),
        "hidden_rows_zero": (
            "{names}: whole row hidden (•): its noisy count is zero (differential-privacy "
            "noise can erase a small category)."
        ),
        "vendor_unknown": "Unknown",
        "vendor_other": "Other",
        "state_not_active": "(inactive line)",
        "state_unidentified": "(unidentified)",
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
        # dashboard
        "dash_on": "On {date}.",
        "dash_out_of_range": (
            "No data on {date}: the store has sightings from {first} to {last}. "
            "Choose a date in that range."
        ),
        "dash_show_last": "Show {date}",
        "dash_unknown_vendor": (
            "“{asked}” is not a vendor on this date (closest: {close}); showing {shown}."
        ),
        "dash_below": "Fewer than {threshold} lines: too few to publish (disclosure control).",
        "dash_masked": "Count hidden (disclosure control).",
        "dash_highlighted": "{vendor} is highlighted.",
        "dash_series_weekly": "One point a week.",
        "dash_series_hidden": (
            "{vendor}: fewer than {threshold} lines on every date, no line is drawn."
        ),
        "dash_alluvial_caption": (
            "Lines whose state changed between {start} (left) and {end} (right), {n} in all; "
            "each band's width is proportional to its number of lines, written beside each "
            "state. Lines that kept their vendor are not drawn."
        ),
        "dash_switch_vendor": (
            "{vendor}, {start} to {end}: lines gained {gained}, lost {lost}, kept {kept}."
        ),
        "dash_age_denominator": (
            "All vendors; shares of lines with an identified handset on {date} ({identified})."
        ),
        # the dashboard's sign-in page (api/auth.py); {env} is the token's variable
        "signin_title": "Signing in to the devicepark dashboard",
        "signin_missing": (
            "This dashboard needs the server's access token, which this request does not present."
        ),
        "signin_wrong": "The token presented is not the right one.",
        "signin_none": (
            "This server has no access token: nobody can open this dashboard. Whoever runs the "
            "server must set the environment variable {env} before starting “devicepark serve” "
            "(or start “devicepark serve --public” for perturbed figures open to all)."
        ),
        "signin_what": (
            "The token is the value of the environment variable {env} given to “devicepark serve”"
            " when it started; ask whoever runs the server for it."
        ),
        "signin_how": "To sign in:",
        "signin_browser": (
            "in the browser: reload the page; when it asks for credentials, enter any user name "
            "and the token as the password;"
        ),
        "signin_proxy": (
            "behind a reverse proxy: have it add the header “Authorization: Bearer <token>” to "
            "every request."
        ),
        "signin_retry": "Reload and sign in",
    },
}


_NAMES = {
    "Unknown": "vendor_unknown",
    "Other": "vendor_other",
    "Others": "vendor_other",
    "Autres": "vendor_other",
    "(not active)": "state_not_active",
    "(unidentified)": "state_unidentified",
}


def vendor_label(name: str | None, lang: str) -> str:
    """A vendor or switching state as the reader sees it: the data's own words translated
    (``Unknown``, ``Other``, ``(not active)``, ``(unidentified)``), other names as they are.

    >>> vendor_label("Unknown", "fr"), vendor_label("Other", "fr"), vendor_label("Apple", "fr")
    ('Inconnu', 'Autres', 'Apple')
    >>> vendor_label("(not active)", "en"), vendor_label("Autres", "en")
    ('(inactive line)', 'Other')
    """
    key = _NAMES.get(name or "")
    return message(key, lang) if key else (name or "")


def message(key: str, lang: str, **fields: Any) -> str:
    """One catalog sentence in ``lang`` with its fields filled in.

    >>> message("headline_card", "en", lines="12")
    '12 lines'
    """
    return MESSAGES[check_lang(lang)][key].format(**fields)
