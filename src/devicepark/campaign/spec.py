"""Campaign files (TOML): load, validate and hold a promotion's window, offers, phases and audience.

``load_campaign(path)`` returns a frozen ``Campaign`` or raises one ``ConfigError`` naming the file
and, for every problem found, the dotted key, what is wrong and what is allowed.

The pydantic models below are the one description of a campaign file: they validate it, they are
what callers read, and ``campaign_json_schema()`` publishes them as the JSON Schema that editors
can check files against (``docs/campaign.schema.json``; rewrite it with ``write_json_schema``).

Time rules (all instants are timezone-aware, in the campaign's zone):

- a local date ``starts = 2022-02-03`` means 00:00 local that day;
- a local date ``ends = 2022-02-09`` includes that whole day: the exclusive end is 00:00 local on
  the next day (so a window is always ``starts <= t < ends``);
- a local datetime is exact (for ``ends``, an exclusive end); one that falls in a daylight-saving
  gap does not exist and is an error; one in the repeated hour means its first occurrence;
- a datetime with an offset is taken as written.

>>> import tomllib
>>> c = parse_campaign(tomllib.loads(EXAMPLE), "example.toml")
>>> c.starts.isoformat(), c.ends.isoformat()
('2022-02-03T00:00:00+01:00', '2022-02-10T00:00:00+01:00')
>>> c.first_day.isoformat(), c.last_day.isoformat()
('2022-02-03', '2022-02-09')
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from devicepark.errors import ConfigError

Channel = Literal["store", "online"]
Segment = Literal["consumer", "business", "m2m"]
CHANNELS: tuple[str, ...] = get_args(Channel)
SEGMENTS: tuple[str, ...] = get_args(Segment)
UTC = dt.UTC

EXAMPLE = """
id = "semaine-xiaomi-2022"
name = "Semaine Xiaomi Orange"
vendor = "Xiaomi"
timezone = "Europe/Paris"
starts = 2022-02-03
ends = 2022-02-09
channels = ["store", "online"]
operator_brands = ["Orange"]

[[offers]]
model = "Redmi Note 11"
list_price = 199.99
discount_amount = 30
channels = ["online"]

[[phases]]
name = "surprise"
starts = 2022-02-04
ends = 2022-02-04
[[phases.offers]]
model = "Xiaomi 11T Pro"
list_price = 649.99
discount_percent = 20

