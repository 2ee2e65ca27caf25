"""Tenures, the one home of their rules: runs of one handset on one line, split on silences.

``fold`` (Ibis, any engine) folds observations; ``refold`` (DuckDB, called by ingest) brings the
stored tenures up to date incrementally; ``tenures_for`` and ``run_intervals`` give the queries
the tenures valid for a lookback and each run's coverage. Imports only ``devicepark.store`` and
``devicepark.errors``, so both ``ingest`` and ``base`` can use it.
"""

from devicepark.tenure.fold import fold
from devicepark.tenure.intervals import run_intervals, store_gap, tenures_for
from devicepark.tenure.refold import refold

__all__ = ["fold", "refold", "run_intervals", "store_gap", "tenures_for"]
