"""The one place that executes queries.

Every orchestration that runs a query lives here: the installed-base answers (``base``,
``series``, ``switches``, ``adds``, ``milestones``), the report and dashboard figures
(``report_data``, ``announce_data``), campaigns (``audience``, ``measure``) and the market
(``compare``, ``claim``). Each takes ``(con, tables, question)``: a backend, the store's tables
bound to it, and a validated question of ``devicepark.questions``; the faces (``cli``, ``api``)
build the question, call one of these, and render what comes back. ``base/``, ``campaign/``,
``market/`` and ``publish/`` stay pure.

Each name is imported on first use (``__getattr__``), so that a process asking for the base
does not load the report's charts, the campaigns' models or the market's readers: a cold
``devicepark base`` pays for the modules it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devicepark.answers.campaign import audience, day_keys, measure
    from devicepark.answers.market import claim, compare
    from devicepark.answers.publish import (
        announce_data,
        operator_brands,
        operator_name,
        report_data,
    )
    from devicepark.answers.queries import (
        adds,
        base,
        cardinalities,
        data_span,
        milestones,
        rows,
        series,
        switches,
    )
    from devicepark.answers.vendors import store_vendors

# {name: the module of devicepark.answers that defines it}
_WHERE = {
    **dict.fromkeys(("audience", "day_keys", "measure"), "campaign"),
    **dict.fromkeys(("claim", "compare"), "market"),
    **dict.fromkeys(
        ("announce_data", "operator_brands", "operator_name", "report_data"), "publish"
    ),
    **dict.fromkeys(
        ("adds", "base", "cardinalities", "data_span", "milestones", "rows", "series", "switches"),
        "queries",
    ),
    "store_vendors": "vendors",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "adds",
    "announce_data",
    "audience",
    "base",
    "cardinalities",
    "claim",
    "compare",
    "data_span",
    "day_keys",
    "measure",
    "milestones",
    "operator_brands",
    "operator_name",
    "report_data",
    "rows",
    "series",
    "store_vendors",
    "switches",
]
