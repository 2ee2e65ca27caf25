"""No value in any message (issue 18, item 3): whatever a cell holds (an email, a name, a short
id, a phone number, an IMEI), an error names file, line, column and reason, never the cell.

Every whole-file error path of the readers and of ingest is fed files made of such identifiers,
and stdout and stderr are searched for each of them.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reliakit import cli

EMAIL, NAME, SHORT, PHONE = (
    "jean.dupont@example.com",
    "Jean Dupont",
    "sub-ab-77",
    "+33 6 12 34 56 78",
)
NATIONAL, IMEI, IMSI, TINY = "0612345678", "353918050123456", "208011234567890", "Q7X"
IDS = [EMAIL, NAME, SHORT, PHONE, NATIONAL, IMEI, IMSI, TINY]
NEEDLES = set(IDS) | {"dupont", "Dupont", "612345678", "12 34 56", "3918050123"}
ROW = f'{PHONE},{IMEI},{EMAIL},"{NAME}",{SHORT},{TINY},{IMSI},{NATIONAL}'  # eight cells
LINES_HEADER = "line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on"
OBS_HEADER = "line_id,imei,observed_at"


def text(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def bad_rows(make: Callable[[str], str], n: int = 3) -> list[str]:
    return [make(v) for v in IDS for _ in range(n)]


def parquet(columns: dict[str, pa.Array]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        pq.write_table(pa.table(columns), path)

    return write


ids = pa.array(IDS)
# (case, kind, file name, content or a function writing the file, expected piece of the message)
CASES: list[tuple[str, str, str, bytes | Callable[[Path], None], str]] = [
    ("no_header", "lines", "l.csv", text(ROW, ROW), "missing required column"),
    ("no_header_obs", "observations", "o.csv", text(f"{PHONE},{IMEI},{EMAIL}"), "missing required"),
    ("header_of_values", "observations", "o.csv", text(f"line_id,{EMAIL},{NAME},{IMEI}"),
     "missing"),
    ("wrong_delimiter", "observations", "o.csv", text(ROW.replace(",", ";")), "wrong delimiter"),
    ("duplicate_values", "observations", "o.csv", text(f"{OBS_HEADER},{EMAIL},{EMAIL.upper()}"),
     "have the same name"),
    ("header_quotes", "observations", "o.csv", text(f'{OBS_HEADER},"{NAME}"{SHORT}'),
     "header is not valid CSV"),
    ("header_too_long", "observations", "o.csv", text(f"{OBS_HEADER}," + EMAIL * 50_000),
     "header line is longer"),
    ("header_utf8", "observations", "o.csv", f"{OBS_HEADER},{NAME}".encode() + b"\xe9\n",
     "invalid UTF-8 in the header"),
    ("unterminated_quote", "observations", "o.csv",
     text(OBS_HEADER, *bad_rows(lambda v: f'"{v},{IMEI},2022-01-01T00:00:00Z')), "rows rejected"),
    ("bad_quoting", "observations", "o.csv",
     text(OBS_HEADER, *bad_rows(lambda v: f'"{v}"x,{IMEI},2022-01-01T00:00:00Z')), "rows rejected"),
    ("bad_field_count", "observations", "o.csv", text(OBS_HEADER, *bad_rows(lambda v: f"{v},{v}")),
     "rows rejected"),
    ("field_too_large", "observations", "o.csv",
     text(OBS_HEADER, *bad_rows(lambda v: f"{v},{IMEI},{v * (1 + (1 << 20) // len(v))}", 1)),
     "rows rejected"),
    ("invalid_utf8", "observations", "o.csv",
     text(OBS_HEADER) + b"".join(f"{v},{IMEI},".encode() + b"\xff\n" for v in IDS),
     "rows rejected"),
    ("control_character", "observations", "o.csv",
     text(OBS_HEADER, *bad_rows(lambda v: f"{v}\u200b,{IMEI},2022-01-01T00:00:00Z")),
     "control_character"),
    ("bad_imei", "observations", "o.csv",
     text(OBS_HEADER, *bad_rows(lambda v: f"{PHONE},{v},2022-01-01T00:00:00Z")), "rows rejected"),
    ("bad_values", "lines", "l.csv",
     text(LINES_HEADER, *bad_rows(lambda v: f"{v},{v},{v},{v},{v},{v},{v},{v}")), "rows rejected"),
    ("conflicting_duplicates", "lines", "l.csv",
     text(LINES_HEADER, *[f"{PHONE},{v},Orange,,,{v},2020-01-01," for v in IDS]), "rows rejected"),
    ("early_abort", "observations", "o.csv",
     text(OBS_HEADER, *[f"{IDS[i % 8]},{IDS[(i + 1) % 8]},{EMAIL}" for i in range(300_000)]),
     "the rest of the file"),
    ("blank_run", "observations", "o.csv",
     text(OBS_HEADER, f"{PHONE},{IMEI},2022-01-01T00:00:00Z") + b"\n" * 1001 + text(ROW),
     "blank lines in a row"),
    ("truncated_gzip", "observations", "o.csv.gz",
     gzip.compress(text(OBS_HEADER, *[f"{v},{IMEI},{EMAIL}" for v in IDS * 50]))[:-40],
     "truncated or corrupt"),
    ("not_gzip", "observations", "o.csv", b"\x1f\x8b" + text(ROW), "unreadable file"),
    ("not_parquet", "observations", "o.parquet", text(OBS_HEADER, ROW), "unreadable Parquet"),
    ("parquet_no_column", "observations", "o.parquet", parquet({v: ids for v in IDS}),
     "missing required"),
    ("parquet_int_imei", "observations", "o.parquet",
     parquet({"line_id": ids, "imei": pa.array(range(8)), "observed_at": ids, EMAIL: ids}),
     "identifiers must be text"),
    ("parquet_nested", "observations", "o.parquet",
     parquet({"line_id": pa.array([{EMAIL: v} for v in IDS]), "imei": ids, "observed_at": ids}),
     "nested values"),
    ("parquet_values", "observations", "o.parquet",
     parquet({"line_id": ids, "imei": ids, "observed_at": ids, NAME: ids}), "rows rejected"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_no_message_repeats_a_value(case: tuple, tmp_path: Path) -> None:
    name, kind, file_name, content, expected = case
    path = tmp_path / file_name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    code, out, err, exc = cli(
        "ingest", "--store", str(tmp_path / "s"), f"--{kind}", str(path),
        "--max-reject-rate", "0", "--format", "json",
    )  # fmt: skip
    assert exc is None, f"{type(exc).__name__}: {exc}"
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith(f"error: {path}"), err
    assert expected in err, err
    said = (out + err).replace(str(tmp_path), "<tmp>")
    leaked = sorted(n for n in NEEDLES if n in said or n.lower() in said.lower())
    assert leaked == [], f"{name}: {leaked} in {said!r}"
    # digits of phone numbers and IMEIs never appear either (line numbers are short)
    assert not re.search(r"\d{7,}", said.replace("1048576", "")), said
