"""Vendor normalisation: a registry's manufacturer and brand strings to the vendor a market-share
table names (StatCounter's labels) and the marketed brand.

The aliases are data: ``data/vendor_aliases.csv`` in the package (how to extend it: data/README.md),
then each file named in ``DEVICEPARK_VENDOR_ALIASES`` (paths separated by ``os.pathsep``), loaded
lazily on first use; a later file's row replaces an earlier one with the same alias and match.

>>> resolve("Beijing Xiaomi Mobile Software Co Ltd", brand="Redmi")
Vendor(vendor='Xiaomi', brand='Redmi', known=True)
>>> resolve("HMD Global Oy", brand="Nokia").vendor
'Nokia'
>>> resolve("  SAMSUNG ELECTRONICS CO LTD ").vendor
'Samsung'
>>> resolve("Dalian Daxian Telecom Co., Ltd.")
Vendor(vendor='Dalian Daxian Telecom', brand='Dalian Daxian Telecom', known=False)
>>> resolve(None)
Vendor(vendor='Unknown', brand=None, known=False)
>>> vendor_of("Oppo"), vendor_of("Unknown"), vendor_of("Other"), vendor_of("Zorglub")
('OPPO', 'Unknown', 'Other', None)
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from devicepark.errors import InputError

__all__ = [
    "ENV",
    "OTHER",
    "UNKNOWN",
    "Alias",
    "Aliases",
    "Vendor",
    "aliases",
    "known_vendors",
    "load_aliases",
    "resolve",
    "vendor_of",
]

ENV = "DEVICEPARK_VENDOR_ALIASES"
UNKNOWN = "Unknown"
OTHER = "Other"
MATCHES = ("word", "exact", "model")
# Words that say what kind of company, not which one; dropped before an exact match and from
# the display of an unknown name.
LEGAL = frozenset(
    "co corp corporation company inc incorporated llc ltd limited gmbh oy oyj ag sa sas sarl spa "
    "srl plc pte pvt private bv nv ab as kk pty".split()
)


@dataclass(frozen=True)
class Vendor:
    """The normalised vendor and brand; ``known`` says whether an alias matched."""

    vendor: str
    brand: str | None
    known: bool


@dataclass(frozen=True)
class Alias:
    alias: str
    vendor: str
    brand: str | None
    match: str
    source: str
    line: int


def words(name: str) -> tuple[str, ...]:
    """Case, accents, punctuation and spacing folded away: 'Sony-Ericsson' -> (sony, ericsson)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return tuple(re.sub(r"[\W_]+", " ", text).split())


def _core(ws: tuple[str, ...]) -> tuple[str, ...]:
    core = tuple(w for w in ws if w not in LEGAL)
    return core or ws


@dataclass
class Aliases:
    """The merged alias table with its three indexes."""

    exact: dict[tuple[str, ...], Alias] = field(default_factory=dict)
    word: dict[tuple[str, ...], Alias] = field(default_factory=dict)
    model: dict[tuple[str, ...], Alias] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    cache: dict[tuple[str | None, str | None, str | None], Vendor] = field(default_factory=dict)
    found: dict[tuple[str, str], Alias | None] = field(default_factory=dict)
    longest: int = 0

    def add(self, alias: Alias) -> None:
        key = words(alias.alias)
        if alias.match == "exact":
            self.exact[_core(key)] = alias
        elif alias.match == "word":
            self.word[key] = alias
            self.longest = max(self.longest, len(key))
        else:
            self.model[key] = alias
        # A vendor's own name always matches itself exactly ("Other", "True", "Yu").
        self.exact.setdefault(
            _core(words(alias.vendor)),
            Alias(alias.vendor, alias.vendor, None, "exact", alias.source, alias.line),
        )

    def find(self, name: str | None) -> Alias | None:
        """A manufacturer or brand name's alias: exact first, then the earliest, longest words."""
        if not name:
            return None
        if ("name", name) not in self.found:
            self.found["name", name] = self._find(words(name))
        return self.found["name", name]

    def _find(self, ws: tuple[str, ...]) -> Alias | None:
        if not ws:
            return None
        hit = self.exact.get(_core(ws))
        if hit is not None:
            return hit
        for i in range(len(ws)):
            for n in range(min(self.longest, len(ws) - i), 0, -1):
                hit = self.word.get(ws[i : i + n])
                if hit is not None:
                    return hit
        return None

    def find_model(self, model: str | None) -> Alias | None:
        """The alias a model name starts with ("Redmi Note 11" -> Redmi, "iPhone 12" -> Apple)."""
        if not model:
            return None
        head = " ".join(model.split()[:3])  # only the first words can match
        if ("model", head) not in self.found:
            ws = words(head)
            hits = (self.model.get(ws[:n]) or self.word.get(ws[:n]) for n in range(3, 0, -1))
            self.found["model", head] = next((h for h in hits if h is not None), None)
        return self.found["model", head]


