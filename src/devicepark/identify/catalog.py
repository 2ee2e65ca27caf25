"""TAC catalog readers: the layout comes from the header (our CSV, GSMA pipe exports in their 17-,
20- and 25-column releases, the Osmocom tacdb), columns are found by name, never by position.

Every data row is accounted for: ``rows = imported + rejected + duplicates``.

- A TAC is exactly 8 ASCII digits. Spaces or tabs around an otherwise good TAC are *repaired*
  (stripped) and counted in ``repaired``, whether the row is then imported or merged as a
  duplicate (the real Osmocom file has four such rows). Anything else is rejected with its
  physical line number (header of a plain file = line 1) and a reason: ``missing_tac``,
  ``bad_tac``; a row with a wrong number of fields is rejected as ``bad_field_count``, one over
  the line limit every reader shares (1 MiB) as ``field_too_large``, a quote out of place as
  ``bad_quoting``. A header over that limit, or naming a column twice (ignoring case, spaces and
  underscores; the Osmocom tacdb's own repeated ``name`` and ``gsmarena`` excepted), is an error.
- Within one file the last row of a TAC wins. An earlier row with the same catalog content is a
  harmless ``duplicate``; one with different content is a ``conflict``: counted, and listed with
  its line number. Both are merged rows, not rejections.
- ``Not Known`` and ``-`` (any case) mean null; dates look like ``01-Jan-2016`` (ISO dates too).
  The GSMA allocation date's year stands in for ``release_year``.
- Raw strings are kept next to the normalised ones (``manufacturer_raw``, ``brand_raw``...).
- Text is UTF-8 (a BOM is fine); a file that is not valid UTF-8 is read as Windows-1252.
- A file may be gzip-compressed (detected from its bytes) or Parquet (columns read by name as
  text, in the same layouts).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from devicepark.errors import InputError
from devicepark.identify import devicetypes
from devicepark.identify.vendors import UNKNOWN, aliases, resolve
from devicepark.reasons import MAX_LINE_BYTES, Reason
from devicepark.store.schema import CATALOG

__all__ = ["CatalogFile", "Layout", "Reject", "detect_layout", "lookup", "read_catalog"]

NULLS = frozenset({"", "-", "not known"})
_TAC = re.compile(r"[0-9]{8}")
_MONTHS = {
    m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)
}
_HEADER_SCAN = 10  # physical lines searched for the header (Osmocom puts a licence line first)

# Catalog fields -> header names that carry them, per layout family (names are normalised:
# lower case, underscores as spaces, spacing collapsed).
_OWN: dict[str, tuple[str, ...]] = {
    "tac": ("tac",),
    "manufacturer": ("manufacturer",),
    "brand": ("brand",),
    "model": ("model",),
    "marketing_name": ("marketing name",),
    "device_type": ("device type",),
    "os": ("os",),
    "release_year": ("release year",),
}
_GSMA: dict[str, tuple[str, ...]] = {
    "tac": ("tac",),
    "manufacturer": ("manufacturer", "manufacturer (or) applicant"),
    "brand": ("brand name",),
    "model": ("model name",),
    "marketing_name": ("marketing name",),
    "internal_model": ("internal model name",),
    "device_type": ("device type",),
    "os": ("operating system",),
    "allocation_date": ("allocation date",),
}
_GSMA_SIZES = {17: "gsma17", 20: "gsma20", 25: "gsma25"}
_KNOWN = frozenset(n for layout in (_OWN, _GSMA) for names in layout.values() for n in names)
_OSMOCOM_REPEATS = {"name": 2, "gsmarena": 2}  # the published tacdb header repeats these
_CONTENT = ("manufacturer", "brand", "model", "marketing_name", "device_type", "os", "year")


@dataclass(frozen=True)
class Layout:
    """Where the header is and which column holds which field."""

    name: str  # own | gsma17 | gsma20 | gsma25 | gsma (another column count) | osmocom
    delimiter: str
    header_line: int  # physical, 1-based
    width: int
    columns: dict[str, int]


@dataclass(frozen=True)
class Reject:
    line_no: int
    column: str | None
    reason: str


@dataclass
class CatalogFile:
    """One file read: its catalog rows (``CATALOG`` schema, ``import_seq`` null) and its account."""

    path: str
    layout: str
    rows: int
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    conflicts: list[Reject] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    repaired: int = 0

    @property
    def imported(self) -> int:
        return self.table.num_rows

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def duplicates(self) -> int:
        return self.reasons[Reason.DUPLICATE] + self.reasons[Reason.CONFLICT]

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "layout": self.layout,
            "rows": self.rows,
            "imported": self.imported,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "conflicts": len(self.conflicts),
            "reasons": dict(sorted(self.reasons.items())),
            "repaired": self.repaired,
            "skipped": False,
        }


def _read_bytes(path: str | PathLike[str], limit: int) -> bytes:
    """The file's bytes, gunzipped when it is gzip-compressed (detected from the bytes), or a
    Parquet catalog spelled as CSV (columns by name, every value as text)."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(limit)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(
                f"unreadable gzip TAC catalog ({type(exc).__name__})", file=str(path)
            ) from None
    if magic == b"PAR1":
        return _parquet_as_csv(path)
    with open(path, "rb") as fh:
        return fh.read(limit)


