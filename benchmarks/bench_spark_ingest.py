"""Benchmark ``devicepark ingest`` on Spark (``local[2]``) beside DuckDB, on the same files.

Not a test. Run: ``python benchmarks/bench_spark_ingest.py --lines 2000000`` (about 60 M
observations at the synthetic operator's density). Writes
``benchmarks/results/spark_ingest.md``.

Method:
- one synthetic operator (``devicepark.synth``), its lines cut into ``--line-shards`` files and its
  observations into ``--obs-shards`` files (an operator's nightly export is several files; on
  Spark each file is one task);
- each engine ingests all the files into a fresh store, in its own process (wall time of the
  ingest call, imports and the Spark session's start excluded and reported apart), the steps
  timed from the progress callback; the Spark run also reports each task's own time;
- the two stores are then checked equal: per table, its row count and an order-free checksum
  (the sum of a hash of every row) computed by DuckDB over each store's files.
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
TABLES = ("catalog", "lines", "observations", "tenures", "quarantine", "ingests")

SYNTH = """
from devicepark.synth import generate
generate({data!r}, lines={lines}, seed=7)
"""

# Shared by both runs: a progress callback that records when each stage is first and last seen.
TIMED = """
import json, time
from devicepark.ingest.pseudonym import load_key
from devicepark.store import Store
files = json.loads({files!r})
seen = {{}}
def progress(stage, done=None, total=None):
    now = time.perf_counter()
    first, _ = seen.get(stage, (now, now))
    seen[stage] = (first, now)
def timeline(seen, t0):  # each stage's share of the wall time: from the previous end to its own
    steps, prev = {{}}, t0
    for k, (_, b) in sorted(seen.items(), key=lambda kv: kv[1][1]):
        steps[k], prev = b - prev, b
    return steps
"""

DUCK = (
    TIMED
    + """
from devicepark.ingest.run import ingest
from devicepark.store.engine import duckdb_connection
con = duckdb_connection()
t0 = time.perf_counter()
rep = ingest(Store.create({store!r}), con, load_key(), **files, max_reject_rate=0.05,
             progress=progress)
t = time.perf_counter() - t0
steps = timeline(seen, t0)
print(json.dumps({{"t": t, "steps": steps, "files": rep.files}}))
"""
)

SPARK = (
    TIMED
    + """
from devicepark.ingest.spark import ingest_spark
from devicepark.store.engine import connect
t0 = time.perf_counter()
con = connect("spark", spark_master={master!r}, memory_limit={memory!r},
              spark_conf={{"spark.ui.showConsoleProgress": "false"}})
con._session.sql("SELECT 1").collect()
start = time.perf_counter() - t0
stats = {{}}
t0 = time.perf_counter()
rep = ingest_spark(Store.create({store!r}), con, load_key(), **files, max_reject_rate=0.05,
                   progress=progress, stats=stats)
t = time.perf_counter() - t0
steps = timeline(seen, t0)
jvm = con._session.sparkContext._gateway.proc.pid  # the driver's JVM (local: the executors too)
hwm = [ln for ln in open(f"/proc/{{jvm}}/status") if ln.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"t": t, "start": start, "jvm_peak": int(hwm) / 1024, "steps": steps,
                  "files": rep.files, "tasks": stats["tasks"]}}))
"""
)

CHECK = """
import json, duckdb
from devicepark.store import Store
from devicepark.store.schema import SCHEMAS
out = {{}}
con = duckdb.connect()
for t in {tables!r}:
    s = Store.open({store!r})
    files = s.files(t)
    cols = [c for c in SCHEMAS[t].names if c not in ("committed_at", "source")]
    row = "hash(" + ", ".join(f'"{{c}}"' for c in cols) + ")"
    sql = (f"SELECT count(*), sum({{row}}::HUGEINT)::VARCHAR FROM read_parquet({{files!r}})"
           if files else "SELECT 0, '0'")
    out[t] = list(con.execute(sql).fetchone())
print(json.dumps(out))
"""


def run_step(code: str, env: dict[str, str] | None = None) -> tuple[float, float, dict]:
    """Run python code in a subprocess; (wall seconds, peak RSS in MiB of the largest process of
    its tree, the Spark JVM included, as ``wait4`` reports it; its JSON)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE,
        env={**os.environ, **(env or {})}, text=True,
    )  # fmt: skip
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"step failed ({status}):\n{code}")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    return seconds, usage.ru_maxrss / 1024, json.loads(lines[-1]) if lines else {}


