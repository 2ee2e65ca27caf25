"""Publish: figures people can look at, in French or English, safe to let out of the building.

Entry points (the CLI's ``report`` and ``announce`` call them; nothing here connects or prints):

- ``disclosure``: ``protect_base``, ``protect_series``, ``protect_switches``, ``protect_counts``
  (primary and complementary suppression), ``suppress_1d``, ``suppress_2d``;
- ``privacy``: ``Noise`` (OpenDP discrete Laplace), ``noise_base``, ``noise_series``,
  ``noise_switches``, ``record`` / ``ledger_total`` (the store's ``privacy_ledger`` table);
- ``announce``: ``announce(base, vendor, lang=..., operator=...)``, ``round_figure``;
- ``report``: ``ReportInput``, ``publish`` (fold, noise, suppress), ``render`` (HTML), ``build``;
- ``locale``: ``integer``, ``percent``, ``decimal``, ``date``, ``join``, ``message`` (Babel).
"""
