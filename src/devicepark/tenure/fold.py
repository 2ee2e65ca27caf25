"""Fold a line's observations into tenures: runs of one handset, split on silences.

Pure Ibis (window functions ``lag`` and a cumulative sum), so ingest runs it on DuckDB and the
queries run the same fold on the fly when asked for a lookback shorter than the store's gap.
"""

from __future__ import annotations

import ibis
from ibis.expr.types import Table

from devicepark.store.schema import TENURES


def fold(observations: Table, gap_days: int) -> Table:
    """Tenures (the TENURES schema) of ``observations`` with a silence gap of ``gap_days``.

    Per line, observations are ordered by ``(observed_at, handset)``. A run starts at the first
    observation, whenever the handset differs from the previous observation's, and whenever
    ``local_date - previous local_date > gap_days``. ``seq`` numbers a line's runs 1, 2, ...

    Exact duplicates (same line, handset and instant, whatever their ``ingest_seq`` or ``kind``)
    cannot change the result: a duplicate follows its twin with the same handset and no silence,
    so it never starts a run, and ``observations`` counts distinct instants. The order is total
    on distinct sightings, so both engines give the same runs.
    """
    if gap_days < 0:
        raise ValueError("gap_days must be >= 0")
    obs = observations.select("line", "handset", "tac", "observed_at", "local_date")
    order = [obs.observed_at, obs.handset]
    w = ibis.window(group_by=obs.line, order_by=order)
    prev_handset = obs.handset.lag().over(w)
    prev_date = obs.local_date.lag().over(w)
    starts = (
        prev_handset.isnull()
        | (prev_handset != obs.handset)
        | (obs.local_date > (prev_date + ibis.interval(days=gap_days)))
    )
    flagged = obs.mutate(_start=starts.cast("int64"))
    wc = ibis.window(
        group_by=flagged.line,
        order_by=[flagged.observed_at, flagged.handset],
        preceding=None,
        following=0,
    )
    numbered = flagged.mutate(seq=flagged._start.sum().over(wc))
    runs = numbered.group_by(["line", "seq"]).aggregate(
        handset=numbered.handset.max(),
        tac=numbered.tac.max(),
        first_seen=numbered.observed_at.min(),
        last_seen=numbered.observed_at.max(),
        first_date=numbered.local_date.min(),
        last_date=numbered.local_date.max(),
        observations=numbered.observed_at.nunique(),
    )
    return runs.select(
        *[runs[name].cast(ibis.dtype(TENURES.field(name).type)) for name in TENURES.names]
    )
