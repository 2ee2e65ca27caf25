# ruff: noqa: E501  (the steps are Python and SQL sources kept readable as one block each)
"""Peak memory of one bulk ingest: a single export (lines, observations, TAC catalog) into a new
store, as ``devicepark ingest`` does it.

Not a test. Run (one 2 M-line export, about 52.8 M sightings at the default density)::

    python benchmarks/bench_memory.py --lines 2000000

Method:

- data: ``devicepark.synth.generate`` writes the export under ``--work`` once (seed 7, the
  default period 2020-01-01..2022-06-30 and density 1.1 sightings per active line and month);
  a later run reuses it (``--data`` points at any other export);
- measured: ``devicepark.ingest.run.ingest`` of the three files into a fresh store, in its own
  process, on ``store.engine.duckdb_connection(--memory-limit)`` (no flag: the ingest's default
  limit; ``--memory-limit none`` gives DuckDB its own default, 80 % of the RAM, as before the
  limit existed). Peak RSS of the whole process by ``os.wait4`` (what ``/usr/bin/time -v``
  reports as "Maximum resident set size"); the process also samples its own RSS every 0.1 s so
  that each step (staging, dedup, counts, tenure fold and writes) gets its own peak and time;
- reference: a bare DuckDB ``COPY (SELECT * FROM read_csv(..., all_varchar=true)) TO ...
  (FORMAT parquet, COMPRESSION zstd)`` of the same three files, in its own process, right after
  (its time gives the ratio; its peak RSS is shown for scale).

Appends a Markdown section to ``--out`` (default benchmarks/results/memory.md), with the load
average before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
from pathlib import Path

from bench_core import machine  # the scripts run from benchmarks/, which is on sys.path
from bench_nightly import load, run_step

ROOT = Path(__file__).resolve().parents[1]

SYNTH = """
import json, time
from devicepark.synth import generate
t0 = time.perf_counter()
generate({out!r}, lines={lines}, seed=7)
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""

INGEST = """
import importlib, json, threading, time
from devicepark.ingest import observations as obs_mod, run as run_mod
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
refold_mod = importlib.import_module("devicepark.tenure.refold")
layout_mod = importlib.import_module("devicepark.store.layout")

def rss():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

peak = [0.0]
def sample():
    while True:
        peak[0] = max(peak[0], rss())
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()

steps = []  # (step, seconds, peak MiB while it ran)
def timed(module, name, label):
    fn = getattr(module, name)
    def wrapper(*a, **k):
        outer = peak[0]
        peak[0] = rss()
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            what = label(*a) if callable(label) else label
            steps.append((what, time.perf_counter() - t0, peak[0]))
            peak[0] = max(outer, peak[0])
    setattr(module, name, wrapper)

def obs_sql(con, sql, *rest):
    return 'dedup (aggregation, anti-join, write)' if sql.lstrip().startswith('COPY') else 'counts (duplicates, orphans)'

timed(run_mod, 'ingest_lines', 'lines (stage, merge, write)')
timed(obs_mod, 'stage_rows', 'observations: staging (validate, pseudonymise)')
timed(obs_mod, 'execute', obs_sql)
timed(obs_mod, 'scalar', obs_sql)
timed(layout_mod, 'execute', 'tenures: fold and write the runs')
timed(layout_mod, 'scalar', 'tenures: split closed runs and open part')
mem = {mem!r}
con = duckdb_connection(None if mem == 'none' else mem)
if mem == 'none':  # DuckDB's own default (80 % of the RAM), as before the ingest's limit
    con.execute("RESET memory_limit").fetchall()
limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
d = {data!r}
t0 = time.perf_counter()
rep = ingest(Store.create({store!r}), con, load_key(), lines=[d + '/lines.csv'],
             observations=[d + '/observations.csv'], tac=[d + '/tac.csv'], max_reject_rate=0.05)
t = time.perf_counter() - t0
bad = [f['file'] for f in rep.files if f['rows'] != f['accepted'] + f['rejected'] + f['duplicates'] + f['orphans']]
assert not bad, bad
merged = {{}}
for what, s, p in steps:
    m = merged.setdefault(what, [0.0, 0.0])
    m[0] += s
    m[1] = max(m[1], p)
print(json.dumps({{"t": t, "limit": limit, "steps": merged,
                  "files": [{{k: f[k] for k in ('kind', 'rows', 'accepted', 'rejected', 'duplicates', 'orphans')}} for f in rep.files]}}))
"""

