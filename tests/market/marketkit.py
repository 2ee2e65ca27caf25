"""A tiny hand-made store whose base at 2022-02-03 is worked out by hand, and a market for it.

At 2022-02-03 (lookback 30 days), M2M and terminated lines excluded:

    brand   Apple  Samsung  Xiaomi  Unknown  unidentified | identified  total
    Orange      6        2       1        1             2 |         10     12
    Sosh        4        2       4        0             0 |         10     10
    all        10        4       5        1             2 |         20     22

Customers: Orange's six Apple lines belong to three customers (two lines each), every other line
is its own customer: 22 - 3 = 19 customers in all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from devicepark.store import Store, StoreConfig
from devicepark.store.schema import CATALOG, LINES, OBSERVATIONS, TENURES

AS_OF = dt.date(2022, 2, 3)
SEEN = dt.datetime(2022, 2, 1, 10, 0, tzinfo=dt.UTC)
TACS = {"Apple": "35000001", "Samsung": "35000002", "Xiaomi": "35000003", "Unknown": "35999999"}

# (brand, vendor or None for unidentified, count)
LAYOUT = [
    ("Orange", "Apple", 6),
    ("Orange", "Samsung", 2),
    ("Orange", "Xiaomi", 1),
    ("Orange", "Unknown", 1),
    ("Orange", None, 2),
    ("Sosh", "Apple", 4),
    ("Sosh", "Samsung", 2),
    ("Sosh", "Xiaomi", 4),
]

MARKET_CSV = """period,vendor,share,source
2022-01,Apple,45,Test survey
2022-01,Samsung,30,Test survey
2022-01,Xiaomi,15,Test survey
2022-01,Huawei,10,Test survey
2022-02,Apple,40,Test survey
2022-02,Samsung,30,Test survey
2022-02,Xiaomi,20,Test survey
2022-02,"HUAWEI TECHNOLOGIES CO.,LTD",10,Test survey
2022-03,Apple,38,Test survey
2022-03,Samsung,30,Test survey
2022-03,Xiaomi,22,Test survey
2022-03,Huawei,10,Test survey
"""


def _hex(prefix: str, n: int) -> str:
    return f"{prefix}{n:0{32 - len(prefix)}x}"


def build(path: Path) -> Store:
    lines, obs = [], []
    n = 0

    def add_line(brand, vendor, customer=None, segment="consumer", terminated=None):
        nonlocal n
        n += 1
        line = _hex("a", n)
        lines.append(
            {
                "line": line,
                "customer": customer or _hex("c", n),
                "operator_brand": brand,
                "segment": segment,
                "plan": "postpaid",
                "region": "IDF",
                "activated_on": dt.date(2021, 1, 1),
                "terminated_on": terminated,
                "ingest_seq": 1,
            }
        )
        if vendor is not None:
            obs.append(
                {
                    "line": line,
                    "handset": _hex("b", n),
                    "tac": TACS[vendor],
                    "kind": "IMEI",
                    "observed_at": SEEN,
                    "local_date": SEEN.date(),
                    "ingest_seq": 2,
                }
            )

    for brand, vendor, count in LAYOUT:
        for i in range(count):
            shared = _hex("d", i // 2) if (brand, vendor) == ("Orange", "Apple") else None
            add_line(brand, vendor, customer=shared)
    add_line("Orange", "Xiaomi", segment="m2m")  # M2M: excluded
    add_line("Sosh", "Apple", terminated=dt.date(2022, 1, 15))  # terminated before D: excluded

    tenures = [
        {
            "line": o["line"],
            "seq": 1,
            "handset": o["handset"],
            "tac": o["tac"],
            "first_seen": SEEN,
            "last_seen": SEEN,
            "first_date": SEEN.date(),
            "last_date": SEEN.date(),
            "observations": 1,
        }
        for o in obs
    ]
    catalog = [
        {
            **dict.fromkeys(CATALOG.names),
            "tac": tac,
            "vendor": vendor,
            "brand": vendor,
            "model": f"{vendor} One",
            "device_type": "smartphone",
            "layout": "own",
            "import_seq": 0,
        }
        for vendor, tac in TACS.items()
        if vendor != "Unknown"
    ]
    store = Store.create(path, StoreConfig())
    with store.transaction() as tx:
        tx.write("lines", pa.Table.from_pylist(lines, schema=LINES))
        tx.write("observations", pa.Table.from_pylist(obs, schema=OBSERVATIONS))
        tx.write("tenures", pa.Table.from_pylist(tenures, schema=TENURES))
        tx.write("catalog", pa.Table.from_pylist(catalog, schema=CATALOG))
    return store.refresh()
