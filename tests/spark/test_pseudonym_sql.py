"""The Spark SQL of docs/SPARK.md computes devicepark's pseudonyms bit for bit."""

from __future__ import annotations

import hashlib

import pytest

from devicepark.ingest.pseudonym import DOMAINS, HEX_CHARS, canonical_line_id, pseudonym

pytestmark = pytest.mark.spark

KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")


def spark_hmac_sql(key: bytes, kind: str, column: str) -> str:
    """Spark SQL for ``pseudonym(key, kind, <column>)``: HMAC-SHA256 spelt with sha2 and unhex,
    exactly as written in docs/SPARK.md."""
    block = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\x00")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    prefix = (DOMAINS[kind] + b"\x00").hex()
    inner = f"unhex(sha2(concat(unhex('{ipad}{prefix}'), encode({column}, 'UTF-8')), 256))"
    return f"substr(sha2(concat(unhex('{opad}'), {inner}), 256), 1, {HEX_CHARS})"


VALUES = ["+33612345678", "C313489688", "359815412708990", "Île-de-France", ""]


@pytest.mark.parametrize("kind", ["line", "customer", "handset"])
def test_spark_sql_pseudonym_equals_reference(spark_backend, kind):
    session = spark_backend._session
    df = session.createDataFrame([(v,) for v in VALUES], "v string")
    df.createOrReplaceTempView("dp_pseudonym_probe")
    got = [r[0] for r in session.sql(
        f"SELECT {spark_hmac_sql(KEY, kind, 'v')} FROM dp_pseudonym_probe").collect()]
    assert got == [pseudonym(KEY, kind, v) for v in VALUES]
    assert all(len(p) == 32 for p in got)


def test_long_key_is_hashed_first(spark_backend):
    long_key = bytes(range(80))  # over one SHA-256 block: HMAC hashes the key first
    session = spark_backend._session
    sql = spark_hmac_sql(long_key, "line", "'+33612345678'")
    got = session.sql(f"SELECT {sql}").collect()[0][0]
    assert got == pseudonym(long_key, "line", canonical_line_id("06 12 34 56 78"))
