"""Tiny stores for the base tests, and a naive pure-Python reference of the base definition.

The reference reads observations directly (no tenures) and follows docs/ARCHITECTURE.md word
for word, so that the Ibis queries are checked against the definition, not against themselves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from devicepark.store import Store, StoreConfig, open_tables
from devicepark.store.schema import CATALOG, LINES, OBSERVATIONS
from devicepark.tenure import fold

UTC = dt.UTC
D0 = dt.date(2022, 1, 1)


def day(n: int) -> dt.date:
    """Day n of the test calendar (day 0 = 2022-01-01)."""
    return D0 + dt.timedelta(days=n)


@dataclass
class Line:
    line: str
    activated_on: dt.date
    terminated_on: dt.date | None = None
    customer: str | None = None
    operator_brand: str = "Orange"
    segment: str | None = "consumer"
    plan: str | None = "postpaid"
    region: str | None = "IDF"


@dataclass
class Obs:
    line: str
    handset: str
    tac: str
    at: dt.datetime  # UTC; local_date is taken as the UTC date in these fixtures

    @property
    def local_date(self) -> dt.date:
        return self.at.date()


def at(n: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day(n), dt.time(hour, minute), tzinfo=UTC)


@dataclass
class Fixture:
    lines: list[Line]
    obs: list[Obs]
    catalog: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)  # tac -> v,b,m,type


def lines_table(lines: list[Line]) -> pa.Table:
    cols: dict[str, list[Any]] = defaultdict(list)
    for ln in lines:
        cols["line"].append(ln.line)
        cols["customer"].append(ln.customer)
        cols["operator_brand"].append(ln.operator_brand)
        cols["segment"].append(ln.segment)
        cols["plan"].append(ln.plan)
        cols["region"].append(ln.region)
        cols["activated_on"].append(ln.activated_on)
        cols["terminated_on"].append(ln.terminated_on)
        cols["ingest_seq"].append(1)
    return pa.table({n: pa.array(cols[n], LINES.field(n).type) for n in LINES.names})


def obs_table(obs: list[Obs]) -> pa.Table:
    return pa.table(
        {
            "line": pa.array([o.line for o in obs], pa.string()),
            "handset": pa.array([o.handset for o in obs], pa.string()),
            "tac": pa.array([o.tac for o in obs], pa.string()),
            "kind": pa.array(["IMEI"] * len(obs), pa.string()),
            "observed_at": pa.array([o.at for o in obs], OBSERVATIONS.field("observed_at").type),
            "local_date": pa.array([o.local_date for o in obs], pa.date32()),
            "ingest_seq": pa.array([2] * len(obs), pa.int64()),
        }
    ).select(OBSERVATIONS.names)


def catalog_table(catalog: dict[str, tuple[str, str, str, str]]) -> pa.Table:
    rows = sorted(catalog.items())
    data: dict[str, list[Any]] = {n: [None] * len(rows) for n in CATALOG.names}
    for i, (tac, (vendor, brand, model, dtype)) in enumerate(rows):
        data["tac"][i] = tac
        data["vendor"][i] = vendor
        data["brand"][i] = brand
        data["model"][i] = model
        data["device_type"][i] = dtype
        data["layout"][i] = "own"
        data["import_seq"][i] = 0
    return pa.table({n: pa.array(data[n], CATALOG.field(n).type) for n in CATALOG.names})


def build_store(path: Path, fx: Fixture, con: Any, gap_days: int = 30) -> Store:
    """A store holding the fixture, its tenures folded by ``fold`` on ``con``."""
    store = Store.create(path, StoreConfig(tenure_gap_days=gap_days))
    obs = obs_table(fx.obs)
    tenures = con.to_pyarrow(fold(ibis.memtable(obs), gap_days))
    with store.transaction() as tx:
        tx.write("lines", lines_table(fx.lines))
        tx.write("observations", obs)
        tx.write("catalog", catalog_table(fx.catalog))
        tx.write("tenures", tenures)
    return store.refresh()


def open_fixture(path: Path, fx: Fixture, con: Any, gap_days: int = 30):
    return open_tables(con, build_store(path, fx, con, gap_days))


# --------------------------------------------------------------------------------------------
# The naive reference


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    last = (nxt - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d.day, last))


def age_bucket(origin: dt.date, d: dt.date) -> str:
    for label, hi in (("0-6", 6), ("6-12", 12), ("12-24", 24), ("24-36", 36)):
        if d < add_months(origin, hi):
            return label
    return "36+"


def ref_lines(fx: Fixture, d: dt.date, lookback: int = 30, include_m2m: bool = False) -> list[dict]:
    """Per line in the base at ``d``: its attributes and device, straight from the definition."""
    by_line: dict[str, list[Obs]] = defaultdict(list)
    for o in fx.obs:
        by_line[o.line].append(o)
    lo = d - dt.timedelta(days=lookback - 1)
    out = []
    for ln in fx.lines:
        seg = ln.segment or "consumer"
        if not (ln.activated_on <= d and (ln.terminated_on is None or ln.terminated_on > d)):
            continue
        if seg == "m2m" and not include_m2m:
            continue
        row: dict[str, Any] = {
            "line": ln.line,
            "customer": ln.customer if ln.customer else "line:" + ln.line,
            "operator_brand": ln.operator_brand,
            "segment": seg,
            "plan": ln.plan,
            "region": ln.region,
            "handset": None,
            "identified": False,
        }
        window = [o for o in by_line[ln.line] if lo <= o.local_date <= d]
        if window:
            latest = max(window, key=lambda o: (o.at, o.handset))
            vendor, brand, model, dtype = fx.catalog.get(
                latest.tac, ("Unknown", "Unknown", "Unknown", "other")
            )
            origin = min(
                o.local_date
                for o in by_line[ln.line]
                if o.handset == latest.handset and o.local_date <= d
            )
            row.update(
                handset=latest.handset,
                identified=True,
                vendor=vendor,
                brand=brand,
                model=model,
                device_type=dtype,
                device_age=age_bucket(origin, d),
            )
        out.append(row)
    return out


def ref_base(
    fx: Fixture,
    d: dt.date,
    by: list[str],
    unit: str = "lines",
    lookback: int = 30,
    include_m2m: bool = False,
) -> dict[str, Any]:
    """(total_lines, identified_lines, {group key tuple: count}) plus unit denominators."""
    rows = ref_lines(fx, d, lookback, include_m2m)
    ident = [r for r in rows if r["identified"]]
    col = {"lines": "line", "customers": "customer", "handsets": "handset"}[unit]
    groups: dict[tuple, set] = defaultdict(set)
    for r in ident:
        groups[tuple(r[k] for k in by)].add(r[col])
    res: dict[str, Any] = {
        "total_lines": len(rows),
        "identified_lines": len(ident),
        "groups": {k: len(v) for k, v in groups.items()},
    }
    if unit == "customers":
        res["total_customers"] = len({r["customer"] for r in rows})
        res["identified_customers"] = len({r["customer"] for r in ident})
    if unit == "handsets":
        res["identified_handsets"] = len({r["handset"] for r in ident})
    return res


def answer_as_ref(answer: dict[str, Any], by: list[str], unit: str = "lines") -> dict[str, Any]:
    """A base answer (or a series point) in the reference's shape."""
    res: dict[str, Any] = {
        "total_lines": answer["total_lines"],
        "identified_lines": answer["identified_lines"],
        "groups": {tuple(g[k] for k in by): g[unit] for g in answer["groups"]},
    }
    for extra in ("total_customers", "identified_customers", "identified_handsets"):
        if extra in answer:
            res[extra] = answer[extra]
    return res


