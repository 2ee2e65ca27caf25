# ruff: noqa: E501  (the steps are Python and SQL sources kept readable as one block each)
"""France scale on one machine: synth, ingest, base, a 2-year daily series and switches.

Not a test. Full run (21 million lines, the size of a national operator)::

    python benchmarks/bench_france.py --lines 21000000 --sightings-per-month 1.1

Each step runs in its own subprocess, so its wall time and peak RSS (``os.wait4``) are its own;
the steps that time themselves exclude Python imports. Steps:

- synth: ``devicepark.synth.generate`` in shards of ``--shard`` lines (the generator holds a
  shard in memory, about 1 KiB per line); shard k > 0 gets its line and customer ids moved to
  a numbering of its own (``+1<k>...``, ``C<k>-...``) so the shards never share a line;
- ingest: one ``devicepark ingest`` run per shard (CSV) into one store, on DuckDB, as an operator
  would load one export after another; each run validates, pseudonymises, deduplicates against
  the whole store and refolds the tenures of its lines. The table gives the sum of the runs'
  times and the largest peak RSS. ``--drop-csv`` deletes a shard's CSV once it is ingested
  (21 M lines at 1.1 sightings a month is about 27 GB of CSV);
- queries, each checked to give the same answer three ways:
  devicepark (Ibis on DuckDB) / hand-written DuckDB SQL over the same Parquet / pandas
  (memory capped with ``RLIMIT_AS`` at ``--pandas-cap`` GiB so the machine never swaps; a
  MemoryError is recorded as "out of memory at this size"):
  base on one date by vendor, a 2-year daily series by vendor (730 points), switches by vendor
  between two dates a year apart;
- out-of-core: base and the daily series again with ``--memory-limit`` = a quarter of the
  store's size (DuckDB spills to its temp directory);
- Spark: with ``--spark``, the same three devicepark queries on Spark local[2]; peak RSS is the
  Python driver plus the JVM's own high-water mark (VmHWM).

Writes the Markdown table to ``--out`` (default benchmarks/results/france.md, appended).
Work files go to ``--work`` (default /tmp/devicepark-france); ``--keep`` keeps the data there
and a later run reuses it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_core import machine  # the scripts run from benchmarks/, which is on sys.path

ROOT = Path(__file__).resolve().parents[1]
SRC = str(ROOT / "src")  # measure this checkout, whatever else is installed
KEY = "3c9e1f7a20d4b68e5f0a7c3d91e2b84f" * 2  # fixed, 16 distinct bytes (a key must be random)
AS_OF = "2022-02-03"
SERIES = ("2020-07-01", "2022-06-30")  # 730 days
SWITCH = ("2021-02-03", "2022-02-03")


def wait_rss(code: str, env: dict[str, str] | None = None, cap_gib: float | None = None) -> dict:
    """Run python code in a subprocess. Returns its last JSON line plus ``wall`` (s), ``rss``
    (peak MiB from ``os.wait4``, plus the JVM's VmHWM when the step reports one) and ``status``;
    the payload's own ``t`` times the step's work without imports."""
    pre = ""
    if cap_gib:
        pre = (f"import resource; _c = int({cap_gib} * 2**30); "
               "resource.setrlimit(resource.RLIMIT_AS, (_c, _c))\n")
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as errf, subprocess.Popen(
        [sys.executable, "-c", pre + code], stdout=subprocess.PIPE, stderr=errf,
        env={**os.environ, **(env or {}), "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")},
    ) as proc:
        out_b = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        err_b = errf.read()
    out, err = out_b.decode(errors="replace"), err_b.decode(errors="replace")
    wall = time.perf_counter() - t0
    payload: dict = {}
    for line in reversed(out.strip().splitlines()):
        try:
            payload = json.loads(line)
            break
        except ValueError:
            continue
    payload.setdefault("t", wall)
    payload["rss"] = usage.ru_maxrss / 1024 + payload.get("jvm_rss", 0)
    payload.update(wall=wall, status=proc.returncode)
    if proc.returncode != 0:
        tail = [x for x in err.strip().splitlines() if x.strip()]
        named = [x for x in tail if "Error" in x or "Exception" in x]
        payload["error"] = ((named or tail or ["?"])[-1])[:160].replace("|", "/")
    return payload


# --------------------------------------------------------------------------- step code

SYNTH = """
import datetime as dt, json, time
from devicepark.synth import generate
t0 = time.perf_counter()
generate({out!r}, lines={lines}, seed={seed}, sightings_per_month={spm}, start=dt.date.fromisoformat({start!r}),
         end=dt.date.fromisoformat({end!r}))
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""

# shard k > 0: move line and customer ids to a numbering of their own
RENUMBER = """
import duckdb, json, os, time
t0 = time.perf_counter()
con = duckdb.connect()
d, k = {d!r}, {k}
con.execute(f\"\"\"COPY (SELECT '+1{{k:02d}}' || substr(line_id, 4) AS line_id,
  'C{{k:02d}}-' || substr(customer_id, 2) AS customer_id, * EXCLUDE (line_id, customer_id)
  FROM read_csv('{{d}}/lines.csv', all_varchar=true)) TO '{{d}}/lines.k.csv' (HEADER)\"\"\")
con.execute(f\"\"\"COPY (SELECT '+1{{k:02d}}' || substr(line_id, 4) AS line_id, imei, observed_at
  FROM read_csv('{{d}}/observations.csv', all_varchar=true)) TO '{{d}}/observations.k.csv' (HEADER)\"\"\")
for n in ('lines', 'observations'):
    os.replace(f'{{d}}/{{n}}.k.csv', f'{{d}}/{{n}}.csv')
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""

INGEST = """
import json, time
from pathlib import Path
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
d, store = {shard!r}, {store!r}
t0 = time.perf_counter()
s = Store.open(store) if (Path(store) / 'manifest.json').exists() else Store.create(store)
rep = ingest(s, duckdb_connection({mem!r}), load_key(), lines=[d + '/lines.csv'],
             observations=[d + '/observations.csv'], tac=[d + '/tac.csv'], max_reject_rate=0.05)
bad = [f['file'] for f in rep.files if f['rows'] != f['accepted'] + f['rejected'] + f['duplicates'] + f['orphans']]
assert not bad, bad
print(json.dumps({{"t": time.perf_counter() - t0, "rows": sum(f['rows'] for f in rep.files if f['kind'] != 'tac')}}))
"""

# devicepark: Ibis expressions on an engine; the answers reduced to comparable counts
IBIS = """
import json, os, time
from devicepark import answers
from devicepark.questions import BaseQuestion, SeriesQuestion, SwitchesQuestion
from devicepark.store import Store, connect, open_tables
engine, query = {engine!r}, {query!r}
con = connect(engine, memory_limit={mem!r}, spark_master='local[2]')
tables = open_tables(con, Store.open({store!r}))
t0 = time.perf_counter()
if query == 'base':
    a = answers.base(con, tables, BaseQuestion.parse({as_of!r}, by=['vendor']))
    r = {{g['vendor']: g['lines'] for g in a['groups'] if g['lines']}} | {{'__total': a['total_lines']}}
elif query == 'series':
    a = answers.series(con, tables, SeriesQuestion.parse({s1!r}, {s2!r}, 'day', ['vendor']))
    r = {{str(p['date']): {{g['vendor']: g['lines'] for g in p['groups'] if g['lines']}}
         | {{'__total': p['total_lines']}} for p in a['points']}}
else:
    a = answers.switches(con, tables, SwitchesQuestion.parse({w1!r}, {w2!r}, 'vendor'))
    r = {{f"{{f['from_vendor']}} > {{f['to_vendor']}}": f['lines'] for f in a['flows'] if f['lines']}}
t = time.perf_counter() - t0
out = {{"t": t, "a": r}}
if engine == 'spark':
    pid = con._session._jvm.java.lang.ProcessHandle.current().pid()
    for line in open(f'/proc/{{pid}}/status'):
        if line.startswith('VmHWM:'):
            out['jvm_rss'] = int(line.split()[1]) / 1024
print(json.dumps(out))
"""

SQL = """
import json, time, duckdb
from devicepark.store import Store
s = Store.open({store!r})
f = lambda t: '[' + ','.join(repr(x) for x in s.files(t)) + ']'
query, D = {query!r}, "DATE '{as_of}'"
con = duckdb.connect()
t0 = time.perf_counter()
common = f'''
l AS (SELECT line, activated_on AS a, terminated_on AS t, coalesce(segment, 'consumer') <> 'm2m' AS inscope
      FROM read_parquet({{f('lines')}})),
c AS (SELECT tac, vendor FROM read_parquet({{f('catalog')}})
      QUALIFY row_number() OVER (PARTITION BY tac ORDER BY import_seq DESC) = 1),
ten AS (SELECT line, seq, tac, first_date, last_date FROM read_parquet({{f('tenures')}}))'''

def state(d):
    return f'''(SELECT l.line, CASE WHEN NOT (l.inscope AND l.a <= {{d}} AND (l.t IS NULL OR l.t > {{d}}))
                  THEN '(not active)' WHEN r.line IS NULL THEN '(unidentified)'
                  ELSE coalesce(c.vendor, 'Unknown') END AS v
      FROM l LEFT JOIN (SELECT line, tac FROM (
                          SELECT line, tac, last_date FROM ten WHERE first_date <= {{d}}
                          QUALIFY row_number() OVER (PARTITION BY line ORDER BY seq DESC) = 1)
                        WHERE last_date >= {{d}} - 29) r
             USING (line) LEFT JOIN c USING (tac))'''

if query == 'base':
    rows = con.execute(f'''WITH {{common}}, st AS {{state(D)}}
      SELECT v, count(*) FROM st WHERE v <> '(not active)' AND v <> '(unidentified)' GROUP BY v
      UNION ALL SELECT '__total', count(*) FROM st WHERE v <> '(not active)' ''').fetchall()
    r = dict(rows)
elif query == 'switches':
    d1, d2 = "DATE '{w1}'", "DATE '{w2}'"
    rows = con.execute(f'''WITH {{common}}
      SELECT x.v || ' > ' || y.v, count(*) FROM {{state(d1)}} x JOIN {{state(d2)}} y USING (line)
      WHERE NOT (x.v = '(not active)' AND y.v = '(not active)') GROUP BY ALL''').fetchall()
    r = dict(rows)
else:
    d1, d2 = "DATE '{s1}'", "DATE '{s2}'"
    # each run covers [first_date, min(next first_date - 1, last_date + 29)], cut to the line's
    # active days and the period: +1 on its first day, -1 after its last, then a running sum
    rows = con.execute(f'''WITH {{common}},
      cov AS (SELECT line, tac, first_date AS s,
                     least(coalesce(lead(first_date) OVER (PARTITION BY line ORDER BY seq) - 1,
                                    DATE '9999-12-31'), last_date + 29) AS e FROM ten),
      iv AS (SELECT coalesce(c.vendor, 'Unknown') AS v, greatest(cov.s, l.a, {{d1}}) AS s,
                    least(cov.e, coalesce(l.t - 1, DATE '9999-12-31'), {{d2}}) AS e
             FROM cov JOIN l USING (line) LEFT JOIN c USING (tac) WHERE l.inscope),
      tot AS (SELECT '__total' AS v, greatest(a, {{d1}}) AS s, least(coalesce(t - 1, DATE '9999-12-31'), {{d2}}) AS e
              FROM l WHERE inscope),
      ev AS (SELECT v, s AS d, 1 AS k FROM (SELECT * FROM iv UNION ALL SELECT * FROM tot) WHERE s <= e
             UNION ALL SELECT v, e + 1, -1 FROM (SELECT * FROM iv UNION ALL SELECT * FROM tot) WHERE s <= e),
      days AS (SELECT unnest(generate_series({{d1}}, {{d2}}, INTERVAL 1 DAY))::DATE AS d),
      grid AS (SELECT v, days.d FROM (SELECT DISTINCT v FROM ev) CROSS JOIN days),
      agg AS (SELECT v, d, sum(k) AS k FROM ev GROUP BY ALL),
      run AS (SELECT grid.v, grid.d, sum(coalesce(agg.k, 0)) OVER (PARTITION BY grid.v ORDER BY grid.d) AS n
              FROM grid LEFT JOIN agg USING (v, d))
      SELECT strftime(d, '%Y-%m-%d'), v, n FROM run WHERE n <> 0''').fetchall()
    r = {{}}
    for d, v, n in rows:
        r.setdefault(d, {{}})[v] = int(n)
print(json.dumps({{"t": time.perf_counter() - t0, "a": r}}))
"""

PANDAS = """
import json, time
import numpy as np, pandas as pd
from devicepark.store import Store
s = Store.open({store!r})
query = {query!r}
t0 = time.perf_counter()
read = lambda t, cols: pd.concat([pd.read_parquet(p, columns=cols) for p in s.files(t)], ignore_index=True)
try:
    lines = read('lines', ['line', 'segment', 'activated_on', 'terminated_on'])
    lines['a'] = pd.to_datetime(lines.activated_on)
    lines['t'] = pd.to_datetime(lines.terminated_on)
    lines['inscope'] = lines.segment.fillna('consumer') != 'm2m'
    ten = read('tenures', ['line', 'seq', 'tac', 'first_date', 'last_date'])
    ten['first_date'] = pd.to_datetime(ten.first_date); ten['last_date'] = pd.to_datetime(ten.last_date)
    cat = read('catalog', ['tac', 'vendor', 'import_seq']).sort_values('import_seq').drop_duplicates('tac', keep='last')
    def state(D):
        D = pd.Timestamp(D)
        act = lines.inscope & (lines.a <= D) & (lines.t.isna() | (lines.t > D))
        run = ten[ten.first_date <= D].sort_values(['line', 'seq']).drop_duplicates('line', keep='last')
        run = run[run.last_date >= D - pd.Timedelta(days=29)].merge(cat[['tac', 'vendor']], on='tac', how='left')
        run['vendor'] = run.vendor.fillna('Unknown')
        st = lines[['line']].merge(run[['line', 'vendor']], on='line', how='left')
        st['v'] = np.where(~act.to_numpy(), '(not active)', st.vendor.fillna('(unidentified)').to_numpy())
        return st[['line', 'v']]
    if query == 'base':
        st = state({as_of!r})
        st = st[st.v != '(not active)']
        r = {{k: int(n) for k, n in st[st.v != '(unidentified)'].v.value_counts().items()}}
        r['__total'] = len(st)
    elif query == 'switches':
        x, y = state({w1!r}), state({w2!r}).rename(columns={{'v': 'w'}})
        j = x.merge(y, on='line')
        j = j[~((j.v == '(not active)') & (j.w == '(not active)'))]
        r = {{f'{{a}} > {{b}}': int(n) for (a, b), n in j.groupby(['v', 'w']).size().items()}}
    else:
        d1, d2 = pd.Timestamp({s1!r}), pd.Timestamp({s2!r})
        ten = ten.sort_values(['line', 'seq'])
        nxt = ten.groupby('line').first_date.shift(-1) - pd.Timedelta(days=1)
        e = np.minimum(nxt.fillna(pd.Timestamp('2262-01-01')), ten.last_date + pd.Timedelta(days=29))
        iv = ten.assign(e=e).merge(lines[lines.inscope][['line', 'a', 't']], on='line')
        iv = iv.merge(cat[['tac', 'vendor']], on='tac', how='left')
        iv['v'] = iv.vendor.fillna('Unknown')
        end = (iv.t - pd.Timedelta(days=1)).fillna(pd.Timestamp('2262-01-01'))
        iv['s'] = np.maximum(np.maximum(iv.first_date, iv.a), d1)
        iv['e'] = np.minimum(np.minimum(iv.e, end), d2)
        tl = lines[lines.inscope]
        tot = pd.DataFrame({{'v': '__total', 's': np.maximum(tl.a, d1),
                            'e': np.minimum((tl.t - pd.Timedelta(days=1)).fillna(pd.Timestamp('2262-01-01')), d2)}})
        iv = pd.concat([iv[['v', 's', 'e']], tot], ignore_index=True)
        iv = iv[iv.s <= iv.e]
        ev = pd.concat([pd.DataFrame({{'v': iv.v, 'd': iv.s, 'k': 1}}),
                        pd.DataFrame({{'v': iv.v, 'd': iv.e + pd.Timedelta(days=1), 'k': -1}})])
        days = pd.date_range(d1, d2, freq='D')
        grid = ev.pivot_table(index='d', columns='v', values='k', aggfunc='sum').reindex(days.union(ev.d.unique())).fillna(0).cumsum().loc[days]
        r = {{}}
        for d, row in grid.iterrows():
            r[d.strftime('%Y-%m-%d')] = {{v: int(n) for v, n in row.items() if n}}
    print(json.dumps({{"t": time.perf_counter() - t0, "a": r}}))
except MemoryError:
    print(json.dumps({{"t": time.perf_counter() - t0, "oom": True}}))
"""


# --------------------------------------------------------------------------- driver

def size_of(path: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in path.rglob(pattern) if p.is_file())


def swap_used_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("SwapTotal:"):
            total = int(line.split()[1])
        if line.startswith("SwapFree:"):
            free = int(line.split()[1])
    return total - free


def fmt_t(r: dict) -> str:
    if r.get("oom"):
        return "out of memory"
    if r.get("status"):
        return f"failed ({r.get('error', '?')})"
    return f"{r['t']:.2f} s"


def fmt_rss(r: dict) -> str:
    return f"{r['rss']:,.0f} MiB" if r.get("rss") else "-"


def log(msg: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=21_000_000)
    ap.add_argument("--sightings-per-month", type=float, default=1.1,
                    help="mean sightings of an active line per month (1.1 is ~30 per line over 2.5 years)")
    ap.add_argument("--shard", type=int, default=2_000_000, help="lines synthesised per process")
    ap.add_argument("--work", type=Path, default=Path("/tmp/devicepark-france"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "france.md")
    ap.add_argument("--pandas-cap", type=float, default=8.0, help="GiB of address space for pandas")
    ap.add_argument("--spark", action="store_true", help="also run the queries on Spark local[2]")
    ap.add_argument("--no-pandas", action="store_true")
    ap.add_argument("--no-reference", action="store_true", help="skip hand-written SQL and pandas")
    ap.add_argument("--keep", action="store_true", help="keep data and store for a later run")
    ap.add_argument("--drop-csv", action="store_true", help="delete each shard's CSV once ingested")
    ap.add_argument("--synth-only", action="store_true", help="stop after synthesising the shards")
    ap.add_argument("--repeat", type=int, default=1, help="runs per query step; the fastest counts")
    ap.add_argument("--start", default="2020-01-01", help="first day of synthesised sightings")
    ap.add_argument("--end", default="2022-06-30", help="last day of synthesised sightings")
    ap.add_argument("--ingest-only", action="store_true",
                    help="stop once the store is built (e.g. for tests/privacy/measure_utility.py)")
    args = ap.parse_args()

    span = "" if (args.start, args.end) == ("2020-01-01", "2022-06-30") else f"-{args.start}-{args.end}"
    work = args.work / f"{args.lines}-{args.sightings_per_month:g}{span}"
    data, store = work / "data", work / "store"
    env = {"DEVICEPARK_KEY": KEY, "DEVICEPARK_TEMP_DIR": str(work / "spill")}
    swap0 = swap_used_kib()
    res: dict[str, dict] = {}

    # 1. synth, in shards
    n_shards = -(-args.lines // args.shard)
    shards = [data / f"shard{k:02d}" for k in range(n_shards)]
    for k, d in enumerate(shards):
        if (d / "done").exists():
            continue
        n = args.shard if k < n_shards - 1 else args.lines - args.shard * (n_shards - 1)
        log(f"synth shard {k + 1}/{n_shards}: {n:,} lines")
        r = wait_rss(SYNTH.format(out=str(d), lines=n, seed=20220203 + k, spm=args.sightings_per_month,
                                 start=args.start, end=args.end))
        if r["status"]:
            raise SystemExit(f"synth failed: {r.get('error')}")
        if k:
            r2 = wait_rss(RENUMBER.format(d=str(d), k=k))
            if r2["status"]:
                raise SystemExit(f"renumbering failed: {r2.get('error')}")
        with open(d / "observations.csv", "rb") as fh:
            obs = sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b"")) - 1
        (d / "done").write_text(json.dumps({"observations": obs, "csv_bytes": size_of(d, "*.csv"),
                                            "t": r["wall"] + (r2["wall"] if k else 0), "rss": r["rss"]}))
    done = [json.loads((d / "done").read_text() or "{}") for d in shards]
    csv_bytes = sum(x["csv_bytes"] for x in done)
    n_obs = sum(x["observations"] for x in done)
    res["synth"] = {"t": sum(x["t"] for x in done), "rss": max(x["rss"] for x in done)}
    log(f"data: {args.lines:,} lines, {n_obs:,} observations, {csv_bytes / 2**30:.1f} GiB CSV")

    if args.synth_only:
        return

    # 2. ingest, one run per shard (resumable: a shard's marker is written once it is committed)
    ing = {"t": 0.0, "rss": 0.0, "wall": 0.0, "rows": 0, "status": 0, "runs": 0}
    for k, d in enumerate(shards):
        if (d / "ingested.json").exists():
            r = json.loads((d / "ingested.json").read_text())
        else:
            log(f"ingest shard {k + 1}/{n_shards}")
            r = wait_rss(INGEST.format(shard=str(d), store=str(store), mem=None), env)
            if r["status"]:
                raise SystemExit(f"ingest failed: {r.get('error')}")
            (d / "ingested.json").write_text(json.dumps(r))
            log(f"ingest shard {k + 1}: {fmt_t(r)}, {fmt_rss(r)}, {r.get('rows', 0):,} rows")
        if args.drop_csv:
            for f in d.glob("*.csv"):
                f.unlink()
        ing["t"] += r["t"]
        ing["wall"] += r["wall"]
        ing["rows"] += r.get("rows", 0)
        ing["rss"] = max(ing["rss"], r["rss"])
        ing["runs"] += 1
    res["ingest"] = ing
    if args.ingest_only:
        log(f"store: {store}")
        return
    store_bytes = size_of(store, "*.parquet")
    quarter = f"{max(store_bytes // 4 // 2**20, 1)}MB"

    # 3. queries
    fmt = dict(store=str(store), as_of=AS_OF, s1=SERIES[0], s2=SERIES[1], w1=SWITCH[0], w2=SWITCH[1])
    answers: dict[str, dict[str, dict]] = {}
    for q in ("base", "series", "switches"):
        runs = [("ibis", IBIS.format(engine="duckdb", query=q, mem=None, **fmt), None)]
        if not args.no_reference:
            runs.append(("sql", SQL.format(query=q, **fmt), None))
            if not args.no_pandas:
                runs.append(("pandas", PANDAS.format(query=q, **fmt), args.pandas_cap))
        if q != "switches":
            runs.append(("ibis-quarter", IBIS.format(engine="duckdb", query=q, mem=quarter, **fmt), None))
        if args.spark:
            runs.append(("spark", IBIS.format(engine="spark", query=q, mem=None, **fmt), None))
        for name, code, cap in runs:
            log(f"{q} / {name}")
            tries = [wait_rss(code, env, cap) for _ in range(max(args.repeat, 1))]
            r = min(tries, key=lambda x: (bool(x.get("status") or x.get("oom")), x["t"]))
            r["rss"] = max(x["rss"] for x in tries)
            res[f"{q}/{name}"] = r
            if "a" in r:
                answers.setdefault(q, {})[name] = r.pop("a")
            log(f"{q} / {name}: {fmt_t(r)}, {fmt_rss(r)}")
    swapped = swap_used_kib() - swap0

    # 4. the table
    def same(q: str) -> str:
        got = answers.get(q, {})
        ref = got.get("ibis")
        if ref is None:
            return "-"
        others = [k for k in got if k != "ibis"]
        diff = [k for k in others if got[k] != ref]
        return "all equal" if not diff else "DIFFER: " + ", ".join(diff)

    def ratio(q: str, name: str) -> str:
        a, b = res.get(f"{q}/{name}"), res.get(f"{q}/sql")
        if not a or not b or a.get("status") or b.get("status") or a.get("oom"):
            return "-"
        return f"{a['t'] / b['t']:.2f}x"

    md = [
        f"## {args.lines:,} lines x {n_obs:,} observations ({args.sightings_per_month:g} sightings per "
        f"active line and month), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}. Input CSV {csv_bytes / 2**30:,.2f} GiB; store "
        f"{store_bytes / 2**30:,.2f} GiB of Parquet. Swap used during the run: {swapped / 1024:,.0f} MiB"
        f" (swap configured: {'yes' if Path('/proc/swaps').read_text().count(chr(10)) > 1 else 'none'}).",
        f"Best of {args.repeat} run(s) per query cell; each step is its own process (peak RSS by os.wait4; Spark adds the JVM's "
        f"VmHWM); times exclude imports. pandas capped at {args.pandas_cap:g} GiB of address space.",
        "",
        "| step | method | time | vs SQL | peak RSS |",
        "|---|---|---|---|---|",
        f"| synth | devicepark.synth.generate, {n_shards} shard(s) | {res['synth']['t']:.0f} s | | "
        f"{fmt_rss(res['synth'])} |",
    ]
    if "ingest" in res:
        ing = res["ingest"]
        md.append(f"| ingest | devicepark ingest (DuckDB), {ing['runs']} run(s): validate, pseudonymise, dedup, "
                  f"tenures | {fmt_t(ing)} ({(args.lines + n_obs) / ing['t']:,.0f} rows/s) | | {fmt_rss(ing)} |")
    labels = {"base": f"base at {AS_OF} by vendor", "series": f"series {SERIES[0]}..{SERIES[1]} daily by vendor",
              "switches": f"switches {SWITCH[0]} -> {SWITCH[1]} by vendor"}
    names = {"ibis": "devicepark (Ibis on DuckDB)", "sql": "hand-written DuckDB SQL", "pandas": "pandas",
             "ibis-quarter": f"devicepark, --memory-limit {quarter} (1/4 of the store's Parquet)",
             "spark": "devicepark on Spark local[2]"}
    for q in ("base", "series", "switches"):
        for name in ("ibis", "sql", "pandas", "ibis-quarter", "spark"):
            r = res.get(f"{q}/{name}")
            if r is None:
                continue
            md.append(f"| {labels[q]} | {names[name]} | {fmt_t(r)} | {'' if name == 'sql' else ratio(q, name)} | "
                      f"{fmt_rss(r)} |")
        md.append(f"| {labels[q]} | answers | {same(q)} | | |")
    md += ["", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "a", encoding="utf-8") as fh:
        fh.write("\n".join(md))
    print("\n".join(md))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
