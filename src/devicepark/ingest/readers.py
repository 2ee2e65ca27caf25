"""Readers for operator exports: CSV (plain or gzip) with a header, or Parquet.

Every row keeps its physical line number, so any rejection names file, line and column. CSV is
read with an explicit dialect (comma, double quote, one row per line), never sniffed. Blocks of
whole lines go through Arrow's fast parser; a block whose parse disagrees with its line count
(an unterminated quote, a wrong number of fields, invalid UTF-8) is re-read line by line, so a
bad line is rejected alone and never swallows the lines after it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from devicepark.errors import InputError
from devicepark.reasons import Reason

BLOCK_BYTES = 16 << 20
MAX_LINE_BYTES = 1 << 20  # a longer line is rejected as field_too_large
PARSE_CHUNK_BYTES = 1 << 20  # Arrow's parse chunk; a block with a longer line takes the slow path
OTHER_DELIMITERS = (";", "\t", "|")
IDENTIFIERS = ("line_id", "customer_id", "imei")  # must be text in a Parquet input
# One CSV row per line: fields either quoted ("" inside) or free of quotes. Arrow is only trusted
# with blocks made of such lines: it would join an unterminated quote with the next lines, glue
# '"ab"c' into 'abc', read a stray quote that the line-by-line rules reject, and split a line at a
# bare carriage return. Other blocks are read line by line.
_FIELD = rb'(?:"(?:[^"\r\n]|"")*+"|[^",\r\n]*+)'
_WELL_FORMED = re.compile(rb"(?:" + _FIELD + rb"(?:," + _FIELD + rb")*+\r?\n)*+")


@dataclass
class Batch:
    """Rows of one block: string columns (lower-case names) plus their physical line numbers."""

    table: pa.Table  # all columns string, nulls never (empty string instead)
    line_no: np.ndarray  # int64, same length as table
    bad_rows: list[tuple[int, str | None, str]] = field(
        default_factory=list
    )  # (line, column, reason)
    blank_lines: int = 0
    bytes_read: int = 0


@dataclass
class InputFile:
    path: Path
    fmt: str  # csv | parquet
    columns: list[str]  # lower-cased header names, in file order
    size: int

    @property
    def name(self) -> str:
        return str(self.path)


def open_input(path: str | Path, required: tuple[str, ...], kind: str) -> InputFile:
    """Check a file's existence, format and header; raise InputError naming what is wrong."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such {kind} file", file=str(p))
    if not p.is_file():
        raise InputError(f"not a regular file ({kind})", file=str(p))
    size = p.stat().st_size
    if size == 0:
        raise InputError("empty file: expected a header line", file=str(p), line=1)
    name = p.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        try:
            schema = pq.read_schema(p)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"unreadable Parquet file ({_short(exc)})", file=str(p)) from None
        columns = [c.lower().strip() for c in schema.names]
        info = InputFile(p, "parquet", columns, size)
        for name_, type_ in zip(columns, schema.types, strict=True):
            if name_ in IDENTIFIERS and not (
                pa.types.is_string(type_) or pa.types.is_large_string(type_)
            ):
                raise InputError(
                    f"column {name_!r} is stored as {type_}: identifiers must be text "
                    "(as numbers they lose their leading zeros, e.g. an IMEI whose TAC starts "
                    "with 01); nothing was committed",
                    file=str(p),
                    column=name_,
                    hint="write the column as a string",
                )
    else:
        header = _header_line(p)
        columns = [c.lower().strip() for c in next(csv.reader([header]))] if header else []
        info = InputFile(p, "csv", columns, size)
        if len(columns) == 1 and not set(required) <= set(columns):
            for d in OTHER_DELIMITERS:
                if d in header:
                    raise InputError(
                        f"wrong delimiter: the header is split by {d!r}, "
                        "devicepark reads comma-separated files",
                        file=str(p),
                        line=1,
                        column=1,
                        hint="re-export with ',' as the delimiter",
                    )
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError(
            f"missing required column {', '.join(repr(m) for m in missing)} "
            f"(found: {_shown(columns)})",
            file=str(p),
            line=1,
        )
    dup = sorted({c for c in columns if columns.count(c) > 1 and c in required})
    if dup:
        raise InputError(f"column {dup[0]!r} appears twice in the header", file=str(p), line=1)
    return info


def _shown(columns: list[str]) -> str:
    """Header names for a message; a name holding 5+ digits may be data (a file without a
    header starts with a row of identifiers) and is never repeated."""
    if not columns or columns == [""]:
        return "none"
    names = [
        c if sum(ch.isdecimal() for ch in c) < 5 and len(c) <= 64 else "<value hidden>"
        for c in columns
    ]
    return ", ".join(names)


