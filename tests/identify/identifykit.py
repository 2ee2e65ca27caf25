"""What the identify tests expect in more than one place."""

from __future__ import annotations

from typing import Any


def unknown_row(tac: str) -> dict[str, Any]:
    """The lookup row of a TAC that no catalog lists: vendor, brand and model Unknown."""
    return {
        "tac": tac,
        "vendor": "Unknown",
        "brand": "Unknown",
        "model": "Unknown",
        "device_type": "other",
        "manufacturer_raw": None,
        "brand_raw": None,
    }
