"""The daily aggregate (issue 20): base and a 2-year daily series by vendor, through the exact
fold and through the aggregate, each in a cold process, and what keeping the aggregate adds to
an ingest (its first build, timed alone, and a nightly ingest with and without its update).

    python benchmarks/bench_daily.py STORE [--night FILE]

STORE is a copy of a store (it is upgraded to this release's format and gets the aggregate: do
not point it at a store you want to keep as it is). Prints one JSON line per step: ``s`` is
the whole cold process (imports included), ``query_s`` the connection, the binding of the
store and the answer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import KEY, machine, run_step  # noqa: E402

SPAN = """
import datetime as dt, json
from devicepark.answers.span import data_dates
from devicepark.store import Store
lo, hi = data_dates(Store.open({store!r}))
print(json.dumps({{"lo": lo.isoformat(), "hi": hi.isoformat()}}))
"""

QUERY = """
import dataclasses, datetime as dt, hashlib, json, time
t0 = time.perf_counter()
from devicepark import answers
from devicepark.jsonout import dumps
from devicepark.questions import BaseQuestion, SeriesQuestion
from devicepark.store import Store, connect, open_tables
imported = time.perf_counter() - t0
con = connect("duckdb")
tables = open_tables(con, Store.open({store!r}))
if {exact!r}:
    tables = dataclasses.replace(tables, daily=None)
if {kind!r} == "base":
    a = answers.base(con, tables, BaseQuestion.parse({hi!r}, "vendor"))
else:
    a = answers.series(con, tables, SeriesQuestion.parse({lo!r}, {hi!r}, "day", "vendor"))
t = time.perf_counter() - t0
sha = hashlib.sha256(dumps(a).encode()).hexdigest()[:16]
print(json.dumps({{"t": t, "query": t - imported, "sha": sha,
                  "aggregate": tables.daily is not None}}))
"""

BUILD = """
import json, time
from devicepark.answers.daily import refresh_daily
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
from devicepark.store.upgrade import upgrade
upgrade(Store.open({store!r}))
store = Store.open({store!r})
con = duckdb_connection()
t0 = time.perf_counter()
with store.transaction() as tx:
    refresh_daily(tx, con)
t = time.perf_counter() - t0
import pyarrow.parquet as pq
rows = sum(pq.ParquetFile(f).metadata.num_rows for f in Store.open({store!r}).files("daily"))
print(json.dumps({{"t": t, "rows": rows}}))
"""

INGEST = """
import json, os, time
os.environ["DEVICEPARK_KEY"] = {key!r}
from devicepark.answers.daily import refresh_daily
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
t0 = time.perf_counter()
ingest(Store.open({store!r}), duckdb_connection(), load_key(), observations=[{night!r}],
       max_reject_rate=0.05, derive=refresh_daily if {derive!r} else None)
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--night", help="a nightly file: ingest it without and with the update")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-build", action="store_true", help="the store has the aggregate already")
    args = ap.parse_args()
    store = str(Path(args.store).resolve())
    print(json.dumps({"machine": machine()}), flush=True)
    _, _, span = run_step(SPAN.format(store=store))
    hi = span["hi"]
    lo = str(int(hi[:4]) - 2) + hi[4:]  # two years back
    lo = max(lo, span["lo"])

    def queries(label: str, exact: bool) -> None:
        for kind in ("base", "series"):
            for i in range(args.repeat):
                t, rss, p = run_step(
                    QUERY.format(store=store, exact=exact, kind=kind, lo=lo, hi=hi)
                )
                print(
                    json.dumps(
                        {
                            "step": f"{kind} {label}",
                            "run": i,
                            "s": round(t, 2),
                            "query_s": round(p["query"], 2),
                            "rss_mib": round(rss),
                            "answer": p["sha"],
                            "aggregate": p["aggregate"],
                            "from": lo,
                            "to": hi,
                        }
                    ),
                    flush=True,
                )

    if not args.no_build:
        _, _, built = run_step(BUILD.format(store=store))  # upgrades the store first (untimed)
        print(
            json.dumps(
                {"step": "build aggregate", "s": round(built["t"], 2), "rows": built["rows"]}
            ),
            flush=True,
        )
    queries("exact fold", True)
    queries("aggregate", False)
    if args.night:
        for derive in (False, True, False, True):
            backup = Path(store + ".before-night")
            shutil.copytree(store, backup)
            try:
                t, rss, _ = run_step(
                    INGEST.format(key=KEY, store=store, night=args.night, derive=derive)
                )
            finally:
                shutil.rmtree(store)
                backup.rename(store)
            print(
                json.dumps(
                    {
                        "step": "nightly ingest" + (" + aggregate update" if derive else ""),
                        "s": round(t, 2),
                        "rss_mib": round(rss),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
