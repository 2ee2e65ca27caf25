"""Line ids through libphonenumber (issue 18, item 5): every spelling of one MSISDN is one line,
control and invisible characters are rejected, other ids keep the earlier rule, and the
vectorised path (SQL rule + shortcuts + the library per distinct value) equals the reference."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from devicepark.cli.main import app
from devicepark.ingest.msisdn import (
    _PY_PHONE_LIKE,
    ask_library,
    library_canonical,
    library_column,
    rules_for,
)
from devicepark.ingest.pseudonym import (
    canonical_line_id,
    canonical_line_id_sql,
    pseudonym,
    sql_rule_line_id,
)
from devicepark.store import Store

E164 = "+33612345678"
# Each spelling and its canonical form (the store's country: France, 33).
SPELLINGS = {
    "+33612345678": E164,
    "+33 6 12 34 56 78": E164,
    "+33 (0)6 12 34 56 78": E164,
    "+33(0)612345678": E164,
    "+33 0612345678": E164,
    "(+33) 6 12 34 56 78": E164,
    "+33-6-12-34-56-78": E164,
    "+33.6.12.34.56.78": E164,
    "+33\u00a06\u00a012\u00a034\u00a056\u00a078": E164,  # no-break spaces
    "+33\u202f6\u202f12\u202f34\u202f56\u202f78": E164,  # narrow no-break spaces
    "tel:+33612345678": E164,
    "tel:+33-6-12-34-56-78": E164,
    "TEL:+33612345678": E164,
    "0612345678": E164,
    "06 12 34 56 78": E164,
    "06.12.34.56.78": E164,
    "06-12-34-56-78": E164,
    "06/12/34/56/78": E164,
    "(0)6 12 34 56 78": E164,
    "0033612345678": E164,
    "0033 6 12 34 56 78": E164,
    "33612345678": E164,
    "612345678": E164,  # the national significant number, without the trunk 0
    "6 12 34 56 78": E164,
    "  +33612345678  ": E164,  # spaces around are trimmed
    # other countries' numbers keep their own country code
    "+44 20 7946 0000": "+442079460000",
    "+44 (0)20 7946 0000": "+442079460000",
    "0044 20 7946 0000": "+442079460000",
    "+1 650 253 0000": "+16502530000",
    # not phone numbers: the earlier rule (trimmed; separators dropped from digits)
    "208011234567890": "208011234567890",  # an IMSI
    "L-42": "L-42",
    "sub-ab-77": "sub-ab-77",
    "0800FLOWERS": "0800FLOWERS",  # letters: never a vanity number
    "+33612345678 ext 12": "+33612345678 ext 12",
    "12345": "12345",
    "1234-5678-9012-3456": "1234567890123456",
}
INVISIBLE = {
    "tab": "+33612345678\t",
    "nul": "+33612345678\x00",
    "zero-width space": "+336\u200b12345678",
    "right-to-left override": "\u202e+33612345678",
    "byte order mark": "\ufeff+33612345678",
    "line separator": "+33612345678\u2028",
    "soft hyphen": "06\u00ad12345678",
}


@pytest.mark.parametrize(("spelling", "canonical"), SPELLINGS.items(), ids=repr)
def test_each_spelling_has_its_canonical_form(spelling: str, canonical: str) -> None:
    assert canonical_line_id(spelling) == canonical
    key = bytes(range(32))
    assert pseudonym(key, "line", canonical_line_id(spelling)) == pseudonym(key, "line", canonical)


def test_ingest_reads_every_spelling_as_one_line_and_rejects_invisible_characters(
    tmp_path: Path, key_env: str
) -> None:
    """All the French spellings of +33612345678 in lines and observations: one line, and every
    observation counts for it; the invisible spellings are quarantined as control_character."""
    french = [s for s, c in SPELLINGS.items() if c == E164]
    lines = tmp_path / "lines.csv"
    rows = ["line_id,customer_id,operator_brand,activated_on"]
    rows += [f'"{s}",C1,Orange,2020-01-01' for s in french]
    rows += [f'"{v}",C1,Orange,2020-01-01' for v in INVISIBLE.values()]
    rows.append('"+33 6 00 00 00 01","C\u200b2",Orange,2020-01-01')  # invisible customer id
    lines.write_text("\n".join(rows) + "\n", encoding="utf-8")
    obs = tmp_path / "obs.csv"
    orows = ["line_id,imei,observed_at"]
    orows += [
        f'"{s}",352099001761481,2022-01-{1 + i % 28:02d}T10:00:00Z' for i, s in enumerate(french)
    ]
    orows += [f'"{v}",352099001761481,2022-01-03T10:00:00Z' for v in INVISIBLE.values()]
    obs.write_text("\n".join(orows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["ingest", "--store", str(tmp_path / "s"), "--lines", str(lines), "--observations",
         str(obs), "--max-reject-rate", "1", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = {f["kind"]: f for f in json.loads(result.stdout)["files"]}
    assert files["lines"]["accepted"] == 1
    assert files["lines"]["duplicates"] == len(french) - 1
    assert files["lines"]["reasons"] == {"control_character": len(INVISIBLE) + 1}
    assert files["observations"]["reasons"] == {"control_character": len(INVISIBLE)}
    assert files["observations"]["orphans"] == 0
    store = Store.open(tmp_path / "s")
    key = bytes.fromhex(key_env)
    assert store.read("lines")["line"].to_pylist() == [pseudonym(key, "line", E164)]
    assert set(store.read("observations")["line"].to_pylist()) == {pseudonym(key, "line", E164)}
    quarantined = store.read("quarantine").to_pylist()
    assert {(r["column"], r["reason"]) for r in quarantined} == {
        ("line_id", "control_character"),
        ("customer_id", "control_character"),
    }


COUNTRIES = ["33", "32", "34", "41", "44", "49", "1", "39", "212", "7", "61", "55", "262", "999"]
DIGITS = st.text("0123456789", min_size=1, max_size=16)
SEPARATED = st.lists(st.sampled_from(["6", "12", "0", "34", " ", "-", ".", "(0)", "/"]), max_size=8)


@st.composite
def line_ids(draw: st.DrawFn, cc: str) -> str:
    digits = draw(DIGITS)
    nine = draw(st.text("0123456789", min_size=9, max_size=9))
    return draw(
        st.sampled_from(
            [
                f"+{cc}{digits}",
                f"0{digits}",
                f"00{cc}{digits}",
                f"{cc}{digits}",
                digits,
                nine,
                f"0{nine}",
                f"+{cc}0{nine}",
                f"+{cc} (0){digits}",
                f"+{digits}",
                f"tel:+{cc}{digits}",
                "".join(draw(SEPARATED)),
                draw(st.text(max_size=12)),
            ]
        )
    )


@given(data=st.data(), cc=st.sampled_from(COUNTRIES))
@example(data=None, cc="33")
def test_vectorised_path_equals_the_reference(data: st.DataObject | None, cc: str) -> None:
    """What ingest computes (the SQL rule, overridden by ``library_column``) is
    ``canonical_line_id``, and devicepark's shortcuts never change the library's answer."""
    if data is None:
        values = list(SPELLINGS)
    else:
        values = data.draw(st.lists(line_ids(cc), min_size=1, max_size=30))
    rules = rules_for(cc)
    trimmed = [v.strip(" ") for v in values]
    lib = library_column(pa.array(trimmed, pa.string()), rules).to_pylist()
    con = duckdb.connect()
    query = f"SELECT {canonical_line_id_sql('$1', cc)}"
    sql = [con.execute(query, [v]).fetchone() for v in values]
    for value, t, found, (rule,) in zip(values, trimmed, lib, sql, strict=True):
        assert (found if found is not None else rule) == canonical_line_id(value, cc), value
        assert rule == sql_rule_line_id(value, cc)
        if _PY_PHONE_LIKE.fullmatch(t):  # the digit-count shortcut never hides an answer
            assert library_canonical(t, rules) == ask_library(t, rules.region), value