[audience]
segments = ["consumer"]
exclude_vendors = ["Xiaomi"]
min_device_age_months = 24
holdout_share = 0.1
"""

# -- problems --------------------------------------------------------------------------------
#
# Every rule raises a ``campaign`` error whose context holds what is wrong and what is allowed;
# ``parse_campaign`` turns each into the line ``key: what; allowed: allowed``. A problem's
# ``after`` (a key of its table) places it after that key's problems, where a file reader expects
# it (the table's problems otherwise follow its keys: unknown keys first, then the keys in order).

_PROBLEM = "campaign"
_TEMPLATE = "{what}; allowed: {allowed}"
_A_TEXT = "a non-empty string"
_A_NUMBER = "a finite number"
_A_INSTANT = "a TOML date (2022-02-03), local datetime (2022-02-03T10:00:00) or offset datetime"


def _problem(what: str, allowed: str, *, after: str | None = None) -> PydanticCustomError:
    ctx = {"what": what, "allowed": allowed}
    if after is not None:
        ctx["after"] = after
    return PydanticCustomError(_PROBLEM, _TEMPLATE, ctx)


@dataclass(frozen=True)
class _Needs:
    """Field metadata: what a required key allows, for its ``missing`` problem."""

    allowed: str


@dataclass
class _Scope:
    """The validation context of a campaign's nested tables: what its own keys say (zone, window,
    channels, each as validated, None when wrong) and the phase names seen so far."""

    zone: ZoneInfo | None = None
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    channels: tuple[str, ...] = CHANNELS
    phase_names: set[str] = field(default_factory=set)

    def inside(self) -> str:
        if self.starts is None or self.ends is None:
            return "within the campaign window"
        return f"within the campaign window [{self.starts.isoformat()}, {self.ends.isoformat()})"


def _scope(info: ValidationInfo) -> _Scope:
    """The scope a table is validated in (an offer on its own: every channel)."""
    return info.context if isinstance(info.context, _Scope) else _Scope()


# -- values ----------------------------------------------------------------------------------
#
# Each checker takes a value as TOML gives it and returns it as the models hold it, or raises a
# problem. The ``json_schema_input_type`` next to each one describes what the file may hold.


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _problem(f"{value!r} is not a non-empty string", _A_TEXT)
    return value.strip()


def _strings(
    choices: tuple[str, ...] = (), *, nonempty: bool = True
) -> Callable[[object], tuple[str, ...]]:
    """A checker of lists of strings (stripped, without repeats), from ``choices`` if given."""
    allowed = _list_allowed(choices)

    def check(value: object) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(
            isinstance(x, str) and x.strip() for x in value
        ):
            raise _problem(f"{value!r} is not a list of non-empty strings", allowed)
        if nonempty and not value:
            raise _problem("is empty", allowed + " (at least one)")
        items = tuple(dict.fromkeys(x.strip() for x in value))
        bad = [x for x in items if x not in choices] if choices else []
        if bad:
            raise _problem("unknown value " + ", ".join(repr(b) for b in bad), allowed)
        return items

    return check


def _list_allowed(choices: tuple[str, ...] = ()) -> str:
    if not choices:
        return "a list of strings"
    return "a list of " + ", ".join(f'"{c}"' for c in choices)


_TAC = re.compile(r"^[0-9]{8}$")


def _tacs(value: object) -> tuple[str, ...]:
    tacs = _strings()(value)
    bad = [t for t in tacs if not _TAC.match(t)]
    if bad:
        raise _problem("not a TAC: " + ", ".join(repr(b) for b in bad), "8-digit strings")
    return tacs


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _problem(f"{value!r} is not a number", _A_NUMBER)
    return float(value)


def _zone(value: object) -> ZoneInfo:
    if isinstance(value, ZoneInfo):  # a campaign built from another's values
        return value
    name = _text(value)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, e.g. "Europe"
        raise _problem(
            f"{name!r} is not a known time zone", "an IANA zone such as Europe/Paris"
        ) from None


def _instant(value: object, zone: ZoneInfo | None, *, end: bool) -> dt.datetime | None:
    """A TOML date or datetime (or a quoted one) as an instant in ``zone``; None without a zone
    (the zone is wrong and its own problem says so)."""
    raw = value
    if isinstance(value, str):  # be kind to quoted values
        try:
            value = (
                dt.datetime.fromisoformat(value)
                if "T" in value or " " in value
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            raise _problem(f"{raw!r} is not a date or datetime", _A_INSTANT) from None
    if isinstance(value, dt.time) or not isinstance(value, dt.date):
        raise _problem(f"{value!r} is not a date or datetime", _A_INSTANT)
    if zone is None:
        return None

    def gap(what: str) -> None:
        raise _problem(what, _A_INSTANT)

    return to_instant(value, zone, end=end, on_error=gap)


def _quietly(check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A checker's result, or None when it finds a problem (reported where the key is)."""
    try:
        return check(*args, **kwargs)
    except PydanticCustomError:
        return None


def _ordered(
    data: dict[str, Any], zone: ZoneInfo | None, allowed: str
) -> tuple[dt.datetime | None, dt.datetime | None, list[tuple[tuple[str, ...], Any]]]:
    """A table's starts and ends (None when wrong), and the problem when ends is not after."""
    starts = _quietly(_instant, data["starts"], zone, end=False) if "starts" in data else None
    ends = _quietly(_instant, data["ends"], zone, end=True) if "ends" in data else None
    if starts is None or ends is None or _utc(ends) > _utc(starts):
        return starts, ends, []
    what = f"{ends.isoformat()} is not after starts {starts.isoformat()}"
    return starts, ends, [(("ends",), _problem(what, allowed, after="ends"))]


_NonEmpty = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]
_Strings = Annotated[list[_NonEmpty], Field(min_length=1)]
_TomlInstant = Annotated[
    str,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "description": "a local date"},
                {
                    "type": "string",
                    "pattern": r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$",
                    "description": "a local datetime, in the campaign's time zone",
                },
                {"type": "string", "format": "date-time", "description": "an offset datetime"},
            ]
        }
    ),
]
_Text = Annotated[str, PlainValidator(_text, json_schema_input_type=_NonEmpty)]
_Channels = Annotated[list[Channel], Field(min_length=1)]


