"""Identify devices: IMEI rules (``imei``), TAC catalog readers (``catalog``), vendor aliases
(``vendors``) and the device-type vocabulary (``devicetypes``).

Entry points: ``imei.parse`` / ``imei.parse_array``, ``catalog.read_catalog``, ``vendors.resolve``,
``vendors.vendor_of``, ``devicetypes.normalize``. The store-side import is
``devicepark.ingest.catalog.ingest_catalogs``.
"""
