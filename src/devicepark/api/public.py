"""What an anonymous client of ``serve --public`` gets: the keyed answers (``devicepark.answers``
with ``keyed=True``) perturbed by ``devicepark.publish.cellkey``, the one protection of every
published figure (the report, the dashboard and ``announce`` use it too).

Every count comes from its own cell key, so the same lines get the same noise in every answer;
counts published under the threshold are hidden; each answer says so in its ``"disclosure"``
field. Milestones are read again off the perturbed daily counts; campaign results move by their
days' noises (``cellkey.perturb_results``).
"""

from __future__ import annotations

from typing import Any

from devicepark.publish import cellkey

PROTECT = {
    "base": cellkey.perturb_base,
    "series": cellkey.perturb_series,
    "switches": cellkey.perturb_switches,
    "adds": cellkey.perturb_adds,
    "milestones": cellkey.perturb_milestones,
}

RESULT_KEYS = cellkey.DAY_KEYS  # a public campaign result: the cell key of each of its days


def protect(
    kind: str, answer: dict[str, Any], threshold: int = cellkey.THRESHOLD
) -> dict[str, Any]:
    """The published form of a keyed answer of ``kind``."""
    if kind == "results":
        keys = answer.pop(RESULT_KEYS)
        return cellkey.perturb_results(answer, keys, threshold)
    return PROTECT[kind](answer, threshold)
