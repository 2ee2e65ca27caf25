"""Check a public claim ("1 million Xiaomi users, 4.74 % of our base") against the store.

``check_claim`` is pure: the claim and the measured figures in, a report dict out. ``measure``
builds the measured figures from two base dicts (unit lines and unit customers).

The report (JSON keys)::

    {"vendor", "as_of", "verdict",              # supported | overclaim | wrong_denominator
     "claim": {"count", "of", "share",           # as claimed; share as a fraction (0.0474)
               "arithmetic_share",               # count / of
               "implied_denominator"},           # count / share: the denominator the share implies
     "measured": {"lines", "total_lines", "identified_lines", "customers", "total_customers",
                  "share", "share_of_identified", "share_of_customers"},
     "denominators": [{"from", "value", "matches", "nearest", "difference"}],
     "supported_count",                          # largest round figure <= measured lines
     "careful_share",                            # lines / total lines, 2 decimals of %, floored
     "careful_text": {"en", "fr"},
     "reasons": [...]}

- ``denominators`` has one entry per denominator the claim gives: ``from`` is ``of`` (stated) or
  ``share`` (implied by count / share). ``matches`` names the measured denominator within
  ``tolerance`` (relative, default 1 %) of it: ``total_lines``, ``identified_lines`` or
  ``customers`` (null when none); ``nearest`` is the closest one, ``difference`` its relative gap.
- Verdict: ``overclaim`` when the count is above the measured lines; else ``wrong_denominator``
  when a denominator of the claim is not the total of active lines (the base's ``share``
  denominator: M2M excluded, identified or not); else ``supported``.
- ``supported_count`` is ``devicepark.publish.announce.round_figure`` of the measured lines: the
  figure ``announce`` would headline (1, 2, 2.5, 5 or 7.5 x 10^k), never above the measured count.

The journalist's arithmetic, worked: 1,000,000 / 21,000,000 is 4.76 %; the article printed
4.74 %, which implies 1,000,000 / 0.0474 = 21,097,046, about 21.1 M:

>>> m = Measured(lines=1_003_000, total_lines=21_100_000, identified_lines=20_500_000)
>>> r = check_claim("Xiaomi", dt.date(2022, 2, 3), 1_000_000, m, of=21_000_000, share=0.0474)
>>> f"{r['claim']['arithmetic_share']:.4f}", r["claim"]["implied_denominator"], r["verdict"]
('0.0476', 21097046, 'supported')
>>> r["supported_count"], r["careful_share"], r["careful_text"]["en"][:44]
(1000000, 0.0475, 'At least 1,000,000 lines used a Xiaomi phone')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from devicepark.errors import ConfigError
from devicepark.publish import locale
from devicepark.publish.announce import round_figure

__all__ = [
    "VERDICTS",
    "Measured",
    "approx",
    "check_claim",
    "floor_share",
    "measure",
    "round_figure",
]

VERDICTS = ("supported", "overclaim", "wrong_denominator")


@dataclass(frozen=True)
class Measured:
    """The store's figures for one vendor at one date."""

    lines: int
    total_lines: int
    identified_lines: int
    customers: int | None = None
    total_customers: int | None = None


def floor_share(share: float, decimals: int = 2) -> float:
    """A share rounded down to ``decimals`` decimals of a percent: never above the measure.

    >>> floor_share(0.047489), floor_share(0.0476190)
    (0.0474, 0.0476)
    """
    q = Decimal(1).scaleb(-(decimals + 2))
    return float(Decimal(repr(share)).quantize(q, rounding=ROUND_FLOOR))


def approx(n: float) -> str:
    """A denominator in words, to about three significant digits: ``21.1 M``, ``14.7 k``.

    >>> approx(21_097_046), approx(349_600), approx(14_706), approx(999_700), approx(812)
    ('21.1 M', '350 k', '14.7 k', '1 M', '812')
    """
    for size, suffix in ((1e6, " M"), (1e3, " k")):
        if n >= size * 0.9995:  # what rounds to 1 at three digits already counts
            text = f"{n / size:.3g}"
            return (text if "e" not in text else f"{n / size:,.0f}") + suffix
    return f"{n:.0f}"


def _en(n: int) -> str:
    return f"{n:,}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def measure(
    base_lines: Mapping[str, Any], base_customers: Mapping[str, Any] | None, vendor: str
) -> Measured:
    """The measured figures from a base by vendor in lines and (optionally) in customers."""
    lines = sum(int(g["lines"]) for g in base_lines["groups"] if g.get("vendor") == vendor)
    customers = total_customers = None
    if base_customers is not None:
        customers = sum(
            int(g["customers"]) for g in base_customers["groups"] if g.get("vendor") == vendor
        )
        total_customers = base_customers.get("total_customers", base_customers.get("total_lines"))
    return Measured(
        lines=lines,
        total_lines=int(base_lines["total_lines"]),
        identified_lines=int(base_lines["identified_lines"]),
        customers=customers,
        total_customers=None if total_customers is None else int(total_customers),
    )


