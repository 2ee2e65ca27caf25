"""Benchmark the core: ingest and ``base`` against hand-written DuckDB SQL and pandas.

Not a test. Run: ``python benchmarks/bench_core.py --lines 1055000`` (the 1:20 demo) or
``--lines 2000000`` (about 60 M observations at the default density). Each step runs in its own
subprocess so that its wall time and peak RSS are its own. Appends a Markdown table to
``benchmarks/results/core-<lines>.md``.

Method:
- ingest: ``devicepark ingest`` of lines, observations and the TAC catalog (CSV) into a new store;
  reference: a bare DuckDB ``COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)`` of the
  same three files (no validation, no pseudonyms, no tenures).
- base: ``devicepark.answers.base`` (Ibis on DuckDB) at 2022-02-03 by vendor, against one
  hand-written DuckDB SQL query over the same Parquet store, and a straightforward pandas version.
  All three answers are checked to be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "3c9e1f7a20d4b68e5f0a7c3d91e2b84f" * 2  # fixed, 16 distinct bytes (a key must be random)
AS_OF = "2022-02-03"


def append_markdown(out: Path, text: str) -> None:
    """Append a result section to the Markdown file ``out`` (a blank line before it, if the
    file has text already)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    gap = "\n" if out.exists() and out.stat().st_size else ""
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(gap + text)


def run_step(code: str, env: dict[str, str] | None = None) -> tuple[float, float, dict]:
    """Run python code in a subprocess; return (seconds it timed itself, peak RSS in MiB, its
    JSON)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"step failed ({status}):\n{code}")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    payload = json.loads(lines[-1]) if lines else {}
    return payload.get("t", seconds), usage.ru_maxrss / 1024, payload


SYNTH = """
from devicepark.synth import generate
generate({data!r}, lines={lines}, seed=7)
"""

INGEST = """
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
import time, json
d = {data!r}
t0 = time.perf_counter()
ingest(Store.create({store!r}), duckdb_connection(), load_key(), lines=[d + '/lines.csv'],
       observations=[d + '/observations.csv'], tac=[d + '/tac.csv'], max_reject_rate=0.05)
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""

BARE = """
import duckdb, time, json
t0 = time.perf_counter()
con = duckdb.connect()
for name in ('lines', 'observations', 'tac'):
    src = f"read_csv('{data}/{{name}}.csv', all_varchar=true)"
    dst = f"'{out}/{{name}}.parquet'"
    con.execute(f"COPY (SELECT * FROM {{src}}) TO {{dst}} (FORMAT parquet, COMPRESSION zstd)")
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""

IBIS_BASE = """
import json
from devicepark.answers import base
from devicepark.questions import BaseQuestion
from devicepark.store import Store, connect, open_tables
import time
con = connect('duckdb')
t0 = time.perf_counter()
a = base(con, open_tables(con, Store.open({store!r})), BaseQuestion.parse('{as_of}'))
got = {{g['vendor']: g['lines'] for g in a['groups']}} | {{'__total': a['total_lines']}}
print(json.dumps({{"t": time.perf_counter() - t0, "a": got}}))
"""

SQL_BASE = """
import json, duckdb, time
from devicepark.store import Store
t0 = time.perf_counter()
s = Store.open({store!r})
f = lambda t: '[' + ','.join(repr(x) for x in s.files(t)) + ']'
con = duckdb.connect()
rows = con.execute(f'''
WITH l AS (SELECT line FROM read_parquet({{f('lines')}})
           WHERE activated_on <= DATE '{as_of}'
             AND (terminated_on IS NULL OR terminated_on > DATE '{as_of}')
             AND segment <> 'm2m'),
r AS (SELECT line, tac, last_date FROM read_parquet({{f('tenures')}})
      WHERE first_date <= DATE '{as_of}'
      QUALIFY row_number() OVER (PARTITION BY line ORDER BY seq DESC) = 1),
d AS (SELECT l.line, CASE WHEN r.last_date >= DATE '{as_of}' - 29 THEN r.tac END AS tac
      FROM l LEFT JOIN r USING (line))
SELECT coalesce(c.vendor, 'Unknown') AS vendor, count(*)
FROM d LEFT JOIN read_parquet({{f('catalog')}}) c USING (tac)
WHERE d.tac IS NOT NULL GROUP BY ALL
UNION ALL SELECT '__total', count(*) FROM l
''').fetchall()
print(json.dumps({{"t": time.perf_counter() - t0, "a": dict(rows)}}))
"""

PANDAS_BASE = """
import json, time
import pandas as pd
from devicepark.store import Store
t0 = time.perf_counter()
s = Store.open({store!r})
read = lambda t, cols: pd.concat([pd.read_parquet(p, columns=cols) for p in s.files(t)])
D = pd.Timestamp('{as_of}')
lines = read('lines', ['line', 'segment', 'activated_on', 'terminated_on'])
for c in ('activated_on', 'terminated_on'):
    lines[c] = pd.to_datetime(lines[c])
