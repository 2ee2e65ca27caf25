"""IMEI rules: scalar verbs, the vectorised column path, and both against references."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import imei as stdnum_imei

from devicepark.errors import InputError
from devicepark.identify import imei
from devicepark.identify.imei import InvalidImei, parse, parse_array

VALID15 = "352099001761481"  # Luhn worked by hand: see test_luhn_by_hand


def naive_luhn_ok(number: str) -> bool:
    """Textbook Luhn: double every second digit from the right, subtract 9 above 9."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def test_luhn_by_hand() -> None:
    # 3 5 2 0 9 9 0 0 1 7 6 1 4 8 | 1: doubled (from the right, positions 1,3,...) 8->16->7,
    # 1->2, 7->14->5, 0->0, 9->18->9, 0->0, 5->10->1 ; kept 4,6,1,0,9,2,3 ; sum 7+2+5+0+9+0+1 = 24,
    # 4+6+1+0+9+2+3 = 25, 24 + 25 + check 1 = 50.
    assert naive_luhn_ok(VALID15)
    assert imei.calc_check_digit(VALID15[:14]) == "1"
    assert imei.is_valid(VALID15)


@pytest.mark.parametrize(
    ("value", "reason", "kind"),
    [
        (VALID15, None, "IMEI"),
        ("35-209900-176148-1", None, "IMEI"),
        ("35 209900 176148 1", None, "IMEI"),
        ("35209900176148", None, "IMEI14"),
        ("3520990017614800", None, "IMEISV"),
        ("352099001761482", "bad_checksum", None),
        ("000000000000000", "zero_imei", None),
        ("00000000000000", "zero_imei", None),
        ("0000-0000-0000-0000", "zero_imei", None),
        ("3520990017614", "bad_length", None),
        ("35209900176148123", "bad_length", None),
        ("1", "bad_length", None),
        ("٣٥٢٠٩٩٠٠١٧٦١٤٨١", "non_ascii_digit", None),  # Arabic-Indic
        ("35209900176148١", "non_ascii_digit", None),  # one Arabic-Indic digit
        ("３５２０９９００１７６１４８１", "non_ascii_digit", None),  # fullwidth
        ("٣٥", "non_ascii_digit", None),  # non-ASCII wins over a bad length
        ("35209900176148a", "not_digits", None),
        ("3520990017614٨x", "not_digits", None),  # a letter wins over a non-ASCII digit
        ("35209900\t176148 1", "not_digits", None),  # only spaces and dashes are separators
        ("352099001761481\n", "not_digits", None),
        ("²52099001761481", "not_digits", None),  # superscript: a digit but not decimal
        ("", "not_digits", None),
        (" - ", "not_digits", None),
        (None, "not_digits", None),
    ],
)
def test_parse_rules(value: str | None, reason: str | None, kind: str | None) -> None:
    result = parse(value)
    assert result.reason == reason
    assert result.valid is (reason is None)
    assert result.kind == kind
    assert imei.is_valid(value) is (reason is None)
    # the column path says the same
    row = parse_array(pa.array([value], pa.string())).to_pylist()[0]
    assert row["reason"] == reason and row["kind"] == kind and row["valid"] is (reason is None)


def test_tac_and_body_of_each_kind() -> None:
    for value in ("35209900-176148-1", "35209900176148", "35209900-176148-27"):
        p = parse(value)
        assert (p.tac, p.body) == ("35209900", "35209900176148")
    assert parse("35209900-176148-27").kind == "IMEISV"


def test_validate_raises_input_error_with_reason_and_no_value() -> None:
    with pytest.raises(InvalidImei) as info:
        imei.validate("352099001761482")
    assert info.value.reason == "bad_checksum"
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)
    assert "352099001761482" not in str(info.value)  # an IMEI is personal data
    with pytest.raises(InvalidImei) as info:
        imei.validate("٣٥٢٠٩٩٠٠١٧٦١٤٨١")
    assert info.value.reason == "non_ascii_digit"


def test_split_and_format() -> None:
    assert imei.split("35-209900-176148-1") == ("35209900", "176148", "1")
    assert imei.split("35209900176148") == ("35209900", "176148", "")
    assert imei.split("3520990017614827") == ("35209900", "176148", "27")
    assert imei.format("352099001761481", separator=" ") == "35 209900 176148 1"
    assert imei.format("35209900176148", add_check_digit=True) == "35-209900-176148-1"
    with pytest.raises(InvalidImei):
        imei.split("123")


def test_parse_is_frozen() -> None:
    with pytest.raises(AttributeError):
        parse(VALID15).valid = False  # type: ignore[misc]


