"""IMEI rules for one value (python-stdnum's verbs) and, vectorised, for an Arrow column.

The docstring examples are the spec; ``parse_array`` applies the same rules to millions of values.

Rules, applied to the value after removing every space (U+0020) and dash (U+002D):

- only ASCII digits ``0-9`` are accepted; other Unicode digits (Arabic-Indic ``٠-٩``, fullwidth
  ``０-９``...) are rejected, because ``str.isdigit()`` would let one handset be spelled two ways;
- 14 digits is an IMEI without its check digit (``IMEI14``), 15 an IMEI whose last digit is the
  Luhn check digit (``IMEI``), 16 an IMEISV: TAC, serial, 2-digit software version (``IMEISV``);
- an all-zero value of any accepted length is rejected although it passes Luhn.

Reason codes, first matching rule wins (this order is the documented precedence):

1. ``not_digits``: missing (null), empty after removing separators, or any character that is
   not a decimal digit (letters, punctuation, tabs...). A null input gives ``not_digits`` too: no
   sixth code, so the vocabulary stays closed.
2. ``non_ascii_digit``: only decimal digits, but at least one is not ASCII.
3. ``bad_length``: ASCII digits, but not 14, 15 or 16 of them.
4. ``zero_imei``: all zeros.
5. ``bad_checksum``: 15 digits whose Luhn check fails.

>>> compact('35-209900-176148-1')
'352099001761481'
>>> validate('35 209900 176148 1')
'352099001761481'
>>> validate('352099001761482')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
devicepark.identify.imei.InvalidImei: invalid IMEI (bad_checksum): the Luhn check digit ...
>>> is_valid('٣٥٢٠٩٩٠٠١٧٦١٤٨١')
False
>>> parse('٣٥٢٠٩٩٠٠١٧٦١٤٨١').reason
'non_ascii_digit'
>>> parse('35686800-004141-20')
Imei(valid=True, reason=None, kind='IMEISV', tac='35686800', body='35686800004141')
>>> parse('35686800004141')
Imei(valid=True, reason=None, kind='IMEI14', tac='35686800', body='35686800004141')
>>> parse('000000000000000').reason
'zero_imei'
>>> parse('3520990017614').reason
'bad_length'
>>> parse(None).reason
'not_digits'
>>> split('352099001761481')
('35209900', '176148', '1')
>>> format('352099001761481')
'35-209900-176148-1'
>>> format('35686800-004141', add_check_digit=True)
'35-686800-004141-8'
>>> calc_check_digit('35209900176148')
'1'
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from devicepark.errors import InputError
from devicepark.reasons import Reason

__all__ = [
    "KINDS",
    "REASONS",
    "RESULT_SCHEMA",
    "Imei",
    "InvalidImei",
    "calc_check_digit",
    "compact",
    "format",
    "is_valid",
    "parse",
    "parse_array",
    "split",
    "validate",
]

# Reason codes in precedence order (index + 1 is the internal code used by parse_array).
_PRECEDENCE = (
    Reason.NOT_DIGITS,
    Reason.NON_ASCII_DIGIT,
    Reason.BAD_LENGTH,
    Reason.ZERO_IMEI,
    Reason.BAD_CHECKSUM,
)
REASONS = tuple(r.value for r in _PRECEDENCE)
EXPLANATIONS = {r.value: r.meaning for r in _PRECEDENCE}
KINDS = {14: "IMEI14", 15: "IMEI", 16: "IMEISV"}

RESULT_SCHEMA = pa.schema(
    [
        ("valid", pa.bool_()),
        ("reason", pa.string()),  # null when valid
        ("kind", pa.string()),  # IMEI | IMEI14 | IMEISV; null when invalid
        ("tac", pa.string()),  # 8 digits; null when invalid
        ("body", pa.string()),  # 14 digits (TAC + serial); null when invalid
    ]
)

_SEPARATORS = str.maketrans("", "", " -")


class InvalidImei(InputError):
    """A value is not a valid IMEI; ``reason`` is one of ``REASONS``.

    The message never repeats the value: an IMEI is personal data.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid IMEI ({reason}): {EXPLANATIONS[reason]}")
        self.reason = reason


