"""Offers at an instant: midnight edges, daylight-saving days, channels and the stacking rule."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from campaign_store import EXAMPLE, head, toml
from hypothesis import given, settings
from hypothesis import strategies as st

from devicepark.campaign.offers import offers_at, parse_at
from devicepark.campaign.spec import load_campaign
from devicepark.cli.main import main
from devicepark.errors import ConfigError


def instant(text: str) -> dt.date:
    """A TOML date or local datetime, from its ISO text."""
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def campaign(tmp_path: Path, starts: str, ends: str, phase: str, stack: bool = False):
    """Two Redmi Note 11 offers (30 off online, 10 % everywhere) and a one-day phase that adds
    the Xiaomi 11T Pro at 20 % and the Redmi Note 11 at 40 off in shops."""
    redmi = {"model": "Redmi Note 11", "list_price": 199.99}
    text = (
        head(id="dst", starts=instant(starts), ends=instant(ends), stack=stack)
        + toml("[[offers]]", **redmi, discount_amount=30, channels=["online"])
        + toml("[[offers]]", **redmi, discount_percent=10)
        + toml("[[phases]]", name="sunday", starts=instant(phase), ends=instant(phase))
        + toml("[[phases.offers]]", model="Xiaomi 11T Pro", list_price=649.99, discount_percent=20)
        + toml(
            "[[phases.offers]]",
            model="redmi note 11",  # written in another case: still the Redmi Note 11
            list_price=199.99,
            discount_amount=40,
            channels=["store"],
        )
    )
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return load_campaign(p)


def models(result: dict) -> dict[str, tuple[float, str | None]]:
    return {o["model"].casefold(): (o["price"], o["phase"]) for o in result["offers"]}


def at(c, text: str) -> dict:
    return offers_at(c, parse_at(text, c.timezone))


def test_midnight_edges_of_the_example() -> None:
    c = load_campaign(EXAMPLE)
    before = at(c, "2022-02-02T23:59:59.999999")
    assert before == {
        "campaign": "semaine-xiaomi-2022",
        "at": "2022-02-02T23:59:59.999999+01:00",
        "active": False,
        "offers": [],
    }
    first = at(c, "2022-02-03T00:00:00")
    assert first["active"] is True
    assert models(first) == {"redmi note 11": (169.99, None), "xiaomi 11t": (467.49, None)}
    # the surprise is added on its day only, from 00:00 to 23:59:59.999999
    assert "xiaomi 11t pro" not in models(at(c, "2022-02-03T23:59:59"))
    assert models(at(c, "2022-02-04T00:00"))["xiaomi 11t pro"] == (519.99, "surprise")
    assert models(at(c, "2022-02-04T23:59:59"))["xiaomi 11t pro"] == (519.99, "surprise")
    assert "xiaomi 11t pro" not in models(at(c, "2022-02-05T00:00"))
    last = at(c, "2022-02-09T23:59:59")
    assert last["active"] is True and len(last["offers"]) == 2
    after = at(c, "2022-02-10")
    assert after["active"] is False and after["offers"] == []
    # an offset instant: 23:00 UTC on 2 February is midnight in Paris
    assert at(c, "2022-02-02T23:00:00Z")["active"] is True
    assert at(c, "2022-02-02T22:59:59Z")["active"] is False


def test_channels_and_the_best_single_discount() -> None:
    c = load_campaign(EXAMPLE)
    instant = parse_at("2022-02-04T12:00", c.timezone)
    store = offers_at(c, instant, "store")["offers"]
    online = offers_at(c, instant, "online")["offers"]
    # in shops only the 10 % applies: 199.99 - 20.00; online the 30 off wins over 10 %
    assert store[0] == {
        "model": "Redmi Note 11",
        "list_price": 199.99,
        "price": 179.99,
        "discount": 20.0,
        "phase": None,
    }
    assert online[0]["price"] == 169.99 and online[0]["discount"] == 30.0
    # 15 % of 549.99 = 82.4985 -> 82.50 off
    assert [o["price"] for o in store] == [179.99, 467.49, 519.99]
    assert all(list(o) == ["model", "list_price", "price", "discount", "phase"] for o in store)
    both = offers_at(c, instant, with_channels=True)["offers"]
    assert both[0]["channels"] == ["online"] and both[1]["channels"] == ["store", "online"]


def test_spring_forward_day(tmp_path) -> None:
    c = campaign(tmp_path, "2022-03-26", "2022-03-28", "2022-03-27")
    assert models(at(c, "2022-03-26T23:59:59"))["redmi note 11"] == (169.99, None)
    # the phase's store offer (40 off) beats the campaign's online 30 off: best single discount
    assert models(at(c, "2022-03-27T00:00"))["redmi note 11"] == (159.99, "sunday")
    assert models(at(c, "2022-03-27T03:00"))["xiaomi 11t pro"] == (519.99, "sunday")
    assert models(at(c, "2022-03-27T23:59:59"))["xiaomi 11t pro"] == (519.99, "sunday")
    assert "xiaomi 11t pro" not in models(at(c, "2022-03-28T00:00"))
    # 23-hour day: the phase is [26 March 23:00 UTC, 27 March 22:00 UTC)
    assert "xiaomi 11t pro" not in models(at(c, "2022-03-26T22:59:59Z"))
    assert "xiaomi 11t pro" in models(at(c, "2022-03-26T23:00:00Z"))
    assert "xiaomi 11t pro" in models(at(c, "2022-03-27T21:59:59Z"))
    assert "xiaomi 11t pro" not in models(at(c, "2022-03-27T22:00:00Z"))
    assert at(c, "2022-03-28T21:59:59Z")["active"] is True
    assert at(c, "2022-03-28T22:00:00Z")["active"] is False
    with pytest.raises(ConfigError, match="daylight-saving gap"):
        at(c, "2022-03-27T02:30")


def test_fall_back_day(tmp_path) -> None:
    c = campaign(tmp_path, "2022-10-29", "2022-10-30", "2022-10-30")
    # 25-hour day: the phase is [29 Oct 22:00 UTC, 30 Oct 23:00 UTC)
    assert "xiaomi 11t pro" not in models(at(c, "2022-10-29T21:59:59Z"))
    assert "xiaomi 11t pro" in models(at(c, "2022-10-29T22:00:00Z"))
    assert "xiaomi 11t pro" in models(at(c, "2022-10-30T02:30"))  # first 02:30
    assert "xiaomi 11t pro" in models(at(c, "2022-10-30T02:30+01:00"))  # second 02:30
    assert "xiaomi 11t pro" in models(at(c, "2022-10-30T22:59:59Z"))
    assert at(c, "2022-10-30T22:59:59Z")["at"] == "2022-10-30T23:59:59+01:00"
    assert at(c, "2022-10-30T23:00:00Z")["active"] is False


def test_exclusive_datetime_end_in_the_repeated_hour(tmp_path) -> None:
    # ends at the first 02:30 (00:30 UTC); the second 02:15 (01:15 UTC) is after it, although its
    # wall-clock time is earlier: comparisons must be made on instants, not on local times
    c = campaign(tmp_path, "2022-10-29", "2022-10-30T02:30:00", "2022-10-29")
    assert c.ends.astimezone(dt.UTC) == dt.datetime(2022, 10, 30, 0, 30, tzinfo=dt.UTC)
    assert at(c, "2022-10-30T02:29:59")["active"] is True
    assert at(c, "2022-10-30T02:30:00")["active"] is False
    assert at(c, "2022-10-30T02:15:00+01:00")["active"] is False


def test_stacking_adds_discounts_and_floors_at_zero(tmp_path) -> None:
    c = campaign(tmp_path, "2022-03-26", "2022-03-28", "2022-03-27", stack=True)
    saturday = parse_at("2022-03-26T12:00", c.timezone)
    # online: 30 + 10 % of 199.99 (20.00) = 50 off
    assert offers_at(c, saturday, "online")["offers"][0]["price"] == 149.99
    assert offers_at(c, saturday, "store")["offers"][0]["price"] == 179.99
    sunday = parse_at("2022-03-27T12:00", c.timezone)
    row = offers_at(c, sunday, "store")["offers"][0]
    # store on Sunday: 10 % (20.00) + 40 = 60 off, one phase contributed
    assert (row["price"], row["discount"], row["phase"]) == (139.99, 60.0, "sunday")
    text = (
        (tmp_path / "c.toml").read_text().replace("discount_amount = 40", "discount_amount = 190")
    )
    (tmp_path / "c.toml").write_text(text)
    floored = offers_at(load_campaign(tmp_path / "c.toml"), sunday, "store")["offers"][0]
    assert (floored["price"], floored["discount"]) == (0.0, 199.99)


def test_channel_outside_the_campaign_is_refused(tmp_path) -> None:
    c = campaign(tmp_path, "2022-03-26", "2022-03-28", "2022-03-27")
    with pytest.raises(ConfigError, match="--channel"):
        offers_at(c, parse_at("2022-03-26", c.timezone), "fax")
    with pytest.raises(ConfigError, match="--at: 'tomorrow' is not an instant"):
        parse_at("tomorrow", c.timezone)


@settings(max_examples=60)
@given(minutes=st.integers(min_value=-3 * 24 * 60, max_value=6 * 24 * 60))
def test_active_iff_inside_the_utc_window(tmp_path_factory, minutes) -> None:
    c = campaign(tmp_path_factory.mktemp("h"), "2022-03-26", "2022-03-28", "2022-03-27")
    instant = dt.datetime(2022, 3, 25, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    starts = dt.datetime(2022, 3, 25, 23, tzinfo=dt.UTC)  # CET midnight
    ends = dt.datetime(2022, 3, 28, 22, tzinfo=dt.UTC)  # CEST midnight
    p_starts, p_ends = (
        dt.datetime(2022, 3, 26, 23, tzinfo=dt.UTC),
        dt.datetime(2022, 3, 27, 22, tzinfo=dt.UTC),
    )
    result = offers_at(c, instant)
    assert result["active"] == (starts <= instant < ends)
    assert ("xiaomi 11t pro" in models(result)) == (p_starts <= instant < p_ends)


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


def test_cli_offers_json_and_errors(capsys) -> None:
    code, out, _ = run(
        capsys,
        "campaign",
        "offers",
        str(EXAMPLE),
        "--at",
        "2022-02-04T08:00",
        "--channel",
        "online",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["active"] is True and data["at"] == "2022-02-04T08:00:00+01:00"
    assert [o["price"] for o in data["offers"]] == [169.99, 467.49, 519.99]
    assert set(data["offers"][0]) >= {"model", "list_price", "price", "discount", "phase"}
    code, out, _ = run(
        capsys, "campaign", "offers", str(EXAMPLE), "--at", "2022-02-10T00:00", "--format", "json"
    )
    assert json.loads(out)["active"] is False and json.loads(out)["offers"] == []
    code, _, err = run(capsys, "campaign", "offers", str(EXAMPLE), "--at", "2022-03-27T02:30")
    assert code == 2 and err.count("\n") == 1 and "daylight-saving gap" in err


def test_cli_check(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "campaign", "check", str(EXAMPLE), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (
        data["starts"] == "2022-02-03T00:00:00+01:00"
        and data["ends"] == "2022-02-10T00:00:00+01:00"
    )
    assert data["days"] == 7 and data["warnings"] == [] and data["valid"] is True
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("discount_percent = 20", "discount_percent = 200"))
    code, _, err = run(capsys, "campaign", "check", str(bad))
    assert code == 2 and err.count("\n") == 1
    assert "phases[0].offers[0].discount_percent: 200 is out of range" in err and str(bad) in err


def test_cli_check_warns_about_models_missing_from_the_store(capsys, tmp_path) -> None:
    import pyarrow as pa

    from devicepark.store import Store
    from devicepark.store.schema import SCHEMAS

    store = Store.create(tmp_path / "store")
    rows = [
        {"tac": "86000001", "vendor": "Xiaomi", "model": "Redmi Note 11", "marketing_name": None},
        {
            "tac": "86000002",
            "vendor": "Xiaomi",
            "model": "2107113SG",
            "marketing_name": "Xiaomi 11T",
        },
    ]
    schema = SCHEMAS["catalog"]
    table = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)
    with store.transaction() as tx:
        tx.write("catalog", table)
    code, out, _ = run(
        capsys,
        "campaign",
        "check",
        str(EXAMPLE),
        "--store",
        str(tmp_path / "store"),
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out)["warnings"] == [
        "phases[0].offers[0].model: 'Xiaomi 11T Pro' is not in the store's catalog"
    ]
    code, out, _ = run(
        capsys, "campaign", "check", str(EXAMPLE), "--store", str(tmp_path / "store")
    )
    assert "warning / avertissement: phases[0].offers[0].model: 'Xiaomi 11T Pro'" in out
