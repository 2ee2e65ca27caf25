"""Spell identifiers and timestamps as CSV bytes, vectorised: a fixed-width byte matrix per column,
a mask of the bytes each row uses, one boolean compaction per chunk. No per-row Python.

Also the tiny Luhn the IMEIs need (python-stdnum is the reference in tests only).
"""

from __future__ import annotations

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


def luhn_check_digits(body_digits: np.ndarray) -> np.ndarray:
    """Vectorised ``luhn_check_digit`` over an (n, 14) digit matrix (the reference for
    ``imei_ascii``'s table-driven version)."""
    d = body_digits.astype(np.int64)
    doubled = d[:, 1::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = d[:, 0::2].sum(axis=1) + doubled.sum(axis=1)
    return ((10 - total % 10) % 10).astype(np.uint8)


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


def imei_bytes(body: np.ndarray, form: np.ndarray, sv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 30) uint8 matrix and widths of each row's IMEI spelled in its ``form`` (see
    ``sightings.IMEI_FORMS``)."""
    n = len(body)
    full = imei_ascii(body)[:, :15]
    check = full[:, 14] - _ZERO
    out = np.zeros((n, 30), dtype=np.uint8)
    out[:, :15] = full
    width = np.full(n, 15, dtype=np.int64)
    rare = np.flatnonzero(form != 0)
    f = form[rare]

    def put(sel: np.ndarray, values: np.ndarray) -> None:
        rows = rare[sel]
        out[rows, :] = 0
        out[rows, : values.shape[1]] = values
        width[rows] = values.shape[1]

    r = f == 1
    put(r, np.concatenate([full[rare[r], :14], _LUT2[sv[rare[r]]]], axis=1))
    for code, sep in ((2, ord(" ")), (3, ord("-"))):
        r = f == code
        x = full[rare[r]]
        s = np.full((len(x), 1), sep, dtype=np.uint8)
        put(r, np.concatenate([x[:, :2], s, x[:, 2:8], s, x[:, 8:14], s, x[:, 14:]], axis=1))
    r = f == 4
    put(r, full[rare[r], :14])
    r = f == 5
    rows = rare[r]
    wrong = (check[rows] + 1 + (body[rows] % 9).astype(np.uint8)) % 10  # never the right digit
    put(r, np.concatenate([full[rows, :14], (wrong + _ZERO)[:, None].astype(np.uint8)], axis=1))
    short = (f == 6) & (rare % 2 == 0)
    long_ = (f == 6) & (rare % 2 == 1)
    put(short, full[rare[short], :13])
    put(long_, np.concatenate([full[rare[long_]], full[rare[long_], -2:]], axis=1))
    r = f == 7
    put(r, np.full((int(r.sum()), 15), _ZERO, dtype=np.uint8))
    r = f == 8
    # U+0660..U+0669 ARABIC-INDIC DIGIT: UTF-8 0xD9 0xA0..0xA9
    arab = np.empty((int(r.sum()), 30), dtype=np.uint8)
    arab[:, 0::2] = 0xD9
    arab[:, 1::2] = full[rare[r]] - _ZERO + 0xA0
    put(r, arab)
    return out, width


def time_bytes(t: np.ndarray, form: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 25) uint8 matrix and widths of ISO-8601 instants: ``...Z`` (form 0), local time with
    its offset (1) or naive local Europe/Paris time (2)."""
    n = len(t)
    off = clock.paris_offset(t)
    wall = t + np.where(form == 0, 0, off)
    days, secs = np.divmod(wall, clock.DAY)
    y, m, d = clock.civil(days)
    hh, rest = np.divmod(secs, 3600)
    mm, ss = np.divmod(rest, 60)
    out = np.empty((n, 25), dtype=np.uint8)
    c, yy = np.divmod(y, 100)
    for col, v in ((0, c), (2, yy), (5, m), (8, d), (11, hh), (14, mm), (17, ss)):
        out[:, col : col + 2] = _LUT2[v]
    out[:, 4] = out[:, 7] = ord("-")
    out[:, 10] = ord("T")
    out[:, 13] = out[:, 16] = ord(":")
    out[:, 19] = np.where(form == 0, ord("Z"), ord("+"))
    out[:, 20] = _ZERO
    out[:, 21] = np.where(off == 7200, ord("2"), ord("1"))
    out[:, 22] = ord(":")
    out[:, 23:25] = _ZERO
    width = np.where(form == 0, 20, np.where(form == 1, 25, 19))
    return out, width


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
    line: np.ndarray, imei: np.ndarray, imei_width: np.ndarray, ts: np.ndarray, ts_width: np.ndarray
) -> bytes:
    """CSV rows ``line_id,imei,observed_at\\n`` from fixed-width byte matrices and widths.

    Each row is left-packed into one 70-byte slot (most rows need one slice copy per column;
    rows with a rare IMEI width are moved by a few fancy-indexed copies), then an Arrow
    string_view array over the slots is cast to a plain string array: its data buffer is the
    CSV text.
    """
    n = len(line)
    w = 12 + 1 + imei.shape[1] + 1 + ts.shape[1] + 1
    out = np.empty((n, w), dtype=np.uint8)
    out[:, :12] = line
    out[:, 12] = ord(",")
    out[:, 13 : 13 + 15] = imei[:, :15]
    out[:, 28] = ord(",")
    out[:, 29 : 29 + ts.shape[1]] = ts
    for width in np.unique(imei_width):
        if width == 15:
            continue
        rows = np.flatnonzero(imei_width == width)
        out[rows, 13 : 13 + width] = imei[rows, :width]
        out[rows, 13 + width] = ord(",")
        out[rows, 14 + width : 14 + width + ts.shape[1]] = ts[rows]
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
    return memoryview(flat.buffers()[2])[offsets[0] : offsets[n]].tobytes()
