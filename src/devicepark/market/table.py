"""The store's ``market`` table: one row per (market name, period, vendor), shares as fractions.

Importing a market under a name already in the store replaces that market's rows, nothing else.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from devicepark.errors import ConfigError
from devicepark.market.periods import Period, parse_period
from devicepark.market.reader import MarketFile, Share
from devicepark.store import Store
from devicepark.store import schema as store_schema

MARKET = pa.schema(
    [
        ("name", pa.string()),  # the market's name in this store, e.g. statcounter-fr
        ("kind", pa.string()),  # usage | shipments | installed
        ("source", pa.string()),  # who published the figures
        ("file", pa.string()),  # file name it was imported from
        ("layout", pa.string()),  # long | statcounter
        ("period", pa.string()),  # 2022-01 or 2022-Q1
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("vendor", pa.string()),  # normalised as in the catalog; Unknown and Other stay apart
        ("vendor_raw", pa.string()),  # raw name(s) summed into this row, joined with " + "
        ("share", pa.float64()),  # fraction 0-1 of the period's market
        ("imported_at", pa.timestamp("us", tz="UTC")),
    ]
)
store_schema.register("market", MARKET)

KINDS = ("usage", "shipments", "installed")


def to_arrow(market: MarketFile, *, name: str, kind: str, source: str | None) -> pa.Table:
    """The rows of one imported file, ready for the store."""
    if kind not in KINDS:
        raise ConfigError(f"unknown market kind {kind!r}; choose one of: {', '.join(KINDS)}")
    now = dt.datetime.now(dt.UTC)
    shares = market.shares
    return pa.Table.from_pydict(
        {
            "name": [name] * len(shares),
            "kind": [kind] * len(shares),
            "source": [s.source or source for s in shares],
            "file": [market.file.rsplit("/", 1)[-1]] * len(shares),
            "layout": [market.layout] * len(shares),
            "period": [s.period.label for s in shares],
            "period_start": [s.period.start for s in shares],
            "period_end": [s.period.end for s in shares],
            "vendor": [s.vendor for s in shares],
            "vendor_raw": [s.vendor_raw for s in shares],
            "share": [s.share for s in shares],
            "imported_at": [now] * len(shares),
        },
        schema=MARKET,
    )


def save(store: Store, market: MarketFile, *, name: str, kind: str, source: str | None) -> int:
    """Write a market under ``name``, replacing any market of that name; the rows written."""
    new = to_arrow(market, name=name, kind=kind, source=source)
    with store.transaction() as tx:
        parts = [pq.read_table(f).cast(MARKET) for f in tx.files("market")]
        kept = [p.filter(pc.not_equal(p["name"], name)) for p in parts]
        tx.write("market", pa.concat_tables([*kept, new]), replace=True)
    return new.num_rows


def names(store: Store) -> list[str]:
    """The markets in the store."""
    return sorted(set(store.read("market", columns=["name"])["name"].to_pylist()))


def load(store: Store, name: str) -> list[Share]:
    """One market's shares; ConfigError naming the markets there are when it is missing."""
    table = store.read("market")
    rows = table.filter(pc.equal(table["name"], name)).to_pylist()
    if not rows:
        there = names(store)
        known = (
            f"markets in this store: {', '.join(there)}"
            if there
            else "this store has no market yet"
        )
        raise ConfigError(
            f"no market named {name!r} ({known})",
            hint=f"import it with: devicepark market import FILE --store {store.path} "
            f"--name {name}",
        )
    out = []
    for r in rows:
        period = parse_period(r["period"]) or Period(
            r["period_start"], r["period_end"], r["period"]
        )
        out.append(
            Share(
                period=period,
                vendor=r["vendor"],
                share=r["share"],
                vendor_raw=r["vendor_raw"],
                source=r["source"],
            )
        )
    return out