# -- models ----------------------------------------------------------------------------------


class _Table(BaseModel):
    """A TOML table: frozen, no unknown keys, every problem reported (see ``_problem``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
    _as_table: ClassVar[str] = "a TOML table"

    @classmethod
    def _table_problems(
        cls, data: dict[str, Any], info: ValidationInfo
    ) -> list[tuple[tuple[str, ...], Any]]:
        """Problems of keys taken together, as (key path, problem); checked on the raw table."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        if isinstance(data, cls):
            return handler(data)
        if not isinstance(data, dict):
            raise _problem("is not a table", cls._as_table)
        keys = list(cls.model_fields)
        found: list[InitErrorDetails] = [
            {"type": _problem("unknown key", "one of " + ", ".join(keys)), "loc": (k,), "input": v}
            for k, v in data.items()
            if k not in cls.model_fields
        ]
        found += [
            {"type": p, "loc": loc, "input": data} for loc, p in cls._table_problems(data, info)
        ]
        try:
            value = handler({k: v for k, v in data.items() if k in cls.model_fields})
        except ValidationError as exc:
            found += [cls._restate(e) for e in exc.errors()]
        else:
            if not found:
                return value
        found.sort(key=cls._place)  # stable: problems of one place keep their order
        raise ValidationError.from_exception_data(cls.__name__, found)

    @classmethod
    def _restate(cls, error: Any) -> InitErrorDetails:
        """A problem pydantic found, as a campaign problem."""
        loc = error["loc"]
        if error["type"] == _PROBLEM:
            problem = PydanticCustomError(_PROBLEM, _TEMPLATE, error["ctx"])
        elif error["type"] == "missing" and len(loc) == 1 and loc[0] in cls.model_fields:
            meta = cls.model_fields[str(loc[0])].metadata
            needs = next((m.allowed for m in meta if isinstance(m, _Needs)), "a value")
            problem = _problem("missing", needs)
        else:  # not expected: every key has its own checker
            problem = _problem(error["msg"], "see docs/campaign.schema.json")
        return {"type": problem, "loc": loc, "input": error["input"]}

    @classmethod
    def _place(cls, error: InitErrorDetails) -> float:
        """Where a problem goes among this table's: unknown keys, then key by key (``after`` is
        a hint for this table only, not for the tables it holds: their problems are placed)."""
        keys = list(cls.model_fields)
        loc = error.get("loc", ())
        problem = error["type"]
        ctx = (problem.context or {}) if isinstance(problem, PydanticCustomError) else {}
        after = ctx.get("after")
        if len(loc) <= 1 and after in keys:
            return keys.index(str(after)) + 0.5
        if loc:
            return keys.index(str(loc[0])) if loc[0] in keys else -1
        return len(keys)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")
        super().__setattr__(name, value)  # pydantic's private attributes

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")


