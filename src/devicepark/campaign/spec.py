"""Campaign files (TOML): load, validate and hold a promotion's window, offers, phases and audience.

``load_campaign(path)`` returns a frozen ``Campaign`` or raises one ``ConfigError`` naming the file
and, for every problem found, the dotted key, what is wrong and what is allowed.

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
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from devicepark.errors import ConfigError

CHANNELS = ("store", "online")
SEGMENTS = ("consumer", "business", "m2m")
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


@dataclass(frozen=True)
class Offer:
    """A discount on one model (or a list of TACs), on some channels."""

    model: str | None
    tacs: tuple[str, ...]
    list_price: float
    discount_amount: float | None
    discount_percent: float | None
    channels: tuple[str, ...]

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

        >>> Offer("X", (), 200.0, None, 15.0, ("store",)).discount_on(200.0)
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

        >>> Offer("X", (), 199.99, 30.0, None, ("store",)).price
        169.99
        """
        return round(max(self.list_price - self.discount, 0.0), 2)


@dataclass(frozen=True)
class Phase:
    """A part of the window with extra offers (e.g. a surprise on day 2); ``ends`` is exclusive."""

    name: str
    starts: dt.datetime
    ends: dt.datetime
    offers: tuple[Offer, ...]

    def contains(self, at: dt.datetime) -> bool:
        return _utc(self.starts) <= _utc(at) < _utc(self.ends)


@dataclass(frozen=True)
class Audience:
    """Whom to tell: eligible lines at the campaign start, with a random holdout."""

    segments: tuple[str, ...] = ("consumer", "business")
    exclude_vendors: tuple[str, ...] = ()
    min_device_age_months: int = 0
    holdout_share: float = 0.0


@dataclass(frozen=True)
class Campaign:
    """A validated campaign; ``starts <= t < ends`` is the window, in ``timezone``."""

    id: str
    name: str
    vendor: str
    timezone: ZoneInfo
    starts: dt.datetime
    ends: dt.datetime
    channels: tuple[str, ...]
    operator_brands: tuple[str, ...]
    offers: tuple[Offer, ...]
    phases: tuple[Phase, ...]
    audience: Audience | None
    stack: bool = False
    source: str = ""

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
    v = _Validator(source)
    campaign = v.campaign(data)
    if v.errors or campaign is None:
        n = len(v.errors)
        raise ConfigError(
            f"{source}: {n} problem{'s' if n != 1 else ''} in campaign file: " + "; ".join(v.errors)
        )
    return campaign


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


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TAC = re.compile(r"^[0-9]{8}$")
_TOP = (
    "id",
    "name",
    "vendor",
    "timezone",
    "starts",
    "ends",
    "channels",
    "operator_brands",
    "offers",
    "phases",
    "audience",
    "stack",
)
_OFFER = ("model", "tacs", "list_price", "discount_amount", "discount_percent", "channels")
_PHASE = ("name", "starts", "ends", "offers")
_AUDIENCE = ("segments", "exclude_vendors", "min_device_age_months", "holdout_share")