def _read(text: str, source: str, into: Aliases) -> None:
    """Parse one alias file (CSV, ``#`` comment lines) into ``into``; columns by name."""
    numbered = [
        (no, line)
        for no, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise InputError(
            "alias file is empty: expected a header 'alias,vendor,brand,match'", file=source
        )
    rows = csv.reader(io.StringIO("\n".join(line for _, line in numbered)))
    header = [h.strip().lower() for h in next(rows)]
    for required in ("alias", "vendor"):
        if required not in header:
            raise InputError(
                f"alias file header lacks the column {required!r}",
                file=source,
                line=numbered[0][0],
                hint="expected: alias,vendor,brand,match",
            )
    col = {name: header.index(name) for name in header}
    for (no, _), row in zip(numbered[1:], rows, strict=True):

        def get(name: str, row: list[str] = row) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        alias, vendor, brand, match = (
            get("alias"),
            get("vendor"),
            get("brand"),
            get("match") or "word",
        )
        if not alias or not vendor:
            raise InputError("alias row needs both an alias and a vendor", file=source, line=no)
        if match not in MATCHES:
            raise InputError(
                f"match must be one of {', '.join(MATCHES)}, got {match!r}",
                file=source,
                line=no,
                column="match",
            )
        into.add(Alias(alias, vendor, brand or None, match, source, no))
    into.files.append(source)


def load_aliases(paths: Sequence[str | os.PathLike[str]] = ()) -> Aliases:
    """The packaged aliases, then each file of ``paths`` (later rows win)."""
    table = Aliases()
    packaged = resources.files("devicepark.identify") / "data" / "vendor_aliases.csv"
    _read(packaged.read_text(encoding="utf-8"), "vendor_aliases.csv", table)
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(
                f"cannot read vendor alias file ({exc.strerror or exc})",
                file=str(path),
                hint=f"check {ENV}",
            ) from None
        _read(text, str(path), table)
    return table


_loaded: tuple[str | None, Aliases] | None = None


def aliases() -> Aliases:
    """The alias table in force, (re)loaded lazily when ``DEVICEPARK_VENDOR_ALIASES`` changes."""
    global _loaded
    env = os.environ.get(ENV) or None
    if _loaded is None or _loaded[0] != env:
        paths = [p for p in (env or "").split(os.pathsep) if p.strip()]
        _loaded = (env, load_aliases(paths))
    return _loaded[1]


def known_vendors() -> frozenset[str]:
    """Every vendor label the alias table can produce."""
    table = aliases()
    return frozenset(
        a.vendor for index in (table.exact, table.word, table.model) for a in index.values()
    )


def vendor_of(name: str | None) -> str | None:
    """The vendor of one name (a market-share column, a manufacturer); None if no alias knows it."""
    hit = aliases().find(name)
    return hit.vendor if hit is not None else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def display(name: str) -> str:
    """An unknown name made presentable: spacing collapsed, legal suffixes dropped, CAPS titled."""
    tokens = name.split()
    while len(tokens) > 1 and all(w in LEGAL for w in words(tokens[-1])):
        tokens.pop()
    text = " ".join(tokens).rstrip(" ,.;")
    if text.isupper() and sum(ch.isalpha() for ch in text) > 4:
        text = text.title()
    return text or name


def _usable(alias: Alias | None) -> Alias | None:
    return alias if alias is not None and alias.vendor not in (UNKNOWN, OTHER) else None


def resolve(
    manufacturer: str | None,
    brand: str | None = None,
    model: str | None = None,
    *,
    table: Aliases | None = None,
) -> Vendor:
    """The vendor and brand of a catalog row.

    The brand decides when an alias knows it (``HMD Global`` + ``Nokia`` -> Nokia, ``Huawei`` +
    ``Honor`` -> Honor), else the manufacturer, else the model's first words (``iPhone 12``).
    A generic brand is refined by a sub-brand the model starts with (``Xiaomi`` + ``Redmi Note 8``
    -> brand Redmi). No alias: the cleaned name itself, ``known=False``; nothing at all: Unknown.
    ``table`` is the alias table in force unless given (a bulk caller fetches it once).
    """
    manufacturer, brand, model = _clean(manufacturer), _clean(brand), _clean(model)
    if table is None:
        table = aliases()
    key = (manufacturer, brand, " ".join(model.split()[:3]) if model else None)
    cached = table.cache.get(key)
    if cached is not None:
        return cached
    by_brand = _usable(table.find(brand))
    by_maker = _usable(table.find(manufacturer))
    by_model = _usable(table.find_model(model))
    if by_brand is not None:
        result = Vendor(by_brand.vendor, by_brand.brand or by_brand.vendor, True)
    elif by_maker is not None:
        result = Vendor(
            by_maker.vendor, display(brand) if brand else by_maker.brand or by_maker.vendor, True
        )
    elif by_model is not None:
        result = Vendor(by_model.vendor, by_model.brand or by_model.vendor, True)
    elif (label := table.find(brand) or table.find(manufacturer)) is not None:
        result = Vendor(
            label.vendor, None, label.vendor != UNKNOWN
        )  # an explicit Other stays Other
    elif manufacturer or brand:
        name = display(manufacturer or brand or "")
        result = Vendor(name, display(brand) if brand else name, False)
    else:
        result = Vendor(UNKNOWN, None, False)
    if (
        result.known
        and result.brand == result.vendor
        and by_model is not None
        and by_model.brand
        and by_model.vendor == result.vendor
    ):
        result = Vendor(result.vendor, by_model.brand, True)
    table.cache[key] = result
    return result