def _parquet_as_csv(path: str | PathLike[str]) -> bytes:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            f"unreadable Parquet TAC catalog ({type(exc).__name__})", file=str(path)
        ) from None
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_nested(col.type):
            raise InputError(f"nested Parquet column {name!r} in a TAC catalog", file=str(path))
        columns.append(["" if v is None else str(v) for v in pc.cast(col, pa.string()).to_pylist()])
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue().encode("utf-8")


def _read_text(path: str | PathLike[str], limit: int = -1) -> str:
    try:
        data = _read_bytes(path, limit)
    except OSError as exc:
        raise InputError(
            f"cannot read TAC catalog: {exc.strerror or exc}", file=str(path)
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if limit > 0 and exc.start >= len(data) - 3:  # a character cut by the limit
            return data[: exc.start].decode("utf-8-sig")
        return data.decode("cp1252", errors="replace")


def _names(fields: list[str]) -> list[str]:
    return [" ".join(f.replace("_", " ").split()).lower() for f in fields]


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == "|":
        return line.split("|")
    with _line_limit():
        try:
            return next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            return line.split(delimiter)  # a stray quote: the names are still compared


def _columns(
    names: list[str], wanted: Mapping[str, tuple[str, ...]], problem: str, path: str, no: int
) -> dict[str, int]:
    """Each ``wanted`` key's column: the first of its names the header has. InputError
    ``problem`` if the header has neither a manufacturer nor a brand column (no vendor)."""
    found = {}
    for key, options in wanted.items():
        for option in options:
            if option in names:
                found[key] = names.index(option)
                break
    if "manufacturer" not in found and "brand" not in found:
        raise InputError(problem, file=path, line=no)
    return found


def _unique(
    path: str, no: int, fields: list[str], names: list[str], allowed: Mapping[str, int]
) -> None:
    """InputError naming both columns if two header names are the same (ignoring case, spaces
    and underscores), beyond the ``allowed`` repeats a published layout has by design."""
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        at = seen.setdefault(n, [])
        at.append(i)
        if n and len(at) > allowed.get(n, 1):
            first = at[0]
            known = n in _KNOWN
            what = (f"column {n!r} appears twice in the header (columns {first + 1} and {i + 1}: "
                    f"{fields[first].strip()!r} and {fields[i].strip()!r})" if known
                    else f"columns {first + 1} and {i + 1} have the same name")  # fmt: skip
            raise InputError(
                f"{what}; names are compared ignoring case, spaces and underscores",
                file=path,
                line=no,
                column=n if known else f"#{i + 1}",
                hint="rename or drop one of them",
            )


def _layout(path: str, lines: list[str]) -> Layout:
    for no, line in enumerate(lines[:_HEADER_SCAN], start=1):
        if len(line.encode("utf-8", "replace")) > MAX_LINE_BYTES:
            raise InputError(f"line longer than {MAX_LINE_BYTES} bytes (the line limit) before "
                             "the TAC catalog header", file=path, line=no)  # fmt: skip
        for delimiter in ("|", ",", ";", "\t"):
            if delimiter not in line:
                continue
            fields = _split(line.rstrip("\r\n"), delimiter)
            names = _names(fields)
            if "tac" not in names:
                continue
            if names.count("name") >= 2:
                _unique(path, no, fields, names, _OSMOCOM_REPEATS)
                first = names.index("name")
                second = names.index("name", first + 1)
                cols = {"tac": names.index("tac"), "brand": first, "model": second}
                return Layout("osmocom", delimiter, no, len(names), cols)
            if delimiter == "|" or "marketing name" in names and "brand name" in names:
                problem = "GSMA header has neither 'Manufacturer' nor 'Brand Name'"
                _unique(path, no, fields, names, {})
                cols = _columns(names, _GSMA, problem, path, no)
                return Layout(_GSMA_SIZES.get(len(names), "gsma"), delimiter, no, len(names), cols)
            problem = "TAC catalog header has a 'tac' column but neither 'manufacturer' nor 'brand'"
            _unique(path, no, fields, names, {})
            cols = _columns(names, _OWN, problem, path, no)
            return Layout("own", delimiter, no, len(names), cols)
    raise InputError(
        f"no TAC catalog header in the first {_HEADER_SCAN} lines: expected our CSV "
        "(tac,manufacturer,brand,...), a GSMA export (TAC|Marketing Name|...|Manufacturer|...) or "
        "the Osmocom tacdb (tac,name,name,...)",
        file=path,
    )


def detect_layout(path: str | PathLike[str]) -> Layout:
    """The layout of a catalog file from its header; InputError naming the file if none fits."""
    # the header is near the top; files can be large
    text = _read_text(path, limit=_HEADER_SCAN * (MAX_LINE_BYTES + 2))
    return _layout(str(path), text.splitlines()[:_HEADER_SCAN])


def _null(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    return None if text.casefold() in NULLS else text


def _raw(value: str | None) -> str | None:
    return value if value else None


def _year(value: str | None) -> int | None:
    text = _null(value)
    if text is None:
        return None
    m = re.fullmatch(r"(\d{1,2})[-/ ]([A-Za-z]{3})[-/ ](\d{4})", text)
    if m and m.group(2).lower() in _MONTHS:
        try:
            return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))).year
        except ValueError:
            return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})-(\d{2}))?", text)
    if m and 1970 <= int(m.group(1)) <= 2100:
        if m.group(2):
            try:
                dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
        return int(m.group(1))
    return None


