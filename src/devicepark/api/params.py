"""The API's query parameters, declared once for every router (names, help, OpenAPI form), and
the error responses each route documents.

The parameters are the CLI's options (``--lookback-days`` is ``lookback_days``, ``--by`` a
comma list); FastAPI checks their types and bounds, ``devicepark.questions`` their meaning.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from devicepark.api.errors import ERROR_SCHEMA
from devicepark.base.common import BY_KEYS
from devicepark.questions import MAX_LOOKBACK_DAYS

MAX_POINTS = 4000  # a series, adds or milestones request spans at most this many days' points

_ERR = {"content": {"application/json": {"schema": ERROR_SCHEMA}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad parameter or unusable store (the one error shape)", **_ERR},
    401: {"description": "Missing or wrong bearer token", **_ERR},
    404: {"description": "No such campaign", **_ERR},
    422: {"description": "A parameter has the wrong type", **_ERR},
}

DATE = {"format": "date"}  # documents the form; the date itself is checked by devicepark.questions
AsOf = Annotated[str, Query(description="Date D (YYYY-MM-DD).", json_schema_extra=DATE)]
From = Annotated[
    str, Query(alias="from", description="First date (YYYY-MM-DD).", json_schema_extra=DATE)
]
To = Annotated[
    str, Query(alias="to", description="Last date (YYYY-MM-DD).", json_schema_extra=DATE)
]
BY_HELP = f"Comma list among {', '.join(BY_KEYS)}."
By = Annotated[str, Query(description=BY_HELP)]
Unit = Annotated[str, Query(description="lines, customers or handsets.")]
Lookback = Annotated[
    int,
    Query(ge=1, le=MAX_LOOKBACK_DAYS, description="Days of observations that identify a device."),
]
M2m = Annotated[bool, Query(description="Count M2M SIMs too (excluded by default).")]
