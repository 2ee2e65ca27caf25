"""The audience at the campaign start: eligibility by hand, and a keyed, stable holdout split."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from campaign_store import EXAMPLE, pseudo

from devicepark import answers
from devicepark.campaign.audience import assign, audience_counts, months_between
from devicepark.campaign.spec import load_campaign
from devicepark.cli.main import main
from devicepark.store import Store, connect, open_tables

KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")


def audience_of(store_dir: Path, campaign_path: Path = EXAMPLE, con=None):
    con = con if con is not None else connect("duckdb")
    tables = open_tables(con, Store.open(store_dir))
    return answers.audience(con, tables, load_campaign(campaign_path), KEY)


def test_eligible_lines_worked_out_by_hand(tiny_store, backend) -> None:
    table = audience_of(tiny_store, con=backend)
    got = {r["line"]: r for r in table.to_pylist()}
    # 1 old Samsung; 6 exactly 24 months; 8 ends the day after D; 12 its first handset came back
    # (age from 2019-01-01); 14 unknown TAC but identified and old. Out: 2 Xiaomi, 3 Sosh,
    # 4 business, 5 23 months, 7 terminated on D, 9 not yet active, 10 unidentified,
    # 11 new handset, 13 M2M.
    assert sorted(got) == [pseudo(n) for n in (1, 6, 8, 12, 14)]
    assert got[pseudo(6)]["device_age_months"] == 24
    assert got[pseudo(12)]["device_first_seen"] == dt.date(2019, 1, 1)
    assert got[pseudo(12)]["device_age_months"] == 37
    assert got[pseudo(14)]["vendor"] == "Unknown"
    assert got[pseudo(1)]["customer"] == pseudo(10_001) and got[pseudo(1)]["model"] == "Galaxy S10"
    assert {r["campaign"] for r in got.values()} == {"semaine-xiaomi-2022"}


def test_without_device_rules_unidentified_lines_count(tiny_store, tmp_path) -> None:
    text = EXAMPLE.read_text()
    text = text.replace('exclude_vendors = ["Xiaomi"]\n', "").replace(
        "min_device_age_months = 24\n", ""
    )
    text = text.replace('segments = ["consumer"]', 'segments = ["consumer", "m2m"]')
    p = tmp_path / "open.toml"
    p.write_text(text)
    lines = sorted(r["line"] for r in audience_of(tiny_store, p).to_pylist())
    assert lines == [pseudo(n) for n in (1, 2, 5, 6, 8, 10, 11, 12, 13, 14)]


def reference_group(campaign_id: str, line: str, share: float) -> str:
    digest = hmac.new(
        KEY, b"devicepark/assignment/v1\x00" + f"{campaign_id}:{line}".encode(), hashlib.sha256
    )
    return "holdout" if int(digest.hexdigest()[:16], 16) / 2**64 < share else "treatment"


def test_holdout_split_is_keyed_stable_and_near_its_share() -> None:
    import pyarrow as pa

    campaign = load_campaign(EXAMPLE)
    eligible = pa.Table.from_pylist(
        [
            {
                "line": pseudo(n),
                "customer": None,
                "operator_brand": "Orange",
                "segment": "consumer",
                "vendor": "Samsung",
                "model": "X",
                "device_first_seen": dt.date(2019, 1, 1),
            }
            for n in range(4000)
        ]
    )
    first = assign(eligible, campaign, KEY)
    again = assign(eligible.take(list(reversed(range(4000)))), campaign, KEY)
    assert first.equals(again)  # reruns (and row order) do not change anything
    groups = dict(
        zip(first.column("line").to_pylist(), first.column("group").to_pylist(), strict=True)
    )
    assert all(
        groups[pseudo(n)] == reference_group(campaign.id, pseudo(n), 0.1)
        for n in range(0, 4000, 37)
    )
    holdout = sum(g == "holdout" for g in groups.values())
    assert 400 - 3 * 19 <= holdout <= 400 + 3 * 19  # 4000 x 0.1, within 3 binomial sd (18.97)
    other = assign(eligible, campaign.__class__(**{**campaign.__dict__, "id": "another"}), KEY)
    moved = sum(
        a != b
        for a, b in zip(
            first.column("group").to_pylist(), other.column("group").to_pylist(), strict=True
        )
    )
    assert moved > 100  # another campaign draws another holdout
    counts = audience_counts(first)
    assert counts == [
        {
            "segment": "consumer",
            "operator_brand": "Orange",
            "lines": 4000,
            "treatment": 4000 - holdout,
            "holdout": holdout,
        },
        {
            "segment": "total",
            "operator_brand": "",
            "lines": 4000,
            "treatment": 4000 - holdout,
            "holdout": holdout,
        },
    ]


@pytest.mark.parametrize(
    ("first", "day", "months"),
    [
        (dt.date(2020, 1, 31), dt.date(2020, 2, 28), 0),
        (dt.date(2020, 1, 31), dt.date(2020, 2, 29), 1),
        (dt.date(2021, 8, 31), dt.date(2022, 2, 28), 6),
        (dt.date(2022, 2, 3), dt.date(2022, 2, 3), 0),
        (dt.date(2020, 3, 15), dt.date(2022, 2, 14), 22),
    ],
)
def test_months_between(first, day, months) -> None:
    assert months_between(first, day) == months


def audience_cli(store: Path, out: Path, *args: str) -> int:
    """``campaign audience EXAMPLE --store STORE --out OUT ARGS``: its exit code."""
    with pytest.raises(SystemExit) as info:
        main(
            ["campaign", "audience", str(EXAMPLE), "--store", str(store), "--out", str(out), *args]
        )
    return info.value.code or 0


def test_cli_audience_writes_pseudonyms_and_counts(tiny_store, tmp_path, key_env, capsys) -> None:
    out_file = tmp_path / "aud.parquet"
    assert audience_cli(tiny_store, out_file, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    table = pq.read_table(out_file)
    assert table.num_rows == 5 == data["lines"]
    assert set(table.column_names) >= {"line", "customer", "group", "operator_brand", "segment"}
    assert all(len(x) == 32 for x in table.column("line").to_pylist())
    assert data["counts"][-1]["lines"] == 5
    assert data["counts"][0] == {
        "segment": "consumer",
        "operator_brand": "Orange",
        "lines": 5,
        "treatment": data["counts"][0]["treatment"],
        "holdout": 5 - data["counts"][0]["treatment"],
    }
    expected = {
        pseudo(n): reference_group("semaine-xiaomi-2022", pseudo(n), 0.1) for n in (1, 6, 8, 12, 14)
    }
    assert (
        dict(zip(table.column("line").to_pylist(), table.column("group").to_pylist(), strict=True))
        == expected
    )


def test_cli_audience_needs_a_key(tiny_store, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DEVICEPARK_KEY", raising=False)
    assert audience_cli(tiny_store, tmp_path / "a.parquet") == 2
    assert "key" in capsys.readouterr().err
    assert not (tmp_path / "a.parquet").exists()
