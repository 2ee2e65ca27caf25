"""Spell identifiers and timestamps as CSV bytes, vectorised: a fixed-width byte matrix per column,
a mask of the bytes each row uses, one boolean compaction per chunk. No per-row Python.

Also the tiny Luhn the IMEIs need (python-stdnum is the reference in tests only).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from devicepark.synth import clock

_ZERO = ord("0")


def luhn_check_digit(body: str) -> int:
    """The Luhn check digit that completes a 14-digit IMEI body.

    >>> luhn_check_digit("49015420323751")
    8
    """
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # rightmost body digit is doubled
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


_LUT2 = np.array([[_ZERO + i // 10, _ZERO + i % 10] for i in range(100)], dtype=np.uint8)
_LUT2_U16 = _LUT2.view(np.uint16).reshape(100)
_LUHN2 = np.array(
    [i // 10 + (2 * (i % 10) - 9 if i % 10 > 4 else 2 * (i % 10)) for i in range(100)],
    dtype=np.int16,
)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` decimal digits of non-negative integers, most significant first, as uint8."""
    pow_ = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // pow_) % 10).astype(np.uint8)


def _pairs(values: np.ndarray, n_pairs: int) -> list[np.ndarray]:
    """Base-100 digits of ``values``, most significant first."""
    out = []
    v = values.astype(np.int64)
    for _ in range(n_pairs):
        v, r = np.divmod(v, 100)
        out.append(r)
    return out[::-1]


def imei_ascii(body: np.ndarray) -> np.ndarray:
    """(n, 16) uint8: the 15 ASCII digits of each full IMEI (body + Luhn digit), then a spare."""
    pairs = _pairs(body, 7)
    mat = np.empty((len(body), 8), dtype=np.uint16)
    total = np.zeros(len(body), dtype=np.int16)
    for k, p in enumerate(pairs):
        mat[:, k] = _LUT2_U16[p]
        total += _LUHN2[p]
    out = mat.view(np.uint8).reshape(len(body), 16)
    out[:, 14] = (10 - total % 10) % 10 + _ZERO
    return out


