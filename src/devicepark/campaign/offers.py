"""The price a shop must charge at an instant: the campaign's offers plus its phase's.

Stacking rule. Offers apply while ``starts <= at < ends`` (the campaign's window, and a phase's own
window for its offers), on their channels. For each product (same model, case-insensitive, or same
TAC list) and channel:

- ``stack = false`` (the default): the best single discount wins, i.e. the offer giving the lowest
  price; on a tie the earlier offer in the file (campaign offers before phase offers);
- ``stack = true``: every applicable discount adds up, each taken on the list price of the first
  applicable offer (a percent is a percent of that list price); the price is floored at 0.

Without a channel, each product gets its best price over the campaign's channels, and ``channels``
lists where that price applies. Prices are rounded to cents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from devicepark.campaign.spec import Campaign, Offer
from devicepark.errors import ConfigError


def parse_at(text: str, tz: ZoneInfo) -> dt.datetime:
    """An instant from the command line; without an offset it is read in ``tz``.

    A date alone means 00:00 local; a local time in a daylight-saving gap is an error; one in the
    repeated autumn hour means its first occurrence (add an offset to pick the second).

    >>> paris = ZoneInfo("Europe/Paris")
    >>> parse_at("2022-02-03", paris).isoformat()
    '2022-02-03T00:00:00+01:00'
    >>> parse_at("2022-02-02T23:30:00Z", paris).isoformat()
    '2022-02-03T00:30:00+01:00'
    >>> parse_at("2022-10-30T02:30:00+01:00", paris).isoformat()
    '2022-10-30T02:30:00+01:00'
    """
    value = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"--at: {text!r} is not an instant; allowed: an ISO date or datetime "
            "such as 2022-02-03, 2022-02-03T10:00 or 2022-02-03T09:00:00Z"
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(tz)
    local = parsed.replace(tzinfo=tz, fold=0)
    if local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != parsed:
        raise ConfigError(
            f"--at: {text} does not exist in {tz.key} (daylight-saving gap); "
            "allowed: a local time that exists, or an instant with an offset"
        )
    return local


def offers_at(
    campaign: Campaign, at: dt.datetime, channel: str | None = None, *, with_channels: bool = False
) -> dict[str, Any]:
    """The offers in force at ``at`` (aware) on ``channel`` (None: best over all channels).

    Returns the contract ``{"campaign", "at", "active", "offers": [{"model", "list_price",
    "price", "discount", "phase"}]}``; outside the window ``active`` is false and ``offers`` is
    empty. ``with_channels`` adds to each offer the ``channels`` where its price applies (for
    tables people read; the JSON contract has no such key).
    """
    if at.tzinfo is None:
        raise ValueError("offers_at needs an aware datetime; use parse_at")
    if channel is not None and channel not in campaign.channels:
        raise ConfigError(
            f"--channel: {channel!r} is not a channel of campaign {campaign.id}; "
            f"allowed: {', '.join(campaign.channels)}"
        )
    at_local = at.astimezone(campaign.timezone)
    active = campaign.contains(at)
    result: dict[str, Any] = {
        "campaign": campaign.id,
        "at": at_local.isoformat(),
        "active": active,
        "offers": [],
    }
    if not active:
        return result
    applicable: list[tuple[str | None, Offer]] = [(None, o) for o in campaign.offers]
    for phase in campaign.phases:
        if phase.contains(at):
            applicable.extend((phase.name, o) for o in phase.offers)
    channels = [channel] if channel is not None else list(campaign.channels)
    keys = list(dict.fromkeys(o.key for _, o in applicable))
    rows = []
    for key in keys:
        best: dict[str, Any] | None = None
        for ch in channels:
            items = [(ph, o) for ph, o in applicable if o.key == key and ch in o.channels]
            if not items:
                continue
            row = _stacked(items) if campaign.stack else _best_single(items)
            if best is None or row["price"] < best["price"]:
                best = {**row, "channels": [ch]}
            elif row["price"] == best["price"]:
                best["channels"].append(ch)
        if best is not None:
            rows.append(best)
    rows.sort(key=lambda r: (r["model"].casefold(), r["price"]))
    if not with_channels:
        rows = [{k: v for k, v in r.items() if k != "channels"} for r in rows]
    result["offers"] = rows
    return result


def _row(label: str, list_price: float, price: float, phase: str | None) -> dict[str, Any]:
    price = round(max(price, 0.0), 2)
    return {
        "model": label,
        "list_price": round(list_price, 2),
        "price": price,
        "discount": round(list_price - price, 2),
        "phase": phase,
    }


def _best_single(items: list[tuple[str | None, Offer]]) -> dict[str, Any]:
    phase, offer = min(items, key=lambda item: item[1].price)  # min keeps the first on ties
    return _row(offer.label, offer.list_price, offer.price, phase)


def _stacked(items: list[tuple[str | None, Offer]]) -> dict[str, Any]:
    list_price = items[0][1].list_price
    total = sum(o.discount_on(list_price) for _, o in items)
    phases = [ph for ph in dict.fromkeys(ph for ph, _ in items) if ph is not None]
    return _row(items[0][1].label, list_price, list_price - total, "+".join(phases) or None)
