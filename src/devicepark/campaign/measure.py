"""Measure a campaign on a store: the vendor's daily gross adds, a control, the holdout difference.

- observed: the vendor's gross adds (``devicepark.base.adds``, kind ``entries``: a line entering
  the vendor with a new handset) per day in the campaign's operator brands;
- control: the same vendor's gross adds in the other operator brands; when there are none, every
  handset change in the campaign's brands that is not an entry into the vendor;
- the counterfactual and its intervals come from ``devicepark.campaign.effect``;
- holdout: among the audience's lines, the share that entered the vendor (current handset of the
  vendor, first seen on the line between the first day and the end of the after-period) in
  treatment minus holdout, with a 95 % Wald interval.

``measure_answer`` returns the JSON contract with its keys exactly: ``campaign, vendor,
operator_brands, window, effect, after, daily, placebo_false_positive_rate, holdout``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
from ibis.expr.types import Table

from devicepark.base.adds import daily_adds
from devicepark.base.common import catalog_latest
from devicepark.base.snapshot import device_at
from devicepark.campaign.effect import MAX_PRE_WEEKS
from devicepark.campaign.spec import Campaign
from devicepark.errors import ConfigError
from devicepark.store.engine import Tables

Z95 = 1.959963984540054


def adds_expr(
    tables: Tables,
    campaign: Campaign,
    d1: dt.date,
    d2: dt.date,
    kind: str = "entries",
    lookback_days: int = 30,
) -> Table:
    """Rows ``date, operator_brand, adds`` of the campaign vendor (all vendors for ``changes``)."""
    vendor = campaign.vendor if kind == "entries" else None
    return daily_adds(tables, d1, d2, vendor, ["operator_brand"], lookback_days, kind=kind)


def daily_frame(
    entries: list[dict[str, Any]],
    changes: list[dict[str, Any]] | None,
    campaign: Campaign,
    d1: dt.date,
    d2: dt.date,
) -> tuple[pd.DataFrame, str]:
    """The (observed, control) daily frame from executed adds rows, and the control's name."""
    days = pd.date_range(d1, d2, freq="D")
    brands = set(campaign.operator_brands)

    def per_day(rows: list[dict[str, Any]], inside: bool) -> pd.Series:
        s = pd.Series(0.0, index=days)
        for r in rows:
            if (r["operator_brand"] in brands) == inside:
                s[pd.Timestamp(r["date"])] += float(r["adds"])
        return s

    observed = per_day(entries, True)
    control = per_day(entries, False)
    name = "vendor gross adds in other operator brands"
    if control.sum() == 0 and changes is not None:
        control = (per_day(changes, True) - observed).clip(lower=0)
        name = "other handset changes in the campaign's operator brands"
    return pd.DataFrame({"observed": observed, "control": control}), name


def measure_span(
    campaign: Campaign,
    data_first: dt.date,
    data_last: dt.date,
    after_days: int,
    lookback_days: int = 30,
) -> tuple[dt.date, dt.date]:
    """The days to query: up to 16 weeks before the window to the end of the after-period.

    The first ``lookback_days`` of data are left out: there, every line's first sighting looks
    like a new handset.
    """
    d1 = max(
        campaign.first_day - dt.timedelta(weeks=MAX_PRE_WEEKS),
        data_first + dt.timedelta(days=lookback_days),
    )
    d2 = min(campaign.last_day + dt.timedelta(days=after_days), data_last)
    if data_last < campaign.last_day:
        raise ConfigError(
            f"the store's data end on {data_last}, before campaign {campaign.id} ends on "
            f"{campaign.last_day}; ingest observations up to at least {campaign.last_day}"
        )
    return d1, d2


def adopters_expr(
    tables: Tables,
    audience: pa.Table,
    campaign: Campaign,
    through: dt.date,
    lookback_days: int = 30,
) -> Table:
    """Per audience group: ``group, lines, adopters`` (entered the vendor from the first day)."""
    aud = ibis.memtable(audience.select(["line", "group"]).rename_columns(["_aline", "group"]))
    dev = device_at(tables, through, lookback_days)
    cat = catalog_latest(tables.catalog).select("tac", "vendor").rename(_ctac="tac")
    dev = dev.left_join(cat, dev.tac == cat._ctac)
    dev = dev.mutate(
        adopted=(dev.vendor == campaign.vendor)
        & (dev.first_date >= ibis.literal(campaign.first_day))
    ).select(_dline="line", adopted="adopted")
    j = aud.left_join(dev, aud._aline == dev._dline)
    j = j.mutate(adopted=j.adopted.fill_null(False))
    return j.group_by("group").aggregate(lines=j.count(), adopters=j.adopted.sum().cast("int64"))


def holdout_answer(rows: list[dict[str, Any]], through: dt.date) -> dict[str, Any] | None:
    """Treatment minus holdout adoption rate with a 95 % Wald interval (None without a holdout).

    >>> r = holdout_answer([{"group": "treatment", "lines": 900, "adopters": 90},
    ...                     {"group": "holdout", "lines": 100, "adopters": 5}], dt.date(2022, 3, 2))
    >>> r["difference"], r["low"], r["high"]
    (0.05, 0.003, 0.097)
    """
    by = {r["group"]: r for r in rows}
    if not by.get("holdout", {}).get("lines") or not by.get("treatment", {}).get("lines"):
        return None
    out: dict[str, Any] = {"through": through.isoformat()}
    var = 0.0
    rates = {}
    for g in ("treatment", "holdout"):
        n, k = int(by[g]["lines"]), int(by[g]["adopters"] or 0)
        p = k / n
        rates[g] = p
        var += p * (1 - p) / n
        out[g] = {"lines": n, "adopters": k, "rate": round(p, 6)}
    diff = rates["treatment"] - rates["holdout"]
    half = Z95 * math.sqrt(var)
    out.update(difference=round(diff, 6), low=round(diff - half, 4), high=round(diff + half, 4))
    return out


def measure_answer(
    campaign: Campaign, effect: dict[str, Any], holdout: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``campaign measure`` JSON contract (keys fixed by the issue)."""
    return {
        "campaign": campaign.id,
        "vendor": campaign.vendor,
        "operator_brands": list(campaign.operator_brands),
        "window": {"starts": campaign.first_day.isoformat(), "ends": campaign.last_day.isoformat()},
        "effect": effect["effect"],
        "after": effect["after"],
        "daily": effect["daily"],
        "placebo_false_positive_rate": effect["placebo_false_positive_rate"],
        "holdout": holdout,
    }