def test_parse_array_schema_and_nulls() -> None:
    values = pa.array([VALID15, None, "3520990017614800", "x", "00000000000000"])
    table = parse_array(values)
    assert table.schema == imei.RESULT_SCHEMA
    assert table.to_pylist() == [
        {
            "valid": True,
            "reason": None,
            "kind": "IMEI",
            "tac": "35209900",
            "body": "35209900176148",
        },
        {"valid": False, "reason": "not_digits", "kind": None, "tac": None, "body": None},
        {
            "valid": True,
            "reason": None,
            "kind": "IMEISV",
            "tac": "35209900",
            "body": "35209900176148",
        },
        {"valid": False, "reason": "not_digits", "kind": None, "tac": None, "body": None},
        {"valid": False, "reason": "zero_imei", "kind": None, "tac": None, "body": None},
    ]


def test_parse_array_chunked_sliced_and_other_types() -> None:
    chunked = pa.chunked_array([[VALID15, "bad"], [], ["35209900176148"]])
    assert parse_array(chunked).column("kind").to_pylist() == ["IMEI", None, "IMEI14"]
    sliced = pa.array(["x", "35-209900-176148-1", "y"]).slice(1, 1)
    assert parse_array(sliced).column("tac").to_pylist() == ["35209900"]
    assert parse_array(pa.array([VALID15], pa.large_string())).column("valid").to_pylist() == [True]
    dictionary = pa.array([VALID15, VALID15]).dictionary_encode()
    assert parse_array(dictionary).column("valid").to_pylist() == [True, True]
    assert parse_array(pa.array([], pa.string())).num_rows == 0
    assert parse_array(pa.chunked_array([], pa.string())).num_rows == 0


def test_parse_array_many_slices_keep_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imei, "_CHUNK", 3)  # force several threaded tasks
    values = [VALID15, "x", "35209900176148", None, "352099001761482", "0" * 16, "35-2"]
    table = parse_array(pa.array(values), threads=2)
    assert table.column("reason").to_pylist() == [parse(v).reason for v in values]


# -- properties -------------------------------------------------------------------------------

digits15 = st.text(alphabet="0123456789", min_size=15, max_size=15)


@settings(deadline=None)
@given(digits15)
def test_15_digits_agree_with_stdnum(value: str) -> None:
    """stdnum is the reference for 15 ASCII digits; it accepts all-zero, which we reject."""
    expected = stdnum_imei.is_valid(value) and set(value) != {"0"}
    assert imei.is_valid(value) == expected
    assert imei.is_valid(value) == (naive_luhn_ok(value) and set(value) != {"0"})


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_completed_body_is_valid(body: str) -> None:
    if set(body) == {"0"}:
        return
    full = body + imei.calc_check_digit(body)
    assert stdnum_imei.is_valid(full) and imei.is_valid(full)
    assert parse(full).body == body == parse(body).body


# Random strings built from what real exports contain, plus any BMP character (the Unicode
# digit tables of Python and Arrow may differ for scripts added after Python's Unicode 14).
pieces = st.sampled_from(
    list("0123456789") * 4
    + [chr(c) for c in range(0x0660, 0x066A)]
    + [chr(c) for c in range(0x06F0, 0x06FA)]
    + ["０", "９", " ", "-", "a", "Z", "\t", "²", "."]
)
noisy = st.lists(
    st.one_of(pieces, st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",))),
    max_size=20,
).map("".join)


@settings(deadline=None)
@given(st.lists(st.one_of(noisy, digits15, st.none()), max_size=30))
def test_scalar_equals_vector(values: list[str | None]) -> None:
    table = parse_array(pa.array(values, pa.string()))
    expected = [
        {"valid": p.valid, "reason": p.reason, "kind": p.kind, "tac": p.tac, "body": p.body}
        for p in map(parse, values)
    ]
    assert table.to_pylist() == expected


def test_sliced_clean_values_keep_their_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    # all-ASCII input takes the no-copy path, where each slice keeps its offset into the buffers
    values = ["35209900176148", VALID15, "000000000000000", "3520990017614800", VALID15, "1234"]
    sliced = pa.array(values).slice(1, 4)
    assert parse_array(sliced).column("tac").to_pylist() == [
        "35209900",
        None,
        "35209900",
        "35209900",
    ]
    monkeypatch.setattr(imei, "_CHUNK", 2)
    table = parse_array(pa.array(values), threads=2)
    assert table.column("body").to_pylist() == [parse(v).body for v in values]
    assert table.column("reason").to_pylist() == [parse(v).reason for v in values]
