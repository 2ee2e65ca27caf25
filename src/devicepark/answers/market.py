"""Market answers: our base against a market-share table, and the check of a public claim.

The comparisons and the verdict are pure (``devicepark.market``); this module runs the base
queries they need.
"""

from __future__ import annotations

from typing import Any

import ibis

from devicepark.answers.queries import base, series
from devicepark.answers.vendors import resolve_vendors
from devicepark.market.claim import check_claim
from devicepark.market.claim import measure as measure_claim
from devicepark.market.compare import compare as compare_point
from devicepark.market.compare import compare_series
from devicepark.market.table import load
from devicepark.questions import BaseQuestion, ClaimQuestion, CompareQuestion, SeriesQuestion
from devicepark.store.engine import Tables


def compare(con: ibis.BaseBackend, tables: Tables, q: CompareQuestion) -> dict[str, Any]:
    """Per vendor: base share, market share, index and gap, at one date or per series point."""
    shares = load(tables.store, q.market)
    keys = (q.by, "vendor") if q.by else ("vendor",)
    if q.as_of is not None:
        answer = base(con, tables, BaseQuestion(q.as_of, keys, "lines", q.scope))
        return compare_point(answer, shares, market=q.market, as_of=q.as_of, by=q.by)
    assert q.start is not None and q.end is not None
    points = series(con, tables, SeriesQuestion(q.start, q.end, q.every, keys, "lines", q.scope))
    return compare_series(points, shares, market=q.market, by=q.by)


def claim(con: ibis.BaseBackend, tables: Tables, q: ClaimQuestion) -> dict[str, Any]:
    """Whether the store supports the claim (lines and customers at ``q.as_of``)."""
    lines, customers = (
        base(con, tables, BaseQuestion(q.as_of, ("vendor",), unit, q.scope))
        for unit in ("lines", "customers")
    )
    (vendor,) = resolve_vendors(con, tables, [q.vendor])
    measured = measure_claim(lines, customers, vendor)
    return check_claim(
        vendor, q.as_of, q.count, measured, of=q.of, share=q.share, tolerance=q.tolerance
    )