def split(src: Path, n: int, out: Path) -> list[str]:
    """Cut a CSV into ``n`` files of whole rows, each with the header (kept if already cut)."""
    if n <= 1:
        return [str(src)]
    paths = [out / f"{src.stem}-{i + 1}.csv" for i in range(n)]
    if all(p.exists() for p in paths):
        return [str(p) for p in paths]
    total = src.stat().st_size
    with open(src, "rb") as fh:
        header = fh.readline()
        for i, path in enumerate(paths):
            with open(path, "wb") as dst:
                dst.write(header)
                target = total * (i + 1) // n
                while i == n - 1 or fh.tell() < target:
                    block = fh.readlines(1 << 20)
                    if not block:
                        break
                    dst.writelines(block)
    return [str(p) for p in paths]


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--line-shards", type=int, default=2)
    ap.add_argument("--obs-shards", type=int, default=4)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--work", type=Path, default=Path("/tmp/devicepark-bench"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "spark_ingest.md")
    args = ap.parse_args()
    work = args.work / f"spark-ingest-{args.lines}"
    data = work / "data"
    env = {"DEVICEPARK_KEY": KEY}
    if not (data / "observations.csv").exists():
        t, _, _ = run_step(SYNTH.format(data=str(data), lines=args.lines))
        print(f"synth {t:.1f} s", flush=True)
    shards = work / "shards"
    shards.mkdir(parents=True, exist_ok=True)
    files = {
        "lines": split(data / "lines.csv", args.line_shards, shards),
        "observations": split(data / "observations.csv", args.obs_shards, shards),
        "tac": [str(data / "tac.csv")],
    }
    n_lines = sum(1 for _ in open(data / "lines.csv", "rb")) - 1
    n_obs = sum(1 for _ in open(data / "observations.csv", "rb")) - 1
    size = sum((data / f).stat().st_size for f in ("lines.csv", "observations.csv", "tac.csv"))
    stores = {"duckdb": work / "store-duckdb", "spark": work / "store-spark"}
    subprocess.run(["rm", "-rf", *map(str, stores.values())], check=True)
    res = {}
    code = DUCK.format(files=json.dumps(files), store=str(stores["duckdb"]))
    res["duckdb"] = run_step(code, env)
    print(f"duckdb ingest {res['duckdb'][2]['t']:.1f} s", flush=True)
    code = SPARK.format(
        files=json.dumps(files), store=str(stores["spark"]), master=args.master,
        memory=args.driver_memory,
    )  # fmt: skip
    res["spark"] = run_step(code, env)
    print(f"spark ingest {res['spark'][2]['t']:.1f} s", flush=True)
    checks = {
        name: run_step(CHECK.format(tables=TABLES, store=str(path)))[2]
        for name, path in stores.items()
    }
    same = checks["duckdb"] == checks["spark"]
    (args.out).write_text(
        report(args, n_lines, n_obs, size, files, res, checks, same), encoding="utf-8"
    )
    print(args.out.read_text(encoding="utf-8"))


def report(args, n_lines, n_obs, size, files, res, checks, same) -> str:  # noqa: ANN001
    duck, spark = res["duckdb"][2], res["spark"][2]
    rows = n_lines + n_obs
    md = [
        f"### Spark ingest at {args.master} beside DuckDB: {n_lines:,} lines x {n_obs:,} "
        "observations",
        "",
        f"Machine: {machine()}. Input CSV {size / 2**20:,.0f} MiB in "
        f"{len(files['lines'])} lines files and {len(files['observations'])} observations files "
        f"(one Spark task each). Spark driver memory {args.driver_memory}. One run each.",
        "",
        "| engine | ingest (wall) | rows/s | peak RSS (largest process) |",
        "|---|---|---|---|",
        f"| DuckDB | {duck['t']:.1f} s | {rows / duck['t']:,.0f} | {res['duckdb'][1]:,.0f} MiB |",
        f"| Spark {args.master} | {spark['t']:.1f} s (+ {spark['start']:.1f} s session start) | "
        f"{rows / spark['t']:,.0f} | {res['spark'][1]:,.0f} MiB (Python), "
        f"{spark['jvm_peak']:,.0f} MiB (JVM) |",
        "",
        "Steps (seconds from the end of the step before; the progress callback marks them):",
        "",
        "| step | DuckDB | Spark |",
        "|---|---|---|",
    ]
    steps = sorted(set(duck["steps"]) | set(spark["steps"]))
    for s in steps:
        d, p = duck["steps"].get(s), spark["steps"].get(s)
        md.append(
            f"| {s} | {'' if d is None else f'{d:.1f}'} | {'' if p is None else f'{p:.1f}'} |"
        )
    md += ["", "Spark tasks (one per file; each runs the DuckDB path's staging on one core):", ""]
    md += ["| file | rows | task time | rows/s per core |", "|---|---|---|---|"]
    for t in spark["tasks"]:
        rate = t["rows"] / t["seconds"] if t["seconds"] else 0
        md.append(
            f"| {Path(t['file']).name} | {t['rows']:,} | {t['seconds']:.1f} s | {rate:,.0f} |"
        )
    md += [
        "",
        f"Stores equal (row count and order-free checksum of every table): "
        f"{'yes' if same else 'NO'}.",
        "",
        "| table | rows | checksum equal |",
        "|---|---|---|",
    ]
    for t in TABLES:
        md.append(
            f"| {t} | {checks['duckdb'][t][0]:,} | {checks['duckdb'][t] == checks['spark'][t]} |"
        )
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    main()
