"""Keyed pseudonyms: HMAC-SHA256 with a domain string per kind of identifier.

The key is 32+ random bytes, given as hex in ``DEVICEPARK_KEY`` or in a key file, and never
stored with the data (the store records only its fingerprint, ``store.key_fingerprint``). A key
whose bytes take fewer than 16 distinct values is refused: it was typed, not drawn. A pseudonym
is the first 128 bits of ``HMAC-SHA256(key, domain || 0x00 || canonical form)``, as 32
lowercase hex characters.

The bulk path computes the same HMAC inside DuckDB (ipad/opad with ``sha256`` over blobs), which
runs without a Python loop; ``pseudonym`` is the reference it is tested against.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from devicepark.errors import ConfigError

DOMAINS = {
    "line": b"devicepark/line/v1",
    "customer": b"devicepark/customer/v1",
    "handset": b"devicepark/handset/v1",
    "assignment": b"devicepark/assignment/v1",
}
MIN_KEY_BYTES = 32
MIN_DISTINCT_BYTES = 16  # 32 random bytes take ~30 distinct values; fewer than 16: not random
HEX_CHARS = 32  # 128 bits

KEY_HINT = (
    "make one with `devicepark key new --out devicepark.key` and pass --key-file devicepark.key, "
    "or export DEVICEPARK_KEY=<64+ hex characters>"
)


def new_key() -> str:
    """A fresh random key, as 64 hex characters (drawn again in the astronomically rare case
    that it fails ``check_key_strength``).

    >>> len(new_key())
    64
    """
    while True:
        key = secrets.token_bytes(MIN_KEY_BYTES)
        if len(set(key)) >= MIN_DISTINCT_BYTES:
            return key.hex()


def check_key_strength(key: bytes, where: str = "the key") -> bytes:
    """Refuse a key with too little entropy: all bytes equal, or fewer than 16 distinct bytes
    (``00`` x 32, ``abab...``, a repeated word); return the key.

    >>> check_key_strength(bytes(range(32))) == bytes(range(32))
    True
    """
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_BYTES:
        what = "all its bytes are equal" if distinct == 1 else f"only {distinct} distinct bytes"
        raise ConfigError(
            f"{where}: too little entropy ({what}; a random key has about 30, at least "
            f"{MIN_DISTINCT_BYTES} are needed): it looks typed, not drawn",
            hint=KEY_HINT,
        )
    return key


def parse_key(text: str, where: str) -> bytes:
    text = text.strip()
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", text or "x"):
        raise ConfigError(f"{where}: the key must be hexadecimal", hint=KEY_HINT)
    key = bytes.fromhex(text)
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"{where}: the key has {len(key)} bytes, at least {MIN_KEY_BYTES} are needed",
            hint=KEY_HINT,
        )
    return check_key_strength(key, where)


def load_key(key_file: str | Path | None = None) -> bytes:
    """The pseudonymisation key from ``key_file`` or ``DEVICEPARK_KEY``; refuse without one."""
    if key_file is not None:
        path = Path(key_file)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path}: cannot read the key file ({exc.__class__.__name__})", hint=KEY_HINT
            ) from None
        return parse_key(text, str(path))
    env = os.environ.get("DEVICEPARK_KEY")
    if env:
        return parse_key(env, "DEVICEPARK_KEY")
    raise ConfigError(
        "no pseudonymisation key: ingest refuses to write raw identifiers", hint=KEY_HINT
    )


def pseudonym(key: bytes, kind: str, canonical: str) -> str:
    """The reference pseudonym of one canonical identifier.

    >>> pseudonym(bytes(32), "line", "+33612345678") == pseudonym(bytes(32), "line", "+33612345678")
    True
    >>> pseudonym(bytes(32), "line", "x") != pseudonym(bytes(32), "customer", "x")
    True
    """
    msg = DOMAINS[kind] + b"\x00" + canonical.encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:HEX_CHARS]


def hmac_sql(key: bytes, kind: str, expr: str) -> str:
    """A DuckDB SQL expression computing ``pseudonym(key, kind, <expr>)`` over a VARCHAR column.

    The key only appears inside the SQL text sent to the embedded engine, never in a file.
    """
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\x00")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    prefix = (DOMAINS[kind] + b"\x00").hex()
    inner = f"unhex(sha256(unhex('{ipad}{prefix}') || encode({expr})))"
    return f"left(sha256(unhex('{opad}') || {inner}), {HEX_CHARS})"


_SEPARATORS = "[ .()\\-\u00a0\u202f]"
_PHONE = "\\+?[0-9 .()\\-\u00a0\u202f]+"


def phone_digits_sql(trimmed: str) -> str:
    """DuckDB SQL removing the separators a phone number may be spelled with."""
    return f"regexp_replace({trimmed}, '{_SEPARATORS}', '', 'g')"


def canonical_from_parts_sql(trimmed: str, phone: str, country_code: str = "33") -> str:
    """The canonical form from a trimmed id and its ``phone_digits_sql``, both precomputed
    columns, so that the engine evaluates each regular expression once per row."""
    cc = re.sub(r"\D", "", country_code)
    return (
        f"CASE WHEN regexp_full_match({trimmed}, '{_PHONE}') THEN ("
        f"CASE WHEN regexp_full_match({phone}, '\\+[0-9]{{6,15}}') THEN {phone} "
        f"WHEN regexp_full_match({phone}, '00[1-9][0-9]{{5,14}}') THEN '+' || substr({phone}, 3) "
        f"WHEN regexp_full_match({phone}, '0[1-9][0-9]{{8}}') THEN '+{cc}' || substr({phone}, 2) "
        f"WHEN length({phone}) = {len(cc) + 9} AND starts_with({phone}, '{cc}') "
        f"THEN '+' || {phone} "
        f"ELSE {phone} END) ELSE {trimmed} END"
    )


def canonical_line_id_sql(expr: str, country_code: str = "33") -> str:
    """DuckDB SQL of the earlier releases' rule: MSISDNs to E.164 with '+', anything else trimmed.

    Rules (applied after removing spaces, no-break spaces, dots, dashes and parentheses from a
    phone-like value):
    ``+CC...`` stays; ``00CC...`` becomes ``+CC...``; a national number ``0XXXXXXXXX`` (10 digits)
    becomes ``+<country_code>XXXXXXXXX``; 11 digits starting with the country code get a ``+``.
    Other values (IMSIs, internal ids) are only trimmed. (Bulk code precomputes the parts with
    ``canonical_from_parts_sql``; this one-expression form is for tests and small inputs.) Ingest
    overrides it with libphonenumber's E.164 where the two may differ (``ingest.msisdn``).
    """
    s = f"trim({expr}, ' ')"
    return canonical_from_parts_sql(s, phone_digits_sql(s), country_code)


def sql_rule_line_id(value: str, country_code: str = "33") -> str:
    """Python twin of ``canonical_line_id_sql``, the rule of earlier releases (the reference of
    the SQL in tests; ``canonical_line_id`` uses it where libphonenumber reads no number).

    >>> [sql_rule_line_id(s) for s in ("06 12 34 56 78", "0033612345678", "+33612345678")]
    ['+33612345678', '+33612345678', '+33612345678']
    >>> [sql_rule_line_id(s) for s in ("33612345678", "208011234567890", " L-42 ")]
    ['+33612345678', '208011234567890', 'L-42']
    """
    cc = re.sub(r"\D", "", country_code)
    s = value.strip(" ")  # as SQL trim(): spaces only
    if not re.fullmatch("\\+?[0-9 .()\\-\u00a0\u202f]+", s):
        return s
    phone = re.sub("[ .()\\-\u00a0\u202f]", "", s)
    if re.fullmatch(r"\+[0-9]{6,15}", phone):
        return phone
    if re.fullmatch(r"00[1-9][0-9]{5,14}", phone):
        return "+" + phone[2:]
    if re.fullmatch(r"0[1-9][0-9]{8}", phone):
        return f"+{cc}" + phone[1:]
    if len(phone) == len(cc) + 9 and phone.startswith(cc):
        return "+" + phone
    return phone


def canonical_line_id(value: str, country_code: str = "33") -> str:
    """The canonical form of a line id (the reference of the ingest's vectorised path): E.164
    when libphonenumber reads a possible number for the store's country (``ingest.msisdn``),
    else ``sql_rule_line_id``.

    >>> [canonical_line_id(s) for s in ("06 12 34 56 78", "+33 (0)6 12 34 56 78", "612345678")]
    ['+33612345678', '+33612345678', '+33612345678']
    >>> [canonical_line_id(s) for s in ("tel:+33612345678", "208011234567890", " L-42 ")]
    ['+33612345678', '208011234567890', 'L-42']
    """
    from devicepark.ingest.msisdn import library_canonical, rules_for

    s = value.strip(" ")
    found = library_canonical(s, rules_for(country_code))
    return found if found is not None else sql_rule_line_id(s, country_code)
