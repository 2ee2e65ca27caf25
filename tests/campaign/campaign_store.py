"""Helpers for campaign tests: a hand-made store (lines, tenures, catalog written directly), and
campaign files written from their keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from devicepark.store import Store
from devicepark.store.schema import SCHEMAS

D = dt.date
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "semaine-xiaomi-2022.toml"

#: The top-level keys of a valid campaign: c1, Xiaomi at Orange, 3 to 9 February 2022 in Paris.
CAMPAIGN: dict[str, object] = {
    "id": "c1",
    "vendor": "Xiaomi",
    "timezone": "Europe/Paris",
    "starts": D(2022, 2, 3),
    "ends": D(2022, 2, 9),
    "operator_brands": ["Orange"],
}


def toml_value(value: object) -> str:
    """``value`` as TOML: strings quoted, booleans in lower case, dates and datetimes bare (as
    ISO 8601), lists bracketed, numbers as Python writes them."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def toml(table: str | None = None, /, **keys: object) -> str:
    """TOML text: the ``table`` line if given (``[[offers]]``, ``[audience]``...), then one
    ``key = value`` line per key, in order."""
    lines = [f"{key} = {toml_value(value)}" for key, value in keys.items()]
    return "".join(f"{line}\n" for line in ([table] if table else []) + lines)


def head(**changes: object) -> str:
    """The top-level keys of ``CAMPAIGN`` as TOML, each of ``changes`` replacing a key in its
    place or, if new, coming after them."""
    return toml(**{**CAMPAIGN, **changes})


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)


def write_store(path: Path, lines: list[dict], tenures: list[dict], catalog: list[dict]) -> Store:
    store = Store.create(path)
    with store.transaction() as tx:
        tx.write("lines", _table("lines", lines))
        tx.write("tenures", _table("tenures", tenures))
        tx.write("catalog", _table("catalog", catalog))
    return Store.open(path)


def pseudo(n: int) -> str:
    return f"{n:032x}"


CATALOG = [
    {
        "tac": "35000001",
        "vendor": "Samsung",
        "brand": "Samsung",
        "model": "Galaxy S10",
        "import_seq": 1,
    },
    {
        "tac": "86000001",
        "vendor": "Xiaomi",
        "brand": "Redmi",
        "model": "Redmi Note 11",
        "import_seq": 1,
    },
    {"tac": "35000002", "vendor": "Apple", "brand": "Apple", "model": "iPhone 11", "import_seq": 1},
]


def line(
    n: int,
    brand: str = "Orange",
    segment: str = "consumer",
    activated: dt.date | None = None,
    terminated: dt.date | None = None,
) -> dict:
    return {
        "line": pseudo(n),
        "customer": pseudo(10_000 + n),
        "operator_brand": brand,
        "segment": segment,
        "activated_on": activated or D(2018, 1, 1),
        "terminated_on": terminated,
    }


def run(n: int, seq: int, handset: int, tac: str, first: dt.date, last: dt.date) -> dict:
    return {
        "line": pseudo(n),
        "seq": seq,
        "handset": pseudo(90_000 + handset),
        "tac": tac,
        "first_seen": dt.datetime.combine(first, dt.time(12), dt.UTC),
        "last_seen": dt.datetime.combine(last, dt.time(12), dt.UTC),
        "first_date": first,
        "last_date": last,
        "observations": 2,
    }


TACS = {"Samsung": "35000001", "Apple": "35000002", "Xiaomi": "86000001"}
SHARES = {"Samsung": 0.45, "Apple": 0.35, "Xiaomi": 0.20}


def switching_store(path: Path, *, seed: int, uplift: float, lines: int = 100_000) -> int:
    """A store of lines that each may change handset once between Sept 2021 and mid-March 2022.

    New-handset days follow a weekly rhythm and a slight trend; vendors follow ``SHARES``. In
    Orange during 3-9 February 2022, a switcher from a non-Xiaomi handset whose draw is not
    Xiaomi is converted to Xiaomi with probability ``uplift * p / (1 - p)``, which raises
    Xiaomi's share of new handsets by ``uplift`` (relative). Returns the number converted: the
    planted number of extra Xiaomi gross adds.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    start, end = D(2021, 9, 1), D(2022, 3, 15)
    ndays = (end - start).days + 1
    idx = np.arange(ndays)
    saturday = np.array([(start + dt.timedelta(days=int(i))).weekday() == 5 for i in idx])
    weights = (1 + 0.35 * saturday) * (1 + 0.002 * idx)
    vendors = np.array(list(SHARES))
    p = np.array(list(SHARES.values()))
    px = SHARES["Xiaomi"]
    orange = rng.random(lines) < 0.6
    old = rng.choice(3, size=lines, p=p)
    switches = rng.random(lines) < 0.6
    day = rng.choice(ndays, size=lines, p=weights / weights.sum())
    new = rng.choice(3, size=lines, p=p)
    x = int(np.flatnonzero(vendors == "Xiaomi")[0])
    w0, w1 = (D(2022, 2, 3) - start).days, (D(2022, 2, 9) - start).days
    eligible = switches & orange & (day >= w0) & (day <= w1) & (old != x) & (new != x)
    converted = eligible & (rng.random(lines) < uplift * px / (1 - px))
    new = np.where(converted, x, new)
    dates = [start + dt.timedelta(days=int(i)) for i in idx]
    line_rows, tenure_rows = [], []
    old_first = D(2019, 1, 1)
    for n in range(lines):
        line_rows.append(line(n, brand="Orange" if orange[n] else "Sosh"))
        if switches[n]:
            d = dates[day[n]]
            tenure_rows.append(
                run(n, 1, n, TACS[vendors[old[n]]], old_first, d - dt.timedelta(days=1))
            )
            tenure_rows.append(run(n, 2, 1_000_000 + n, TACS[vendors[new[n]]], d, end))
        else:
            tenure_rows.append(run(n, 1, n, TACS[vendors[old[n]]], old_first, end))
    write_store(path, line_rows, tenure_rows, CATALOG)
    return int(converted.sum())