def mem_tables(fx: Fixture, con: Any, gap_days: int = 30):
    """The fixture as in-memory Ibis tables (no files): fast for property tests."""
    from devicepark.store.engine import Tables
    from devicepark.store.schema import INGESTS, QUARANTINE
    from devicepark.store.store import Manifest

    obs = obs_table(fx.obs)
    tenures = con.to_pyarrow(fold(ibis.memtable(obs), gap_days))
    store = Store(
        Path("/nonexistent-store"), Manifest(config=StoreConfig(tenure_gap_days=gap_days))
    )
    return Tables(
        store=store,
        lines=ibis.memtable(lines_table(fx.lines)),
        observations=ibis.memtable(obs),
        tenures=ibis.memtable(tenures),
        catalog=ibis.memtable(catalog_table(fx.catalog)),
        quarantine=ibis.memtable(QUARANTINE.empty_table()),
        ingests=ibis.memtable(INGESTS.empty_table()),
    )


def naive_fold(obs: list[Obs], gap_days: int) -> list[tuple]:
    """(line, seq, handset, first_date, last_date, distinct instants) per run, by definition."""
    per: dict[str, list[Obs]] = defaultdict(list)
    for o in {(o.line, o.handset, o.tac, o.at): o for o in obs}.values():
        per[o.line].append(o)
    out = []
    for line, items in sorted(per.items()):
        items.sort(key=lambda o: (o.at, o.handset))
        runs: list[list[Obs]] = []
        for o in items:
            if (
                not runs
                or runs[-1][-1].handset != o.handset
                or (o.local_date - runs[-1][-1].local_date).days > gap_days
            ):
                runs.append([o])
            else:
                runs[-1].append(o)
        for i, r in enumerate(runs, 1):
            out.append(
                (line, i, r[0].handset, r[0].local_date, r[-1].local_date, len({o.at for o in r}))
            )
    return out
