"""Readers for operator exports: CSV (plain or gzip) with a header, or Parquet.

Every row keeps its physical line number, so any rejection names file, line and column. CSV is
read with one explicit rule (comma, double quote, one row per line, lines up to 1 MiB), never
sniffed; ``split_line`` is that rule for one line. Blocks of whole lines go through Arrow's fast
parser only when every line is of the plain shape on which Arrow and the rule agree (fields
quoted with "" inside, or free of quotes; no carriage return but before the line break); any
other block is read line by line, in batches of at most ``EXACT_ROWS`` lines, so a bad line is
rejected alone and never swallows the lines after it. Blank lines are dropped by one vectorised
rule in both paths, and a run of more than ``MAX_BLANK_RUN`` of them is a whole-file error.

Messages name file, line and column, never a value read from the file (not even a header name,
unless it is one of the columns devicepark knows).
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from devicepark.errors import InputError
from devicepark.reasons import MAX_LINE_BYTES, Reason

BLOCK_BYTES = 16 << 20
MAX_BLANK_RUN = 1000  # more blank lines in a row: a whole-file error
PARSE_CHUNK_BYTES = 1 << 20  # Arrow's parse chunk
EXACT_ROWS = 1 << 16  # lines per batch of the line-by-line path
BLOCK_ROWS = 1 << 18  # lines per block at most: a block of tiny rows is cut (bounded memory)
PARQUET_ROWS = (1 << 10, 1 << 20)  # rows per Parquet batch: about BLOCK_BYTES of data, in bounds
DEFLATE_MAX_RATIO = 1032  # deflate never expands a byte into more than 1032 bytes
OTHER_DELIMITERS = (";", "\t", "|")
IDENTIFIERS = ("line_id", "customer_id", "imei")  # must be text in a Parquet input
# The plain shape Arrow is trusted with: fields either quoted ("" inside, no CR or LF) or free of
# quotes and CR; a CR only before the line break. Arrow would join an unterminated quote with the
# next lines, glue '"ab"c' into 'abc', read a quote inside an unquoted field and split a line at
# a bare carriage return; such blocks are read line by line.
_FIELD = rb'(?:"(?:[^"\r\n]|"")*+"|[^",\r\n]*+)'
_WELL_FORMED = re.compile(rb"(?:" + _FIELD + rb"(?:," + _FIELD + rb")*+\r?\n)*+")
# One field of the line-by-line rule (a decoded line, its trailing CRs removed): quoted, with
# "" for a quote inside (CR allowed), or unquoted: not starting with a quote, no comma or CR.
_TEXT_FIELD = re.compile(r'"(?:[^"]++|"")*+"|(?!")[^,\r]*+')
_BLANK_BYTES = np.zeros(256, dtype=bool)
_BLANK_BYTES[list(b" \t\n\r\x0b\x0c")] = True  # a line of only these bytes is blank


@dataclass
class Batch:
    """Rows of one block: string columns (lower-case names) plus their physical line numbers."""

    table: pa.Table  # all columns string, nulls never (empty string instead)
    line_no: np.ndarray  # int64, same length as table
    bad_rows: list[tuple[int, str | None, str]] = field(
        default_factory=list
    )  # (line, column, reason)
    blank_lines: int = 0
    bytes_read: int = 0  # bytes of the (decompressed) file this batch covers


@dataclass
class InputFile:
    path: Path
    fmt: str  # csv | parquet
    columns: list[str]  # lower-cased header names, in file order
    size: int
    known: tuple[str, ...] = ()  # the columns devicepark reads from this kind of file
    gzip: bool = False
    header_bytes: int = 0
    rows: int | None = None  # Parquet: the file's row count

    @property
    def name(self) -> str:
        return str(self.path)

    def rows_left_max(self, bytes_done: int, rows_done: int) -> int:
        """The most rows the rest of the file can hold, once ``bytes_done`` bytes (decompressed)
        or ``rows_done`` rows are read: a row takes at least 2 bytes (a character and a line
        break); a gzip file holds at most 1032 times its size (deflate's limit)."""
        if self.fmt == "parquet":
            return max(0, (self.rows or 0) - rows_done)
        left = self.size * (DEFLATE_MAX_RATIO if self.gzip else 1) - self.header_bytes - bytes_done
        return left // 2 + 1 if left > 0 else 0


def split_line(text: str) -> list[str] | None:
    """The fields of one CSV line (no line break), or None when its quotes are out of place.

    >>> split_line('a,"b,c","d""e",x"y,')
    ['a', 'b,c', 'd"e', 'x"y', '']
    >>> split_line('"ab"c') is None, split_line('a,"b') is None
    (True, True)
    """
    fields: list[str] = []
    pos, end = 0, len(text)
    while True:
        m = _TEXT_FIELD.match(text, pos)
        if m is None:
            return None
        value = m.group()
        fields.append(value[1:-1].replace('""', '"') if value.startswith('"') else value)
        pos = m.end()
        if pos == end:
            return fields
        if text[pos] != ",":
            return None
        pos += 1


def open_input(
    path: str | Path, required: tuple[str, ...], kind: str, known: Sequence[str] = ()
) -> InputFile:
    """Check a file's existence, format and header; raise InputError naming what is wrong.

    ``known`` are the columns devicepark reads from this kind of file (the required ones
    included); only those are checked for their type, and only their names appear in messages.
    """
    p = Path(path)
    known = tuple(dict.fromkeys([*required, *known]))
    try:
        if not p.exists():
            raise InputError(f"no such {kind} file", file=str(p))
        if not p.is_file():
            raise InputError(f"not a regular file ({kind})", file=str(p))
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read the {kind} file ({describe(exc)})", file=str(p)) from None
    if size == 0:
        raise InputError("empty file: expected a header line", file=str(p), line=1)
    name = p.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        info, raw = _open_parquet(p, size, known)
    else:
        header, nbytes, gz = _header_line(p)
        fields = split_line(header) if header else []
        if fields is None or (
            len(fields) == 1 and not set(required) <= {fields[0].lower().strip()}
        ):
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
        if fields is None:
            raise InputError(
                "the header is not valid CSV (a quote out of place)",
                file=str(p),
                line=1,
                hint='names may be quoted, with "" for a quote inside',
            )
        raw = fields
        info = InputFile(p, "csv", [c.lower().strip() for c in raw], size, known, gz, nbytes)
    columns = info.columns
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError(
            f"missing required column {', '.join(repr(m) for m in missing)} "
            f"(found: {_shown(columns, known)})",
            file=str(p),
            line=1,
        )
    seen: dict[str, int] = {}
    for i, c in enumerate(columns):
        if c in seen and c:  # unnamed columns (a header ending in commas) are never read
            first = seen[c]
            if c in known:
                what = (
                    f"column {c!r} appears twice in the header (columns {first + 1} and {i + 1}: "
                    f"{raw[first].strip()!r} and {raw[i].strip()!r})"
                )
            else:
                what = f"columns {first + 1} and {i + 1} have the same name"
            raise InputError(
                f"{what}; names are compared ignoring case and surrounding spaces",
                file=str(p),
                line=1,
                column=c if c in known else f"#{i + 1}",
                hint="rename or drop one of them",
            )
        seen[c] = i
    return info


def _open_parquet(p: Path, size: int, known: tuple[str, ...]) -> tuple[InputFile, list[str]]:
    try:
        meta = pq.read_metadata(p)
        schema = pq.read_schema(p)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"unreadable Parquet file ({describe(exc)})", file=str(p)) from None
    raw = list(schema.names)
    columns = [c.lower().strip() for c in raw]
    info = InputFile(p, "parquet", columns, size, known, rows=meta.num_rows)
    for name_, type_ in zip(columns, schema.types, strict=True):
        if name_ not in known:
            continue  # extra columns are never read
        base = type_.value_type if pa.types.is_dictionary(type_) else type_
        if pa.types.is_nested(base):
            raise InputError(
                f"column {name_!r} holds nested values ({_family(base)}): devicepark reads flat "
                "columns only; nothing was committed",
                file=str(p),
                column=name_,
                hint="write the column as text",
            )
        if name_ in IDENTIFIERS and not _is_text(base):
            raise InputError(
                f"column {name_!r} is stored as {_family(type_)}: identifiers must be text "
                "(as numbers they lose their leading zeros, e.g. an IMEI whose TAC starts "
                "with 01); nothing was committed",
                file=str(p),
                column=name_,
                hint="write the column as a string",
            )
    return info, raw


