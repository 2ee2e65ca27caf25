"""Device types: each source's free text lands in the closed vocabulary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicepark.identify.devicetypes import VOCABULARY, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # GSMA Device Type values
        ("Smartphone", "smartphone"),
        ("Mobile Phone/Feature phone", "feature phone"),
        ("Tablet", "tablet"),
        ("Dongle", "modem/dongle"),
        ("Modem", "modem/dongle"),
        ("WLAN Router", "modem/dongle"),
        ("Module", "module/IoT"),
        ("IoT Device", "module/IoT"),
        ("Vehicle", "module/IoT"),
        ("Wearable", "wearable"),
        ("Connected Computer", "other"),
        ("Portable(include PDA)", "other"),
        ("Handheld", "other"),
        # our own CSV's vocabulary, any case
        ("feature phone", "feature phone"),
        ("MODEM/DONGLE", "modem/dongle"),
        ("module/IoT", "module/IoT"),
        # free text
        ("Smart Watch", "wearable"),
        ("LTE USB stick", "modem/dongle"),
        ("4G Mobile Hotspot", "modem/dongle"),
        ("GPS tracker", "module/IoT"),
        ("Android tablet 10in", "tablet"),
        ("  smartphone  ", "smartphone"),
        ("Phone", "feature phone"),
        ("Not Known", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_source_texts(text: str | None, expected: str) -> None:
    assert normalize(text) == expected


def test_vocabulary_is_its_own_fixed_point() -> None:
    assert [normalize(v) for v in VOCABULARY] == list(VOCABULARY)


@settings(deadline=None)
@given(st.one_of(st.none(), st.text(max_size=30)))
def test_always_in_vocabulary(text: str | None) -> None:
    assert normalize(text) in VOCABULARY
