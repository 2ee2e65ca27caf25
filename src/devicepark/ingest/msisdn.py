"""Line ids to their canonical form: every spelling of an MSISDN to E.164, other ids trimmed.

A phone-like value (digits, ``+``, spaces, dots, dashes, slashes, parentheses, an optional
``tel:``) goes through libphonenumber (``phonenumbers``) for the store's country: when the library
reads it as a possible number of that country, or of the country its ``+`` or ``00`` names, the
canonical form is its E.164 (``+33 (0)6 12 34 56 78``, ``tel:+33612345678``, ``06/12/34/56/78``
and ``612345678`` are all ``+33612345678``). Every other value keeps the SQL rule of earlier
releases (``pseudonym.canonical_line_id_sql``): separators dropped from a phone-like value,
``00`` and a national ``0`` turned into ``+``, anything else only trimmed (IMSIs, internal ids).

libphonenumber is Python, so ingest calls it only where the SQL rule may disagree with it: the
usual spellings (``+33612345678``, ``06 12 34 56 78``, ``0033612345678``) are shapes on which both
give the same answer for the store's country (``Rules.fast``), and a value whose digit count the
library can never accept is skipped (``Rules.worth_lengths``); the rest is sent to the library once
per distinct value of a block (``library_column``). Tests check both shortcuts against the
library on random numbers of several countries.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberFormat, ValidationResult

# A value the library is asked about: optional "tel:", optional "(" before a "+", then digits and
# the separators a phone number is written with. Letters never (the library would read a vanity
# number, and "L-42" as +3342); no extension, no URI parameters.
_SEP = r" ./()\-\x{00a0}\x{202f}"
PHONE_LIKE = rf"^(?:[Tt][Ee][Ll]:)?\(?\+?[0-9{_SEP}]*[0-9][0-9{_SEP}]*$"
# What the SQL rule of earlier releases calls phone-like (``pseudonym._PHONE``).
SQL_PHONE_LIKE = r"^\+?[0-9 .()\-\x{00a0}\x{202f}]+$"
_PY_PHONE_LIKE = re.compile(
    r"(?:[Tt][Ee][Ll]:)?\(?\+?[0-9 ./()\-\u00a0\u202f]*[0-9][0-9 ./()\-\u00a0\u202f]*"
)


@dataclass(frozen=True)
class Rules:
    """The store's country as libphonenumber sees it, and the two shortcuts that spare it."""

    country_code: str
    region: str  # e.g. FR; "ZZ" when the library knows no region for the code
    fast: str  # regex (RE2) on the compact value: shapes where the SQL rule gives the answer
    worth_lengths: frozenset[int] | None  # digit counts of a national spelling (None: any)
    idd: str | None  # the international call prefix when it is plain digits (00)
    # The library's own answer, vectorised, in a country whose numbers are all the n-digit
    # strings not starting with the national prefix (France): +33, then the trunk 0 or not, then
    # the national significant number, once separators and "tel:" are dropped ("+33 (0)6 12 34
    # 56 78", "tel:+33612345678", "06/12/34/56/78", "612345678").
    shortcut: str | None = None  # regex on the compact value; its last nsn characters...
    nsn: int = 0  # ...are the national significant number, E.164 is "+<cc>" and them


@functools.cache
def rules_for(country_code: str) -> Rules:
    """The rules of a store whose ``country_code`` is e.g. ``"33"``.

    >>> r = rules_for("33")
    >>> r.region, sorted(r.worth_lengths), r.idd
    ('FR', [9, 10, 11, 12], '00')
    """
    cc = re.sub(r"\D", "", country_code)
    region = phonenumbers.region_code_for_country_code(int(cc))
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:  # no region: the library only ever reads "+" numbers of other countries
        return Rules(cc, region, rf"^\+{cc}[0-9]*$", None, None)
    prefix = meta.national_prefix or None
    simple = (
        meta.national_prefix_for_parsing in (None, prefix)
        and not meta.national_prefix_transform_rule
        and prefix in (None,) + tuple(str(d) for d in range(10))
    )
    if not simple:  # carrier codes or odd prefixes: ask the library about every phone-like value
        return Rules(cc, region, r"^$", None, None)
    lengths = tuple(meta.general_desc.possible_length) if meta.general_desc else ()
    others = "".join(d for d in "0123456789" if d != prefix)
    first = "[0-9]" if prefix is None else "[1-9]" if prefix == "0" else f"[{others}]"
    shapes = [rf"\+{cc}{first}[0-9]*"]  # the library changes nothing (or declines)
    # 0 + 9 digits: the SQL rule's national number, read the same way by the library when
    # the country's national prefix is 0, its numbers have 9 digits and never 10.
    if prefix == "0" and 9 in lengths and 10 not in lengths:
        shapes.append("0[1-9][0-9]{8}")
    idd = meta.international_prefix
    idd = idd if re.fullmatch(r"[0-9]+", idd or "") else None
    if idd == "00":  # 00 + country code + a number of a possible length: the SQL's "+" + rest
        for n in lengths:
            if 6 <= len(cc) + n <= 15:
                shapes.append(f"00{cc}{first}[0-9]{{{n - 1}}}")
    # A digits-only value without "+" or the call prefix is read as a national number, with at
    # most the country code and the national prefix in front: other lengths are impossible.
    extra = [0, len(cc)] + ([len(prefix), len(cc) + len(prefix)] if prefix else [])
    worth = frozenset(n + e for n in lengths for e in extra)
    fast = "^(?:" + "|".join(shapes) + ")$"
    pattern = (meta.general_desc.national_number_pattern or "") if meta.general_desc else ""
    if prefix and len(lengths) == 1 and pattern == f"{first}\\d{{{lengths[0] - 1}}}":
        short = rf"^(?:\+{cc})?{prefix}?{first}[0-9]{{{lengths[0] - 1}}}$"
        return Rules(cc, region, fast, worth, idd, short, lengths[0])
    return Rules(cc, region, fast, worth, idd)


