"""Read market-share tables: a long CSV (period, vendor, share[, source]) or StatCounter's export.

Pure: a file in, a ``MarketFile`` (normalised shares plus notices) out; nothing is written.

Rules, the same for both layouts:

- Shares are fractions in the result. A StatCounter file is in percent. A long file is in percent
  when any value ends with ``%`` or any value is above 1, and in fractions otherwise (a file of
  percentages all at or below 1 % would be misread: write them with a ``%`` sign).
- Vendor names go through the catalog's alias table (``devicepark.identify.vendors.vendor_of``).
  ``Unknown`` and ``Other`` are kept as two distinct buckets. A name the aliases do not know is kept
  under its raw (stripped) name and reported (``unknown_vendor``). Several raw names landing on one
  vendor in one period are summed and reported (``merged_vendors``).
- A period whose shares are all zero is skipped and reported with its line (``empty_period``); a
  wide row whose period comes before an earlier row's is reported (``out_of_order``); a period whose
  shares do not sum to 100 % within one percentage point is reported (``sum_off``).
- A file that cannot be read as either layout raises ``InputError`` naming file, line and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from devicepark.errors import InputError
from devicepark.market.periods import Period, parse_period

SUM_TOLERANCE = 0.01  # one percentage point
BUCKETS = {"unknown": "Unknown", "other": "Other"}
LONG_REQUIRED = ("period", "vendor", "share")

Normaliser = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Notice:
    """Something the import did that a reader should know: code, words, and where."""

    code: str  # empty_period | out_of_order | unknown_vendor | merged_vendors | sum_off
    message: str
    line: int | None = None
    period: str | None = None
    vendor: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Share:
    """One vendor's share of one period (a fraction), with the raw names it was summed from."""

    period: Period
    vendor: str
    share: float
    vendor_raw: str
    source: str | None = None


@dataclass
class MarketFile:
    file: str
    layout: str  # long | statcounter
    unit: str  # percent | fraction
    shares: list[Share] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def periods(self) -> list[Period]:
        return sorted({s.period for s in self.shares})

    @property
    def vendors(self) -> list[str]:
        return sorted({s.vendor for s in self.shares}, key=str.casefold)

    def notices_of(self, code: str) -> list[Notice]:
        return [n for n in self.notices if n.code == code]


def default_normaliser() -> Normaliser:
    """The catalog's alias table (imported lazily: identify is a stage before us)."""
    from devicepark.identify.vendors import vendor_of

    return vendor_of


def read_market(
    path: str | Path,
    *,
    normalise: Normaliser | None = None,
    source: str | None = None,
) -> MarketFile:
    """Read one market-share file in either layout; see the module docstring for the rules."""
    path = Path(path)
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", file=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({exc})", file=name) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("empty file: expected a header", file=name, line=1)
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        hint = "an unclosed quote on or before this line?" if "end of data" in str(exc) else None
        raise InputError(
            f"malformed CSV ({exc})", file=name, line=reader.line_num, hint=hint
        ) from None
    norm = normalise or default_normaliser()
    keys = [h.casefold() for h in header]
    if any(k in keys for k in LONG_REQUIRED) and keys[0] != "date":
        raw = _read_long(name, header, rows)
        layout = "long"
    elif keys and keys[0] == "date":
        raw = _read_wide(name, header, rows)
        layout = "statcounter"
    else:
        raise InputError(
            "header matches no market layout: expected period,vendor,share[,source] "
            'or StatCounter\'s "Date","<vendor>",...',
            file=name,
            line=1,
            column=header[0] if header else None,
        )
    unit = (
        "percent"
        if layout == "statcounter" or any(r.percent or r.value > 1 for r in raw)
        else "fraction"
    )
    scale = Decimal("0.01") if unit == "percent" else Decimal(1)
    for r in raw:
        if r.value * scale > 1:
            raise InputError(
                f"share {r.text!r} is above 100 %",
                file=name,
                line=r.line,
                column=r.column,
            )
    return _assemble(name, layout, unit, scale, raw, norm, source, wide=layout == "statcounter")