class Offer(_Table):
    """A discount on one model (or a list of TACs), on some channels."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {"anyOf": [{"required": ["model"]}, {"required": ["tacs"]}]},
                {"oneOf": [{"required": ["discount_amount"]}, {"required": ["discount_percent"]}]},
            ]
        }
    )

    model: Annotated[str | None, PlainValidator(_text, json_schema_input_type=_NonEmpty)] = None
    """The model, as in the TAC catalog (compared case-insensitively); or give `tacs`."""
    tacs: Annotated[
        tuple[str, ...],
        PlainValidator(
            _tacs,
            json_schema_input_type=Annotated[
                list[Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]],
                Field(min_length=1),
            ],
        ),
    ] = ()
    """The handsets' TACs (8 digits), instead of or besides `model`."""
    list_price: Annotated[float, _Needs("a number >= 0")]
    """The price before the discount."""
    discount_amount: float | None = None
    """The amount off (at most `list_price`); give this or `discount_percent`."""
    discount_percent: float | None = None
    """The percent off the list price, strictly between 0 and 100."""
    channels: Annotated[tuple[str, ...], Field(default_factory=lambda: CHANNELS)]
    """Where the offer applies: some of the campaign's channels (default: all of them)."""

    @classmethod
    def _table_problems(
        cls, data: dict[str, Any], info: ValidationInfo
    ) -> list[tuple[tuple[str, ...], Any]]:
        found: list[tuple[tuple[str, ...], Any]] = []
        if "model" not in data and "tacs" not in data:
            allowed = 'model = "..." (as in the TAC catalog) or tacs = ["86..."]'
            found.append(((), _problem("names no product", allowed, after="tacs")))
        has_a, has_p = "discount_amount" in data, "discount_percent" in data
        if has_a == has_p:
            what = "has both discount_amount and discount_percent" if has_a else "has no discount"
            allowed = "exactly one of discount_amount or discount_percent"
            found.append(((), _problem(what, allowed, after="list_price")))
        return found

    @field_validator(
        "list_price", mode="plain", json_schema_input_type=Annotated[float, Field(ge=0)]
    )
    @classmethod
    def _list_price(cls, value: object) -> float:
        price = _number(value)
        if price < 0:
            raise _problem(f"{price:g} is below 0", "a number >= 0")
        return price

    @field_validator(
        "discount_amount", mode="plain", json_schema_input_type=Annotated[float, Field(gt=0)]
    )
    @classmethod
    def _discount_amount(cls, value: object, info: ValidationInfo) -> float:
        amount = _number(value)
        allowed = "a number > 0 and <= list_price"
        price = info.data.get("list_price")
        if amount <= 0:
            raise _problem(f"{amount:g} is not above 0", allowed)
        if price is not None and amount > price:
            raise _problem(f"{amount:g} exceeds list_price {price:g} (price below 0)", allowed)
        return amount

    @field_validator(
        "discount_percent",
        mode="plain",
        json_schema_input_type=Annotated[float, Field(gt=0, lt=100)],
    )
    @classmethod
    def _discount_percent(cls, value: object) -> float:
        percent = _number(value)
        if not 0 < percent < 100:
            raise _problem(f"{percent:g} is out of range", "a number strictly between 0 and 100")
        return percent

    @field_validator("channels", mode="plain", json_schema_input_type=_Channels)
    @classmethod
    def _channels(cls, value: object, info: ValidationInfo) -> tuple[str, ...]:
        campaign = _scope(info).channels
        own = _strings(CHANNELS)(value)
        extra = [c for c in own if c not in campaign]
        if extra:
            raise _problem(
                f"{', '.join(extra)} not among the campaign's channels",
                "a subset of " + ", ".join(campaign),
            )
        return own

    def model_post_init(self, context: Any, /) -> None:
        if "channels" not in self.model_fields_set:  # the campaign's: filled in before use
            channels = context.channels if isinstance(context, _Scope) else CHANNELS
            object.__setattr__(self, "channels", channels)

    @property
    def label(self) -> str:
        """The model name, or the TACs when the offer names TACs only."""
        return self.model if self.model is not None else ",".join(self.tacs)

    @property
    def key(self) -> str:
        """What two offers must share to be the same product (model case-insensitive, or TACs)."""
        return (
            f"model:{self.model.casefold()}"
            if self.model is not None
            else "tacs:" + ",".join(self.tacs)
        )

    def discount_on(self, list_price: float) -> float:
        """The amount off a given list price (a percent applies to that price).

        >>> Offer(model="X", list_price=200.0, discount_percent=15.0).discount_on(200.0)
        30.0
        """
        if self.discount_amount is not None:
            return float(self.discount_amount)
        assert self.discount_percent is not None
        return round(list_price * self.discount_percent / 100.0, 2)

    @property
    def discount(self) -> float:
        """The amount off this offer's own list price, never more than the list price."""
        return min(self.discount_on(self.list_price), self.list_price)

    @property
    def price(self) -> float:
        """The price to charge: list price less the discount, never below 0.

        >>> Offer(model="X", list_price=199.99, discount_amount=30.0).price
        169.99
        """
        return round(max(self.list_price - self.discount, 0.0), 2)


