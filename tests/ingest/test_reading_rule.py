"""One CSV reading rule (issue 18, items 6 and 7): the fast (Arrow) and the exact (line by line)
readers give the same rows and reasons whatever else is in the block; the field and line limits
are one (1 MiB a line, a field may fill it), for rows and the header alike; blank lines follow
one rule; duplicate column names are refused for every column, in CSV and Parquet."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.errors import InputError
from devicepark.ingest import readers

HEADER = b"line_id,imei,observed_at,note\n"
WANTED = ["line_id", "imei", "observed_at"]
KNOWN = ("line_id", "imei", "observed_at")
GOOD = b"+33600000001,860000010001013,2022-01-10T10:00:00Z,"


def read(path: Path, exact: bool) -> tuple[list, list, int, str | None]:
    """(rows, rejects, blank lines, whole-file error) of a file read one way."""
    rows, bad, blank = [], [], 0
    try:
        info = readers.open_input(path, tuple(WANTED), "observations", KNOWN)
        for batch in readers.iter_batches(info, WANTED, exact=exact):
            cols = [batch.table.column(c).to_pylist() for c in WANTED]
            rows += [(int(n), *v) for n, *v in zip(batch.line_no, *cols, strict=True)]
            bad += batch.bad_rows
            blank += batch.blank_lines
    except InputError as exc:
        return rows, bad, blank, str(exc)
    return rows, bad, blank, None


def ingest(tmp_path: Path, path: Path, *more: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        ["ingest", "--store", str(tmp_path / "s"), "--observations", str(path),
         "--max-reject-rate", "1", "--format", "json", *more],
    )  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_200_kib_field_is_read_whatever_else_is_in_the_block(
    tmp_path: Path, key_env: str
) -> None:
    """Python's csv module stops at 128 KiB: the exact path (taken for the whole block because
    of the unterminated quote) used to reject the big field as bad_quoting."""
    big = b"x" * (200 << 10)
    path = tmp_path / "obs.csv"
    path.write_bytes(
        HEADER + GOOD + big + b"\n" + GOOD + b'"oops\n' + GOOD + b'"a ""quoted"" note"\n'
    )
    fast, exact = read(path, False), read(path, True)
    assert fast == exact
    rows, bad, _, _ = fast
    assert [r[0] for r in rows] == [2, 4] and [(b[0], b[2]) for b in bad] == [
        (3, "unterminated_quote")
    ]
    code, out, err = ingest(tmp_path, path)
    assert code == 0, err
    assert json.loads(out)["files"][0]["reasons"] == {"unterminated_quote": 1}


def test_a_line_over_1_mib_is_rejected_alone_by_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    long_row = GOOD + b"x" * (readers.MAX_LINE_BYTES - len(GOOD) + 1)  # one byte too long
    at_limit = GOOD + b"x" * (readers.MAX_LINE_BYTES - len(GOOD))
    path.write_bytes(HEADER + long_row + b"\r\n" + at_limit + b"\r\n" + GOOD + b"\n")
    fast, exact = read(path, False), read(path, True)
    assert fast == exact
    rows, bad, _, _ = fast
    assert [r[0] for r in rows] == [3, 4]
    assert bad == [(2, "note", "field_too_large")] or bad == [(2, "#4", "field_too_large")]


def test_the_header_has_the_same_limit(tmp_path: Path, key_env: str) -> None:
    """A header name over 128 KiB used to be an internal error; up to 1 MiB it is read, over it
    the header is a whole-file error (one line, exit 2)."""
    ok = tmp_path / "ok.csv"
    ok.write_bytes(b"line_id,imei,observed_at," + b"n" * (200 << 10) + b"\n" + GOOD + b"\n")
    code, out, err = ingest(tmp_path, ok)
    assert code == 0, err
    too_long = tmp_path / "long.csv.gz"
    header = b"line_id,imei,observed_at," + b"n" * readers.MAX_LINE_BYTES + b"\n"
    too_long.write_bytes(gzip.compress(header + GOOD + b"\n"))
    code, _, err = ingest(tmp_path, too_long)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {too_long}:1: the header line is longer than 1048576 bytes")


def test_a_header_with_quotes_out_of_place_is_refused(tmp_path: Path, key_env: str) -> None:
    path = tmp_path / "obs.csv"
    path.write_bytes(b'line_id,"imei"x,observed_at\n' + GOOD + b"\n")
    code, _, err = ingest(tmp_path, path)
    assert code == 2 and err.startswith(f"error: {path}:1: the header is not valid CSV")


def test_a_quoted_header_split_by_semicolons_is_a_wrong_delimiter(
    tmp_path: Path, key_env: str
) -> None:
    """A French spreadsheet export quotes every name and splits them by ';'."""
    path = tmp_path / "obs.csv"
    path.write_bytes(b'"line_id";"imei";"observed_at"\n"+33600000001";"860000010001013";"x"\n')
    code, _, err = ingest(tmp_path, path)
    assert code == 2 and err.startswith(f"error: {path}:1: column 1: wrong delimiter"), err


def test_blank_lines_up_to_the_bound_and_one_more(tmp_path: Path, key_env: str) -> None:
    blank = b"\n \r\n\t\n" * 333 + b"\n"  # 1000 blank lines, spaces, tabs and CRs included
    ok = tmp_path / "ok.csv"
    ok.write_bytes(HEADER + GOOD + b"\n" + blank + GOOD + b"\n" + blank)
    assert read(ok, False) == read(ok, True)
    code, out, err = ingest(tmp_path, ok)
    assert code == 0, err
    rep = json.loads(out)["files"][0]
    assert (rep["rows"], rep["blank_lines"]) == (2, 2000)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(HEADER + GOOD + b"\n" + blank + b"\n" + GOOD + b"\n")
    for exact in (False, True):
        assert "bad.csv:1003: more than 1000 blank lines in a row" in str(read(bad, exact)[3])


def test_blank_lines_keep_a_plain_block_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blank line used to send its whole 16 MiB block through the Python line loop."""
    path = tmp_path / "obs.csv"
    path.write_bytes(HEADER + (GOOD + b"\n" + b"\n" + GOOD + b"\r\n" + b"\r\n") * 500)

    def never(*args: object, **kw: object) -> None:
        raise AssertionError("the exact path was taken")

    monkeypatch.setattr(readers, "_exact_block", never)
    rows, bad, blank, error = read(path, False)
    assert (len(rows), bad, blank, error) == (1000, [], 1000, None)
    assert rows[1][0] == 4  # physical line numbers, blank lines counted


