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
from typing import Any

from devicepark.base.common import ADDS_KEYS, BY_KEYS, SWITCH_KEYS, UNITS
from devicepark.errors import ConfigError

MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)  # date arithmetic stays in range
MAX_LOOKBACK_DAYS = 3660  # ten years; also the largest tenure gap a store may have
EVERY = ("day", "week", "month")
ADDS_KINDS = ("entries", "changes")

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


@dataclass(frozen=True)
class Scope:
    """What every count shares: the lookback that identifies a device, and M2M or not."""

    lookback_days: int = 30
    include_m2m: bool = False

    @classmethod
    def parse(cls, lookback_days: Any = 30, include_m2m: bool = False, names: Names = CLI) -> Scope:
        return cls(parse_lookback(lookback_days, names("lookback_days")), bool(include_m2m))


@dataclass(frozen=True)
class BaseQuestion:
    """The installed base at ``as_of`` (``devicepark base``, ``/v1/base``)."""

    as_of: dt.date
    by: tuple[str, ...] = ("vendor",)
    unit: str = "lines"
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def parse(
        cls,
        as_of: Any,
        by: Any = "vendor",
        unit: Any = "lines",
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
    ) -> BaseQuestion:
        return cls(
            parse_date(as_of, names("as_of")),
            parse_by(by, BY_KEYS, names("by")),
            parse_unit(unit, names("unit")),
            Scope.parse(lookback_days, include_m2m, names),
        )

    @property
    def lookback_days(self) -> int:
        return self.scope.lookback_days


@dataclass(frozen=True)
class SeriesQuestion:
    """The base on every day, Sunday or month end of ``[start, end]`` (``series``)."""

    start: dt.date
    end: dt.date
    every: str = "day"
    by: tuple[str, ...] = ("vendor",)
    unit: str = "lines"
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def parse(
        cls,
        start: Any,
        end: Any,
        every: Any = "day",
        by: Any = "vendor",
        unit: Any = "lines",
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
        max_points: int | None = None,
    ) -> SeriesQuestion:
        a, b = parse_range(start, end, names)
        period = parse_every(every, names("every"))
        check_points(a, b, period, max_points)
        return cls(
            a,
            b,
            period,
            parse_by(by, BY_KEYS, names("by")),
            parse_unit(unit, names("unit")),
            Scope.parse(lookback_days, include_m2m, names),
        )


@dataclass(frozen=True)
class SwitchesQuestion:
    """Switching flows between two dates (``switches``)."""

    start: dt.date
    end: dt.date
    by: str = "vendor"
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def parse(
        cls,
        start: Any,
        end: Any,
        by: Any = "vendor",
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
    ) -> SwitchesQuestion:
        a, b = parse_date(start, names("start")), parse_date(end, names("end"))
        key = (by or "vendor").strip().lower()
        if key not in SWITCH_KEYS:
            raise ConfigError(f"{names('by')}: switches go by vendor or brand, not {by!r}")
        return cls(a, b, key, Scope.parse(lookback_days, include_m2m, names))


@dataclass(frozen=True)
class AddsQuestion:
    """Daily gross adds (``adds``): entries into a vendor, or every change of handset."""

    start: dt.date
    end: dt.date
    vendor: str | None = None
    by: tuple[str, ...] = ()
    kind: str = "entries"
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def parse(
        cls,
        start: Any,
        end: Any,
        vendor: str | None = None,
        by: Any = "",
        all_changes: bool = False,
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
        max_points: int | None = None,
    ) -> AddsQuestion:
        a, b = parse_date(start, names("start")), parse_date(end, names("end"))
        check_points(a, b, "day", max_points)
        return cls(
            a,
            b,
            vendor or None,
            parse_by(by, ADDS_KEYS, names("by")),
            "changes" if all_changes else "entries",
            Scope.parse(lookback_days, include_m2m, names),
        )


@dataclass(frozen=True)
class MilestonesQuestion:
    """Threshold crossings of a vendor's daily count and the next one's forecast."""

    vendor: str
    step: int = 250_000
    thresholds: tuple[int, ...] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    scope: Scope = field(default_factory=Scope)
    max_points: int | None = None  # a face's bound on the span, checked once the span is known

    @classmethod
    def parse(
        cls,
        vendor: str,
        step: Any = 250_000,
        thresholds: Iterable[Any] | None = None,
        start: Any = None,
        end: Any = None,
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
        max_points: int | None = None,
    ) -> MilestonesQuestion:
        a = parse_optional_date(start, names("start"))
        b = parse_optional_date(end, names("end"))
        if a is not None and b is not None:
            check_points(a, b, "day", max_points)
        ths = None
        if thresholds:
            values = [int(t) for t in thresholds]
            if any(t < 1 for t in values):
                raise ConfigError(f"{names('threshold')} must be positive")
            ths = tuple(sorted(set(values)))
        return cls(
            vendor,
            parse_positive(step, names("step")),
            ths,
            a,
            b,
            Scope.parse(lookback_days, include_m2m, names),
            max_points,
        )


