"""The campaign file's JSON Schema: generated from the models, committed current, and it agrees
with the loader on what a campaign file may hold."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from campaign_store import EXAMPLE

from devicepark.campaign.spec import (
    Audience,
    Campaign,
    Offer,
    Phase,
    campaign_json_schema,
    json_schema_text,
    load_campaign,
    write_json_schema,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "campaign.schema.json"
REGENERATE = (
    'python -c "from devicepark.campaign.spec import write_json_schema; write_json_schema()" '
    "(from the repository's root)"
)


def as_json(value: Any) -> Any:
    """A TOML document as an editor's JSON view of it: dates and datetimes become strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == json_schema_text(), (
        f"docs/campaign.schema.json is stale: regenerate it with {REGENERATE}"
    )


def test_write_json_schema_writes_the_same_text(tmp_path) -> None:
    out = write_json_schema(tmp_path / "campaign.schema.json")
    assert out.read_bytes() == SCHEMA.read_bytes()


def test_schema_keys_are_the_models_keys() -> None:
    schema = campaign_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(schema["properties"]) == [
        "id", "name", "vendor", "timezone", "starts", "ends", "channels", "operator_brands",
        "offers", "phases", "audience", "stack",
    ]  # fmt: skip
    assert list(schema["properties"]) == list(Campaign.model_fields)
    assert schema["required"] == [
        "id", "vendor", "timezone", "starts", "ends", "operator_brands",
    ]  # fmt: skip
    for model in (Offer, Phase, Audience):
        definition = schema["$defs"][model.__name__]
        assert list(definition["properties"]) == list(model.model_fields)
        assert definition["additionalProperties"] is False
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Offer"]["required"] == ["list_price"]
    assert schema["$defs"]["Phase"]["required"] == ["name", "starts", "ends"]


def test_toml_dates_and_constraints_map_to_json_schema() -> None:
    schema = campaign_json_schema()
    top, offer = schema["properties"], schema["$defs"]["Offer"]["properties"]
    starts = top["starts"]["anyOf"]
    assert {"type": "string", "format": "date", "description": "a local date"} in starts
    assert [s.get("format") for s in starts] == ["date", None, "date-time"]
    assert starts[1]["pattern"].startswith("^\\d{4}-\\d{2}-\\d{2}[Tt ]")
    assert schema["$defs"]["Phase"]["properties"]["ends"]["anyOf"] == top["ends"]["anyOf"]
    assert top["timezone"]["type"] == "string"
    assert top["id"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9._-]*$"
    assert top["channels"]["items"] == {"enum": ["store", "online"], "type": "string"}
    assert top["stack"] == {
        "default": False,
        "description": (
            "Whether the discounts on one product add up (true) or the best single one wins "
            "(false)."
        ),
        "title": "Stack",
        "type": "boolean",
    }
    assert offer["discount_percent"]["exclusiveMinimum"] == 0
    assert offer["discount_percent"]["exclusiveMaximum"] == 100
    assert offer["list_price"]["minimum"] == 0
    assert offer["tacs"]["items"]["pattern"] == "^[0-9]{8}$"
    assert "default" not in offer["model"]  # TOML has no null: an optional key is left out
    share = schema["$defs"]["Audience"]["properties"]["holdout_share"]
    assert (share["minimum"], share["exclusiveMaximum"]) == (0, 1)


def test_the_example_is_valid_and_broken_files_are_not() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(
        campaign_json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    jsonschema.Draft202012Validator.check_schema(validator.schema)
    doc = as_json(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    load_campaign(EXAMPLE)  # the loader agrees
    assert list(validator.iter_errors(doc)) == []

    broken = copy.deepcopy(doc)
    broken["budget"] = 1000
    broken["channels"] = ["store", "fax"]
    broken["offers"][0]["discount_percent"] = 120  # besides its discount_amount
    del broken["phases"][0]["offers"][0]["model"]  # names no product
    broken["audience"]["holdout_share"] = 1.5
    del broken["vendor"]
    paths = sorted(".".join(str(p) for p in e.absolute_path) for e in validator.iter_errors(broken))
    assert paths == [
        "",  # budget: an unknown key
        "",  # vendor: missing
        "audience.holdout_share",
        "channels.1",
        "offers.0",  # both discounts
        "offers.0.discount_percent",
        "phases.0.offers.0",
    ]