# Pieces of lines that matter to a CSV parser; lines made of them, fields joined by commas.
FIELDS = st.one_of(
    st.sampled_from(
        [b"", b"a", b"+33600000001", b'"a,b"', b'"x""y"', b'"q"x', b'x"y', b' "q"', b'"q\rq"',
         b"q\rq", b"\xff", b"\xc3\xa9", b"\x00", b'"', b"  ", b"\t", b"x" * 50]
    ),
    st.lists(st.sampled_from([b"a", b'"', b",", b" ", b"\r", b"\xff", b"7"]), max_size=6).map(
        b"".join
    ),
)  # fmt: skip
LINES = st.one_of(
    st.lists(FIELDS, min_size=1, max_size=6).map(b",".join),
    st.sampled_from([b"", b" ", b"\r", b"\t \t", b"\x0b"]),
)
ENDINGS = st.sampled_from([b"\n", b"\r\n", b"\r\r\n"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    lines=st.lists(st.tuples(LINES, ENDINGS), max_size=40),
    block=st.sampled_from([32, 128, 4096]),
    gz=st.booleans(),
    last_break=st.booleans(),
)
@example(lines=[(b'a,"b"c,d', b"\n")], block=4096, gz=False, last_break=True)
@example(lines=[(b"a,b,c", b"\n"), (b"", b"\n"), (b"a,b,c", b"\r\n")], block=4096, gz=True,
         last_break=True)  # fmt: skip
def test_any_file_read_both_ways_gives_the_same_rows_and_reasons(
    lines: list[tuple[bytes, bytes]],
    block: int,
    gz: bool,
    last_break: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 40)
    monkeypatch.setattr(readers, "MAX_BLANK_RUN", 3)
    monkeypatch.setattr(readers, "BLOCK_ROWS", 7)
    body = b"".join(text + end for text, end in lines)
    if not last_break and body.endswith(b"\n"):
        body = body[:-1]
    data = b"line_id,imei,observed_at\n" + body
    path = tmp_path / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    fast, exact = read(path, False), read(path, True)
    assert fast == exact


def write_parquet(path: Path, names: list[str]) -> None:
    pq.write_table(pa.table({n: pa.array(["+33600000001"]) for n in names}), path)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_duplicate_columns_are_refused_naming_both(fmt: str, tmp_path: Path, key_env: str) -> None:
    names = ["line_id", "customer_id", "operator_brand", "activated_on", " Customer_ID "]
    path = tmp_path / f"lines.{fmt}"
    if fmt == "csv":
        path.write_text(",".join(names) + "\n+33600000001,C1,Orange,2020-01-01,C2\n")
    else:
        write_parquet(path, names)
    result = CliRunner().invoke(
        app, ["ingest", "--store", str(tmp_path / "s"), "--lines", str(path)]
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert result.stderr.startswith(
        f"error: {path}:1: column customer_id: column 'customer_id' appears twice in the header "
        "(columns 2 and 5: 'customer_id' and 'Customer_ID')"
    )


def test_duplicate_unknown_columns_are_refused_by_position(tmp_path: Path, key_env: str) -> None:
    """Names devicepark does not know are never repeated (they may be data)."""
    path = tmp_path / "obs.csv"
    path.write_text("line_id,imei,observed_at,Jean.Dupont@example.com,jean.dupont@example.com\n")
    code, _, err = ingest(tmp_path, path)
    assert code == 2 and "columns 4 and 5 have the same name" in err
    assert "dupont" not in err.lower()


def test_unnamed_columns_are_not_duplicates(tmp_path: Path, key_env: str) -> None:
    path = tmp_path / "obs.csv"
    path.write_bytes(b"line_id,imei,observed_at,,\n" + GOOD + b",\n")
    code, out, err = ingest(tmp_path, path)
    assert code == 0, err