def _is_gzip(p: Path) -> bool:
    with open(p, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_bytes(p: Path) -> io.BufferedIOBase:
    if _is_gzip(p):
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return open(p, "rb")


def _header_line(p: Path) -> str:
    try:
        with _open_bytes(p) as fh:
            raw = fh.readline(MAX_LINE_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"unreadable file ({_short(exc)})", file=str(p), line=1) from None
    raw = raw.rstrip(b"\r\n")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "invalid UTF-8 in the header", file=str(p), line=1, column=exc.start + 1
        ) from None


def _damage_point(info: InputFile) -> tuple[int, str | None]:
    """Where a corrupt gzip stream stops: the physical line (header = 1) and the column in it."""
    newlines, tail = 0, b""
    dec = zlib.decompressobj(wbits=47)  # gzip or zlib header, auto-detected
    try:
        with open(info.path, "rb") as fh:
            while raw := fh.read(1 << 16):
                while raw:
                    out = dec.decompress(raw)
                    newlines += out.count(b"\n")
                    cut = out.rfind(b"\n")
                    tail = out[cut + 1 :] if cut >= 0 else (tail + out)[-MAX_LINE_BYTES:]
                    raw = dec.unused_data
                    if dec.eof and raw:
                        dec = zlib.decompressobj(wbits=47)  # the next gzip member
                    else:
                        break
    except (OSError, zlib.error):
        pass
    column = _colname(info, tail.count(b",")) if tail else None
    return newlines + 1, column


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def iter_batches(info: InputFile, wanted: list[str]) -> Iterator[Batch]:
    """Yield the file's rows in blocks, with the wanted columns only (missing optional: empty)."""
    if info.fmt == "parquet":
        yield from _parquet_batches(info, wanted)
    else:
        yield from _csv_batches(info, wanted)


def _parquet_batches(info: InputFile, wanted: list[str]) -> Iterator[Batch]:
    pf = pq.ParquetFile(info.path)
    names = {c.lower().strip(): c for c in pf.schema_arrow.names}
    present = [names[w] for w in wanted if w in names]
    start = 1
    try:
        for rb in pf.iter_batches(batch_size=1 << 20, columns=present):
            n = rb.num_rows
            cols = {}
            for w in wanted:
                if w in names:
                    arr = rb.column(names[w])
                    cols[w] = _as_string(arr)
                else:
                    cols[w] = pa.array([""] * n, pa.string())
            yield Batch(pa.table(cols), np.arange(start, start + n, dtype=np.int64), bytes_read=0)
            start += n
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"unreadable Parquet data ({_short(exc)})", file=info.name, line=start
        ) from None