@dataclass(frozen=True)
class EngineOptions:
    """Which engine answers: DuckDB (default) or Spark, and its settings."""

    engine: str | None = None
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    memory_limit: str | None = None

    @classmethod
    def parse(
        cls,
        engine: str | None = None,
        spark_master: str | None = None,
        spark_conf: Iterable[str] | None = None,
        memory_limit: str | None = None,
        names: Names = CLI,
    ) -> EngineOptions:
        conf: dict[str, str] = {}
        for item in spark_conf or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"{names('spark_conf')} takes KEY=VALUE, got {item!r}")
            conf[key.strip()] = value.strip()
        return cls(engine or None, spark_master or None, conf, memory_limit or None)


@dataclass(frozen=True)
class ReportQuestion:
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

    @classmethod
    def parse(
        cls,
        as_of: Any,
        start: Any = None,
        lookback_days: Any = 30,
        vendors: Iterable[str] | None = None,
        threshold: Any = 10,
        noised: bool = False,
        operator: str | None = None,
        lang: str = "fr",
        names: Names = CLI,
        **fixed: Any,
    ) -> ReportQuestion:
        day = parse_date(as_of, names("as_of"))
        first = parse_optional_date(start, names("start"))
        if first is not None and first > day:
            raise ConfigError(f"{names('start')} {first} is after {names('as_of')} {day}")
        return cls(
            as_of=day,
            start=first,
            lookback_days=parse_lookback(lookback_days, names("lookback_days")),
            vendors=tuple(vendors or ()),
            threshold=parse_positive(threshold, names("threshold")),
            noised=noised,
            operator=operator or None,
            lang=parse_choice(lang, ("fr", "en"), names("lang"), "fr"),
            **fixed,
        )


@dataclass(frozen=True)
class AnnounceQuestion:
    """A short post about one vendor's count at ``as_of`` (``announce``)."""

    vendor: str
    as_of: dt.date
    lookback_days: int = 30
    operator: str | None = None
    lang: str = "fr"

    @classmethod
    def parse(
        cls,
        vendor: str,
        as_of: Any,
        lookback_days: Any = 30,
        operator: str | None = None,
        lang: str = "fr",
        names: Names = CLI,
    ) -> AnnounceQuestion:
        return cls(
            vendor,
            parse_date(as_of, names("as_of")),
            parse_lookback(lookback_days, names("lookback_days")),
            operator or None,
            parse_choice(lang, ("fr", "en"), names("lang"), "fr"),
        )


@dataclass(frozen=True)
class CompareQuestion:
    """Our base against a market-share table: at ``as_of``, or a series ``[start, end]``."""

    market: str
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    every: str = "month"
    by: str | None = None
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def parse(
        cls,
        market: str,
        as_of: Any = None,
        start: Any = None,
        end: Any = None,
        every: Any = "month",
        by: str | None = None,
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
    ) -> CompareQuestion:
        day = parse_optional_date(as_of, names("as_of"))
        a = parse_optional_date(start, names("start"))
        b = parse_optional_date(end, names("end"))
        if (a is None) != (b is None):
            raise ConfigError(f"{names('start')} and {names('end')} go together")
        if day is None and a is None:
            raise ConfigError(
                f"give {names('as_of')} D, or {names('start')} D1 {names('end')} D2 for a series"
            )
        if day is not None and a is not None:
            raise ConfigError(
                f"give either {names('as_of')} or {names('start')}/{names('end')}, not both"
            )
        if by not in (None, "operator_brand"):
            raise ConfigError(f"{names('by')}: only operator_brand, not {by!r}")
        return cls(
            market,
            day,
            a,
            b,
            parse_every(every, names("every")),
            by,
            Scope.parse(lookback_days, include_m2m, names),
        )


@dataclass(frozen=True)
class ClaimQuestion:
    """Does the store support a public claim of ``count`` users of ``vendor`` at ``as_of``?"""

    vendor: str
    count: int
    as_of: dt.date
    of: int | None = None
    share: float | None = None  # a fraction (0.0474), not percent
    tolerance: float = 0.01
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def parse(
        cls,
        vendor: str,
        count: int,
        as_of: Any,
        of: int | None = None,
        share_percent: float | None = None,
        tolerance: float = 0.01,
        lookback_days: Any = 30,
        include_m2m: bool = False,
        names: Names = CLI,
    ) -> ClaimQuestion:
        return cls(
            vendor,
            int(count),
            parse_date(as_of, names("as_of")),
            of,
            None if share_percent is None else share_percent / 100,
            tolerance,
            Scope.parse(lookback_days, include_m2m, names),
        )


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
