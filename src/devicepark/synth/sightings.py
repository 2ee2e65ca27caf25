"""When the network sees each line's handset, and how messy the export spells it.

A line is seen at a renewal process of instants whose gaps are at least 0.9 and on average 1 times
``30.44 / sightings_per_month`` days (an HLR/HSS extract roughly monthly, a CDR now and then),
plus once within hours of each handset change (the attach with the new IMEI). Some lines go
silent for weeks; a few are never seen. Then a small, documented fraction of rows is spelled
messily (see ``IMEI_FORMS``, ``TIME_FORMS`` and ``DUPLICATE_FRACTION``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from devicepark.synth import clock
from devicepark.synth.handsets import ARRIVAL_CHANGE, Handsets
from devicepark.synth.population import NO_TERMINATION, Lines

MIN_GAP = 0.9  # of the mean gap
SILENT_SPELLS_PER_YEAR = 0.12  # a line has one silent spell with probability 1 - exp(-0.12 y)
SILENT_MIN_DAYS, SILENT_EXTRA_DAYS = 7.0, 21.0  # spell = 7 days + exponential(21 days)
CHANGE_DELAY_HOURS = 8.0  # mean delay between a handset change and its first sighting
ACTIVATION_DELAY_HOURS = 6.0

#: How each row's IMEI is spelled: (code, name, fraction, valid). Fractions of all rows.
IMEI_FORMS: tuple[tuple[int, str, float, bool], ...] = (
    (0, "imei", 0.0, True),  # the rest: 15 digits with a correct Luhn check digit
    (1, "imeisv", 0.03, True),  # 16 digits: body + 2-digit software version
    (2, "imei_spaces", 0.005, True),  # "35 209900 176148 1"
    (3, "imei_dashes", 0.005, True),  # "35-209900-176148-1"
    (4, "imei14", 0.01, True),  # the 14-digit body alone
    (5, "bad_checksum", 0.002, False),  # 15 digits, wrong check digit
    (6, "bad_length", 0.0005, False),  # 13 or 17 digits
    (7, "zero_imei", 0.0003, False),  # 000000000000000
    (8, "non_ascii_digit", 0.0002, False),  # the IMEI in Arabic-Indic digits
)
VALID_FORMS = np.array([f[3] for f in IMEI_FORMS])
#: How observed_at is spelled: UTC with Z, local with its +01:00/+02:00 offset, or naive local
#: (Europe/Paris; never within 3 hours of a daylight-saving switch, where it would be ambiguous).
TIME_FORMS: tuple[tuple[int, str, float], ...] = (
    (0, "utc_z", 0.60),
    (1, "offset", 0.15),
    (2, "naive_local", 0.25),
)
DUPLICATE_FRACTION = 0.004  # rows written twice, byte for byte


@dataclass
class Sightings:
    """Rows before duplication, sorted by (line, instant); instants distinct within a line."""

    line: np.ndarray  # int32
    t: np.ndarray  # int64 epoch seconds
    handset: np.ndarray  # int32 index into Handsets
    imei_form: np.ndarray  # int8 code of IMEI_FORMS
    time_form: np.ndarray  # int8 code of TIME_FORMS
    sv: np.ndarray  # int8 software version for IMEISV rows
    dup: np.ndarray  # int64 indices of rows written a second time


def make_sightings(
    rng: np.random.Generator,
    lines: Lines,
    handsets: Handsets,
    start_s: int,
    end_s: int,
    sightings_per_month: float,
) -> Sightings:
    n = lines.total
    mean_gap = 30.4375 / sightings_per_month * 86_400
    act_s = clock.paris_midnight(lines.act_day)
    term_s = np.where(lines.term_day == NO_TERMINATION, end_s, clock.paris_midnight(lines.term_day))
    entry = np.maximum(act_s, start_s)
    exit_ = np.minimum(term_s, end_s)
    existing = act_s < start_s
    first = np.where(
        existing,
        start_s + (rng.random(n) * mean_gap).astype(np.int64),
        entry + rng.exponential(ACTIVATION_DELAY_HOURS * 3600, n).astype(np.int64),
    )
    seen = ~lines.dormant & (first < exit_)
    count = np.where(seen, (exit_ - first) // int(MIN_GAP * mean_gap) + 1, 0)
    line = np.repeat(np.arange(n, dtype=np.int32), count)
    gaps = (MIN_GAP * mean_gap + rng.exponential((1 - MIN_GAP) * mean_gap, len(line))).astype(
        np.int64
    )
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    starts = starts[count > 0]
    gaps[starts] = 0
    cs = np.cumsum(gaps)
    offset = np.zeros(n, dtype=np.int64)
    offset[count > 0] = cs[starts]
    t = first[line] + cs - offset[line]
    keep = t < exit_[line]
    line, t = line[keep], t[keep]

    # silent spells (scheduled sightings stay sorted by line, then instant)
    years = (end_s - start_s) / (365.25 * 86_400)
    silent = rng.random(n) < 1 - np.exp(-SILENT_SPELLS_PER_YEAR * years)
    s0 = start_s + (rng.random(n) * (end_s - start_s)).astype(np.int64)
    s1 = s0 + ((SILENT_MIN_DAYS + rng.exponential(SILENT_EXTRA_DAYS, n)) * 86_400).astype(np.int64)

    def loud(line: np.ndarray, t: np.ndarray) -> np.ndarray:
        cand = np.flatnonzero(silent[line])
        lc = line[cand]
        keep = np.ones(len(line), dtype=bool)
        keep[cand[(t[cand] >= s0[lc]) & (t[cand] < s1[lc])]] = False
        return keep

    base = min(start_s, int(handsets.arrival.min())) - 86_400
    keep = loud(line, t)
    key = line[keep].astype(np.int64) << 32 | (t[keep] - base)  # sorted

    # the attach right after each handset change, merged into the sorted keys
    ch = np.flatnonzero(handsets.kind == ARRIVAL_CHANGE)
    ch_line = handsets.line[ch]
    ch_t = handsets.arrival[ch] + rng.exponential(CHANGE_DELAY_HOURS * 3600, len(ch)).astype(
        np.int64
    )
    ok = ~lines.dormant[ch_line] & (ch_t >= start_s) & (ch_t < exit_[ch_line])
    ch_line, ch_t = ch_line[ok], ch_t[ok]
    ok = loud(ch_line, ch_t)
    ch_key = np.sort(ch_line[ok].astype(np.int64) << 32 | (ch_t[ok] - base))
    at = np.searchsorted(key, ch_key, side="right") + np.arange(len(ch_key))
    merged = np.empty(len(key) + len(ch_key), dtype=np.int64)
    is_change = np.zeros(len(merged), dtype=bool)
    is_change[at] = True
    merged[at] = ch_key
    merged[~is_change] = key
    key = merged
    del merged, is_change

    # make instants distinct within a line (no same-second ties)
    while True:
        dup = np.flatnonzero(key[1:] == key[:-1]) + 1
        if len(dup) == 0:
            break
        key[dup] += 1
    line = (key >> 32).astype(np.int32)
    t = (key & 0xFFFFFFFF) + base
    keep = t < exit_[line]
    line, t, key = line[keep], t[keep], key[keep]

    hkey = handsets.line.astype(np.int64) << 32 | (handsets.arrival - base)
    handset = (np.searchsorted(hkey, key, side="right") - 1).astype(np.int32)

    m = len(line)
    codes = np.array([f[0] for f in IMEI_FORMS], dtype=np.int8)
    fr = np.array([f[2] for f in IMEI_FORMS])
    fr[0] = 1 - fr[1:].sum()
    imei_form = codes[
        np.searchsorted(np.cumsum(fr), rng.random(m), side="right").clip(0, len(fr) - 1)
    ]
    tcodes = np.array([f[0] for f in TIME_FORMS], dtype=np.int8)
    tfr = np.array([f[2] for f in TIME_FORMS])
    time_form = tcodes[np.searchsorted(np.cumsum(tfr), rng.random(m), side="right").clip(0, 2)]
    naive = np.flatnonzero(time_form == 2)
    time_form[naive[clock.near_switch(t[naive])]] = 0
    sv = rng.integers(0, 100, size=m).astype(np.int8)
    dup = (
        np.sort(rng.choice(m, size=int(round(m * DUPLICATE_FRACTION)), replace=False))
        if m
        else np.zeros(0, np.int64)
    )
    return Sightings(
        line=line, t=t, handset=handset, imei_form=imei_form, time_form=time_form, sv=sv, dup=dup
    )