class _Validator:
    """Collects every problem (key, what is wrong, what is allowed), not just the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []

    def err(self, key: str, what: str, allowed: str) -> None:
        self.errors.append(f"{key}: {what}; allowed: {allowed}")

    def unknown(self, table: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
        for k in table:
            if k not in known:
                self.err(prefix + k, "unknown key", "one of " + ", ".join(known))

    # -- scalars -------------------------------------------------------------------------
    def string(
        self, table: dict[str, Any], key: str, where: str, *, required: bool = True
    ) -> str | None:
        if key not in table:
            if required:
                self.err(where, "missing", "a non-empty string")
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.err(where, f"{value!r} is not a non-empty string", "a non-empty string")
            return None
        return value.strip()

    def strings(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        *,
        choices: tuple[str, ...] | None = None,
        required: bool = False,
        nonempty: bool = True,
    ) -> tuple[str, ...] | None:
        allowed = (
            ("a list of " + ", ".join(f'"{c}"' for c in choices))
            if choices
            else "a list of strings"
        )
        if key not in table:
            if required:
                self.err(where, "missing", allowed)
            return None
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
            self.err(where, f"{value!r} is not a list of non-empty strings", allowed)
            return None
        if nonempty and not value:
            self.err(where, "is empty", allowed + " (at least one)")
            return None
        items = tuple(dict.fromkeys(x.strip() for x in value))
        if choices:
            bad = [x for x in items if x not in choices]
            if bad:
                self.err(where, "unknown value " + ", ".join(repr(b) for b in bad), allowed)
                return None
        return items

    def number(self, table: dict[str, Any], key: str, where: str) -> float | None:
        value = table[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.err(where, f"{value!r} is not a number", "a finite number")
            return None
        return float(value)

    def instant(
        self, table: dict[str, Any], key: str, where: str, tz: ZoneInfo | None, *, end: bool
    ) -> dt.datetime | None:
        allowed = (
            "a TOML date (2022-02-03), local datetime (2022-02-03T10:00:00) or offset datetime"
        )
        if key not in table:
            self.err(where, "missing", allowed)
            return None
        value = table[key]
        if isinstance(value, str):  # be kind to quoted values
            try:
                value = (
                    dt.datetime.fromisoformat(value)
                    if "T" in value or " " in value
                    else dt.date.fromisoformat(value)
                )
            except ValueError:
                self.err(where, f"{table[key]!r} is not a date or datetime", allowed)
                return None
        if isinstance(value, dt.time) or not isinstance(value, dt.date):
            self.err(where, f"{value!r} is not a date or datetime", allowed)
            return None
        if tz is None:  # the time zone is wrong; its own error says so
            return None
        return to_instant(value, tz, end=end, on_error=lambda what: self.err(where, what, allowed))

    # -- tables --------------------------------------------------------------------------
    def campaign(self, data: dict[str, Any]) -> Campaign | None:
        self.unknown(data, _TOP, "")
        cid = self.string(data, "id", "id")
        if cid is not None and not _ID.match(cid):
            self.err(
                "id",
                f"{cid!r} has spaces or symbols",
                "letters, digits, '.', '_' and '-' (e.g. semaine-xiaomi-2022)",
            )
            cid = None
        name = self.string(data, "name", "name", required=False) or cid
        vendor = self.string(data, "vendor", "vendor")
        tz = self.zone(data)
        starts = self.instant(data, "starts", "starts", tz, end=False)
        ends = self.instant(data, "ends", "ends", tz, end=True)
        if starts is not None and ends is not None and _utc(ends) <= _utc(starts):
            self.err(
                "ends",
                f"{ends.isoformat()} is not after starts {starts.isoformat()}",
                "an end on or after the start day (a date end includes its whole day)",
            )
        channels = self.strings(data, "channels", "channels", choices=CHANNELS)
        channels = (
            channels if channels is not None else CHANNELS if "channels" not in data else None
        )
        brands = self.strings(data, "operator_brands", "operator_brands", required=True)
        stack = data.get("stack", False)
        if not isinstance(stack, bool):
            self.err(
                "stack",
                f"{stack!r} is not true or false",
                "true (discounts add up) or false (best single discount)",
            )
            stack = False
        offers = self.offers(data, "offers", "offers", channels or CHANNELS)
        phases = self.phases(data, tz, starts, ends, channels or CHANNELS)
        audience = self.audience(data)
        if self.errors:
            return None
        assert (
            cid and name and vendor and tz and starts and ends and channels is not None and brands
        )
        return Campaign(
            id=cid,
            name=name,
            vendor=vendor,
            timezone=tz,
            starts=starts,
            ends=ends,
            channels=channels,
            operator_brands=brands,
            offers=offers,
            phases=phases,
            audience=audience,
            stack=stack,
            source=self.source,
        )

    def zone(self, data: dict[str, Any]) -> ZoneInfo | None:
        name = self.string(data, "timezone", "timezone")
        if name is None:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.err(
                "timezone",
                f"{name!r} is not a known time zone",
                "an IANA zone such as Europe/Paris",
            )
            return None

    def offers(
        self, data: dict[str, Any], key: str, where: str, channels: tuple[str, ...]
    ) -> tuple[Offer, ...]:
        if key not in data:
            return ()
        items = data[key]
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            self.err(where, "is not a list of tables", f"[[{key}]] tables")
            return ()
        out = []
        for i, item in enumerate(items):
            offer = self.offer(item, f"{where}[{i}]", channels)
            if offer is not None:
                out.append(offer)
        return tuple(out)

    def offer(self, item: dict[str, Any], where: str, channels: tuple[str, ...]) -> Offer | None:
        n = len(self.errors)
        self.unknown(item, _OFFER, where + ".")
        model = self.string(item, "model", f"{where}.model", required=False)
        tacs: tuple[str, ...] = ()
        if "tacs" in item:
            tacs = self.strings(item, "tacs", f"{where}.tacs") or ()
            bad = [t for t in tacs if not _TAC.match(t)]
            if bad:
                self.err(
                    f"{where}.tacs",
                    "not a TAC: " + ", ".join(repr(b) for b in bad),
                    "8-digit strings",
                )
        if "model" not in item and "tacs" not in item:
            self.err(
                where,
                "names no product",
                'model = "..." (as in the TAC catalog) or tacs = ["86..."]',
            )
        price = None
        if "list_price" not in item:
            self.err(f"{where}.list_price", "missing", "a number >= 0")
        else:
            price = self.number(item, "list_price", f"{where}.list_price")
            if price is not None and price < 0:
                self.err(f"{where}.list_price", f"{price:g} is below 0", "a number >= 0")
                price = None
        amount = percent = None
        has_a, has_p = "discount_amount" in item, "discount_percent" in item
        if has_a == has_p:
            self.err(
                where,
                "has both discount_amount and discount_percent" if has_a else "has no discount",
                "exactly one of discount_amount or discount_percent",
            )
        if has_a:
            amount = self.number(item, "discount_amount", f"{where}.discount_amount")
            if amount is not None and amount <= 0:
                self.err(
                    f"{where}.discount_amount",
                    f"{amount:g} is not above 0",
                    "a number > 0 and <= list_price",
                )
            elif amount is not None and price is not None and amount > price:
                self.err(
                    f"{where}.discount_amount",
                    f"{amount:g} exceeds list_price {price:g} (price below 0)",
                    "a number > 0 and <= list_price",
                )
        if has_p:
            percent = self.number(item, "discount_percent", f"{where}.discount_percent")
            if percent is not None and not 0 < percent < 100:
                self.err(
                    f"{where}.discount_percent",
                    f"{percent:g} is out of range",
                    "a number strictly between 0 and 100",
                )
        own = channels
        if "channels" in item:
            got = self.strings(item, "channels", f"{where}.channels", choices=CHANNELS)
            if got is not None:
                extra = [c for c in got if c not in channels]
                if extra:
                    self.err(
                        f"{where}.channels",
                        f"{', '.join(extra)} not among the campaign's channels",
                        "a subset of " + ", ".join(channels),
                    )
                own = got
        if len(self.errors) > n or price is None:
            return None
        return Offer(
            model=model,
            tacs=tacs,
            list_price=price,
            discount_amount=amount,
            discount_percent=percent,
            channels=own,
        )

    def phases(
        self,
        data: dict[str, Any],
        tz: ZoneInfo | None,
        starts: dt.datetime | None,
        ends: dt.datetime | None,
        channels: tuple[str, ...],
    ) -> tuple[Phase, ...]:
        if "phases" not in data:
            return ()
        items = data["phases"]
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            self.err("phases", "is not a list of tables", "[[phases]] tables")
            return ()
        out, names = [], set()
        for i, item in enumerate(items):
            where = f"phases[{i}]"
            self.unknown(item, _PHASE, where + ".")
            name = self.string(item, "name", f"{where}.name")
            if name is not None and name in names:
                self.err(f"{where}.name", f"{name!r} is used twice", "a name unique among phases")
            names.add(name)
            p_starts = self.instant(item, "starts", f"{where}.starts", tz, end=False)
            p_ends = self.instant(item, "ends", f"{where}.ends", tz, end=True)
            if p_starts is not None and p_ends is not None and _utc(p_ends) <= _utc(p_starts):
                self.err(
                    f"{where}.ends",
                    f"{p_ends.isoformat()} is not after starts {p_starts.isoformat()}",
                    "an end on or after the phase's start day",
                )
            inside = "within the campaign window"
            if starts is not None and ends is not None:
                inside = f"within the campaign window [{starts.isoformat()}, {ends.isoformat()})"
                if p_starts is not None and _utc(p_starts) < _utc(starts):
                    self.err(
                        f"{where}.starts",
                        f"{p_starts.isoformat()} is before the campaign starts",
                        inside,
                    )
                if p_ends is not None and _utc(p_ends) > _utc(ends):
                    self.err(
                        f"{where}.ends", f"{p_ends.isoformat()} is after the campaign ends", inside
                    )
            offers = self.offers(item, "offers", f"{where}.offers", channels)
            if name is not None and p_starts is not None and p_ends is not None:
                out.append(Phase(name=name, starts=p_starts, ends=p_ends, offers=offers))
        return tuple(out)

    def audience(self, data: dict[str, Any]) -> Audience | None:
        if "audience" not in data:
            return None
        item = data["audience"]
        if not isinstance(item, dict):
            self.err("audience", "is not a table", "an [audience] table")
            return None
        self.unknown(item, _AUDIENCE, "audience.")
        default = Audience()
        segments = (
            self.strings(item, "segments", "audience.segments", choices=SEGMENTS)
            or default.segments
        )
        exclude = (
            self.strings(item, "exclude_vendors", "audience.exclude_vendors", nonempty=False) or ()
        )
        age = item.get("min_device_age_months", 0)
        if isinstance(age, bool) or not isinstance(age, int) or age < 0:
            self.err(
                "audience.min_device_age_months",
                f"{age!r} is not a whole number >= 0",
                "0, 1, 2, ... months",
            )
            age = 0
        share = item.get("holdout_share", 0.0)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share < 1:
            self.err(
                "audience.holdout_share",
                f"{share!r} is out of range",
                "a number >= 0 and < 1 (e.g. 0.1)",
            )
            share = 0.0
        return Audience(
            segments=segments,
            exclude_vendors=exclude,
            min_device_age_months=age,
            holdout_share=float(share),
        )


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
