"""The p-table and the perturbation, checked against what PRIVACY.md says of them."""

from __future__ import annotations

import random

import pytest

from devicepark.publish import cellkey
from devicepark.publish.cellkey import MAX_NOISE, PTABLE, noise, perturb, published


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 999, 10**6])
def test_every_row_is_unbiased_bounded_and_never_negative(n):
    row = PTABLE[min(n, cellkey.ROWS)]
    assert len(row) == 256
    assert sum(row) == 0  # mean exactly 0 over the 256 keys
    assert all(-MAX_NOISE <= x <= MAX_NOISE for x in row)
    assert all(n + x >= 0 for x in row)


def test_the_documented_figures():
    assert cellkey.stats() == {"max_noise": 4, "mean": 0.0, "variance": 616 / 256,
                               "p_unchanged": 76 / 256}  # fmt: skip
    small = {n: (sum(x * x for x in PTABLE[n]) / 256, PTABLE[n].count(0) / 256) for n in (1, 2, 3)}
    assert small == {1: (252 / 256, 99 / 256), 2: (452 / 256, 84 / 256), 3: (556 / 256, 79 / 256)}


def test_the_same_cell_gets_the_same_noise_and_keys_add_up():
    rng = random.Random(7)
    lines = [f"{rng.getrandbits(128):032x}" for _ in range(500)]
    keys = [int(x[:2], 16) for x in lines]
    whole = sum(keys) % 256
    assert cellkey.join_keys([sum(keys[:200]) % 256, sum(keys[200:]) % 256]) == whole
    assert perturb(500, whole) == perturb(500, cellkey.join_keys(keys))
    shuffled = keys[:]
    rng.shuffle(shuffled)
    assert perturb(500, sum(shuffled) % 256) == perturb(500, whole)


def test_published_hides_small_counts_and_keeps_true_zeros():
    assert published(0, 123) == 0
    assert [published(1, k) for k in range(256)] == [None] * 256  # 0..5 < 10: always hidden
    assert published(10, 90) == 10 and published(10, 0) is None and published(10, 255) == 14
    # a hidden count was published under the threshold: its exact value is under 14
    for n in range(1, 30):
        for k in range(256):
            if published(n, k) is None:
                assert n < 10 + MAX_NOISE


def test_a_claim_never_exceeds_the_exact_count():
    for n in range(0, 300):
        for k in range(256):
            assert cellkey.lower_bound(perturb(n, k)) <= n


def test_noise_is_spread_over_the_keys_as_the_weights_say():
    counts = {x: 0 for x in range(-4, 5)}
    for k in range(256):
        counts[noise(1000, k)] += 1
    assert tuple(counts.values()) == cellkey.WEIGHTS


def test_record_key_expression_on_duckdb():
    import ibis
    import pyarrow as pa

    from devicepark.base.common import record_key

    rng = random.Random(3)
    lines = [f"{rng.getrandbits(128):032x}" for _ in range(300)] + ["00" * 16, "ff" * 16]
    t = ibis.memtable(pa.table({"line": lines}))
    got = ibis.duckdb.connect().to_pyarrow(t.select(k=record_key(t.line))).column("k").to_pylist()
    assert got == [int(x[:2], 16) for x in lines]


def test_no_cell_key_is_ever_published():
    with pytest.raises(AssertionError):
        cellkey.strip_check('{"lines": 3, "_ckey": 17}')
    assert cellkey.strip_check('{"lines": 3}') == '{"lines": 3}'
