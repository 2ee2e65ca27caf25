"""The figures the report, the dashboard and ``announce`` publish, gathered in one place.

``report_data`` runs the five queries of a report (base by vendor, the vendor series, switching
flows, device age, milestone crossings read off the series) and returns the
``devicepark.publish.report.ReportInput`` that both the report and the dashboard render; the
faces only add what they read from files (campaign results, market comparisons) and publish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ibis

from devicepark.answers.queries import base, data_span, rows, series, switches
from devicepark.answers.vendors import resolve_vendor, resolve_vendors, store_vendors
from devicepark.base.milestones import crossings
from devicepark.publish import locale
from devicepark.publish.announce import round_figure
from devicepark.publish.report import ReportInput, top_vendors
from devicepark.questions import (
    AnnounceQuestion,
    BaseQuestion,
    ReportQuestion,
    Scope,
    SeriesQuestion,
    SwitchesQuestion,
)
from devicepark.store.engine import Tables

Progress = Callable[..., None]


def operator_name(con: ibis.BaseBackend, tables: Tables, given: str | None, lang: str) -> str:
    """The operator's name in prose: ``given``, else the store's brands ('Orange et Sosh')."""
    if given:
        return given
    return locale.join(operator_brands(con, tables), lang)


def operator_brands(con: ibis.BaseBackend, tables: Tables) -> list[str]:
    """The store's operator brands, sorted."""
    found = rows(con, tables.lines.select("operator_brand").distinct())
    return sorted(r["operator_brand"] for r in found if r["operator_brand"])


def series_every(start: dt.date, end: dt.date, noised: bool = False) -> str:
    """Daily points up to two years (milestones are dated to the day), weekly beyond. With
    noise every point costs budget (a line counts once per point): monthly, or weekly when
    the span is short."""
    days = (end - start).days
    if noised:
        return "month" if days > 120 else "week"
    return "day" if days <= 2 * 366 else "week"


def milestone_step(count: int, threshold: int) -> int:
    """Thresholds roughly a quarter of the current count apart, on round figures."""
    return max(threshold, round_figure(max(1, count // 4)))


def series_milestones(
    answer: dict[str, Any], vendors: list[str], counts: dict[str, int], threshold: int
) -> list[dict[str, Any]]:
    """First crossings of round thresholds by each vendor, read off a vendor series (the shape
    of ``answers.milestones`` without its forecast)."""
    points = answer.get("points", [])
    dates = [dt.date.fromisoformat(str(p["date"])[:10]) for p in points]
    found = []
    for v in vendors:
        if not counts.get(v) or not dates:
            continue
        values = [next((g["lines"] for g in p["groups"] if g["vendor"] == v), 0) for p in points]
        step = milestone_step(max(values), threshold)
        ths = list(range(step, max(values) + 1, step))
        found.append({"vendor": v, "every": step, "milestones": crossings(dates, values, ths)})
    return found


def report_data(
    con: ibis.BaseBackend,
    tables: Tables,
    q: ReportQuestion,
    progress: Progress | None = None,
    *,
    keyed: bool = False,
) -> ReportInput:
    """The report's figures, unprotected (``publish.report.publish`` protects them); ``keyed``
    gives every count its cell key, for ``publish.cellkey`` to perturb."""
    cb = progress or (lambda *a, **k: None)
    if q.brand:
        tables = tables.only_brand(q.brand)
    day, scope = q.as_of, Scope(q.lookback_days)
    cb("base", 0, 6)
    by_vendor = base(con, tables, BaseQuestion(day, ("vendor",), "lines", scope), keyed=keyed)
    first = q.start
    if first is None:
        first = day - dt.timedelta(days=365)
        span = data_span(con, tables)
        if span is not None:
            first = max(first, min(span[0] + dt.timedelta(days=q.lookback_days - 1), day))
    cb("base", 1, 6)
    every = q.every or series_every(first, day, q.noised)
    sq = SeriesQuestion(first, day, every, ("vendor",), "lines", scope)
    points = series(con, tables, sq, keyed=keyed)
    cb("base", 2, 6)
    flows = switches(con, tables, SwitchesQuestion(first, day, "vendor", scope), keyed=keyed)
    cb("base", 3, 6)
    age = base(con, tables, BaseQuestion(day, ("device_age",), "lines", scope), keyed=keyed)
    cb("base", 4, 6)
    counts = {g["vendor"]: g["lines"] for g in by_vendor["groups"]}
    asked = resolve_vendors(con, tables, q.vendors)
    wanted = [v for v in asked if counts.get(v)] or top_vendors(by_vendor, q.default_vendors)
    marks = series_milestones(points, wanted, counts, q.threshold)
    cb("base", 5, 6)
    return ReportInput(
        as_of=day.isoformat(),
        base=by_vendor,
        series=points,
        switches=flows,
        age=age,
        milestones=marks,
        operator=q.brand or operator_name(con, tables, q.operator, q.lang),
        lookback_days=q.lookback_days,
        start=first.isoformat(),
    )


def announce_data(
    con: ibis.BaseBackend,
    tables: Tables,
    q: AnnounceQuestion,
    noised: bool = False,
    *,
    keyed: bool = False,
) -> dict[str, Any]:
    """``{"vendor", "base", "operator", "vendors"}``: the vendor as the store spells it, the base
    by vendor (with its cell keys when ``keyed``), the operator's name, and the catalog's vendor
    names when the figure will be noised (else None)."""
    known = store_vendors(con, tables)
    vendor = resolve_vendor(q.vendor, known)
    bq = BaseQuestion(q.as_of, ("vendor",), "lines", Scope(q.lookback_days))
    answer = base(con, tables, bq, keyed=keyed)
    return {
        "vendor": vendor,
        "base": answer,
        "operator": operator_name(con, tables, q.operator, q.lang),
        "vendors": known if noised else None,
    }