def _is_text(type_: pa.DataType) -> bool:
    view = getattr(pa.types, "is_string_view", lambda t: False)
    return bool(pa.types.is_string(type_) or pa.types.is_large_string(type_) or view(type_))


def _family(type_: pa.DataType) -> str:
    """A type's family for a message (a struct's field names are not shown)."""
    if pa.types.is_struct(type_):
        return "a struct"
    if pa.types.is_map(type_):
        return "a map"
    if pa.types.is_nested(type_):
        return "a list" if "list" in str(type_) else "a nested type"
    if pa.types.is_dictionary(type_):
        return f"a dictionary of {_family(type_.value_type)}"
    return str(type_)


def _shown(columns: list[str], known: tuple[str, ...]) -> str:
    """The header for a message: the names devicepark knows, and how many others. Any other
    name may be data (a file without a header starts with a row of values): never repeated."""
    names = [c for c in columns if c in known]
    others = len([c for c in columns if c and c not in known])
    if others:
        names.append(f"{others} other column{'s' if others > 1 else ''}")
    if not names:
        return "no column names"
    text = ", ".join(names)
    if not any(c in known for c in columns):
        text += "; is the header line missing?"
    return text


def describe(exc: BaseException) -> str:
    """What went wrong reading a file, in words that never quote its content (a library's own
    message may: gzip quotes the first bytes of a file that is not gzip)."""
    if isinstance(exc, EOFError):
        return "the compressed data ends early"
    if isinstance(exc, zlib.error | gzip.BadGzipFile):
        return "corrupt compressed data"
    if isinstance(exc, pa.ArrowException) and not isinstance(exc, OSError):
        return "not a Parquet file, or a damaged one"
    if isinstance(exc, OSError) and exc.errno:
        return f"{os.strerror(exc.errno)} [{errno.errorcode.get(exc.errno, exc.errno)}]"
    if isinstance(exc, OSError):
        return "damaged or unreadable data"
    return type(exc).__name__


