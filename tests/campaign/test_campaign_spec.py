"""Campaign files: loading, time rules across DST, and every validation rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from campaign_store import EXAMPLE, D, head, toml
from hypothesis import given, settings
from hypothesis import strategies as st

from devicepark.campaign.spec import check_campaign, load_campaign
from devicepark.errors import ConfigError

BASE = head()


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def errors_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_campaign(write(tmp_path, text))
    msg = str(info.value)
    assert "\n" not in msg
    assert str(tmp_path / "c.toml") in msg
    return msg


def test_example_loads_with_exclusive_end_at_next_local_midnight() -> None:
    c = load_campaign(EXAMPLE)
    assert (
        c.id == "semaine-xiaomi-2022" and c.vendor == "Xiaomi" and c.operator_brands == ("Orange",)
    )
    assert c.starts.isoformat() == "2022-02-03T00:00:00+01:00"
    assert c.ends.isoformat() == "2022-02-10T00:00:00+01:00"
    assert c.starts.astimezone(dt.UTC) == dt.datetime(2022, 2, 2, 23, tzinfo=dt.UTC)
    assert (c.first_day, c.last_day) == (dt.date(2022, 2, 3), dt.date(2022, 2, 9))
    assert len(c.days()) == 7
    (phase,) = c.phases
    assert phase.name == "surprise"
    assert phase.starts.isoformat() == "2022-02-04T00:00:00+01:00"
    assert phase.ends.isoformat() == "2022-02-05T00:00:00+01:00"
    assert phase.offers[0].discount_percent == 20
    assert c.offers[0].channels == ("online",) and c.offers[1].channels == ("store", "online")
    assert c.audience is not None and c.audience.holdout_share == 0.1
    assert c.audience.min_device_age_months == 24 and c.audience.exclude_vendors == ("Xiaomi",)
    assert c.stack is False


def test_campaign_is_frozen() -> None:
    c = load_campaign(EXAMPLE)
    with pytest.raises(AttributeError):
        c.id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("starts", "ends", "utc_start", "utc_end", "hours"),
    [
        # spring forward: 27 March 2022 has 23 hours in Paris
        ("2022-03-27", "2022-03-27", "2022-03-26T23:00:00+00:00", "2022-03-27T22:00:00+00:00", 23),
        # fall back: 30 October 2022 has 25 hours
        ("2022-10-30", "2022-10-30", "2022-10-29T22:00:00+00:00", "2022-10-30T23:00:00+00:00", 25),
        # a week spanning the change
        ("2022-03-26", "2022-03-28", "2022-03-25T23:00:00+00:00", "2022-03-28T22:00:00+00:00", 71),
        # local datetimes are exact; an end datetime is exclusive
        (
            "2022-03-27T01:00:00",
            "2022-03-27T04:00:00",
            "2022-03-27T00:00:00+00:00",
            "2022-03-27T02:00:00+00:00",
            2,
        ),
        (
            "2022-10-30T01:00:00",
            "2022-10-30T04:00:00",
            "2022-10-29T23:00:00+00:00",
            "2022-10-30T03:00:00+00:00",
            4,
        ),
    ],
)
def test_window_is_right_across_daylight_saving(
    tmp_path, starts, ends, utc_start, utc_end, hours
) -> None:
    text = BASE.replace("2022-02-03", starts).replace("2022-02-09", ends)
    c = load_campaign(write(tmp_path, text))
    assert c.starts.astimezone(dt.UTC).isoformat() == utc_start
    assert c.ends.astimezone(dt.UTC).isoformat() == utc_end
    assert (c.ends - c.starts) == dt.timedelta(hours=hours) or (
        c.ends.astimezone(dt.UTC) - c.starts.astimezone(dt.UTC)
    ) == dt.timedelta(hours=hours)


def test_offset_datetime_is_taken_as_written(tmp_path) -> None:
    text = BASE.replace("starts = 2022-02-03", "starts = 2022-02-03T08:00:00Z")
    c = load_campaign(write(tmp_path, text))
    assert c.starts.isoformat() == "2022-02-03T09:00:00+01:00"


def test_nonexistent_local_time_in_the_spring_gap_is_an_error(tmp_path) -> None:
    text = BASE.replace("2022-02-03", "2022-03-27T02:30:00").replace("2022-02-09", "2022-03-28")
    msg = errors_of(tmp_path, text)
    assert "starts: 2022-03-27T02:30:00 does not exist in Europe/Paris" in msg


def test_ends_before_starts(tmp_path) -> None:
    msg = errors_of(tmp_path, BASE.replace("ends = 2022-02-09", "ends = 2022-02-02"))
    assert "ends: 2022-02-03T00:00:00+01:00 is not after starts 2022-02-03T00:00:00+01:00" in msg
    # a one-day campaign (ends = starts as dates) is fine
    load_campaign(write(tmp_path, BASE.replace("ends = 2022-02-09", "ends = 2022-02-03")))
    # but an exact end equal to the start is empty
    errors_of(tmp_path, BASE.replace("ends = 2022-02-09", "ends = 2022-02-03T00:00:00"))


OFFER = toml("[[offers]]", model="Redmi Note 11", list_price=199.99)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "discount_percent = 0",
            "offers[0].discount_percent: 0 is out of range; "
            "allowed: a number strictly between 0 and 100",
        ),
        ("discount_percent = 100", "offers[0].discount_percent: 100 is out of range"),
        ("discount_percent = -5", "offers[0].discount_percent: -5 is out of range"),
        (
            "discount_amount = 250",
            "offers[0].discount_amount: 250 exceeds list_price 199.99 (price below 0)",
        ),
        ("discount_amount = -1", "offers[0].discount_amount: -1 is not above 0"),
        (
            "discount_amount = 10\ndiscount_percent = 10",
            "offers[0]: has both discount_amount and discount_percent; "
            "allowed: exactly one of discount_amount or discount_percent",
        ),
        ("", "offers[0]: has no discount"),
        ('discount_amount = "ten"', "offers[0].discount_amount: 'ten' is not a number"),
        ('discount_amount = 10\nchannels = ["shop"]', "offers[0].channels: unknown value 'shop'"),
        (
            'discount_amount = 10\ncolour = "red"',
            "offers[0].colour: unknown key; allowed: one of model, tacs",
        ),
        (
            'discount_amount = 10\ntacs = ["8612"]',
            "offers[0].tacs: not a TAC: '8612'; allowed: 8-digit strings",
        ),
    ],
)
def test_offer_rules(tmp_path, extra, expected) -> None:
    assert expected in errors_of(tmp_path, BASE + OFFER + extra + "\n")


def test_negative_list_price(tmp_path) -> None:
    msg = errors_of(tmp_path, BASE + OFFER.replace("199.99", "-1") + "discount_percent = 10\n")
    assert "offers[0].list_price: -1 is below 0; allowed: a number >= 0" in msg


def test_offer_channels_must_be_within_the_campaigns(tmp_path) -> None:
    text = BASE + 'channels = ["store"]\n'
    # channels must come before the tables in TOML; rebuild with it at top level
    text = (
        BASE.replace("operator_brands", 'channels = ["store"]\noperator_brands')
        + OFFER
        + ('discount_amount = 10\nchannels = ["online"]\n')
    )
    msg = errors_of(tmp_path, text)
    assert (
        "offers[0].channels: online not among the campaign's channels; allowed: a subset of store"
        in msg
    )


def test_phase_rules_and_nested_key_paths(tmp_path) -> None:
    text = (
        BASE
        + toml("[[phases]]", name="early", starts=D(2022, 2, 1), ends=D(2022, 2, 4))
        + toml("[[phases]]", name="late", starts=D(2022, 2, 8), ends=D(2022, 2, 10), colour="blue")
        + toml("[[phases.offers]]", model="Xiaomi 11T Pro", list_price=649.99, discount_percent=20)
        + toml("[[phases.offers]]", model="Xiaomi 11T", list_price=549.99, discount_percent=120)
    )
    msg = errors_of(tmp_path, text)
    assert "phases[0].starts: 2022-02-01T00:00:00+01:00 is before the campaign starts" in msg
    assert "phases[1].ends: 2022-02-11T00:00:00+01:00 is after the campaign ends" in msg
    assert "phases[1].colour: unknown key" in msg
    assert "phases[1].offers[1].discount_percent: 120 is out of range" in msg
    assert "4 problems" in msg


def test_phase_on_last_day_is_inside(tmp_path) -> None:
    text = BASE + '[[phases]]\nname = "last"\nstarts = 2022-02-09\nends = 2022-02-09\n'
    c = load_campaign(write(tmp_path, text))
    assert c.phases[0].ends == c.ends


def test_top_level_problems_are_all_reported(tmp_path) -> None:
    text = """