BARE = """
import duckdb, json, time
t0 = time.perf_counter()
con = duckdb.connect()
for name in ('lines', 'observations', 'tac'):
    con.execute(f"COPY (SELECT * FROM read_csv('{data}/{{name}}.csv', all_varchar=true)) "
                f"TO '{out}/{{name}}.parquet' (FORMAT parquet, COMPRESSION zstd)").fetchall()
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/devicepark-memory"))
    ap.add_argument("--data", type=Path, default=None, help="an export already written")
    ap.add_argument("--memory-limit", default=None, help="e.g. 3GB; 'none': DuckDB's default")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "memory.md")
    ap.add_argument("--note", default="", help="a sentence added under the table")
    args = ap.parse_args()
    work = args.work / f"memory-{args.lines}"
    data = args.data or work / "data"
    if not (data / "observations.csv").exists():
        r = run_step(SYNTH.format(out=str(data), lines=args.lines))
        print(f"synth {r['t']:.0f} s, peak {r['rss']:,.0f} MiB")
    store, bare = work / "store", work / "bare"
    for p in (store, bare):
        shutil.rmtree(p, ignore_errors=True)
    bare.mkdir(parents=True)
    n_lines = sum(1 for _ in open(data / "lines.csv", "rb")) - 1
    n_obs = sum(1 for _ in open(data / "observations.csv", "rb")) - 1
    size = sum((data / f).stat().st_size for f in ("lines.csv", "observations.csv", "tac.csv"))
    before = load()
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    ing = run_step(INGEST.format(data=str(data), store=str(store), mem=args.memory_limit))
    ref = run_step(BARE.format(data=str(data), out=str(bare)))
    after = load()
    disk = sum(f.stat().st_size for f in store.rglob("*.parquet"))  # bytes
    limit = "DuckDB's default (80 % of the RAM)" if args.memory_limit == "none" else ing["limit"]
    md = [
        f"### One export: {n_lines:,} lines x {n_obs:,} sightings, {started}",
        "",
        f"Machine: {machine()}. Load average (1, 5, 15 min) {before} before, {after} after. "
        f"Input CSV {size / 2**30:.2f} GiB; store {disk / 2**30:.2f} GiB of Parquet. "
        f"DuckDB memory limit: {limit}; spill folder `{os.environ.get('DEVICEPARK_TEMP_DIR') or 'the default'}`. "
        "One run; each process is its own (peak RSS by os.wait4); times exclude imports.",
        "",
        "| step | time | peak RSS |",
        "|---|---:|---:|",
        f"| **ingest** (validate, pseudonymise, dedup, tenures) | **{ing['t']:.1f} s** "
        f"({(n_lines + n_obs) / ing['t']:,.0f} rows/s) | **{ing['rss']:,.0f} MiB** |",
    ]
    for what, (seconds, top) in ing["steps"].items():
        md.append(f"| - {what} | {seconds:.1f} s | {top:,.0f} MiB (sampled) |")
    md += [
        f"| bare DuckDB CSV->Parquet of the same files | {ref['t']:.1f} s | {ref['rss']:,.0f} MiB |",
        f"| ratio ingest / bare | {ing['t'] / ref['t']:.2f}x | |",
        "",
        "The files' account: "
        + "; ".join(
            f"{f['kind']} {f['rows']:,} rows = {f['accepted']:,} accepted + {f['rejected']:,} rejected "
            f"+ {f['duplicates']:,} duplicates + {f['orphans']:,} orphans"
            for f in ing["files"]
        )
        + ".",
        "",
    ]
    if args.note:
        md += [args.note, ""]
    text = "\n".join(md)
    if not args.out.exists():
        args.out.write_text(
            "# Ingest peak memory (`benchmarks/bench_memory.py`)\n\n"
            "Raw outputs of `python benchmarks/bench_memory.py`, newest last.\n\n"
        )
    with args.out.open("a") as fh:
        fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
