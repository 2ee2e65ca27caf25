"""Tenures as the queries read them: the store's, or a fold on the fly for a lookback shorter than
the store's gap, and each run's coverage interval under a lookback.
"""

from __future__ import annotations

import ibis
from ibis.expr.types import Table

from devicepark.errors import ConfigError
from devicepark.store.engine import Tables
from devicepark.tenure.fold import fold


def store_gap(source: Tables) -> int:
    return int(source.store.config.tenure_gap_days)


def tenures_for(source: Tables | Table, lookback_days: int, gap_days: int | None = None) -> Table:
    """The tenures valid for ``lookback_days``: the store's, or observations folded with gap L.

    Store tenures (gap G) answer any lookback L >= G exactly; for L < G the observations are
    folded on the fly with gap L (slower, same definition). Given a tenures table directly,
    ``gap_days`` is the gap it was folded with.
    """
    if isinstance(source, Tables):
        gap = store_gap(source) if gap_days is None else gap_days
        if lookback_days < gap:
            return fold(source.observations, lookback_days)
        return source.tenures
    if gap_days is not None and lookback_days < gap_days:
        raise ConfigError(
            f"lookback of {lookback_days} days is shorter than the tenures' gap of "
            f"{gap_days} days; pass the store's tables so that observations are folded again"
        )
    return source


def run_intervals(
    tenures: Table, lookback_days: int, with_origin: bool = True, following: Table | None = None
) -> Table:
    """Each run's coverage ``[start, end)`` under lookback L, with its handset origin.

    Run i covers ``[first_date_i, min(first_date_{i+1}, last_date_i + L))`` (empty when the next
    run starts the same day); the intervals of one line never overlap. ``origin`` is the first
    day the run's handset was seen on the line (the minimum ``first_date`` over the line's runs
    of that handset), the start of its device age; ``with_origin=False`` skips its window.
    ``following`` holds the runs that may follow them (by default ``tenures`` itself): a subset
    of a line's runs takes each next run's ``first_date`` from there.
    """
    # The next run's first_date by a self-join on (line, seq + 1): cheaper than lead() over a
    # window partitioned by line, and portable.
    nexts = tenures if following is None else following
    nxt_t = nexts.select(_nline=nexts.line, _nseq=nexts.seq - 1, _nfirst=nexts.first_date)
    tenures = tenures.left_join(
        nxt_t, (tenures.line == nxt_t._nline) & (tenures.seq == nxt_t._nseq)
    ).drop("_nline", "_nseq")
    wo = ibis.window(group_by=[tenures.line, tenures.handset])
    nxt = tenures._nfirst
    lim = (tenures.last_date + ibis.interval(days=lookback_days)).cast("date")
    end = ibis.ifelse(nxt.isnull() | (nxt > lim), lim, nxt)
    cols = dict(start=tenures.first_date, end=end)
    if with_origin:
        cols["origin"] = tenures.first_date.min().over(wo)
    return tenures.select("line", "seq", "handset", "tac", "first_date", **cols)
