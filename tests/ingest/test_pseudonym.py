"""Pseudonyms: the in-engine HMAC equals Python's hmac, canonical forms agree, keys are strong."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicepark.ingest.pseudonym import (
    canonical_line_id_sql,
    hmac_sql,
    load_key,
    new_key,
    parse_key,
    pseudonym,
    sql_rule_line_id,
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
    """The SQL rule and its Python twin (libphonenumber's part is tested in test_msisdn)."""
    got = con.execute(f"SELECT {canonical_line_id_sql('$1')}", [value]).fetchone()[0]
    assert got == sql_rule_line_id(value)


def test_key_rules(tmp_path, monkeypatch) -> None:
    from devicepark.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 32"):
        parse_key("00" * 16, "test")
    with pytest.raises(ConfigError, match="hexadecimal"):
        parse_key("zz" * 32, "test")
    strong = bytes(range(0, 256, 8)).hex()  # 32 distinct bytes
    f = tmp_path / "k"
    f.write_text(strong + "\n")
    assert load_key(f) == bytes.fromhex(strong)
    monkeypatch.delenv("DEVICEPARK_KEY", raising=False)
    with pytest.raises(ConfigError, match="devicepark key new"):
        load_key()


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("00" * 32, "all its bytes are equal"),
        ("ab" * 32, "all its bytes are equal"),
        ("5" * 64, "all its bytes are equal"),
        ("0123456789abcdef" * 4, "only 8 distinct bytes"),
        (b"devicepark-secret-devicepark-sec".hex(), "only 12 distinct bytes"),
    ],
)
def test_weak_keys_are_refused(key: str, why: str) -> None:
    from devicepark.errors import ConfigError

    with pytest.raises(ConfigError, match=f"too little entropy \\({why}") as err:
        parse_key(key, "DEVICEPARK_KEY")
    assert key not in str(err.value)  # the key is never repeated


def test_new_keys_pass_and_the_fixed_keys_of_tests_and_benchmarks_pass() -> None:
    import re
    from pathlib import Path

    for _ in range(200):
        parse_key(new_key(), "new")
    root = Path(__file__).resolve().parents[2]
    found = 0
    for path in [*root.glob("tests/**/*.py"), *root.glob("benchmarks/*.py")]:
        if path == Path(__file__).resolve():  # the weak keys above
            continue
        text = path.read_text(encoding="utf-8")
        keys = re.findall(r'\b(\w*KEY) = "([0-9a-fA-F]{64})"', text)
        # and keys spelled as a repeated string: KEY = "5" * 64, {"DEVICEPARK_KEY": "ab" * 32}
        for name, part, times in re.findall(r'\b(\w*KEY)\W{1,4}"([0-9a-fA-F]+)" \* (\d+)', text):
            keys.append((name, part * int(times)))
        for name, key in keys:
            parse_key(key, f"{path.relative_to(root)}: {name}")
            found += 1
    assert found >= 5  # tests/conftest.py, golden, api, reliability, spark...
