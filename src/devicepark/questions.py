"""Questions: one value type per kind of question, holding its validated parameters.

A face builds a question once from its own inputs (the CLI from options, the API from query
parameters) with ``Kind.parse(..., names=CLI)`` or ``names=API``, so errors speak the face's
language (``--as-of`` on the command line, ``as_of`` over HTTP). Everything downstream
(``devicepark.answers``) trusts a question and never validates again.

Each kind of input is parsed by one function here: :func:`parse_date`, :func:`parse_range`,
:func:`parse_by`, :func:`parse_unit`, :func:`parse_lookback`, :func:`parse_every`,
:func:`parse_positive`.

>>> q = BaseQuestion.parse(as_of="2022-02-03", by="vendor, operator_brand")
>>> q.as_of.isoformat(), q.by, q.unit, q.lookback_days
('2022-02-03', ('vendor', 'operator_brand'), 'lines', 30)
>>> BaseQuestion.parse(as_of="2022-02-30", names=API)
Traceback (most recent call last):
...
devicepark.errors.ConfigError: as_of: '2022-02-30' is not a date (expected YYYY-MM-DD)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from devicepark.base.common import ADDS_KEYS, BY_KEYS, SWITCH_KEYS, UNITS
from devicepark.errors import ConfigError

MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # date arithmetic stays in range
MAX_LOOKBACK_DAYS = 3660  # ten years; also the largest tenure gap a store may have
EVERY = ("day", "week", "month")

Names = Callable[[str], str]


def CLI(name: str) -> str:  # noqa: N802 - a constant-like naming scheme
    """A parameter's name on the command line: ``as_of`` -> ``--as-of``, ``start`` -> ``--from``."""
    return {"start": "--from", "end": "--to"}.get(name, "--" + name.replace("_", "-"))


def API(name: str) -> str:  # noqa: N802
    """A parameter's name over HTTP: ``start`` -> ``from``; others as they are."""
    return {"start": "from", "end": "to"}.get(name, name)


# -- one parser per kind of input ------------------------------------------------------------


def parse_date(value: Any, name: str = "date") -> dt.date:
    """A calendar date from a ``date`` or a ``YYYY-MM-DD`` string; ConfigError otherwise.

    >>> parse_date("2022-02-03")
    datetime.date(2022, 2, 3)
    >>> parse_date("2022-02-30", "--as-of")
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: --as-of: '2022-02-30' is not a date (expected YYYY-MM-DD)
    """
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a date (expected YYYY-MM-DD)") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ConfigError(f"{name}: {day.isoformat()} is outside {MIN_DATE.year}-{MAX_DATE.year}")
    return day


def parse_optional_date(value: Any, name: str) -> dt.date | None:
    return None if value is None or value == "" else parse_date(value, name)


def parse_range(start: Any, end: Any, names: Names = CLI) -> tuple[dt.date, dt.date]:
    """``(start, end)`` dates with ``start <= end``."""
    a, b = parse_date(start, names("start")), parse_date(end, names("end"))
    if a > b:
        raise ConfigError(f"{names('start')} {a} is after {names('end')} {b}")
    return a, b


def parse_by(
    by: str | Iterable[str] | None, allowed: Sequence[str] = BY_KEYS, name: str = "--by"
) -> tuple[str, ...]:
    """Grouping keys from a comma list or a sequence, checked and deduplicated in order.

    >>> parse_by("vendor, brand")
    ('vendor', 'brand')
    >>> parse_by("colour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: --by: unknown key 'colour'; choose among: vendor, brand, ...
    """
    if by is None:
        return ()
    items = by.split(",") if isinstance(by, str) else list(by)
    keys: list[str] = []
    for item in items:
        key = str(item).strip().lower()
        if not key:
            continue
        if key not in allowed:
            raise ConfigError(f"{name}: unknown key {item!r}; choose among: {', '.join(allowed)}")
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def parse_unit(unit: str | None, name: str = "--unit") -> str:
    value = (unit or "lines").strip().lower()
    if value not in UNITS:
        raise ConfigError(f"{name}: unknown unit {unit!r}; choose among: {', '.join(UNITS)}")
    return value


def parse_lookback(days: Any, name: str = "--lookback-days") -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} takes a whole number of days, got {days!r}") from None
    if not 1 <= value <= MAX_LOOKBACK_DAYS:
        raise ConfigError(f"{name} must lie in 1..{MAX_LOOKBACK_DAYS}, got {days}")
    return value