def _as_string(arr: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    if pa.types.is_date(arr.type):
        arr = pc.strftime(arr, format="%Y-%m-%d")
    elif pa.types.is_timestamp(arr.type):
        if arr.type.tz:
            arr = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S%z")
        else:
            arr = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
    elif not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return pc.fill_null(arr.cast(pa.string()), "")


def _csv_batches(info: InputFile, wanted: list[str]) -> Iterator[Batch]:
    columns = info.columns
    ncols = len(columns)
    index = {c: i for i, c in enumerate(columns)}
    header_bytes = (",".join(f"c{i}" for i in range(ncols)) + "\n").encode()
    line = 1  # the header
    carry = b""
    try:
        fh = _open_bytes(info.path)
        fh.readline(MAX_LINE_BYTES)  # header, already checked
        while True:
            try:
                chunk = fh.read(BLOCK_BYTES)
            except (EOFError, OSError, zlib.error) as exc:
                at, col = _damage_point(info)
                raise InputError(
                    f"truncated or corrupt file: the data stops inside line {at} ({_short(exc)}); "
                    "nothing was committed",
                    file=info.name,
                    line=at,
                    column=col,
                    hint="export or copy the file again",
                ) from None
            if not chunk:
                block, carry = carry, b""
                if not block:
                    break
                if not block.endswith(b"\n"):
                    block += b"\n"
            else:
                data = carry + chunk
                cut = data.rfind(b"\n")
                if cut < 0:
                    if len(data) > 4 * BLOCK_BYTES:
                        raise InputError(
                            f"a line longer than {4 * BLOCK_BYTES} bytes "
                            "(an enormous field or no line breaks)",
                            file=info.name,
                            line=line + 1,
                        )
                    carry = data
                    continue
                block, carry = data[: cut + 1], data[cut + 1 :]
            nlines = block.count(b"\n")
            yield _parse_block(info, block, header_bytes, line + 1, nlines, ncols, index, wanted)
            line += nlines
    finally:
        try:
            fh.close()
        except Exception:  # noqa: BLE001
            pass


def _empty_batch(wanted: list[str]) -> pa.Table:
    return pa.table({w: pa.array([], pa.string()) for w in wanted})


def _parse_block(
    info: InputFile,
    block: bytes,
    header: bytes,
    first_line: int,
    nlines: int,
    ncols: int,
    index: dict[str, int],
    wanted: list[str],
) -> Batch:
    """Fast path through Arrow; fall back to line-by-line when the counts disagree."""
    try:
        table = pacsv.read_csv(
            io.BytesIO(header + block),
            # 1 MiB parse chunks: the table comes back in many record batches, which both Arrow
            # and DuckDB then work on in parallel.
            read_options=pacsv.ReadOptions(use_threads=True, block_size=PARSE_CHUNK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(ncols)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
        blank = _count_blank(block)
        ok = table.num_rows + blank == nlines
    except (pa.ArrowInvalid, UnicodeDecodeError):
        ok = False
    if ok and blank == 0 and not _has_long_line(block) and _plain(block):
        cols = {}
        for w in wanted:
            cols[w] = (
                table.column(f"c{index[w]}")
                if w in index
                else pa.array([""] * table.num_rows, pa.string())
            )
        return Batch(
            pa.table(cols),
            np.arange(first_line, first_line + nlines, dtype=np.int64),
            bytes_read=len(block),
        )
    return _slow_block(info, block, first_line, ncols, index, wanted)


def _plain(block: bytes) -> bool:
    """Whether Arrow reads this block exactly as the line-by-line parser would."""
    if b'"' not in block and b"\r" not in block:
        return True
    return _WELL_FORMED.fullmatch(block) is not None


def _has_long_line(block: bytes) -> bool:
    if len(block) <= MAX_LINE_BYTES:
        return False
    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)  # every "\n", vectorised
    lengths = np.diff(ends, prepend=-1) - 1
    return (
        bool(lengths.max(initial=0) > MAX_LINE_BYTES)
        or len(block) - 1 - (int(ends[-1]) if len(ends) else -1) > MAX_LINE_BYTES
    )


def _count_blank(block: bytes) -> int:
    if b"\n\n" not in block and not block.startswith((b"\n", b"\r\n")) and b"\n\r\n" not in block:
        return 0
    return sum(1 for ln in block.split(b"\n")[:-1] if not ln.strip(b"\r"))


def _slow_block(
    info: InputFile,
    block: bytes,
    first_line: int,
    ncols: int,
    index: dict[str, int],
    wanted: list[str],
) -> Batch:
    """Line-by-line parse of a messy block: each bad line is rejected alone."""
    rows: dict[str, list[str]] = {w: [] for w in wanted}
    nums: list[int] = []
    bad: list[tuple[int, str | None, str]] = []
    blank = 0
    lines = block.split(b"\n")[:-1]
    for offset, raw in enumerate(lines):
        no = first_line + offset
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            blank += 1
            continue
        if len(raw) > MAX_LINE_BYTES:
            sizes = [len(f) for f in raw.split(b",")]
            bad.append((no, _colname(info, sizes.index(max(sizes))), Reason.FIELD_TOO_LARGE.value))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            col = raw[: exc.start].count(b",")
            bad.append((no, _colname(info, col), Reason.INVALID_UTF8.value))
            continue
        if text.count('"') % 2:
            bad.append((no, _colname(info, _quote_column(text)), Reason.UNTERMINATED_QUOTE.value))
            continue
        try:
            fields = next(csv.reader([text], strict=True))
        except csv.Error:
            bad.append((no, _colname(info, _quote_column(text)), Reason.BAD_QUOTING.value))
            continue
        if len(fields) != ncols:  # the column where the row stops matching the header
            bad.append((no, _colname(info, min(len(fields), ncols)), Reason.BAD_FIELD_COUNT.value))
            continue
        for w in wanted:
            rows[w].append(fields[index[w]] if w in index else "")
        nums.append(no)
    table = (
        pa.table({w: pa.array(v, pa.string()) for w, v in rows.items()})
        if nums
        else _empty_batch(wanted)
    )
    return Batch(table, np.array(nums, dtype=np.int64), bad, blank, len(block))


def _colname(info: InputFile, i: int | None) -> str | None:
    if i is None:
        return None
    return info.columns[i] if 0 <= i < len(info.columns) else f"#{i + 1}"


def _quote_column(text: str) -> int:
    """The index of the field where an odd quote opens (best effort, for the error message)."""
    pos = text.rfind('"')
    return text[:pos].count(",") if pos >= 0 else 0