def _match(value: float, m: Measured, tolerance: float) -> dict[str, Any]:
    candidates = [("total_lines", m.total_lines), ("identified_lines", m.identified_lines)]
    if m.total_customers:
        candidates.append(("customers", m.total_customers))
    diffs = [(name, (value - d) / d) for name, d in candidates if d]
    if not diffs:
        return {"matches": None, "nearest": None, "difference": None}
    nearest, diff = min(diffs, key=lambda nd: abs(nd[1]))  # min keeps the first on ties
    within = [(n, d) for n, d in diffs if abs(d) <= tolerance]
    matches = min(within, key=lambda nd: abs(nd[1]))[0] if within else None
    return {"matches": matches, "nearest": nearest, "difference": diff}


def check_claim(
    vendor: str,
    as_of: dt.date,
    count: int,
    measured: Measured,
    *,
    of: int | None = None,
    share: float | None = None,
    tolerance: float = 0.01,
) -> dict[str, Any]:
    """Whether the measured figures support "``count`` [of ``of``] [= ``share``]" for ``vendor``."""
    if count <= 0:
        raise ConfigError(f"--count must be a positive number of lines, not {count}")
    if of is not None and of <= 0:
        raise ConfigError(f"--of must be a positive number, not {of}")
    if share is not None and not 0 < share <= 1:
        raise ConfigError(
            f"--share must be a percentage above 0 and at most 100, not {100 * share:g}"
        )
    m = measured
    arithmetic = count / of if of else None
    implied = round(count / share) if share else None
    reasons: list[str] = []

    denominators = []
    for origin, value in (("of", of), ("share", implied)):
        if value is not None:
            denominators.append({"from": origin, "value": value, **_match(value, m, tolerance)})

    overclaim = count > m.lines
    if overclaim:
        reasons.append(
            f"the store measures {_en(m.lines)} {vendor} lines on {as_of.isoformat()}, "
            f"fewer than the {_en(count)} claimed"
        )
    else:
        reasons.append(
            f"the store measures {_en(m.lines)} {vendor} lines: at least the {_en(count)} claimed"
        )
    if (
        arithmetic is not None
        and share is not None
        and round(100 * arithmetic, 2) != round(100 * share, 2)
    ):
        reasons.append(
            f"{_en(count)} / {_en(of or 0)} = {_pct(arithmetic)}, but the printed {_pct(share)} "
            f"implies a denominator of about {approx(implied or 0)}"
        )
    wrong = False
    for d in denominators:
        what = (
            "the stated denominator" if d["from"] == "of" else "the denominator the share implies"
        )
        if d["matches"] == "total_lines":
            continue
        wrong = True
        if d["matches"] is None:
            reasons.append(
                f"{what}, {_en(d['value'])}, matches none of the store's: total lines "
                f"{_en(m.total_lines)}, identified lines {_en(m.identified_lines)}"
                + (f", customers {_en(m.total_customers)}" if m.total_customers else "")
            )
        else:
            reasons.append(
                f"{what}, {_en(d['value'])}, is the number of {d['matches'].replace('_', ' ')}; "
                f"a share of the base divides by the {_en(m.total_lines)} active lines"
            )
    verdict = "overclaim" if overclaim else "wrong_denominator" if wrong else "supported"

    share_total = m.lines / m.total_lines if m.total_lines else None
    careful = floor_share(share_total) if share_total is not None else None
    supported = round_figure(m.lines)
    text = {"en": "", "fr": ""}
    if supported == 0:
        text["en"] = f"No {vendor} line measured on {locale.date(as_of, 'en')}."
        text["fr"] = f"Aucune ligne {vendor} mesurée le {locale.date(as_of, 'fr')}."
    elif careful is not None:
        en, fr = "en", "fr"
        text["en"] = (
            f"At least {locale.integer(supported, en)} lines used a {vendor} phone on "
            f"{locale.date(as_of, en)} ({locale.integer(m.lines, en)} measured): "
            f"{locale.percent(careful, en)} of the {locale.integer(m.total_lines, en)} active "
            f"mobile lines, M2M excluded."
        )
        text["fr"] = (
            f"Au moins {locale.integer(supported, fr)} lignes utilisaient un téléphone {vendor} "
            f"le {locale.date(as_of, fr)} ({locale.integer(m.lines, fr)} mesurées) : "
            f"{locale.percent(careful, fr)} des {locale.integer(m.total_lines, fr)} lignes "
            f"mobiles actives, hors M2M."
        )
    return {
        "vendor": vendor,
        "as_of": as_of.isoformat(),
        "verdict": verdict,
        "claim": {
            "count": count,
            "of": of,
            "share": share,
            "arithmetic_share": arithmetic,
            "implied_denominator": implied,
        },
        "measured": {
            "lines": m.lines,
            "total_lines": m.total_lines,
            "identified_lines": m.identified_lines,
            "customers": m.customers,
            "total_customers": m.total_customers,
            "share": share_total,
            "share_of_identified": m.lines / m.identified_lines if m.identified_lines else None,
            "share_of_customers": (
                m.customers / m.total_customers
                if m.customers is not None and m.total_customers
                else None
            ),
        },
        "denominators": denominators,
        "supported_count": supported,
        "careful_share": careful,
        "careful_text": text,
        "reasons": reasons,
    }