def _nested(adapter: TypeAdapter[Any], value: object, info: ValidationInfo, scope: _Scope) -> Any:
    """Validate ``[[offers]]`` or ``[[phases]]`` tables in a campaign's scope."""
    if not isinstance(value, list | tuple) or not all(isinstance(x, dict | _Table) for x in value):
        raise _problem("is not a list of tables", f"[[{info.field_name}]] tables")
    return adapter.validate_python(value, context=scope)


class Phase(_Table):
    """A part of the window with extra offers (e.g. a surprise on day 2); ``ends`` is exclusive."""

    name: Annotated[str, _Needs(_A_TEXT)]
    """The phase's name, unique among the campaign's phases."""
    starts: Annotated[dt.datetime, _Needs(_A_INSTANT)]
    """The first day or instant, within the campaign's window."""
    ends: Annotated[dt.datetime, _Needs(_A_INSTANT)]
    """The last day (included) or the exclusive end instant, within the campaign's window."""
    offers: tuple[Offer, ...] = ()
    """Offers that apply during the phase only."""

    @classmethod
    def _table_problems(
        cls, data: dict[str, Any], info: ValidationInfo
    ) -> list[tuple[tuple[str, ...], Any]]:
        scope = _scope(info)
        starts, ends, found = _ordered(data, scope.zone, "an end on or after the phase's start day")
        if scope.starts is None or scope.ends is None:
            return found
        if starts is not None and _utc(starts) < _utc(scope.starts):
            what = f"{starts.isoformat()} is before the campaign starts"
            found.append((("starts",), _problem(what, scope.inside(), after="ends")))
        if ends is not None and _utc(ends) > _utc(scope.ends):
            what = f"{ends.isoformat()} is after the campaign ends"
            found.append((("ends",), _problem(what, scope.inside(), after="ends")))
        return found

    @field_validator("name", mode="plain", json_schema_input_type=_NonEmpty)
    @classmethod
    def _unique_name(cls, value: object, info: ValidationInfo) -> str:
        name = _text(value)
        seen = _scope(info).phase_names
        if name in seen:
            raise _problem(f"{name!r} is used twice", "a name unique among phases")
        seen.add(name)
        return name

    @field_validator("starts", "ends", mode="plain", json_schema_input_type=_TomlInstant)
    @classmethod
    def _instants(cls, value: object, info: ValidationInfo) -> dt.datetime | None:
        if not isinstance(info.context, _Scope):
            raise TypeError("a phase is validated within its campaign (parse_campaign)")
        return _instant(value, info.context.zone, end=info.field_name == "ends")

    @field_validator("offers", mode="plain", json_schema_input_type=list[Offer])
    @classmethod
    def _offers(cls, value: object, info: ValidationInfo) -> tuple[Offer, ...]:
        offers: tuple[Offer, ...] = _nested(_OFFERS, value, info, _scope(info))
        return offers

    def contains(self, at: dt.datetime) -> bool:
        return _utc(self.starts) <= _utc(at) < _utc(self.ends)


