"""One colour per vendor, the same in every chart, on every date and in both languages.

Colour follows the vendor, never its rank: Xiaomi is orange whether it is second or sixth, in
the report of February or of June, in French or in English. Entry points: :func:`colour` (one
name) and :func:`colours` (a ``{name: colour}`` dict for a chart's scale).

- Named vendors have a fixed colour (:data:`VENDORS`; case does not matter: ``OPPO`` is Oppo).
- The folded rest (``Other``/``Autres``), ``Unknown``/``Inconnu`` and the switching states
  ``(not active)`` and ``(unidentified)``, in either language, are greys.
- Any other vendor gets a colour from :data:`RESERVE`, chosen by a stable hash of its name
  (CRC-32 of the case-folded name, not Python's salted ``hash``), so it too keeps its colour
  from one report to the next. Two such vendors may share a colour; add a vendor that shows up
  often to :data:`VENDORS` rather than rely on the reserve.

>>> colour("Xiaomi"), colour("xiaomi"), colour("OPPO") == colour("Oppo")
('#f76707', '#f76707', True)
>>> colour("Autres") == colour("Other") == OTHERS, colour("Inconnu") == UNKNOWN
(True, True)
>>> colour("Some Vendor Nobody Knows") in RESERVE
True
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

# Fixed colours, chosen to stay apart from each other (and, for the largest, near the brand's).
VENDORS: dict[str, str] = {
    "Apple": "#7048e8",  # violet
    "Samsung": "#1c7ed6",  # blue
    "Xiaomi": "#f76707",  # orange
    "Huawei": "#e03131",  # red
    "Oppo": "#2f9e44",  # green
    "Google": "#f59f00",  # amber
    "Motorola": "#0c8599",  # teal
    "Honor": "#d6336c",  # pink
    "Vivo": "#3bc9db",  # cyan
    "OnePlus": "#862e9c",  # plum
    "Realme": "#20c997",  # mint
    "Nokia": "#364fc7",  # indigo
    "Sony": "#495057",  # charcoal
    "Wiko": "#94d82d",  # lime
    "Alcatel": "#5c940d",  # olive
}
OTHERS = "#868e96"  # the folded rest
UNKNOWN = "#ced4da"  # a handset no catalog knows, and lines without an identified handset
NOT_ACTIVE = "#adb5bd"  # a switching state: the line was not (yet, or any more) active
# For vendors not named above, by a stable hash of the name.
RESERVE: tuple[str, ...] = (
    "#b07aa1", "#9c755f", "#76b7b2", "#edc948", "#ff9da7", "#8cd17d", "#d37295", "#a0cbe8",
)  # fmt: skip

_NAMED = {k.casefold(): v for k, v in VENDORS.items()}
_GREYS = {
    "other": OTHERS,
    "others": OTHERS,
    "autres": OTHERS,
    "unknown": UNKNOWN,
    "inconnu": UNKNOWN,
    "(unidentified)": UNKNOWN,
    "(non identifié)": UNKNOWN,
    "(not active)": NOT_ACTIVE,
    "(inactive line)": NOT_ACTIVE,
    "(line not active)": NOT_ACTIVE,
    "(ligne inactive)": NOT_ACTIVE,
}


def colour(vendor: str) -> str:
    """The colour of ``vendor`` (a hex string), the same wherever and whenever it is drawn."""
    key = vendor.strip().casefold()
    if key in _NAMED:
        return _NAMED[key]
    if key in _GREYS:
        return _GREYS[key]
    if key.startswith("("):  # any other reserved state
        return NOT_ACTIVE
    return RESERVE[zlib.crc32(key.encode("utf-8")) % len(RESERVE)]


def colours(names: Iterable[str]) -> dict[str, str]:
    """``{name: colour(name)}`` for the names of one chart, in their order.

    >>> colours(["Samsung", "Autres"])
    {'Samsung': '#1c7ed6', 'Autres': '#868e96'}
    """
    return {n: colour(n) for n in names}
