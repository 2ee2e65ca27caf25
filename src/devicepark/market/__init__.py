"""Market context: import market-share tables, compare our base with them, check public claims.

Entry points: ``read_market`` (a file in, shares and notices out), ``save``/``load`` (the store's
``market`` table), ``compare`` (base vs market), ``check_claim`` (a public claim), all pure;
``devicepark.answers.compare`` and ``devicepark.answers.claim`` run them on a store. The CLI is
``devicepark market import|compare`` and ``devicepark claim check`` (``devicepark.cli.market``).
"""

from devicepark.market.claim import Measured, check_claim, measure, round_figure
from devicepark.market.compare import compare, compare_series
from devicepark.market.periods import Period, parse_period, period_for
from devicepark.market.reader import MarketFile, Notice, Share, read_market
from devicepark.market.table import KINDS, MARKET, load, names, save

__all__ = [
    "KINDS",
    "MARKET",
    "MarketFile",
    "Measured",
    "Notice",
    "Period",
    "Share",
    "check_claim",
    "compare",
    "compare_series",
    "load",
    "measure",
    "names",
    "parse_period",
    "period_for",
    "read_market",
    "round_figure",
    "save",
]