class Audience(_Table):
    """Whom to tell: eligible lines at the campaign start, with a random holdout."""

    _as_table: ClassVar[str] = "an [audience] table"

    segments: Annotated[
        tuple[str, ...],
        PlainValidator(
            _strings(SEGMENTS),
            json_schema_input_type=Annotated[list[Segment], Field(min_length=1)],
        ),
    ] = ("consumer", "business")
    """The lines' segments to include."""
    exclude_vendors: Annotated[
        tuple[str, ...],
        PlainValidator(_strings(nonempty=False), json_schema_input_type=list[_NonEmpty]),
    ] = ()
    """Leave out lines whose current handset is of these vendors."""
    min_device_age_months: int = 0
    """Only lines whose current handset is at least this many months old."""
    holdout_share: float = 0.0
    """The share of eligible lines held out at random, to measure against (e.g. 0.1)."""

    @field_validator(
        "min_device_age_months", mode="plain", json_schema_input_type=Annotated[int, Field(ge=0)]
    )
    @classmethod
    def _months(cls, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _problem(f"{value!r} is not a whole number >= 0", "0, 1, 2, ... months")
        return value

    @field_validator(
        "holdout_share", mode="plain", json_schema_input_type=Annotated[float, Field(ge=0, lt=1)]
    )
    @classmethod
    def _share(cls, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            raise _problem(f"{value!r} is out of range", "a number >= 0 and < 1 (e.g. 0.1)")
        return float(value)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class Campaign(_Table):
    """A validated campaign; ``starts <= t < ends`` is the window, in ``timezone``."""

    id: Annotated[str, _Needs(_A_TEXT)]
    """The campaign's identifier: letters, digits, '.', '_' and '-'."""
    name: Annotated[_Text, Field(default_factory=str)]
    """A name for people (default: the id)."""
    vendor: Annotated[_Text, _Needs(_A_TEXT)]
    """The handset vendor whose models are on offer, as in the TAC catalog."""
    timezone: Annotated[
        ZoneInfo,
        PlainValidator(_zone, json_schema_input_type=_NonEmpty),
        _Needs(_A_TEXT),
    ]
    """The IANA time zone that local dates and datetimes are read in, e.g. Europe/Paris."""
    starts: Annotated[dt.datetime, _Needs(_A_INSTANT)]
    """The first day (from 00:00 local) or instant of the window."""
    ends: Annotated[dt.datetime, _Needs(_A_INSTANT)]
    """The last day (included) or the exclusive end instant of the window."""
    channels: Annotated[
        tuple[str, ...], PlainValidator(_strings(CHANNELS), json_schema_input_type=_Channels)
    ] = CHANNELS
    """Where the campaign runs."""
    operator_brands: Annotated[
        tuple[str, ...],
        PlainValidator(_strings(), json_schema_input_type=_Strings),
        _Needs(_list_allowed()),
    ]
    """The operator's brands whose shops and lines take part."""
    offers: tuple[Offer, ...] = ()
    """The campaign's offers, for its whole window."""
    phases: tuple[Phase, ...] = ()
    """Parts of the window with offers of their own."""
    audience: Audience | None = None
    """Whom to tell (optional)."""
    stack: bool = False
    """Whether the discounts on one product add up (true) or the best single one wins (false)."""

    _source: str = PrivateAttr(default="")

    @classmethod
    def _table_problems(
        cls, data: dict[str, Any], info: ValidationInfo
    ) -> list[tuple[tuple[str, ...], Any]]:
        zone = _quietly(_zone, data["timezone"]) if "timezone" in data else None
        allowed = "an end on or after the start day (a date end includes its whole day)"
        return _ordered(data, zone, allowed)[2]

    @field_validator("id", mode="plain", json_schema_input_type=Annotated[str, Field(pattern=_ID)])
    @classmethod
    def _id(cls, value: object) -> str:
        cid = _text(value)
        if not _ID.match(cid):
            raise _problem(
                f"{cid!r} has spaces or symbols",
                "letters, digits, '.', '_' and '-' (e.g. semaine-xiaomi-2022)",
            )
        return cid

    @field_validator("starts", "ends", mode="plain", json_schema_input_type=_TomlInstant)
    @classmethod
    def _instants(cls, value: object, info: ValidationInfo) -> dt.datetime | None:
        return _instant(value, info.data.get("timezone"), end=info.field_name == "ends")

    @field_validator("offers", mode="plain", json_schema_input_type=list[Offer])
    @classmethod
    def _offers(cls, value: object, info: ValidationInfo) -> tuple[Offer, ...]:
        offers: tuple[Offer, ...] = _nested(_OFFERS, value, info, cls._scope_of(info))
        return offers

    @field_validator("phases", mode="plain", json_schema_input_type=list[Phase])
    @classmethod
    def _phases(cls, value: object, info: ValidationInfo) -> tuple[Phase, ...]:
        result: tuple[Phase, ...] = _nested(_PHASES, value, info, cls._scope_of(info))
        return result

    @staticmethod
    def _scope_of(info: ValidationInfo) -> _Scope:
        """What the campaign's keys validated so far tell its nested tables."""
        return _Scope(
            zone=info.data.get("timezone"),
            starts=info.data.get("starts"),
            ends=info.data.get("ends"),
            channels=info.data.get("channels", CHANNELS),
        )

    @field_validator("audience", mode="plain", json_schema_input_type=Audience)
    @classmethod
    def _audience(cls, value: object) -> Audience:
        return Audience.model_validate(value)  # a table (TOML has no null)

    @field_validator("stack", mode="plain", json_schema_input_type=bool)
    @classmethod
    def _stack(cls, value: object) -> bool:
        if not isinstance(value, bool):
            raise _problem(
                f"{value!r} is not true or false",
                "true (discounts add up) or false (best single discount)",
                after="operator_brands",  # where it has always been reported
            )
        return value

    def model_post_init(self, context: Any, /) -> None:
        if "name" not in self.model_fields_set:  # defaults to the id: filled in before use
            object.__setattr__(self, "name", self.id)
        if isinstance(context, _Source):
            self._source = context.source

    @property
    def source(self) -> str:
        """The file the campaign was read from (or the name given to ``parse_campaign``)."""
        return self._source

    def contains(self, at: dt.datetime) -> bool:
        """Whether an aware instant lies in the window (compared in UTC, so DST-proof)."""
        return _utc(self.starts) <= _utc(at) < _utc(self.ends)

    @property
    def first_day(self) -> dt.date:
        """The first local calendar day the window touches."""
        return self.starts.astimezone(self.timezone).date()

    @property
    def last_day(self) -> dt.date:
        """The last local calendar day the window touches (ends is exclusive)."""
        return (self.ends.astimezone(self.timezone) - dt.timedelta(microseconds=1)).date()

    def days(self) -> list[dt.date]:
        """Every local day of the window, first to last."""
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=i) for i in range(max(n, 0))]

    def all_offers(self) -> list[tuple[str | None, Offer]]:
        """Every offer with the phase it belongs to (None for the campaign's own)."""
        items: list[tuple[str | None, Offer]] = [(None, o) for o in self.offers]
        for phase in self.phases:
            items.extend((phase.name, o) for o in phase.offers)
        return items


