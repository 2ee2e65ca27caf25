"""Ingest: read operator exports, validate with reason codes, pseudonymise, commit to the store.

Entry point: ``run.ingest`` (one transaction: TAC catalogs via ``catalog``, then lines via
``lines``, observations via ``observations``, then ``devicepark.tenure.refold``). Each file is
read by ``readers``, validated and pseudonymised by ``staging`` and accounted for by
``reconcile``; ``pseudonym`` holds the keyed pseudonyms, ``log`` the ingest log.
"""
