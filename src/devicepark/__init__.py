"""devicepark: how many of an operator's subscribers use each handset vendor and model.

Stages, in the order data flows: identify, ingest, store, base, campaign, publish, synth;
the faces are ``devicepark.cli`` and ``devicepark.api``.
"""

__version__ = "0.1.0"
