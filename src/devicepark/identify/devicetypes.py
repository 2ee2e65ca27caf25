"""Device types: each source's free text (GSMA "Mobile Phone/Feature phone", "Dongle"...) mapped
to a small vocabulary. The mapping is data: ``data/device_types.csv`` (see data/README.md).

>>> texts = ("Smartphone", "Mobile Phone/Feature phone", "WLAN Router", "IoT Device")
>>> [normalize(t) for t in texts]
['smartphone', 'feature phone', 'modem/dongle', 'module/IoT']
>>> normalize("Smart Watch"), normalize(None), normalize("Not a clue")
('wearable', 'other', 'other')
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from devicepark.identify.vendors import words

__all__ = ["OTHER", "VOCABULARY", "normalize"]

VOCABULARY = (
    "smartphone",
    "feature phone",
    "tablet",
    "modem/dongle",
    "module/IoT",
    "wearable",
    "other",
)
OTHER = "other"


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[tuple[str, ...], str], list[tuple[tuple[str, ...], str]]]:
    text = (resources.files("devicepark.identify") / "data" / "device_types.csv").read_text("utf-8")
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    exact: dict[tuple[str, ...], str] = {}
    contains: list[tuple[tuple[str, ...], str]] = []
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        device_type = row["device_type"].strip()
        if device_type not in VOCABULARY:
            raise ValueError(f"device_types.csv: {device_type!r} is not in the vocabulary")
        key = words(row["text"])
        if row.get("match", "exact").strip() == "word":
            contains.append((key, device_type))
        else:
            exact.setdefault(key, device_type)
    return exact, contains


@lru_cache(maxsize=4096)
def normalize(text: str | None) -> str:
    """The vocabulary term for a source's device-type text; ``other`` when unknown or missing."""
    if not text:
        return OTHER
    ws = words(text)
    exact, contains = _rules()
    hit = exact.get(ws)
    if hit is not None:
        return hit
    for key, device_type in contains:
        n = len(key)
        if any(ws[i : i + n] == key for i in range(len(ws) - n + 1)):
            return device_type
    return OTHER
