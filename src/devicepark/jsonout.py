"""One JSON encoder for every face, so the CLI and the API emit the same bytes."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def dumps(obj: Any) -> str:
    """Encode ``obj`` as indented UTF-8 JSON; NaN becomes null.

    >>> dumps({"a": float("nan"), "d": __import__("datetime").date(2022, 2, 3)})
    '{\\n  "a": null,\\n  "d": "2022-02-03"\\n}'
    """
    return json.dumps(_clean(obj), ensure_ascii=False, indent=2, default=_default)
