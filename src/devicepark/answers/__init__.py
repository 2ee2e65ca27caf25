"""The one place that executes queries.

Every orchestration that runs a query lives here: the installed-base answers (``base``,
``series``, ``switches``, ``adds``, ``milestones``), the report and dashboard figures
(``report_data``, ``announce_data``), campaigns (``audience``, ``measure``) and the market
(``compare``, ``claim``). Each takes ``(con, tables, question)``: a backend, the store's tables
bound to it, and a validated question of ``devicepark.questions``; the faces (``cli``, ``api``)
build the question, call one of these, and render what comes back. ``base/``, ``campaign/``,
``market/`` and ``publish/`` stay pure.
"""

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