def rare_imeis(full: np.ndarray, form: np.ndarray, sv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, 30) uint8 matrix and widths of IMEIs spelled in a rare ``form`` (codes 1-8 of
    ``sightings.IMEI_FORMS``), from their (k, 15) ASCII full IMEIs."""
    k = len(form)
    out = np.zeros((k, 30), dtype=np.uint8)
    width = np.zeros(k, dtype=np.int64)

    def put(sel: np.ndarray, values: np.ndarray) -> None:
        out[sel, : values.shape[1]] = values
        width[sel] = values.shape[1]

    r = form == 1
    put(r, np.concatenate([full[r, :14], _LUT2[sv[r]]], axis=1))
    for code, sep in ((2, ord(" ")), (3, ord("-"))):
        r = form == code
        x = full[r]
        s = np.full((len(x), 1), sep, dtype=np.uint8)
        put(r, np.concatenate([x[:, :2], s, x[:, 2:8], s, x[:, 8:14], s, x[:, 14:]], axis=1))
    r = form == 4
    put(r, full[r, :14])
    r = form == 5
    check, d13 = full[r, 14] - _ZERO, full[r, 13] - _ZERO
    wrong = (check + 1 + d13 % 9) % 10  # never the right digit
    put(r, np.concatenate([full[r, :14], (wrong + _ZERO)[:, None].astype(np.uint8)], axis=1))
    odd = sv % 2 == 1  # a property of the row, so that a duplicate is spelled the same
    short, long_ = (form == 6) & ~odd, (form == 6) & odd
    put(short, full[short, :13])
    put(long_, np.concatenate([full[long_], full[long_, -2:]], axis=1))
    r = form == 7
    put(r, np.full((int(r.sum()), 15), _ZERO, dtype=np.uint8))
    r = form == 8
    # U+0660..U+0669 ARABIC-INDIC DIGIT: UTF-8 0xD9 0xA0..0xA9
    arab = np.empty((int(r.sum()), 30), dtype=np.uint8)
    arab[:, 0::2] = 0xD9
    arab[:, 1::2] = full[r] - _ZERO + 0xA0
    put(r, arab)
    return out, width


def date_table(first_day: int, last_day: int) -> np.ndarray:
    """(days, 10) uint8: ``YYYY-MM-DD`` for each epoch day from ``first_day`` to ``last_day``."""
    y, m, d = clock.civil(np.arange(first_day, last_day + 1))
    out = np.empty((len(y), 10), dtype=np.uint8)
    c, yy = np.divmod(y, 100)
    for col, v in ((0, c), (2, yy), (5, m), (8, d)):
        out[:, col : col + 2] = _LUT2[v]
    out[:, 4] = out[:, 7] = ord("-")
    return out


@cache
def _tod_table() -> np.ndarray:
    """(86400, 8) uint8: ``HH:MM:SS`` for every second of a day."""
    s = np.arange(86_400)
    out = np.empty((86_400, 8), dtype=np.uint8)
    out[:, 0:2] = _LUT2[s // 3600]
    out[:, 3:5] = _LUT2[s // 60 % 60]
    out[:, 6:8] = _LUT2[s % 60]
    out[:, 2] = out[:, 5] = ord(":")
    return out


def msisdn_bytes(nsn: np.ndarray) -> np.ndarray:
    """(n, 12) uint8 matrix of E.164 numbers ``+33`` + 9 digits."""
    out = np.empty((len(nsn), 12), dtype=np.uint8)
    out[:, 0:3] = np.frombuffer(b"+33", dtype=np.uint8)
    p = _pairs(nsn, 5)  # 9 digits: a single digit then four pairs
    out[:, 3] = p[0] + _ZERO
    for k in range(4):
        out[:, 4 + 2 * k : 6 + 2 * k] = _LUT2[p[k + 1]]
    return out


def observation_rows(
    line: np.ndarray,
    imei: np.ndarray,
    imei_form: np.ndarray,
    sv: np.ndarray,
    t: np.ndarray,
    time_form: np.ndarray,
) -> memoryview:
    """CSV rows ``line_id,imei,observed_at`` (newline-terminated) for one chunk, as UTF-8 bytes.

    ``line`` (n, 12) and ``imei`` (n, 16, from ``imei_ascii``) are ASCII matrices; ``t`` epoch
    seconds spelled per ``time_form``: UTC with ``Z`` (0), local with offset (1), naive local
    (2). Each row is built in a 70-byte slot (slice copies for the common spelling, a few
    fancy-indexed moves for rare IMEI spellings); an Arrow string_view array over the slots,
    cast to a plain string array, packs them: its data buffer is the CSV text.
    """
    n = len(t)
    w = 70
    out = np.empty((n, w), dtype=np.uint8)
    out[:, :12] = line
    out[:, 12] = out[:, 28] = ord(",")
    out[:, 13:28] = imei[:, :15]
    off = clock.paris_offset(t)
    wall = t + np.where(time_form == 0, 0, off)
    day, secs = np.divmod(wall, clock.DAY)
    d0 = int(day.min()) if n else 0
    out[:, 29:39] = date_table(d0, int(day.max()) if n else 0)[day - d0]
    out[:, 39] = ord("T")
    out[:, 40:48] = _tod_table()[secs]
    out[:, 48] = np.where(time_form == 0, ord("Z"), ord("+"))
    out[:, 49] = out[:, 52] = out[:, 53] = _ZERO
    out[:, 50] = np.where(off == 7200, ord("2"), ord("1"))
    out[:, 51] = ord(":")
    ts_width = np.where(time_form == 0, 20, np.where(time_form == 1, 25, 19))
    imei_width = np.full(n, 15, dtype=np.int64)
    rows = np.flatnonzero(imei_form != 0)
    if len(rows):
        rare, rare_w = rare_imeis(imei[rows, :15], imei_form[rows], sv[rows])
        ts = out[rows, 29:54]
        imei_width[rows] = rare_w
        for width in np.unique(rare_w):
            sel = rare_w == width
            r = rows[sel]
            out[r, 13 : 13 + width] = rare[sel, :width]
            out[r, 13 + width] = ord(",")
            out[r, 14 + width : 39 + width] = ts[sel]
    length = (15 + imei_width + ts_width).astype(np.int32)
    out[np.arange(n), length - 1] = ord("\n")
    views = np.empty((n, 4), dtype=np.int32)
    views[:, 0] = length
    views[:, 1] = out[:, :4].copy().view(np.int32).reshape(n)
    views[:, 2] = 0
    views[:, 3] = np.arange(n, dtype=np.int32) * w
    arr = pa.StringViewArray.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views), pa.py_buffer(out.reshape(-1))]
    )
    flat = pc.cast(arr, pa.string())
    offsets = np.frombuffer(flat.buffers()[1], dtype=np.int32, count=n + 1)
    return memoryview(flat.buffers()[2])[offsets[0] : offsets[n]]