# -- parsing ---------------------------------------------------------------------------------


@dataclass
class _Raw:
    line: int
    column: str
    period: Period
    vendor_raw: str
    text: str
    value: Decimal
    percent: bool
    source: str | None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _number(file: str, line: int, column: str, text: str) -> tuple[Decimal, bool]:
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    if "," in s and "." not in s:
        s = s.replace(",", ".")
    try:
        value = Decimal(s)  # exact: 4.19 % is 0.0419, not 0.04190000000000001
    except InvalidOperation:
        raise InputError(
            f"expected a share (a number, in percent or as a fraction), found {text!r}",
            file=file,
            line=line,
            column=column,
        ) from None
    if not value.is_finite() or value < 0:
        raise InputError(
            f"a share must be a number >= 0, found {text!r}", file=file, line=line, column=column
        )
    return value, percent


def _period(file: str, line: int, column: str, text: str) -> Period:
    p = parse_period(text)
    if p is None:
        raise InputError(
            f"expected a month (2022-01) or a quarter (2022-Q1), found {text!r}",
            file=file,
            line=line,
            column=column,
        )
    return p


def _check_width(file: str, line: int, row: list[str], width: int) -> bool:
    """False for a blank row (skipped); raise on a row of the wrong width."""
    if not any(c.strip() for c in row):
        return False
    if len(row) != width:
        raise InputError(f"expected {width} fields, found {len(row)}", file=file, line=line)
    return True


def _read_long(file: str, header: list[str], rows: list[tuple[int, list[str]]]) -> list[_Raw]:
    keys = [h.casefold() for h in header]
    for col in LONG_REQUIRED:
        if col not in keys:
            raise InputError(
                f"missing required column {col!r} "
                "(a long market file has period, vendor, share[, source])",
                file=file,
                line=1,
                column=col,
            )
    ip, iv, ish = (keys.index(c) for c in LONG_REQUIRED)
    isrc = keys.index("source") if "source" in keys else None
    out: list[_Raw] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        if not _check_width(file, line, row, len(header)):
            continue
        period = _period(file, line, header[ip], row[ip])
        vendor = row[iv].strip()
        if not vendor:
            raise InputError("empty vendor name", file=file, line=line, column=header[iv])
        key = (period.label, vendor.casefold())
        if key in seen:
            raise InputError(
                f"second share for {vendor!r} in {period.label} (first at line {seen[key]})",
                file=file,
                line=line,
                column=header[iv],
            )
        seen[key] = line
        value, percent = _number(file, line, header[ish], row[ish])
        src = row[isrc].strip() if isrc is not None else ""
        out.append(_Raw(line, header[ish], period, vendor, row[ish], value, percent, src or None))
    return out


def _read_wide(file: str, header: list[str], rows: list[tuple[int, list[str]]]) -> list[_Raw]:
    vendors = header[1:]
    if not vendors:
        raise InputError('no vendor columns after "Date"', file=file, line=1)
    seen: dict[str, int] = {}
    for i, v in enumerate(vendors, start=2):
        if not v:
            raise InputError("empty vendor name in the header", file=file, line=1, column=i)
        if v.casefold() in seen:
            raise InputError(
                f"vendor column {v!r} appears twice (columns {seen[v.casefold()]} and {i})",
                file=file,
                line=1,
                column=i,
            )
        seen[v.casefold()] = i
    out: list[_Raw] = []
    periods: dict[str, int] = {}
    for line, row in rows:
        if not _check_width(file, line, row, len(header)):
            continue
        period = _period(file, line, header[0], row[0])
        if period.label in periods:
            raise InputError(
                f"period {period.label} appears twice (first at line {periods[period.label]})",
                file=file,
                line=line,
                column=header[0],
            )
        periods[period.label] = line
        for vendor, cell in zip(vendors, row[1:], strict=True):
            value, _ = _number(file, line, vendor, cell)
            out.append(_Raw(line, vendor, period, vendor, cell, value, True, None))
    return out