@dataclass(frozen=True)
class Imei:
    """What ``parse`` says about one value."""

    valid: bool
    reason: str | None
    kind: str | None
    tac: str | None
    body: str | None


# -- one value ------------------------------------------------------------------------------


def compact(number: str) -> str:
    """The value without its spaces and dashes (the only separators accepted)."""
    return number.translate(_SEPARATORS)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d >= 5 else d * 2
        total += d
    return total % 10 == 0


def calc_check_digit(body: str) -> str:
    """The Luhn check digit that completes a 14-digit body into a 15-digit IMEI."""
    for digit in "0123456789":
        if _luhn_ok(body + digit):
            return digit
    raise InvalidImei(Reason.NOT_DIGITS.value)  # pragma: no cover - unreachable for digit input


def _reason(value: str | None) -> tuple[str | None, str]:
    """(reason or None, compacted value)."""
    if value is None:
        return Reason.NOT_DIGITS.value, ""
    number = compact(value)
    if not number or not number.isdecimal():
        return Reason.NOT_DIGITS.value, number
    if not number.isascii():
        return Reason.NON_ASCII_DIGIT.value, number
    if len(number) not in KINDS:
        return Reason.BAD_LENGTH.value, number
    if number.count("0") == len(number):
        return Reason.ZERO_IMEI.value, number
    if len(number) == 15 and not _luhn_ok(number):
        return Reason.BAD_CHECKSUM.value, number
    return None, number


def validate(number: str) -> str:
    """The compacted value if it is a valid IMEI, IMEI14 or IMEISV; else raise ``InvalidImei``."""
    reason, compacted = _reason(number)
    if reason is not None:
        raise InvalidImei(reason)
    return compacted


def is_valid(number: str | None) -> bool:
    """Whether the value is a valid IMEI, IMEI14 or IMEISV."""
    return _reason(number)[0] is None


def parse(value: str | None) -> Imei:
    """Validity, reason, kind, TAC and 14-digit body of one value; never raises."""
    reason, number = _reason(value)
    if reason is not None:
        return Imei(False, reason, None, None, None)
    return Imei(True, None, KINDS[len(number)], number[:8], number[:14])


def split(number: str) -> tuple[str, str, str]:
    """(TAC, serial, check digit or software version; '' for IMEI14) of a valid value."""
    number = validate(number)
    return number[:8], number[8:14], number[14:]


def format(number: str, separator: str = "-", add_check_digit: bool = False) -> str:  # noqa: A001
    """The standard presentation ``AA-BBBBBB-CCCCCC-D`` of a valid value."""
    number = validate(number)
    if len(number) == 14 and add_check_digit:
        number += calc_check_digit(number)
    parts = (number[:2], number[2:8], number[8:14], number[14:])
    return separator.join(p for p in parts if p)


# -- a column -------------------------------------------------------------------------------

_CHUNK = 1 << 20  # rows per task; tasks run on a thread pool (Arrow and NumPy release the GIL)
_REASON_DICT = pa.array(REASONS, pa.string())
_KIND_DICT = pa.array([KINDS[14], KINDS[15], KINDS[16]], pa.string())