def parse_every(every: str | None, name: str = "--every") -> str:
    value = (every or "day").strip().lower()
    if value not in EVERY:
        raise ConfigError(f"{name}: unknown period {every!r}; choose among: {', '.join(EVERY)}")
    return value


def parse_positive(value: Any, name: str) -> int:
    if int(value) <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return int(value)


def parse_choice(value: str | None, allowed: Sequence[str], name: str, default: str) -> str:
    got = (value or default).strip().lower()
    if got not in allowed:
        raise ConfigError(f"{name}: {value!r} is not one of: {', '.join(allowed)}")
    return got


def point_count(start: dt.date, end: dt.date, every: str) -> int:
    """An upper bound on the points of a series (what a request may cost)."""
    step = {"week": 7, "month": 28}.get(every, 1)
    return (end - start).days // step + 1


def check_points(start: dt.date, end: dt.date, every: str, limit: int | None) -> None:
    if limit is not None and point_count(start, end, every) > limit:
        raise ConfigError(
            f"from {start} to {end} every {every} gives more than {limit} points; ask for less"
        )


# -- the questions ---------------------------------------------------------------------------

REQUIRED: Any = object()  # an input without a default


class Inputs:
    """The raw inputs of one question, bound to their names, with one parser per kind of input
    (each labels its errors with the face's name for the input)."""

    def __init__(self, raw: dict[str, Any], names: Names) -> None:
        self.raw, self.names = raw, names

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def date(self, key: str) -> dt.date:
        return parse_date(self.raw[key], self.names(key))

    def optional_date(self, key: str) -> dt.date | None:
        return parse_optional_date(self.raw[key], self.names(key))

    def range(self) -> tuple[dt.date, dt.date]:
        return parse_range(self.raw["start"], self.raw["end"], self.names)

    def by(self, allowed: Sequence[str]) -> tuple[str, ...]:
        return parse_by(self.raw["by"], allowed, self.names("by"))

    def unit(self) -> str:
        return parse_unit(self.raw["unit"], self.names("unit"))

    def every(self) -> str:
        return parse_every(self.raw["every"], self.names("every"))

    def positive(self, key: str) -> int:
        return parse_positive(self.raw[key], self.names(key))

    def lookback(self) -> int:
        return parse_lookback(self.raw["lookback_days"], self.names("lookback_days"))

    def lang(self) -> str:
        return parse_choice(self.raw["lang"], ("fr", "en"), self.names("lang"), "fr")

    def scope(self) -> Scope:
        return Scope(self.lookback(), bool(self.raw["include_m2m"]))


SCOPE = (("lookback_days", 30), ("include_m2m", False))


class Question:
    """A question's ``parse``: bind the raw inputs (positionally in ``INPUTS`` order, or by
    name), parse each once, build the frozen value (``make``)."""

    INPUTS: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(
        cls, *args: Any, names: Names = CLI, max_points: int | None = None, **kwargs: Any
    ) -> Self:
        order = [name for name, _ in cls.INPUTS]
        if len(args) > len(order):
            raise TypeError(f"{cls.__name__}.parse takes at most {len(order)} inputs")
        raw = dict(zip(order, args, strict=False))
        for key, value in kwargs.items():
            if key not in order or key in raw:
                raise TypeError(f"{cls.__name__}.parse: unexpected or repeated input {key!r}")
            raw[key] = value
        for key, default in cls.INPUTS:
            if key not in raw:
                if default is REQUIRED:
                    raise TypeError(f"{cls.__name__}.parse: missing input {key!r}")
                raw[key] = default
        return cls.make(Inputs(raw, names), max_points)

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        raise NotImplementedError


@dataclass(frozen=True)
class Scope:
    """What every count shares: the lookback that identifies a device, and M2M or not."""

    lookback_days: int = 30
    include_m2m: bool = False


@dataclass(frozen=True)
class BaseQuestion(Question):
    """The installed base at ``as_of`` (``devicepark base``, ``/v1/base``)."""

    as_of: dt.date
    by: tuple[str, ...] = ("vendor",)
    unit: str = "lines"
    scope: Scope = field(default_factory=Scope)
    INPUTS = (("as_of", REQUIRED), ("by", "vendor"), ("unit", "lines"), *SCOPE)

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        return cls(v.date("as_of"), v.by(BY_KEYS), v.unit(), v.scope())

    @property
    def lookback_days(self) -> int:
        return self.scope.lookback_days


