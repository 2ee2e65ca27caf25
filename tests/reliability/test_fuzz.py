"""Fuzzing of the CSV and IMEI parsing paths with hypothesis.

- ``readers.iter_batches`` on random bytes: only InputError ever escapes, every physical line is
  accounted for once, and the Arrow fast path reads exactly what the line-by-line rules say
  (blocks made tiny so that both paths and block edges are exercised);
- ``imei.parse_array`` agrees with ``imei.parse`` on random strings (Unicode digits, separators,
  nulls) and never raises;
- ``devicepark ingest`` on random observation files: exit 0 with a balanced reconciliation, or
  exit 2 with one line; never a traceback.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliakit import cli, scratch

from devicepark.errors import InputError
from devicepark.identify import imei
from devicepark.ingest import readers

HEADER = b"line_id,imei,observed_at\n"
WANTED = ["line_id", "imei", "observed_at"]
SMALL_LINE = 40  # MAX_LINE_BYTES while fuzzing
# Pieces that matter to a CSV parser, and some that should not.
PIECES = [
    b"a",
    b"7",
    b"860000010001013",
    b",",
    b",",
    b'"',
    b'""',
    b"\r",
    b"\n",
    b"\n",
    b" ",
    b"\t",
    b"\xff",
    b"\xc3\xa9",
    b"\xd9\xa3",
    b"\x00",
    b"2022-01-10T10:00:00Z",
    b"+33600000001",
]
FIELD = st.one_of(
    st.sampled_from(
        [
            b"+33600000001",
            b'"a,b"',
            b'"x""y"',
            b"",
            b"860000010001013",
            b"2022",
            b'"q"x',
            b'"q" ',
            b'x"y',
            b' "q"',
            b'"q\rq"',
            b"q\rq",
        ]
    ),
    st.lists(
        st.sampled_from(
            [b"a", b"7", b'"', b'""', b",", b" ", b"\r", b"\xff", b"\xc3\xa9", b"\x00"]
        ),
        max_size=5,
    ).map(b"".join),
)
LINE = st.one_of(
    st.lists(FIELD, min_size=3, max_size=3).map(lambda f: b",".join(f) + b"\n"),
    st.lists(FIELD, min_size=1, max_size=5).map(lambda f: b",".join(f) + b"\r\n"),
    st.lists(st.sampled_from(PIECES), max_size=12).map(b"".join),
)
BODIES = st.lists(LINE, max_size=25).map(b"".join)


def reference(body: bytes) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]], int]:
    """The reader's documented rules, one physical line at a time: (rows, rejects, blank lines)."""
    rows, rejects, blank = [], [], 0
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for no, raw in enumerate(lines, start=2):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            blank += 1
            continue
        if len(raw) > SMALL_LINE:
            rejects.append((no, "field_too_large"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            rejects.append((no, "invalid_utf8"))
            continue
        if text.count('"') % 2:
            rejects.append((no, "unterminated_quote"))
            continue
        try:
            fields = next(csv.reader([text], strict=True))
        except csv.Error:
            rejects.append((no, "bad_quoting"))
            continue
        if len(fields) != 3:
            rejects.append((no, "bad_field_count"))
            continue
        rows.append((no, fields))
    return rows, rejects, blank


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, block=st.sampled_from([64, 256, 1 << 16]), gz=st.booleans())
@example(body=b'a,"b"c,d\n', block=1 << 16, gz=False)  # Arrow alone: 'bc'
@example(body=b'a,b,c\na,b,"c\n', block=1 << 16, gz=False)  # Arrow alone: 'c\n'
@example(body=b'a,b,c\na,b"",c\n', block=1 << 16, gz=False)  # a stray quote, even count
@example(body=b"a,b,c\ra,b,c\n", block=1 << 16, gz=False)  # a bare carriage return
@example(body=b'a,"b,c\nd,e",f\n', block=1 << 16, gz=True)  # two lines joined by quotes
def test_reader_reads_what_the_rules_say(
    body: bytes, block: int, gz: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", SMALL_LINE)
    with scratch() as d:
        path = Path(d) / ("obs.csv.gz" if gz else "obs.csv")
        data = HEADER + body
        if gz:
            import gzip

            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
        info = readers.open_input(path, tuple(WANTED), "observations")
        rows, rejects, blank = [], [], 0
        try:
            for batch in readers.iter_batches(info, WANTED):
                assert batch.table.num_rows == len(batch.line_no)
                assert batch.table.column_names == WANTED
                cols = [batch.table.column(c).to_pylist() for c in WANTED]
                rows += [(int(n), list(v)) for n, *v in zip(batch.line_no, *cols, strict=True)]
                rejects += [(no, reason) for no, _, reason in batch.bad_rows]
                blank += batch.blank_lines
        except InputError as exc:  # only a line with no break for 4 blocks is a whole-file error
            assert "longer than" in str(exc), exc
            return
    want_rows, want_rejects, want_blank = reference(body)
    assert sorted(rows) == want_rows
    assert sorted(rejects) == want_rejects
    assert blank == want_blank


DIGITS = "0123456789" * 3 + "٠١٢٣٤٥٦٧٨٩" + "０１２３４５６７８９" + "۰۱۲"
IMEI_TEXT = st.one_of(
    st.none(),
    st.text(alphabet=DIGITS + " -", max_size=20),
    st.text(alphabet=DIGITS + " -aO\t.\u00a0😀", max_size=20),
    st.text(max_size=20),
    st.from_regex(r"[0-9]{14,16}", fullmatch=True),
)


@given(values=st.lists(IMEI_TEXT, max_size=40))
def test_parse_array_agrees_with_parse(values: list[str | None]) -> None:
    table = imei.parse_array(pa.array(values, pa.string()))
    assert table.num_rows == len(values)
    for value, got in zip(values, table.to_pylist(), strict=True):
        one = imei.parse(value)
        assert got == {
            "valid": one.valid,
            "reason": one.reason,
            "kind": one.kind,
            "tac": one.tac,
            "body": one.body,
        }, value
        assert (one.reason is None) == one.valid
        assert one.reason in (None, *imei.REASONS)
        if one.valid:  # a valid value is ASCII digits after removing spaces and dashes
            assert re.fullmatch(r"[0-9]{14,16}", imei.compact(value))


@given(value=IMEI_TEXT)
def test_validate_raises_only_invalid_imei_without_the_value(value: str | None) -> None:
    if value is None:
        return
    try:
        imei.validate(value)
    except imei.InvalidImei as exc:
        digits = re.sub(r"\D", "", value)
        assert len(digits) < 6 or digits not in str(exc)


@pytest.mark.slow
@settings(
    max_examples=max(5, settings.default.max_examples // 3),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES)
def test_ingest_cli_never_crashes_and_balances(body: bytes, key_env: str) -> None:
    with scratch() as d:
        path = Path(d) / "obs.csv"
        path.write_bytes(HEADER + body)
        code, out, err, exc = cli(
            "ingest",
            "--store",
            str(Path(d) / "s"),
            "--observations",
            str(path),
            "--max-reject-rate",
            "1",
            "--format",
            "json",
        )
    assert exc is None, f"{type(exc).__name__}: {exc}"
    assert "Traceback" not in out + err
    if code == 2:
        assert err.startswith(f"error: {path}") and err.count("\n") == 1, err
        return
    assert code == 0, err
    rep = json.loads(out)["files"][0]
    assert rep["rows"] == rep["accepted"] + rep["rejected"] + rep["duplicates"] + rep["orphans"]
    lines = [ln for ln in body.split(b"\n") if ln.rstrip(b"\r").strip()]
    assert rep["rows"] == len(lines) and rep["blank_lines"] == body.count(b"\n") + (
        0 if body.endswith(b"\n") or not body else 1
    ) - len(lines)