alive = lines.terminated_on.isna() | (lines.terminated_on > D)
active = lines[(lines.activated_on <= D) & alive & (lines.segment != 'm2m')]
ten = read('tenures', ['line', 'seq', 'tac', 'first_date', 'last_date'])
ten['first_date'] = pd.to_datetime(ten.first_date); ten['last_date'] = pd.to_datetime(ten.last_date)
ten = ten[ten.first_date <= D].sort_values(['line', 'seq']).drop_duplicates('line', keep='last')
ten = ten[ten.last_date >= D - pd.Timedelta(days=29)]
cur = active[['line']].merge(ten[['line', 'tac']], on='line', how='inner')
cat = read('catalog', ['tac', 'vendor'])
cur = cur.merge(cat, on='tac', how='left')
cur['vendor'] = cur.vendor.fillna('Unknown')
out = cur.vendor.value_counts().to_dict()
out['__total'] = len(active)
print(json.dumps({{"t": time.perf_counter() - t0, "a": {{k: int(v) for k, v in out.items()}}}}))
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_055_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/devicepark-bench"))
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="reuse exports already written (e.g. the demo's devicepark-demo/data)",
    )
    ap.add_argument(
        "--ingest-only",
        action="store_true",
        help="measure the ingest and its reference only (not the base queries)",
    )
    args = ap.parse_args()
    work = args.work / f"core-{args.lines}"
    data, store, bare = args.data or work / "data", work / "store", work / "bare"
    env = {"DEVICEPARK_KEY": KEY}
    if not (data / "observations.csv").exists():
        t, rss, _ = run_step(SYNTH.format(data=str(data), lines=args.lines))
        print(f"synth {t:.1f} s")
    subprocess.run(["rm", "-rf", str(store), str(bare)], check=True)
    bare.mkdir(parents=True)
    n_obs = sum(1 for _ in open(data / "observations.csv", "rb")) - 1
    n_lines = sum(1 for _ in open(data / "lines.csv", "rb")) - 1
    size = sum((data / f).stat().st_size for f in ("lines.csv", "observations.csv", "tac.csv"))
    results = {}
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    results["ingest"] = run_step(INGEST.format(data=str(data), store=str(store)), env)
    print(f"ingest {results['ingest'][0]:.1f} s, peak {results['ingest'][1]:,.0f} MiB", flush=True)
    results["bare"] = run_step(BARE.format(data=str(data), out=str(bare)))
    print(f"bare {results['bare'][0]:.1f} s, peak {results['bare'][1]:,.0f} MiB", flush=True)
    load += "; after: " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    answers = {}
    queries = (
        ()
        if args.ingest_only
        else (("ibis", IBIS_BASE), ("sql", SQL_BASE), ("pandas", PANDAS_BASE))
    )
    for name, code in queries:
        run_step(code.format(store=str(store), as_of=AS_OF))  # warm the page cache once
        results[name] = run_step(code.format(store=str(store), as_of=AS_OF))
        answers[name] = results[name][2].get("a")  # None: the step printed no answer
    same = len(set(json.dumps(a, sort_keys=True) for a in answers.values())) == 1
    disk = sum(f.stat().st_size for f in store.rglob("*.parquet")) / 2**20
    rows_in = n_lines + n_obs
    ing, bare_t = results["ingest"][0], results["bare"][0]
    md = [
        f"### Core at {n_lines:,} lines x {n_obs:,} observations",
        "",
        f"Machine: {machine()}. Load average (1, 5, 15 min) before the ingest: {load}. "
        f"Input CSV {size / 2**20:,.0f} MiB; store {disk:,.0f} MiB of Parquet. One run each.",
        "",
        "| step | devicepark | reference | ratio | peak RSS |",
        "|---|---|---|---|---|",
        f"| ingest (validate, pseudonymise, dedup, tenures) | {ing:.1f} s "
        f"({rows_in / ing:,.0f} rows/s) | bare DuckDB CSV->Parquet {bare_t:.1f} s "
        f"| {ing / bare_t:.2f}x | {results['ingest'][1]:,.0f} MiB |",
    ]
    if queries:
        ibis_t, sql_t, pandas_t = results["ibis"][0], results["sql"][0], results["pandas"][0]
        md += [
            f"| base at {AS_OF} by vendor (Ibis on DuckDB) | {ibis_t:.2f} s "
            f"| hand-written DuckDB SQL {sql_t:.2f} s | {ibis_t / sql_t:.2f}x "
            f"| {results['ibis'][1]:,.0f} MiB |",
            f"| base, pandas (what an analyst would write) | {pandas_t:.2f} s "
            f"| hand-written DuckDB SQL {sql_t:.2f} s | {pandas_t / sql_t:.2f}x "
            f"| {results['pandas'][1]:,.0f} MiB |",
            "",
            f"Answers identical across Ibis, SQL and pandas: {'yes' if same else 'NO'}.",
        ]
    md += [
        "",
        "Each step runs in its own process and times its own work (imports excluded); "
        "the ingest uses the ingest connection's defaults (`duckdb_connection()`).",
        "",
    ]
    # appended, like every benchmark's results: the file keeps the runs before this one
    append_markdown(ROOT / "benchmarks" / "results" / f"core-{args.lines}.md", "\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