def _is_gzip(p: Path) -> bool:
    with open(p, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_bytes(p: Path) -> io.BufferedIOBase:
    if _is_gzip(p):
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return open(p, "rb")


def _header_line(p: Path) -> tuple[str, int, bool]:
    """The header line as text (BOM removed), its bytes with the line break, and whether the
    file is gzip."""
    try:
        gz = _is_gzip(p)
        with _open_bytes(p) as fh:
            raw = fh.readline(MAX_LINE_BYTES + 2)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"unreadable file ({describe(exc)})", file=str(p), line=1) from None
    nbytes = len(raw)
    text = raw[:-1] if raw.endswith(b"\n") else raw
    text = text[:-1] if text.endswith(b"\r") else text
    if len(text) > MAX_LINE_BYTES:
        raise InputError(
            f"the header line is longer than {MAX_LINE_BYTES} bytes (the line limit)",
            file=str(p),
            line=1,
        )
    text = text.rstrip(b"\r")
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    try:
        return text.decode("utf-8"), nbytes, gz
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


def iter_batches(info: InputFile, wanted: list[str], *, exact: bool = False) -> Iterator[Batch]:
    """Yield the file's rows in blocks, with the wanted columns only (missing optional: empty).

    ``exact`` reads every CSV line by the line-by-line rule (tests compare it with the fast path).
    """
    if info.fmt == "parquet":
        yield from _parquet_batches(info, wanted)
    else:
        yield from _csv_batches(info, wanted, exact)