def library_canonical(value: str, rules: Rules) -> str | None:
    """E.164 of a trimmed value when libphonenumber reads it as a possible phone number
    (for the store's country, or the one its ``+``/``00`` names); None otherwise.

    >>> r = rules_for("33")
    >>> [library_canonical(v, r) for v in ("+33 (0)6 12 34 56 78", "tel:+33612345678", "612345678")]
    ['+33612345678', '+33612345678', '+33612345678']
    >>> [library_canonical(v, r) for v in ("208011234567890", "12345", "+33 6 12 34 56 78 ext 9")]
    [None, None, None]
    """
    if not _PY_PHONE_LIKE.fullmatch(value):
        return None
    if rules.worth_lengths is not None:
        compact = re.sub(r"[^0-9+]", "", value)
        if (
            not compact.startswith("+")
            and not (rules.idd and compact.startswith(rules.idd))
            and len(compact) not in rules.worth_lengths
        ):
            return None
    return ask_library(value, rules.region)


def ask_library(value: str, region: str) -> str | None:
    """The library's answer, without devicepark's shortcuts: E.164 of a possible number."""
    text = value.replace("\u00a0", " ").replace("\u202f", " ")  # it misses U+202F
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if number.extension:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        return None
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def needs_library(trimmed: pa.Array, rules: Rules, compact: pa.Array | None = None) -> pa.Array:
    """Boolean mask of the values whose canonical form the SQL rule may get wrong (``compact``:
    their ``_compact`` form, when already computed)."""
    phone = pc.match_substring_regex(trimmed, PHONE_LIKE)
    compact = _compact(trimmed) if compact is None else compact
    sql_ok = pc.and_(
        pc.match_substring_regex(trimmed, SQL_PHONE_LIKE),
        pc.match_substring_regex(compact, rules.fast),
    )
    need = pc.and_(phone, pc.invert(sql_ok))
    if rules.worth_lengths is not None:
        plain = pc.invert(pc.starts_with(compact, "+"))  # a phone-like value's "+" leads it
        if rules.idd:
            plain = pc.and_(plain, pc.invert(pc.starts_with(compact, rules.idd)))
        length_ok = pc.is_in(
            pc.utf8_length(compact), value_set=pa.array(sorted(rules.worth_lengths), pa.int32())
        )
        need = pc.and_(need, pc.invert(pc.and_(plain, pc.invert(length_ok))))
    return pc.fill_null(need, False)


_KEEP = np.zeros(256, dtype=bool)
_KEEP[list(b"0123456789+")] = True


def _compact(values: pa.Array) -> pa.Array:
    """Each string with every character but digits and "+" removed (Arrow's regex replace takes
    seconds a million values; this is one numpy pass over the bytes: a multi-byte UTF-8
    character has no ASCII byte, so dropping bytes drops whole characters)."""
    if values.type != pa.string() or values.null_count or not len(values):
        return pc.replace_substring_regex(values, r"[^0-9+]", "")
    offsets = np.frombuffer(values.buffers()[1], np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    raw = values.buffers()[2]
    data = np.frombuffer(raw, np.uint8) if raw is not None else np.zeros(0, np.uint8)
    data = data[offsets[0] : offsets[-1]]
    keep = _KEEP[data]
    kept = np.zeros(len(data) + 1, dtype=np.int32)  # offsets are int32: so are the sums
    np.cumsum(keep, dtype=np.int32, out=kept[1:])
    new_offsets = kept[offsets - offsets[0]]
    return pa.StringArray.from_buffers(
        len(values), pa.py_buffer(new_offsets), pa.py_buffer(data[keep].tobytes())
    )


def library_column(trimmed: pa.Array | pa.ChunkedArray, rules: Rules) -> pa.Array:
    """For each trimmed line id, the library's E.164 where the SQL rule may be wrong and the
    library reads a phone number; null elsewhere (the SQL rule then gives the canonical form).
    The library runs once per distinct value."""
    if isinstance(trimmed, pa.ChunkedArray):
        trimmed = trimmed.combine_chunks()
    result = pa.nulls(len(trimmed), pa.string())
    # The usual spelling written without separators (+33612345678) is the SQL rule's answer:
    # one pass over the column settles it, the rest is looked at closely.
    other = pc.invert(pc.fill_null(pc.match_substring_regex(trimmed, rules.fast), False))
    if not pc.any(other).as_py():
        return result
    answers = _closely(trimmed.filter(other), rules)
    return pc.replace_with_mask(result, other, answers)


def _closely(trimmed: pa.Array, rules: Rules) -> pa.Array:
    compact = _compact(trimmed)
    need = needs_library(trimmed, rules, compact)
    result = pa.nulls(len(trimmed), pa.string())
    if not pc.any(need).as_py():
        return result
    if rules.shortcut:
        short = pc.and_(need, pc.match_substring_regex(compact, rules.shortcut))
        nsn = pc.utf8_slice_codeunits(compact, -rules.nsn)
        e164 = pc.binary_join_element_wise(f"+{rules.country_code}", nsn, "")
        result = pc.if_else(short, e164, result)
        need = pc.and_(need, pc.invert(short))
        if not pc.any(need).as_py():
            return result
    values = pc.unique(trimmed.filter(need))
    answers = pa.array([library_canonical(v, rules) for v in values.to_pylist()], pa.string())
    found = pc.take(answers, pc.index_in(trimmed, value_set=values))
    return pc.if_else(need, found, result)