@dataclass(frozen=True)
class SeriesQuestion(Question):
    """The base on every day, Sunday or month end of ``[start, end]`` (``series``)."""

    start: dt.date
    end: dt.date
    every: str = "day"
    by: tuple[str, ...] = ("vendor",)
    unit: str = "lines"
    scope: Scope = field(default_factory=Scope)
    INPUTS = (
        ("start", REQUIRED), ("end", REQUIRED), ("every", "day"), ("by", "vendor"),
        ("unit", "lines"), *SCOPE,
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        (a, b), period = v.range(), v.every()
        check_points(a, b, period, max_points)
        return cls(a, b, period, v.by(BY_KEYS), v.unit(), v.scope())


@dataclass(frozen=True)
class SwitchesQuestion(Question):
    """Switching flows between two dates (``switches``)."""

    start: dt.date
    end: dt.date
    by: str = "vendor"
    scope: Scope = field(default_factory=Scope)
    INPUTS = (("start", REQUIRED), ("end", REQUIRED), ("by", "vendor"), *SCOPE)

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        key = (v["by"] or "vendor").strip().lower()
        if key not in SWITCH_KEYS:
            raise ConfigError(f"{v.names('by')}: switches go by vendor or brand, not {v['by']!r}")
        return cls(v.date("start"), v.date("end"), key, v.scope())


@dataclass(frozen=True)
class AddsQuestion(Question):
    """Daily gross adds (``adds``): entries into a vendor, or every change of handset."""

    start: dt.date
    end: dt.date
    vendor: str | None = None
    by: tuple[str, ...] = ()
    kind: str = "entries"
    scope: Scope = field(default_factory=Scope)
    INPUTS = (
        ("start", REQUIRED), ("end", REQUIRED), ("vendor", None), ("by", ""),
        ("all_changes", False), *SCOPE,
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        a, b = v.date("start"), v.date("end")
        check_points(a, b, "day", max_points)
        kind = "changes" if v["all_changes"] else "entries"
        return cls(a, b, v["vendor"] or None, v.by(ADDS_KEYS), kind, v.scope())


@dataclass(frozen=True)
class MilestonesQuestion(Question):
    """Threshold crossings of a vendor's daily count and the next one's forecast."""

    vendor: str
    step: int = 250_000
    thresholds: tuple[int, ...] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    scope: Scope = field(default_factory=Scope)
    max_points: int | None = None  # a face's bound on the span, checked once the span is known
    INPUTS = (
        ("vendor", REQUIRED), ("step", 250_000), ("thresholds", None), ("start", None),
        ("end", None), *SCOPE,
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        a, b = v.optional_date("start"), v.optional_date("end")
        if a is not None and b is not None:
            check_points(a, b, "day", max_points)
        ths = None
        if v["thresholds"]:
            values = [int(t) for t in v["thresholds"]]
            if any(t < 1 for t in values):
                raise ConfigError(f"{v.names('threshold')} must be positive")
            ths = tuple(sorted(set(values)))
        return cls(v["vendor"], v.positive("step"), ths, a, b, v.scope(), max_points)


@dataclass(frozen=True)
class EngineOptions(Question):
    """Which engine answers: DuckDB (default) or Spark, and its settings."""

    engine: str | None = None
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    memory_limit: str | None = None
    INPUTS = (
        ("engine", None), ("spark_master", None), ("spark_conf", None), ("memory_limit", None),
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        conf: dict[str, str] = {}
        for item in v["spark_conf"] or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"{v.names('spark_conf')} takes KEY=VALUE, got {item!r}")
            conf[key.strip()] = value.strip()
        return cls(v["engine"] or None, v["spark_master"] or None, conf, v["memory_limit"] or None)


@dataclass(frozen=True)
class ReportQuestion(Question):
    """What the report (and the dashboard, which shows the same answer) is asked.

    ``start`` defaults to a year before ``as_of`` (or the store's first full date); ``every``
    defaults to daily points up to two years, weekly beyond (monthly or weekly when noised);
    ``brand`` restricts the lines to one operator brand; milestone markers are drawn for the
    ``vendors`` present in the base, or when none is, for the ``default_vendors`` largest.
    """

    as_of: dt.date
    start: dt.date | None = None
    every: str | None = None
    lookback_days: int = 30
    brand: str | None = None
    vendors: tuple[str, ...] = ()
    default_vendors: int = 3
    threshold: int = 10
    noised: bool = False
    operator: str | None = None
    lang: str = "fr"
    INPUTS = (
        ("as_of", REQUIRED), ("start", None), ("lookback_days", 30), ("vendors", None),
        ("threshold", 10), ("noised", False), ("operator", None), ("lang", "fr"),
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        day, first = v.date("as_of"), v.optional_date("start")
        if first is not None and first > day:
            raise ConfigError(f"{v.names('start')} {first} is after {v.names('as_of')} {day}")
        return cls(
            as_of=day,
            start=first,
            lookback_days=v.lookback(),
            vendors=tuple(v["vendors"] or ()),
            threshold=v.positive("threshold"),
            noised=bool(v["noised"]),
            operator=v["operator"] or None,
            lang=v.lang(),
        )


@dataclass(frozen=True)
class AnnounceQuestion(Question):
    """A short post about one vendor's count at ``as_of`` (``announce``)."""

    vendor: str
    as_of: dt.date
    lookback_days: int = 30
    operator: str | None = None
    lang: str = "fr"
    INPUTS = (
        ("vendor", REQUIRED), ("as_of", REQUIRED), ("lookback_days", 30), ("operator", None),
        ("lang", "fr"),
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        return cls(v["vendor"], v.date("as_of"), v.lookback(), v["operator"] or None, v.lang())


@dataclass(frozen=True)
class CompareQuestion(Question):
    """Our base against a market-share table: at ``as_of``, or a series ``[start, end]``."""

    market: str
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    every: str = "month"
    by: str | None = None
    scope: Scope = field(default_factory=Scope)
    INPUTS = (
        ("market", REQUIRED), ("as_of", None), ("start", None), ("end", None),
        ("every", "month"), ("by", None), *SCOPE,
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        day, a, b = v.optional_date("as_of"), v.optional_date("start"), v.optional_date("end")
        at, start, end = v.names("as_of"), v.names("start"), v.names("end")
        if (a is None) != (b is None):
            raise ConfigError(f"{start} and {end} go together")
        if day is None and a is None:
            raise ConfigError(f"give {at} D, or {start} D1 {end} D2 for a series")
        if day is not None and a is not None:
            raise ConfigError(f"give either {at} or {start}/{end}, not both")
        if v["by"] not in (None, "operator_brand"):
            raise ConfigError(f"{v.names('by')}: only operator_brand, not {v['by']!r}")
        return cls(v["market"], day, a, b, v.every(), v["by"], v.scope())


@dataclass(frozen=True)
class ClaimQuestion(Question):
    """Does the store support a public claim of ``count`` users of ``vendor`` at ``as_of``?"""

    vendor: str
    count: int
    as_of: dt.date
    of: int | None = None
    share: float | None = None  # a fraction (0.0474), not percent
    tolerance: float = 0.01
    scope: Scope = field(default_factory=Scope)
    INPUTS = (
        ("vendor", REQUIRED), ("count", REQUIRED), ("as_of", REQUIRED), ("of", None),
        ("share_percent", None), ("tolerance", 0.01), *SCOPE,
    )  # fmt: skip

    @classmethod
    def make(cls, v: Inputs, max_points: int | None) -> Self:
        pct = v["share_percent"]
        share = None if pct is None else pct / 100
        return cls(
            v["vendor"], int(v["count"]), v.date("as_of"), v["of"], share, v["tolerance"],
            v.scope(),
        )  # fmt: skip


@dataclass(frozen=True)
class MeasureQuestion:
    """A campaign's effect (``campaign measure``); ``audience`` is the table ``campaign
    audience`` wrote, to compare treatment and holdout."""

    campaign: Any  # devicepark.campaign.spec.Campaign
    after_days: int = 21
    lookback_days: int = 30
    audience: Any = None  # pyarrow.Table | None


__all__ = [
    "API",
    "CLI",
    "AddsQuestion",
    "AnnounceQuestion",
    "BaseQuestion",
    "ClaimQuestion",
    "CompareQuestion",
    "MeasureQuestion",
    "ReportQuestion",
    "EngineOptions",
    "MilestonesQuestion",
    "Scope",
    "SeriesQuestion",
    "SwitchesQuestion",
    "parse_by",
    "parse_date",
    "parse_every",
    "parse_lookback",
    "parse_range",
    "parse_unit",
]