@lru_cache(maxsize=1)
def _luhn_tables() -> tuple[np.ndarray, np.ndarray]:
    """Luhn partial sums of every 5-digit block: rightmost digit kept (even) or doubled (odd)."""
    values = np.arange(100_000, dtype=np.int64)
    digits = [(values // 10**i) % 10 for i in range(5)]  # digits[0] is the rightmost
    doubled = [np.where(d >= 5, 2 * d - 9, 2 * d) for d in digits]
    even = sum(doubled[i] if i % 2 else digits[i] for i in range(5))
    odd = sum(digits[i] if i % 2 else doubled[i] for i in range(5))
    return even.astype(np.int8), odd.astype(np.int8)


def _luhn_ok_array(x: np.ndarray) -> np.ndarray:
    """Luhn check of 15-digit numbers held as int64, three 5-digit blocks at a time."""
    even, odd = _luhn_tables()
    low = x % 100_000
    rest = x // 100_000
    total = even[low].astype(np.int16) + odd[rest % 100_000] + even[rest // 100_000]
    return total % 10 == 0


def _as_string(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values.cast(pa.string())


def _parse_chunk(values: pa.Array) -> pa.Table:
    values = _as_string(values)
    n = len(values)
    if n == 0:
        return RESULT_SCHEMA.empty_table()
    digits = pc.fill_null(pc.ascii_is_decimal(values), False)
    ascii_digits = digits.to_numpy(zero_copy_only=False)
    # Separators only matter where the raw value is not already all ASCII digits.
    need = np.flatnonzero(~ascii_digits & values.is_valid().to_numpy(zero_copy_only=False))
    if need.size:
        cleaned = pc.replace_substring(pc.replace_substring(values.take(need), " ", ""), "-", "")
        mask = np.zeros(n, dtype=bool)
        mask[need] = True
        values = pc.replace_with_mask(values, pa.array(mask), cleaned)
        ascii_digits = ascii_digits.copy()
        ascii_digits[need] = pc.fill_null(pc.ascii_is_decimal(cleaned), False).to_numpy(
            zero_copy_only=False
        )
    length = pc.fill_null(pc.binary_length(values), 0).to_numpy(zero_copy_only=False)

    code = np.zeros(n, dtype=np.int8)  # 0 valid, else 1 + index in REASONS
    other = np.flatnonzero(~ascii_digits)
    if other.size:
        decimal = pc.fill_null(pc.utf8_is_decimal(values.take(other)), False)
        code[other] = np.where(decimal.to_numpy(zero_copy_only=False), 2, 1)
    shaped = ascii_digits & (length >= 14) & (length <= 16)
    code[ascii_digits & ~shaped] = 3
    rows = np.flatnonzero(shaped)
    if rows.size:
        number = pc.cast(values.take(rows), pa.int64()).to_numpy(zero_copy_only=False)
        zero = number == 0
        code[rows[zero]] = 4
        fifteen = (length[rows] == 15) & ~zero
        bad = ~_luhn_ok_array(number[fifteen])
        code[rows[fifteen][bad]] = 5

    valid = code == 0
    reason = pc.take(_REASON_DICT, pa.array(code.astype(np.int32) - 1, mask=valid))
    kind = pc.take(_KIND_DICT, pa.array((length - 14).astype(np.int32), mask=~valid))
    # The valid values, nulls elsewhere: same offsets and bytes, a new validity bitmap (no copy).
    _, offsets, data = values.buffers()
    bits = np.concatenate([np.zeros(values.offset, dtype=bool), valid]) if values.offset else valid
    bitmap = pa.py_buffer(np.packbits(bits, bitorder="little"))
    kept = pa.Array.from_buffers(
        pa.binary(),
        n,
        [bitmap, offsets, data],
        null_count=int(n - valid.sum()),
        offset=values.offset,
    )
    tac = pc.binary_slice(kept, 0, 8).view(pa.string())
    body = pc.binary_slice(kept, 0, 14).view(pa.string())
    return pa.Table.from_arrays([pa.array(valid), reason, kind, tac, body], schema=RESULT_SCHEMA)


def parse_array(values: pa.Array | pa.ChunkedArray, *, threads: int | None = None) -> pa.Table:
    """``parse`` over a column: a table (valid, reason, kind, tac, body), one row per value.

    No per-row Python: Arrow kernels classify the strings, NumPy checks Luhn on the 15-digit
    values as int64 (three table look-ups of 5-digit blocks). Slices of about a million rows
    run on ``threads`` threads (default: the CPU count).

    >>> t = parse_array(pa.array(['35-209900-176148-1', '352099001761482', None, '12a']))
    >>> t.column('reason').to_pylist()
    [None, 'bad_checksum', 'not_digits', 'not_digits']
    >>> t.column('tac').to_pylist()
    ['35209900', None, None, None]
    """
    if isinstance(values, pa.ChunkedArray):
        chunks = values.chunks
    else:
        chunks = [values]
    pieces = [c.slice(i, _CHUNK) for c in chunks for i in range(0, len(c), _CHUNK)]
    if not pieces:
        return RESULT_SCHEMA.empty_table()
    workers = min(threads or os.cpu_count() or 1, len(pieces))
    if workers <= 1:
        tables = [_parse_chunk(p) for p in pieces]
    else:
        with ThreadPoolExecutor(workers) as pool:
            tables = list(pool.map(_parse_chunk, pieces))
    return pa.concat_tables(tables)