def _rows(reader: Iterator[list[str]], delimiter: str) -> Iterator[list[str] | Reason]:
    """The reader's rows; a row the csv module refuses, or longer than the line limit, as the
    Reason it is rejected for (the reader resumes on the next line)."""
    with _line_limit():
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Reason.FIELD_TOO_LARGE if "field limit" in str(exc) else Reason.BAD_QUOTING
                continue
            size = sum(map(len, row)) + len(row) - 1
            if size > MAX_LINE_BYTES // 4 and len(delimiter.join(row).encode()) > MAX_LINE_BYTES:
                yield Reason.FIELD_TOO_LARGE
                continue
            yield row


@contextmanager
def _line_limit() -> Iterator[None]:
    """csv's field limit raised to the line limit every reader shares (not csv's 128 KiB)."""
    limit = csv.field_size_limit(MAX_LINE_BYTES + 1)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def read_catalog(path: str | PathLike[str]) -> CatalogFile:
    """Read one catalog file: normalised rows, rejects, conflicts and the per-reason account."""
    name = str(path)
    text = _read_text(path)
    layout = _layout(name, text.splitlines()[:_HEADER_SCAN])
    stream = io.StringIO(text, newline="")
    if layout.delimiter == "|":  # GSMA fields may hold a bare '"' (E3372 "Stick"): no quoting
        reader = csv.reader(stream, delimiter="|", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(stream, delimiter=layout.delimiter)
    for _ in _rows(reader, layout.delimiter):
        if reader.line_num >= layout.header_line:
            break
    cols = layout.columns
    source = Path(name).name
    out = CatalogFile(name, layout.name, 0, CATALOG.empty_table())
    records: list[tuple[int, str, dict[str, Any]]] = []
    last_line = reader.line_num
    for row in _rows(reader, layout.delimiter):
        line_no, last_line = last_line + 1, reader.line_num
        if isinstance(row, Reason):
            out.rows += 1
            out.rejects.append(Reject(line_no, None, row.value))
            continue
        if not any(f.strip() for f in row):
            continue  # blank lines are not rows
        out.rows += 1
        if len(row) > layout.width and not any(f.strip() for f in row[layout.width :]):
            row = row[: layout.width]
        if len(row) != layout.width:
            out.rejects.append(Reject(line_no, None, Reason.BAD_FIELD_COUNT.value))
            continue

        def get(key: str, row: list[str] = row) -> str | None:
            i = cols.get(key)
            return row[i] if i is not None else None

        tac_raw = get("tac") or ""
        tac = tac_raw.strip()
        if not tac:
            out.rejects.append(Reject(line_no, "tac", Reason.MISSING_TAC.value))
            continue
        if not _TAC.fullmatch(tac):
            out.rejects.append(Reject(line_no, "tac", Reason.BAD_TAC.value))
            continue
        if tac != tac_raw:
            out.repaired += 1
        year_raw = get("release_year") if layout.name == "own" else get("allocation_date")
        rec = {
            "manufacturer": get("manufacturer"),
            "brand": get("brand"),
            "model": get("model"),
            "marketing_name": get("marketing_name"),
            "internal_model": get("internal_model"),
            "device_type": get("device_type"),
            "os": get("os"),
            "year": year_raw,
        }
        records.append((line_no, tac, rec))
    for r in out.rejects:
        out.reasons[r.reason] += 1

    winner: dict[str, int] = {tac: i for i, (_, tac, _) in enumerate(records)}
    kept = []
    for i, (line_no, tac, rec) in enumerate(records):
        w = winner[tac]
        if w == i:
            kept.append((tac, rec))
            continue
        same = all(_null(rec[k]) == _null(records[w][2][k]) for k in _CONTENT)
        merged = Reason.DUPLICATE if same else Reason.CONFLICT
        out.reasons[merged.value] += 1
        if not same:
            out.conflicts.append(Reject(line_no, "tac", merged.value))
    out.table = _table(kept, source, layout.name)
    return out


def _table(kept: list[tuple[str, dict[str, Any]]], source: str, layout: str) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in CATALOG.names}
    table = aliases()
    for tac, rec in kept:
        model = _null(rec["model"]) or _null(rec["marketing_name"]) or _null(rec["internal_model"])
        who = resolve(_null(rec["manufacturer"]), _null(rec["brand"]), model, table=table)
        values = {
            "tac": tac,
            "vendor": who.vendor,
            "brand": who.brand,
            "model": model,
            "marketing_name": _null(rec["marketing_name"]),
            "device_type": devicetypes.normalize(_null(rec["device_type"])),
            "os": _null(rec["os"]),
            "release_year": _year(rec["year"]),
            "manufacturer_raw": _raw(rec["manufacturer"]),
            "brand_raw": _raw(rec["brand"]),
            "model_raw": _raw(rec["model"]),
            "device_type_raw": _raw(rec["device_type"]),
            "source": source,
            "layout": layout,
            "import_seq": None,
        }
        for key, value in values.items():
            columns[key].append(value)
    return pa.Table.from_pydict(columns, schema=CATALOG)


LOOKUP_KEYS = ("tac", "vendor", "brand", "model", "device_type", "manufacturer_raw", "brand_raw")


def lookup(catalog: pa.Table, tacs: list[str]) -> list[dict[str, Any]]:
    """One dict per TAC asked (keys ``LOOKUP_KEYS``); a TAC in no catalog is vendor Unknown.

    A TAC that is not 8 ASCII digits raises InputError (it can match nothing).
    """
    for i, tac in enumerate(tacs, start=1):
        if not _TAC.fullmatch(tac):
            raise InputError(f"TAC #{i} is not exactly 8 ASCII digits", column="tac")
    hits = catalog.filter(
        pc.is_in(catalog["tac"], value_set=pa.array(sorted(set(tacs)), pa.string()))
    )
    found = {row["tac"]: row for row in hits.select(list(LOOKUP_KEYS)).to_pylist()}
    unknown = {
        "vendor": UNKNOWN,
        "brand": UNKNOWN,
        "model": UNKNOWN,
        "device_type": devicetypes.OTHER,
        "manufacturer_raw": None,
        "brand_raw": None,
    }
    return [found.get(tac) or {"tac": tac, **unknown} for tac in tacs]
