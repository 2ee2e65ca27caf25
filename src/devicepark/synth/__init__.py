"""A realistic synthetic French operator (Orange and Sosh lines, handsets, network sightings) that
writes the input contract and its own ground truth: ``generate(out_dir, lines=..., seed=...)``.

Files written into ``out_dir`` (lines and observations as ``.csv.gz`` with ``gzip=True``; the
same seed writes the same bytes):

- ``lines.csv``: line_id (E.164 ``+336…``/``+337…``, the same spelling in every file),
  customer_id (1-3 lines per customer), operator_brand (Orange ~80 %, Sosh ~20 %), segment
  (consumer, business, m2m ~4 %; empty for 5 % of consumer lines), plan (postpaid, prepaid),
  region (13 metropolitan regions), activated_on, terminated_on (churn).
- ``observations.csv``: line_id, imei, observed_at; one row per sighting, ordered by UTC day.
  Messy rows, as fractions of distinct rows (``sightings.IMEI_FORMS``): IMEISV 3 %, IMEI with
  spaces 0.5 %, with dashes 0.5 %, 14-digit 1 %; invalid: bad checksum 0.2 %, wrong length
  0.05 %, all-zero 0.03 %, Arabic-Indic digits 0.02 %. Timestamps: ``Z`` 60 %, ``+01:00``/
  ``+02:00`` 15 %, naive Europe/Paris 25 % (never within 3 h of a DST switch). Exact duplicate
  rows 0.4 %; orphans (lines missing from lines.csv) ~0.05 % of lines.
- ``tac.csv``: our own catalog layout (tac, manufacturer, brand, model, marketing_name,
  device_type, os, release_year). Manufacturer is the vendor, except ``HMD Global Oy`` (Nokia);
  Redmi and POCO are brands of Xiaomi. A few TACs in use are left out (vendor ``Unknown``).
- ``truth.json``: ``generator`` (parameters), ``files`` (rows), ``rows`` (messy counts),
  ``snapshots`` (the base at every month end, 2022-02-03 and the campaign days: total_lines,
  identified_lines, vendors, brands, by_operator_brand, m2m), ``calibration`` (Xiaomi on
  2022-02-03 vs 4.74 %), ``daily`` (every day's totals and vendors), ``milestones`` (Xiaomi
  crossings of 250,000-at-full-scale steps), ``gross_adds`` (daily, the campaign vendor or
  Xiaomi, by operator brand) and ``campaign`` (planted effect per day, or null).

The truth follows docs/ARCHITECTURE.md exactly (30-day lookback, Europe/Paris days, invalid IMEIs
and orphans excluded, duplicates once); instants are distinct within a line, so no tie between
two handsets ever needs the pseudonym rule.
"""

from devicepark.synth.generate import SynthResult, generate, truth_days

__all__ = ["SynthResult", "generate", "truth_days"]