id = "bad id"
timezone = "Europe/Pariss"
starts = 2022-02-03
ends = "soon"
operator_brands = []
channels = ["store", "fax"]
budget = 1000
stack = "yes"
"""
    msg = errors_of(tmp_path, text)
    for expected in [
        "budget: unknown key; allowed: one of id, name, vendor",
        "id: 'bad id' has spaces or symbols",
        "vendor: missing; allowed: a non-empty string",
        "timezone: 'Europe/Pariss' is not a known time zone; "
        "allowed: an IANA zone such as Europe/Paris",
        "ends: 'soon' is not a date or datetime",
        "operator_brands: is empty",
        "channels: unknown value 'fax'",
        "stack: 'yes' is not true or false",
    ]:
        assert expected in msg


def test_audience_rules(tmp_path) -> None:
    text = BASE + toml(
        "[audience]",
        segments=["consumer", "retail"],
        min_device_age_months=-3,
        holdout_share=1.5,
        vip=True,
    )
    msg = errors_of(tmp_path, text)
    assert "audience.segments: unknown value 'retail'" in msg
    assert "audience.min_device_age_months: -3 is not a whole number >= 0" in msg
    assert "audience.holdout_share: 1.5 is out of range" in msg
    assert "audience.vip: unknown key" in msg


def test_bad_toml_and_missing_file(tmp_path) -> None:
    msg = errors_of(tmp_path, "id = \n")
    assert "not valid TOML" in msg and "line 1" in msg
    with pytest.raises(ConfigError, match="campaign file not found"):
        load_campaign(tmp_path / "nope.toml")


def test_models_not_in_catalog_are_warnings() -> None:
    c = load_campaign(EXAMPLE)
    warnings = check_campaign(c, ["Redmi Note 11", "xiaomi 11t"])
    assert warnings == ["phases[0].offers[0].model: 'Xiaomi 11T Pro' is not in the store's catalog"]
    assert check_campaign(c, ["Redmi Note 11", "Xiaomi 11T", "Xiaomi 11T Pro"]) == []


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False)


def offer_file(tmp_path_factory, price: float, **discount: float) -> Path:
    """A campaign file whose one offer, of model M at ``price``, has ``discount``."""
    offer = toml("[[offers]]", model="M", list_price=price, **discount)
    return write(tmp_path_factory.mktemp("h"), BASE + offer)


@settings(max_examples=40)
@given(percent=floats(-50, 150), price=floats(0, 2000))
def test_percent_rule_matches_open_interval(tmp_path_factory, percent, price) -> None:
    p = offer_file(tmp_path_factory, price, discount_percent=percent)
    if 0 < percent < 100:
        offer = load_campaign(p).offers[0]
        assert 0 <= offer.price <= price + 0.005  # rounded to cents
    else:
        with pytest.raises(ConfigError, match="discount_percent"):
            load_campaign(p)


@settings(max_examples=40)
@given(amount=floats(-10, 500), price=floats(0, 400))
def test_amount_never_takes_the_price_below_zero(tmp_path_factory, amount, price) -> None:
    p = offer_file(tmp_path_factory, price, discount_amount=amount)
    if 0 < amount <= price:
        assert load_campaign(p).offers[0].price >= 0
    else:
        with pytest.raises(ConfigError, match="discount_amount"):
            load_campaign(p)


# -- the pydantic models keep every message and its place ----------------------------------------

ORDER = (
    head(operator_brands=[], stack="yes", budget=1000)
    + toml("[[offers]]", list_price=-1, colour="red")
    + toml("[[phases]]", name="late", starts=D(2022, 2, 12), ends=D(2022, 2, 11))
    + toml("[[phases]]", name="late", starts=D(2022, 2, 1), ends=D(2022, 1, 31))
    + toml("[[phases.offers]]", model="X", list_price=10, discount_amount=20, channels=["fax"])
)

WINDOW = "within the campaign window [2022-02-03T00:00:00+01:00, 2022-02-10T00:00:00+01:00)"


def test_every_problem_in_the_order_a_reader_meets_it(tmp_path) -> None:
    # unknown keys first, then key by key; stack after operator_brands, a table's own problems
    # between its keys, a phase's window after its ends; the whole message is pinned
    msg = errors_of(tmp_path, ORDER)
    assert msg.split(": ", 1)[1].split("; allowed: ") == [
        "14 problems in campaign file: budget: unknown key",
        "one of id, name, vendor, timezone, starts, ends, channels, operator_brands, offers, "
        "phases, audience, stack; operator_brands: is empty",
        "a list of strings (at least one); stack: 'yes' is not true or false",
        "true (discounts add up) or false (best single discount); offers[0].colour: unknown key",
        "one of model, tacs, list_price, discount_amount, discount_percent, channels; "
        "offers[0]: names no product",
        'model = "..." (as in the TAC catalog) or tacs = ["86..."]; '
        "offers[0].list_price: -1 is below 0",
        "a number >= 0; offers[0]: has no discount",
        "exactly one of discount_amount or discount_percent; phases[0].ends: "
        "2022-02-12T00:00:00+01:00 is not after starts 2022-02-12T00:00:00+01:00",
        "an end on or after the phase's start day; phases[0].ends: 2022-02-12T00:00:00+01:00 is "
        "after the campaign ends",
        f"{WINDOW}; phases[1].name: 'late' is used twice",
        "a name unique among phases; phases[1].ends: 2022-02-01T00:00:00+01:00 is not after "
        "starts 2022-02-01T00:00:00+01:00",
        "an end on or after the phase's start day; phases[1].starts: 2022-02-01T00:00:00+01:00 "
        "is before the campaign starts",
        f"{WINDOW}; phases[1].offers[0].discount_amount: 20 exceeds list_price 10 (price below 0)",
        "a number > 0 and <= list_price; phases[1].offers[0].channels: unknown value 'fax'",
        'a list of "store", "online"',
    ]


def test_missing_keys_say_what_is_allowed(tmp_path) -> None:
    instant = "a TOML date (2022-02-03), local datetime (2022-02-03T10:00:00) or offset datetime"
    msg = errors_of(tmp_path, 'budget = 1\n[[phases]]\n[[phases.offers]]\nmodel = "X"\n')
    assert msg.split(": ", 1)[1] == (
        "12 problems in campaign file: budget: unknown key; allowed: one of id, name, vendor, "
        "timezone, starts, ends, channels, operator_brands, offers, phases, audience, stack; "
        "id: missing; allowed: a non-empty string; "
        "vendor: missing; allowed: a non-empty string; "
        "timezone: missing; allowed: a non-empty string; "
        f"starts: missing; allowed: {instant}; "
        f"ends: missing; allowed: {instant}; "
        "operator_brands: missing; allowed: a list of strings; "
        "phases[0].name: missing; allowed: a non-empty string; "
        f"phases[0].starts: missing; allowed: {instant}; "
        f"phases[0].ends: missing; allowed: {instant}; "
        "phases[0].offers[0].list_price: missing; allowed: a number >= 0; "
        "phases[0].offers[0]: has no discount; "
        "allowed: exactly one of discount_amount or discount_percent"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('offers = "none"\n', "offers: is not a list of tables; allowed: [[offers]] tables"),
        ("phases = [1]\n", "phases: is not a list of tables; allowed: [[phases]] tables"),
        ('audience = "all"\n', "audience: is not a table; allowed: an [audience] table"),
        (
            "[[phases]]\nname = 'p'\nstarts = 2022-02-04\nends = 2022-02-05\noffers = 3\n",
            "phases[0].offers: is not a list of tables; allowed: [[offers]] tables",
        ),
    ],
)
def test_tables_that_are_not_tables(tmp_path, text, expected) -> None:
    msg = errors_of(tmp_path, BASE + text)
    assert msg.endswith("1 problem in campaign file: " + expected)


def test_a_time_zone_folder_is_an_error_not_a_crash(tmp_path) -> None:
    # ZoneInfo("Europe") raises IsADirectoryError: it used to escape as a traceback
    msg = errors_of(tmp_path, BASE.replace('"Europe/Paris"', '"Europe"'))
    assert msg.endswith(
        "1 problem in campaign file: timezone: 'Europe' is not a known time zone; "
        "allowed: an IANA zone such as Europe/Paris"
    )


def test_defaults_taken_from_other_keys(tmp_path) -> None:
    text = (
        BASE.replace("operator_brands", 'channels = ["store"]\noperator_brands')
        + OFFER
        + "discount_amount = 10\n"
        + "[audience]\n"
    )
    c = load_campaign(write(tmp_path, text))
    assert c.name == "c1"  # no name: the id
    assert c.offers[0].channels == ("store",)  # no channels: the campaign's
    assert c.audience is not None
    assert c.audience.segments == ("consumer", "business") and c.audience.holdout_share == 0.0
    assert c.source == str(tmp_path / "c.toml")


def test_offers_phases_and_audience_are_frozen_and_hashable() -> None:
    c = load_campaign(EXAMPLE)
    assert c.audience is not None
    tables = [(c.offers[0], "list_price"), (c.phases[0], "name"), (c.audience, "segments")]
    for table, key in tables:
        with pytest.raises(AttributeError):
            setattr(table, key, None)
    assert hash(c) == hash(load_campaign(EXAMPLE)) and c == load_campaign(EXAMPLE)
    assert c.offers[0].list_price == 199.99 and c.phases[0].name == "surprise"


def test_values_are_cleaned_as_before(tmp_path) -> None:
    text = BASE.replace('["Orange"]', '[" Orange ", "Sosh", "Orange"]').replace(
        '"Xiaomi"', '" Xiaomi "'
    ) + (OFFER + 'discount_percent = 10\ntacs = ["86123456", "86123456"]\n')
    c = load_campaign(write(tmp_path, text))
    assert c.vendor == "Xiaomi" and c.operator_brands == ("Orange", "Sosh")
    offer = c.offers[0]
    assert offer.tacs == ("86123456",) and offer.list_price == 199.99
    assert isinstance(offer.discount_percent, float) and offer.price == 179.99


def test_a_campaign_built_from_anothers_values_is_the_same_campaign() -> None:
    c = load_campaign(EXAMPLE)
    other = type(c)(**{**c.__dict__, "id": "another"})
    assert other.id == "another" and other.timezone == c.timezone
    assert (other.starts, other.ends, other.days()) == (c.starts, c.ends, c.days())
    assert (other.offers, other.phases, other.audience) == (c.offers, c.phases, c.audience)
    assert type(c)(**c.__dict__) == type(c).model_validate(c.__dict__)
