"""Ingest: read operator exports, validate with reason codes, pseudonymise, commit to the store."""