_OFFERS: TypeAdapter[tuple[Offer, ...]] = TypeAdapter(tuple[Offer, ...])
_PHASES: TypeAdapter[tuple[Phase, ...]] = TypeAdapter(tuple[Phase, ...])


@dataclass(frozen=True)
class _Source:
    """The validation context of a whole campaign: the name of its file."""

    source: str


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC)


# -- loading -------------------------------------------------------------------------------


def load_campaign(path: str | Path) -> Campaign:
    """Read and validate a campaign TOML file; raise ConfigError listing every problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: campaign file not found") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read campaign file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: campaign file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return parse_campaign(data, str(p))


def parse_campaign(data: dict[str, Any], source: str = "<campaign>") -> Campaign:
    """Validate an already-parsed TOML document (see ``load_campaign``)."""
    try:
        return Campaign.model_validate(data, context=_Source(source))
    except ValidationError as exc:
        lines = [_line(e) for e in exc.errors()]
    n = len(lines)
    raise ConfigError(
        f"{source}: {n} problem{'s' if n != 1 else ''} in campaign file: " + "; ".join(lines)
    ) from None


def _line(error: Any) -> str:
    """``phases[0].offers[1].discount_percent: what is wrong; allowed: what is allowed``."""
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
    ctx = error.get("ctx") or {}
    text = (
        _TEMPLATE.format(what=ctx["what"], allowed=ctx["allowed"])
        if error["type"] == _PROBLEM
        else error["msg"]
    )
    return f"{key.removeprefix('.')}: {text}" if key else text


def check_campaign(
    campaign: Campaign, catalog_models: Iterable[str], catalog_tacs: Iterable[str] | None = None
) -> list[str]:
    """Warnings that do not stop a campaign: offers whose model (or TAC) is not in the catalog.

    Models are compared case-insensitively; pass the catalog's ``model`` (and, if you like,
    ``marketing_name``) values. TACs are checked only when ``catalog_tacs`` is given.

    >>> import tomllib
    >>> c = parse_campaign(tomllib.loads(EXAMPLE))
    >>> check_campaign(c, ["redmi note 11"])
    ["phases[0].offers[0].model: 'Xiaomi 11T Pro' is not in the store's catalog"]
    """
    models = {m.casefold() for m in catalog_models if m}
    tacs = set(catalog_tacs) if catalog_tacs is not None else None
    warnings = []
    for where, offer in _offer_paths(campaign):
        if offer.model is not None and offer.model.casefold() not in models:
            warnings.append(f"{where}.model: {offer.model!r} is not in the store's catalog")
        if tacs is not None:
            missing = [t for t in offer.tacs if t not in tacs]
            if missing:
                warnings.append(f"{where}.tacs: {', '.join(missing)} not in the store's catalog")
    return warnings


def _offer_paths(campaign: Campaign) -> list[tuple[str, Offer]]:
    items = [(f"offers[{i}]", o) for i, o in enumerate(campaign.offers)]
    for j, phase in enumerate(campaign.phases):
        items.extend((f"phases[{j}].offers[{i}]", o) for i, o in enumerate(phase.offers))
    return items


def to_instant(
    value: dt.date | dt.datetime, tz: ZoneInfo, *, end: bool = False, on_error: Any = None
) -> dt.datetime | None:
    """A TOML date/datetime as an aware instant in ``tz`` (see the module's time rules).

    >>> paris = ZoneInfo("Europe/Paris")
    >>> to_instant(dt.date(2022, 3, 27), paris, end=True).isoformat()  # the 23-hour day
    '2022-03-28T00:00:00+02:00'
    >>> to_instant(dt.datetime(2022, 10, 30, 2, 30), paris).isoformat()  # repeated hour: first one
    '2022-10-30T02:30:00+02:00'
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(tz)
        local = value.replace(tzinfo=tz, fold=0)
        back = local.astimezone(UTC).astimezone(tz)
        if back.replace(tzinfo=None) != value:
            what = f"{value.isoformat()} does not exist in {tz.key} (daylight-saving gap)"
            if on_error is None:
                raise ConfigError(what)
            on_error(what)
            return None
        return local
    day = value + dt.timedelta(days=1) if end else value
    # local midnight; a zone that skips midnight gets the first instant after the gap
    local = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return local.astimezone(UTC).astimezone(tz)


def summary(campaign: Campaign) -> dict[str, Any]:
    """A campaign at a glance: the keys of ``campaign check --format json`` (less ``valid`` and
    ``warnings``) and of the API's campaign listing."""
    audience = campaign.audience
    return {
        "campaign": campaign.id,
        "name": campaign.name,
        "vendor": campaign.vendor,
        "timezone": campaign.timezone.key,
        "starts": campaign.starts.isoformat(),
        "ends": campaign.ends.isoformat(),
        "days": len(campaign.days()),
        "channels": list(campaign.channels),
        "operator_brands": list(campaign.operator_brands),
        "stack": campaign.stack,
        "offers": len(campaign.offers),
        "phases": [
            {"name": p.name, "starts": p.starts.isoformat(), "ends": p.ends.isoformat(),
             "offers": len(p.offers)}
            for p in campaign.phases
        ],  # fmt: skip
        "audience": None
        if audience is None
        else {
            "segments": list(audience.segments),
            "exclude_vendors": list(audience.exclude_vendors),
            "min_device_age_months": audience.min_device_age_months,
            "holdout_share": audience.holdout_share,
        },
    }


# -- JSON Schema ---------------------------------------------------------------------------

JSON_SCHEMA_PATH = "docs/campaign.schema.json"


def campaign_json_schema() -> dict[str, Any]:
    """The JSON Schema of a campaign file, from the models (TOML dates as JSON strings)."""
    schema = Campaign.model_json_schema(mode="validation")
    _drop_null_defaults(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "devicepark campaign file",
        "description": (
            "A promotion's window, offers, phases and audience (TOML), as `devicepark campaign "
            "check` validates it. Dates and datetimes are TOML values, shown here as strings."
        ),
    }


def _drop_null_defaults(node: Any) -> None:
    """TOML has no null: an optional key is simply left out."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


def json_schema_text() -> str:
    """``campaign_json_schema()`` as the text of ``docs/campaign.schema.json``."""
    return json.dumps(campaign_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_json_schema(path: str | Path = JSON_SCHEMA_PATH) -> Path:
    """Write the campaign file's JSON Schema (run from the repository's root by default)."""
    p = Path(path)
    p.write_text(json_schema_text(), encoding="utf-8")
    return p
