"""A short public post in the style of the seed ("1 MILLION d'utilisateurs #Xiaomi chez Orange !"),
built so that it never claims more than was measured and passes disclosure control first.

The round figure is the largest of 1, 2, 2.5, 5 and 7.5 times a power of ten that the published
count reaches (..., 250 000, 500 000, 750 000, 1 000 000, 2 000 000, 2 500 000, ...). Given a
keyed base (``answers.announce_data(..., keyed=True)``), the count is perturbed by
``publish.cellkey`` like every published figure, the claim is taken under the smallest exact
count that publishes as that figure (``cellkey.lower_bound``: at most the p-table's largest
noise below it, so it never exceeds the exact count) and the post says that its figures are
perturbed. With differential privacy the published count is noisy, so the claim
is taken under the one-sided 95 % lower bound of the true count instead.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from typing import Any

from devicepark.base.shape import CKEYS
from devicepark.errors import ConfigError, DeviceparkError
from devicepark.publish import cellkey, locale
from devicepark.publish.disclosure import THRESHOLD, protect_base
from devicepark.publish.locale import message

_STEPS = ((1, 1), (2, 1), (5, 2), (5, 1), (15, 2))  # 1, 2, 2.5, 5, 7.5
ROUND_FIGURES: list[int] = sorted(
    {num * 10**k // den for k in range(0, 16) for num, den in _STEPS if (num * 10**k) % den == 0}
)


def round_figure(n: int | float) -> int:
    """The largest round figure not above ``n`` (0 when ``n < 1``).

    >>> [round_figure(n) for n in (1_002_345, 999_999, 760_000, 260_000, 199_999, 3, 0)]
    [1000000, 750000, 750000, 250000, 100000, 2, 0]
    """
    k = bisect.bisect_right(ROUND_FIGURES, n)
    return ROUND_FIGURES[k - 1] if k else 0


def dp_margin(scale: float | None, confidence: float = 0.95) -> int:
    """How far a count noised with Laplace ``scale`` may overshoot, one-sided at ``confidence``.

    >>> dp_margin(None), dp_margin(2.0)
    (0, 5)
    """
    if not scale:
        return 0
    return math.ceil(scale * math.log(1 / (2 * (1 - confidence))))


def figure(claimed: int, lang: str) -> str:
    """The headline figure: '1 MILLION', '2,5 MILLIONS' (fr), '750 000'.

    >>> figure(2_500_000, "fr"), figure(2_500_000, "en"), figure(1_000_000, "fr")
    ('2,5 MILLIONS', '2.5 MILLION', '1 MILLION')
    """
    if claimed >= 1_000_000:
        millions = claimed / 1_000_000
        n = (
            locale.integer(millions, lang)
            if millions.is_integer()
            else locale.decimal(millions, lang, 1)
        )
        return message("ann_million" if millions < 2 else "ann_millions", lang, n=n)
    return locale.integer(claimed, lang)


def announce(
    base: dict[str, Any],
    vendor: str,
    *,
    lang: str = "fr",
    operator: str,
    lookback_days: int = 30,
    threshold: int = THRESHOLD,
    noise_scale: float | None = None,
    epsilon: float | None = None,
) -> dict[str, Any]:
    """``{"text", "claimed", "lines", "share", "as_of", "vendor"}`` from a base dict by vendor.

    ``base`` may already be noised (then give ``noise_scale`` and ``epsilon``); disclosure
    control is applied here: a keyed base (with cell keys) is perturbed, and the answer gets the
    ``"disclosure"`` field of every perturbed answer; any other is suppressed. Raises
    ``DeviceparkError`` when the vendor's count cannot be published.
    """
    locale.check_lang(lang)
    by = base.get("by") or ["vendor"]
    if list(by) != ["vendor"]:
        raise ConfigError("announce needs a base by vendor only")
    keyed = CKEYS in base
    published = cellkey.perturb_base(base, threshold) if keyed else protect_base(base, threshold)
    group = next((g for g in published.get("groups", []) if g.get("vendor") == vendor), None)
    if group is None:
        known = ", ".join(str(g.get("vendor")) for g in published.get("groups", [])[:8])
        raise ConfigError(
            f"no active line uses a {vendor!r} handset on {base.get('as_of')}",
            hint=f"vendors there include: {known}" if known else None,
        )
    if group.get("suppressed") or group.get("lines") is None:
        raise DeviceparkError(
            f"{vendor}: the count is hidden by disclosure control (under {threshold} lines, "
            "or needed to protect a smaller one); nothing to announce"
        )
    lines = int(group["lines"])
    total = int(published["total_lines"])
    floor = cellkey.lower_bound(lines) if keyed else lines - dp_margin(noise_scale)
    claimed = round_figure(max(0, floor))
    if claimed < threshold:
        raise DeviceparkError(f"{vendor}: too few lines to announce a figure")
    share = lines / total if total else 0.0
    day = base.get("as_of")
    fig = figure(claimed, lang)
    head_key = "ann_headline" if claimed >= 1_000_000 else "ann_headline_small"
    headline = message(head_key, lang, figure=fig, vendor=_hashtag(vendor), operator=operator)
    if lang == "fr":  # French typography: a narrow no-break space before '!'
        headline = headline.replace(" !", "\u202f!")
    body = message(
        "ann_body",
        lang,
        date=locale.date(day, lang),
        lines=locale.integer(lines, lang),
        vendor=vendor,
        share=locale.percent(share, lang),
        total=locale.integer(total, lang),
        operator=operator,
    )
    parts = [headline, body, message("ann_definitions", lang, lookback=lookback_days)]
    if epsilon is not None:
        parts.append(message("ann_dp", lang, epsilon=locale.decimal(epsilon, lang, 2)))
    if keyed:
        parts.append(cellkey.note(lang, threshold))
    out = {
        "text": "\n".join(parts),
        "claimed": claimed,
        "lines": lines,
        "share": share,
        "as_of": day.isoformat() if isinstance(day, dt.date) else day,
        "vendor": vendor,
    }
    if keyed:
        out["disclosure"] = published["disclosure"]
    return out


def _hashtag(vendor: str) -> str:
    """'Xiaomi' -> 'Xiaomi'; 'HMD Global' -> 'HMDGlobal' (a hashtag has no spaces)."""
    return "".join(ch for ch in vendor if ch.isalnum() or ch == "_")