def _parquet_batches(info: InputFile, wanted: list[str]) -> Iterator[Batch]:
    start = 1
    try:
        pf = pq.ParquetFile(info.path)
        names = {c.lower().strip(): c for c in pf.schema_arrow.names}
        present = [names[w] for w in wanted if w in names]
        meta = pf.metadata
        data = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        per_row = max(1, data // max(1, meta.num_rows))
        size = int(np.clip(BLOCK_BYTES // per_row, *PARQUET_ROWS))
        for rb in pf.iter_batches(batch_size=size, columns=present):
            n = rb.num_rows
            cols = {}
            for w in wanted:
                if w in names:
                    cols[w] = _as_string(rb.column(names[w]), w, info)
                else:
                    cols[w] = pa.array([""] * n, pa.string())
            read = n * info.size // max(1, meta.num_rows)
            nums = np.arange(start, start + n, dtype=np.int64)
            yield Batch(pa.table(cols), nums, bytes_read=read)
            start += n
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"unreadable Parquet data ({describe(exc)})", file=info.name, line=start
        ) from None


def _as_string(arr: pa.Array, column: str, info: InputFile) -> pa.Array:
    try:
        if pa.types.is_dictionary(arr.type):  # pandas categoricals
            arr = arr.dictionary_decode()
        if pa.types.is_date(arr.type):
            arr = pc.strftime(arr, format="%Y-%m-%d")
        elif pa.types.is_timestamp(arr.type):
            if arr.type.tz:
                arr = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S%z")
            else:
                arr = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
        return pc.fill_null(arr.cast(pa.string()), "")
    except pa.ArrowException:
        raise InputError(
            f"column {column!r} holds {_family(arr.type)} values that cannot be read as text",
            file=info.name,
            column=column,
            hint="write the column as text",
        ) from None


@dataclass
class _Blanks:
    run: int = 0  # blank lines at the end of the blocks read so far


def _csv_batches(info: InputFile, wanted: list[str], exact: bool) -> Iterator[Batch]:
    columns = info.columns
    ncols = len(columns)
    index = {c: i for i, c in enumerate(columns)}
    header_bytes = (",".join(f"c{i}" for i in range(ncols)) + "\n").encode()
    line = 1  # the header
    carry = b""
    blanks = _Blanks()
    fh = _open_bytes(info.path)
    try:
        fh.readline(MAX_LINE_BYTES + 2)  # header, already checked
        while True:
            try:
                chunk = fh.read(BLOCK_BYTES)
            except (EOFError, OSError, zlib.error) as exc:
                at, col = _damage_point(info)
                raise InputError(
                    f"truncated or corrupt file: the data stops inside line {at} "
                    f"({describe(exc)}); nothing was committed",
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
            for piece in _pieces(block):
                yield from _parse_block(
                    info, piece, header_bytes, line + 1, ncols, index, wanted, blanks, exact
                )
                line += piece.count(b"\n")
    finally:
        fh.close()


def _pieces(block: bytes) -> Iterator[bytes]:
    """The block cut at line breaks into pieces of at most BLOCK_ROWS lines."""
    if block.count(b"\n") <= BLOCK_ROWS:
        yield block
        return
    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
    start = 0
    for end in ends[BLOCK_ROWS - 1 :: BLOCK_ROWS].tolist() + [len(block) - 1]:
        if end >= start:
            yield block[start : end + 1]
        start = end + 1


def _empty_batch(wanted: list[str]) -> pa.Table:
    return pa.table({w: pa.array([], pa.string()) for w in wanted})


def _parse_block(
    info: InputFile,
    block: bytes,
    header: bytes,
    first_line: int,
    ncols: int,
    index: dict[str, int],
    wanted: list[str],
    blanks: _Blanks,
    exact: bool,
) -> Iterator[Batch]:
    """Fast path through Arrow when the block is plain; else line by line."""
    if exact or not (ncols > 1 and _plain(block)):
        yield from _exact_block(info, block, first_line, ncols, index, wanted, blanks)
        return
    carried = blanks.run
    body, keep, nlines = block, None, block.count(b"\n")
    if block.startswith((b"\n", b"\r\n")) or b"\n\n" in block or b"\n\r\n" in block:
        starts, ends, blank = _line_bounds(block)
        _check_blank_runs(info, blank, first_line, blanks)
        keep = ~blank
        body = np.frombuffer(block, np.uint8)[np.repeat(keep, ends - starts + 1)].tobytes()
    rows = nlines if keep is None else int(keep.sum())
    if not rows:
        yield Batch(_empty_batch(wanted), np.zeros(0, np.int64), [], nlines, len(block))
        return
    # Arrow reads a line of spaces as a row of one field: with two columns or more its count
    # disagrees and the block is read line by line, where such a line is blank.
    table = None if _has_long_line(body) else _arrow_parse(body, header, ncols)
    if table is None or table.num_rows != rows:
        blanks.run = carried
        yield from _exact_block(info, block, first_line, ncols, index, wanted, blanks)
        return
    if keep is None:
        blanks.run = 0
    cols = {}
    for w in wanted:
        cols[w] = table.column(f"c{index[w]}") if w in index else pa.array([""] * rows, pa.string())
    nums = np.arange(first_line, first_line + nlines, dtype=np.int64)
    yield Batch(
        pa.table(cols),
        nums if keep is None else nums[keep],
        blank_lines=nlines - rows,
        bytes_read=len(block),
    )


def _arrow_parse(body: bytes, header: bytes, ncols: int) -> pa.Table | None:
    try:
        return pacsv.read_csv(
            io.BytesIO(header + body),
            # 1 MiB parse chunks: the table comes back in many record batches, which both Arrow
            # and DuckDB then work on in parallel.
            read_options=pacsv.ReadOptions(use_threads=True, block_size=PARSE_CHUNK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(ncols)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None


def _plain(block: bytes) -> bool:
    """Whether Arrow reads this block exactly as the line-by-line rule would."""
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


def _line_bounds(block: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and line-break offsets of each line of a block (which ends with a line break), and
    which lines are blank (only spaces, tabs, CR, VT, FF)."""
    data = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(data == 10)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    blank = ~np.maximum.reduceat(~_BLANK_BYTES[data], starts)
    return starts, ends, blank


def _check_blank_runs(info: InputFile, blank: np.ndarray, first_line: int, blanks: _Blanks) -> None:
    """Raise at the line where a run of blank lines passes MAX_BLANK_RUN; carry the last run."""
    filled = np.flatnonzero(~blank)
    # the index of the line before each run of blanks (-1 - carried run: the run goes on)
    before = np.concatenate(([-1 - blanks.run], filled))
    after = np.concatenate((filled, [len(blank)]))
    runs = after - before - 1
    over = np.flatnonzero(runs > MAX_BLANK_RUN)
    if over.size:
        at = first_line + int(before[over[0]]) + MAX_BLANK_RUN + 1
        raise InputError(
            f"more than {MAX_BLANK_RUN} blank lines in a row: not an export devicepark reads "
            "(a padded, corrupt or hostile file); nothing was committed",
            file=info.name,
            line=at,
            hint="remove the blank lines",
        )
    blanks.run = int(runs[-1])


def _exact_block(
    info: InputFile,
    block: bytes,
    first_line: int,
    ncols: int,
    index: dict[str, int],
    wanted: list[str],
    blanks: _Blanks,
) -> Iterator[Batch]:
    """Line-by-line parse of a block, EXACT_ROWS lines at a time: each bad line alone."""
    starts_a, ends_a, blank_a = _line_bounds(block)
    _check_blank_runs(info, blank_a, first_line, blanks)
    nlines = len(ends_a)
    for lo in range(0, nlines, EXACT_ROWS):
        hi = min(nlines, lo + EXACT_ROWS)
        starts = starts_a[lo:hi].tolist()
        ends = ends_a[lo:hi].tolist()
        blank = blank_a[lo:hi].tolist()
        rows: dict[str, list[str]] = {w: [] for w in wanted}
        nums: list[int] = []
        bad: list[tuple[int, str | None, str]] = []
        nblank = 0
        for offset, (start, end, is_blank) in enumerate(zip(starts, ends, blank, strict=True)):
            if is_blank:
                nblank += 1
                continue
            no = first_line + lo + offset
            problem = _read_line(block[start:end], ncols, rows, index, wanted)
            if problem is None:
                nums.append(no)
            else:
                bad.append((no, _colname(info, problem[0]), problem[1]))
        table = (
            pa.table({w: pa.array(v, pa.string()) for w, v in rows.items()})
            if nums
            else _empty_batch(wanted)
        )
        read = ends[-1] + 1 - starts[0]
        yield Batch(table, np.array(nums, dtype=np.int64), bad, nblank, read)


def _read_line(
    raw: bytes, ncols: int, rows: dict[str, list[str]], index: dict[str, int], wanted: list[str]
) -> tuple[int, str] | None:
    """Apply the rule to one non-blank line: append its fields to ``rows`` and return None, or
    return (column index, reason)."""
    raw = raw.rstrip(b"\r")
    if len(raw) > MAX_LINE_BYTES:
        sizes = [len(f) for f in raw.split(b",")]
        return sizes.index(max(sizes)), Reason.FIELD_TOO_LARGE.value
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return raw[: exc.start].count(b","), Reason.INVALID_UTF8.value
    if text.count('"') % 2:
        return _quote_column(text), Reason.UNTERMINATED_QUOTE.value
    fields = split_line(text)
    if fields is None:
        return _quote_column(text), Reason.BAD_QUOTING.value
    if len(fields) != ncols:  # the column where the row stops matching the header
        return min(len(fields), ncols), Reason.BAD_FIELD_COUNT.value
    for w in wanted:
        rows[w].append(fields[index[w]] if w in index else "")
    return None


def _colname(info: InputFile, i: int | None) -> str | None:
    """A column for a message or the quarantine: its name when devicepark knows it, else its
    position (#4): any other header name may be data."""
    if i is None:
        return None
    if 0 <= i < len(info.columns) and info.columns[i] in info.known:
        return info.columns[i]
    return f"#{i + 1}"


def _quote_column(text: str) -> int:
    """The index of the field where an odd quote opens (best effort, for the error message)."""
    pos = text.rfind('"')
    return text[:pos].count(",") if pos >= 0 else 0