# -- normalising and checking -------------------------------------------------------------------


def _vendor(raw: str, norm: Normaliser) -> tuple[str, bool]:
    """(vendor, known): Unknown and Other are buckets of their own, never merged together."""
    bucket = BUCKETS.get(raw.casefold())
    if bucket:
        return bucket, True
    vendor = norm(raw)
    if vendor is None or not vendor.strip():
        return raw, False
    return vendor, True


def _assemble(
    file: str,
    layout: str,
    unit: str,
    scale: Decimal,
    raw: list[_Raw],
    norm: Normaliser,
    source: str | None,
    *,
    wide: bool,
) -> MarketFile:
    result = MarketFile(file=file, layout=layout, unit=unit)
    notices = result.notices
    names: dict[str, tuple[str, bool]] = {}
    first_line: dict[str, int] = {}
    for r in raw:
        if r.vendor_raw not in names:
            names[r.vendor_raw] = _vendor(r.vendor_raw, norm)
            first_line[r.vendor_raw] = 1 if wide else r.line
    for name, (_, known) in names.items():
        if not known:
            notices.append(
                Notice(
                    "unknown_vendor",
                    f"vendor {name!r} is not in the alias table; kept under its raw name",
                    line=first_line[name],
                    vendor=name,
                )
            )

    # Per period: the lines it came from, then per vendor the summed share and raw names.
    by_period: dict[Period, dict[str, list[_Raw]]] = {}
    period_line: dict[Period, int] = {}
    for r in raw:
        vendor = names[r.vendor_raw][0]
        by_period.setdefault(r.period, {}).setdefault(vendor, []).append(r)
        period_line.setdefault(r.period, r.line)

    if wide:
        latest: Period | None = None
        for period, line in sorted(period_line.items(), key=lambda kv: kv[1]):
            if latest is not None and period < latest:
                notices.append(
                    Notice(
                        "out_of_order",
                        f"period {period.label} at line {line} comes after {latest.label}",
                        line=line,
                        period=period.label,
                    )
                )
            latest = period if latest is None or period > latest else latest

    merged: dict[str, set[str]] = {}
    merged_line: dict[str, int] = {}
    for period in sorted(by_period):
        vendors = by_period[period]
        total = sum(r.value * scale for rs in vendors.values() for r in rs)
        line = period_line[period]
        if total == 0:
            notices.append(
                Notice(
                    "empty_period",
                    f"period {period.label} at line {line} has every share at 0; skipped",
                    line=line,
                    period=period.label,
                )
            )
            continue
        if abs(total - 1) > SUM_TOLERANCE:
            notices.append(
                Notice(
                    "sum_off",
                    f"shares of {period.label} sum to {100 * total:.2f} %, not about 100 %",
                    line=line,
                    period=period.label,
                )
            )
        for vendor, rs in vendors.items():
            raws = [r.vendor_raw for r in rs]
            if len(raws) > 1:
                merged.setdefault(vendor, set()).update(raws)
                merged_line.setdefault(vendor, 1 if wide else rs[1].line)
            srcs = sorted({r.source for r in rs if r.source})
            result.shares.append(
                Share(
                    period=period,
                    vendor=vendor,
                    share=float(sum(r.value * scale for r in rs)),
                    vendor_raw=" + ".join(raws),
                    source="; ".join(srcs) if srcs else source,
                )
            )
    for vendor, names_of in sorted(merged.items()):
        listed = ", ".join(repr(r) for r in sorted(names_of, key=str.casefold))
        notices.append(
            Notice(
                "merged_vendors",
                f"{listed} all name {vendor!r}; their shares are summed",
                line=merged_line[vendor],
                vendor=vendor,
            )
        )
    if not result.shares:
        raise InputError("no period with a share above 0", file=file, line=1)
    return result
