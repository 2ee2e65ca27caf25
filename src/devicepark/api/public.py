"""Disclosure control for ``serve --public``: the answers as ``devicepark.publish`` protects them.

base, series and switches go through ``publish.disclosure`` (primary and complementary
suppression, threshold 10 lines); the rest is protected here with the same building blocks:

- adds: each day's count by primary suppression; its groups as a 1-D table whose total (the
  day's count) is published, so complementary suppression applies;
- milestones: thresholds (and ``every``) under the disclosure threshold are refused, and the
  last count is hidden when under it;
- campaign results: the observed daily adds by primary suppression (as the report does); the
  holdout comparison is withheld when a group or its adopters are under the threshold.
"""

from __future__ import annotations

import copy
from typing import Any

from devicepark.errors import ConfigError
from devicepark.publish.disclosure import (
    THRESHOLD,
    protect_base,
    protect_counts,
    protect_series,
    protect_switches,
    suppress_1d,
)


def protect_adds(answer: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """A copy of an adds answer fit for publication (hidden counts are null, flagged).

    >>> a = {"points": [{"date": "2022-01-01", "adds": 40, "groups": [
    ...     {"operator_brand": "Orange", "adds": 35}, {"operator_brand": "Sosh", "adds": 5}]},
    ...     {"date": "2022-01-02", "adds": 3, "groups": []}]}
    >>> p = protect_adds(a)["points"]
    >>> p[0]["adds"], [g["adds"] for g in p[0]["groups"]], p[1]["adds"]
    (40, [None, None], None)
    """
    out = copy.deepcopy(answer)
    points = out.get("points", [])
    protected = protect_counts(points, "adds", threshold)
    for point, shown in zip(points, protected, strict=True):
        point["adds"] = shown["adds"]
        point["suppressed"] = shown["suppressed"]
        groups = point.get("groups") or []
        if not groups:
            continue
        mask = suppress_1d(
            [int(g.get("adds") or 0) for g in groups], threshold, total=point["adds"] is not None
        )
        for g, hidden in zip(groups, mask, strict=True):
            if hidden:
                g["adds"] = None
            g["suppressed"] = hidden
    return out


def check_milestone_params(
    every: int, thresholds: list[int] | None, threshold: int = THRESHOLD
) -> None:
    """Refuse thresholds so small that crossing dates would disclose a handful of lines."""
    small = [t for t in thresholds or [] if t < threshold]
    if small or (not thresholds and every < threshold):
        raise ConfigError(
            f"this server publishes disclosure-controlled figures: thresholds and every must be at "
            f"least {threshold}"
        )


def protect_milestones(answer: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    out = copy.deepcopy(answer)
    last = out.get("last_count")
    if last is not None and 0 < last < threshold:
        out["last_count"] = None
    out["milestones"] = [m for m in out.get("milestones", []) if m.get("threshold", 0) >= threshold]
    return out


def protect_results(answer: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    out = copy.deepcopy(answer)
    if out.get("daily"):
        out["daily"] = protect_counts(out["daily"], "observed", threshold)
    holdout = out.get("holdout")
    if holdout:
        small = any(
            0 < int((holdout.get(g) or {}).get(k) or 0) < threshold
            for g in ("treatment", "holdout")
            for k in ("lines", "adopters")
        )
        if small:
            out["holdout"] = {"through": holdout.get("through"), "suppressed": True}
    return out


PROTECT = {
    "base": protect_base,
    "series": protect_series,
    "switches": protect_switches,
    "adds": protect_adds,
    "milestones": protect_milestones,
    "results": protect_results,
}


def protect(kind: str, answer: dict[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """The published form of an answer of ``kind``."""
    return PROTECT[kind](answer, threshold)
