"""Colours by vendor, never by rank: one palette, the same colour for a vendor everywhere."""

from __future__ import annotations

import datetime as dt
import re

from publish_samples import TOTAL, base_dict, sample_input

from devicepark.publish import charts, palette
from devicepark.publish.report import ReportInput, build


def test_named_vendors_have_fixed_distinct_colours():
    named = list(palette.VENDORS.values())
    assert len(set(named)) == len(named)
    greys = {palette.OTHERS, palette.UNKNOWN, palette.NOT_ACTIVE}
    assert not (set(named) & greys) and not (set(named) & set(palette.RESERVE))
    assert palette.colour("Xiaomi") == palette.VENDORS["Xiaomi"] == "#f76707"
    assert palette.colour("OPPO") == palette.colour(" oppo ") == palette.VENDORS["Oppo"]


def test_rank_does_not_change_a_colour():
    first = charts.colors(["Xiaomi", "Apple", "Autres"])
    later = charts.colors(["Apple", "Samsung", "Huawei", "Oppo", "Google", "Xiaomi", "Autres"])
    assert first["Xiaomi"] == later["Xiaomi"] == palette.VENDORS["Xiaomi"]
    assert first["Apple"] == later["Apple"]


def test_the_rest_and_the_unknown_are_grey_in_both_languages():
    for name in ("Other", "Others", "Autres"):
        assert palette.colour(name) == palette.OTHERS
    for name in ("Unknown", "Inconnu", "(unidentified)", "(non identifié)"):
        assert palette.colour(name) == palette.UNKNOWN
    for name in ("(not active)", "(ligne inactive)", "(inactive line)"):
        assert palette.colour(name) == palette.NOT_ACTIVE


def test_unnamed_vendors_hash_stably_into_the_reserve():
    # pinned: a salted hash() would change from one process to the next
    assert palette.colour("Blackview") == palette.colour("BLACKVIEW") == "#edc948"
    assert palette.colour("Doogee") in palette.RESERVE
    picked = {palette.colour(f"Vendor {k}") for k in range(60)}
    assert picked == set(palette.RESERVE)  # the hash spreads over the whole reserve


def _colours_of(page: str, vendor: str) -> set[str]:
    """Every colour a page gives ``vendor``: card, matrix chip, bars, series line and markers,
    alluvial bars."""
    found = set(re.findall(rf'<div class="card" style="--c:(#[0-9a-f]{{6}})"><h3>{vendor}<', page))
    found |= set(re.findall(rf'--c:(#[0-9a-f]{{6}})"></span>{vendor}<', page))
    for tag in re.findall(rf'<path aria-label="[^"]*vendor: {vendor}"[^>]*>', page):
        if "kind:" in tag:  # the gains chart colours by gained/lost, not by vendor
            continue
        found |= set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', tag)) - {"#ffffff"}
    found |= set(re.findall(rf'data-state="{vendor}"[^>]*fill="(#[0-9a-f]{{6}})"', page))
    return found


def test_xiaomi_keeps_its_colour_across_reports_at_different_dates():
    early = build(sample_input(), lang="fr", generated=dt.date(2022, 2, 4))  # Xiaomi third
    counts = {"Xiaomi": 52_000, "Apple": 30_000, "Samsung": 12_000, "Google": 2_000,
              "Oppo": 1_500, "Huawei": 900, "Unknown": 120}  # fmt: skip
    later = ReportInput(as_of="2023-06-30", base=base_dict(counts, TOTAL, "2023-06-30"))
    late = build(later, lang="en", generated=dt.date(2023, 7, 1))  # Xiaomi first
    a, b = _colours_of(early, "Xiaomi"), _colours_of(late, "Xiaomi")
    assert a == b == {palette.VENDORS["Xiaomi"]}
    # the early report draws Xiaomi in several charts, all in the same colour
    assert len(re.findall(r'vendor: Xiaomi"', early)) >= 3
    assert 'data-state="Xiaomi"' in early
