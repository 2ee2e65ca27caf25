"""Reason codes: the one registry of why an input row was rejected (or, in a TAC catalog, merged).

Every reader emits codes through ``Reason``; quarantine rows, ingest reports and catalog
summaries carry the plain string ``Reason.X.value``. Values are stable: other tools count them.
"""

from __future__ import annotations

from enum import StrEnum

MAX_LINE_BYTES = 1 << 20  # every reader's line limit: a longer row is rejected, field_too_large


class Reason(StrEnum):
    """A reason code (the value) and its one-line meaning (``Reason.X.meaning``)."""

    meaning: str

    def __new__(cls, code: str, meaning: str) -> Reason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    # the shape of a row (CSV readers; a TAC catalog row too for bad_field_count)
    BAD_FIELD_COUNT = "bad_field_count", "more or fewer fields than the header"
    UNTERMINATED_QUOTE = "unterminated_quote", "a quoted field that is never closed"
    BAD_QUOTING = "bad_quoting", "a quote out of place, e.g. text after a closing quote"
    INVALID_UTF8 = "invalid_utf8", "bytes that are not UTF-8"
    FIELD_TOO_LARGE = "field_too_large", "a line over 1 MiB"
    # values of lines and observations
    MISSING_VALUE = "missing_value", "a required value is empty"
    CONTROL_CHARACTER = (  # line_id, customer_id: else an invisible spelling is a new line
        "control_character",
        "an identifier holds a control or invisible character (Unicode Cc, Cf, Zl, Zp: tab, NUL, "
        "zero-width space, bidi controls)",
    )
    BAD_VALUE = "bad_value", "segment or plan outside its vocabulary"
    BAD_DATE = "bad_date", "not a YYYY-MM-DD calendar date"
    TERMINATED_BEFORE_ACTIVATED = (
        "terminated_before_activated",
        "terminated_on earlier than activated_on",
    )
    CONFLICTING_DUPLICATE = (
        "conflicting_duplicate",
        "same line twice in one file with other attributes: the first row wins",
    )
    BAD_TIMESTAMP = "bad_timestamp", "not an ISO-8601 date and time"
    NONEXISTENT_LOCAL_TIME = "nonexistent_local_time", "inside a daylight-saving gap"
    FUTURE_TIMESTAMP = "future_timestamp", "later than the ingest's clock plus one day"
    # IMEI (devicepark.identify.imei; the meaning is InvalidImei's message)
    NOT_DIGITS = "not_digits", "missing, empty, or not made of decimal digits"
    NON_ASCII_DIGIT = (  # a line_id spelled with non-ASCII digits too
        "non_ascii_digit",
        "contains a non-ASCII digit (only 0-9 are accepted)",
    )
    BAD_LENGTH = "bad_length", "not 14, 15 or 16 digits"
    ZERO_IMEI = "zero_imei", "all zeros"
    BAD_CHECKSUM = "bad_checksum", "the Luhn check digit does not match"
    # TAC catalogs (devicepark.identify.catalog)
    MISSING_TAC = "missing_tac", "the TAC is empty"
    BAD_TAC = "bad_tac", "the TAC is not exactly 8 ASCII digits"
    DUPLICATE = "duplicate", "merged: a later row of the same TAC has the same content"
    CONFLICT = "conflict", "merged: a later row of the same TAC has other content and wins"
