"""Pseudonyms: the in-engine HMAC equals Python's hmac, canonical forms agree."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from devicepark.ingest.pseudonym import (
    canonical_line_id,
    canonical_line_id_sql,
    hmac_sql,
    load_key,
    parse_key,
    pseudonym,
)

con = duckdb.connect()


@given(
    st.binary(min_size=32, max_size=80),
    st.text(max_size=40),
    st.sampled_from(["line", "customer", "handset"]),
)
def test_sql_hmac_equals_python(key: bytes, value: str, kind: str) -> None:
    got = con.execute(f"SELECT {hmac_sql(key, kind, '$1')}", [value]).fetchone()[0]
    assert got == pseudonym(key, kind, value)
    # and pseudonym is HMAC-SHA256 over domain || NUL || value, truncated to 128 bits
    domain = {
        "line": b"devicepark/line/v1",
        "customer": b"devicepark/customer/v1",
        "handset": b"devicepark/handset/v1",
    }[kind]
    assert got == hmac.new(key, domain + b"\0" + value.encode(), hashlib.sha256).hexdigest()[:32]


@given(
    st.one_of(
        st.text(alphabet="0123456789 +-.()", max_size=20),
        st.text(max_size=20),
        st.from_regex(r"0[67][0-9]{8}", fullmatch=True),
    )
)
def test_sql_canonical_equals_python(value: str) -> None:
    got = con.execute(f"SELECT {canonical_line_id_sql('$1')}", [value]).fetchone()[0]
    assert got == canonical_line_id(value)


def test_msisdn_spellings_are_one_line() -> None:
    spellings = [
        "+33612345678",
        "0612345678",
        "06 12 34 56 78",
        "0033612345678",
        "33612345678",
        "06.12.34.56.78",
    ]
    assert {canonical_line_id(s) for s in spellings} == {"+33612345678"}


def test_key_rules(tmp_path, monkeypatch) -> None:
    import pytest

    from devicepark.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 32"):
        parse_key("00" * 16, "test")
    with pytest.raises(ConfigError, match="hexadecimal"):
        parse_key("zz" * 32, "test")
    f = tmp_path / "k"
    f.write_text("ab" * 32 + "\n")
    assert load_key(f) == bytes.fromhex("ab" * 32)
    monkeypatch.delenv("DEVICEPARK_KEY", raising=False)
    with pytest.raises(ConfigError, match="devicepark key new"):
        load_key()
