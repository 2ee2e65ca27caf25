"""Reason codes for rejected input rows (quarantine.reason)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a row was rejected. Values are stable: other tools count them."""

    # file shape, per row
    BAD_FIELD_COUNT = "bad_field_count"  # too many or too few fields
    UNTERMINATED_QUOTE = "unterminated_quote"
    BAD_QUOTING = "bad_quoting"
    INVALID_UTF8 = "invalid_utf8"
    FIELD_TOO_LARGE = "field_too_large"  # a line over 1 MiB
    # values
    MISSING_VALUE = "missing_value"  # a required value is empty
    BAD_VALUE = "bad_value"  # segment or plan outside its vocabulary
    BAD_DATE = "bad_date"  # not a YYYY-MM-DD calendar date
    TERMINATED_BEFORE_ACTIVATED = "terminated_before_activated"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"  # same line_id, other attributes, same file
    BAD_TIMESTAMP = "bad_timestamp"  # not ISO-8601
    NONEXISTENT_LOCAL_TIME = "nonexistent_local_time"  # in a daylight-saving gap
    FUTURE_TIMESTAMP = "future_timestamp"  # later than the ingest's clock + 1 day
    # IMEI (devicepark.identify.imei)
    BAD_LENGTH = "bad_length"
    BAD_CHECKSUM = "bad_checksum"
    NON_ASCII_DIGIT = "non_ascii_digit"  # also a line_id with non-ASCII digits
    ZERO_IMEI = "zero_imei"
    NOT_DIGITS = "not_digits"
