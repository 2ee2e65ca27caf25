# ruff: noqa: E501  (the steps are Python and SQL sources kept readable as one block each)
"""The nightly delivery: one snapshot file ingested into stores of two history lengths.

Not a test. Run (the 1:20 demo scale, 1,055,000 lines)::

    python benchmarks/bench_nightly.py --lines 1055000

Method:

- synth: ``devicepark.synth.generate`` writes ``--history-years`` (2) of exports ending on
  ``--end`` (2022-06-30), at the demo's density (1.1 sightings per active line and month);
- stores: one per history length (``--histories``, months; default 6 and 24): each ingests the
  same lines.csv and tac.csv and the observations of its last N months (the CSV cut on the
  timestamp's date; one ingest, as a store's first load). Built once under ``--work`` and reused
  by later runs (delete the folder to rebuild);
- the night: one sighting per line still active at the end of the history that has been seen at
  least once, on the night after (00:00-06:00 local, spelt with a +02:00 offset), with the
  handset of its latest sighting, in the input contract of observations.csv
  (``line_id,imei,observed_at``, the lines' and IMEIs' spellings as exported);
- measured: ``devicepark.ingest.run.ingest`` of that file, with the CLI's hook that brings the
  daily aggregate up to date (``answers.daily.refresh_daily``), into a fresh copy of each store (the
  copy is not timed, and is written to disk before the night starts), ``--repeat`` times (best
  and all runs reported), each in its own process:
  its own wall time (imports excluded) and peak RSS (``os.wait4``); reference: a bare DuckDB
  ``COPY (SELECT * FROM read_csv(night, all_varchar=true)) TO ... (FORMAT parquet)`` of the same
  file, best of ``--repeat``;
- where the time goes: the ingest's steps are timed from inside the measured process by
  wrapping them (a few calls, microseconds of overhead): the ingest-log check and file hash,
  staging (validation and pseudonyms), the dedup against the stored observations, the counts
  (duplicates, orphans against the lines), the quarantine/log finish, the tenure refold (split
  into finding the touched lines, folding the new runs, and rewriting the tenures table) and
  the commit.

Appends a Markdown section to ``--out`` (default benchmarks/results/nightly.md), with the load
average before and after, since the machine is shared.
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

# the scripts run from benchmarks/, which is on sys.path
from bench_core import append_markdown, machine

ROOT = Path(__file__).resolve().parents[1]
SRC = str(ROOT / "src")  # measure this checkout, whatever else is installed
KEY = "3c9e1f7a20d4b68e5f0a7c3d91e2b84f" * 2  # fixed, 16 distinct bytes (a key must be random)


def run_step(code: str) -> dict:
    """Run python code in its own process; its last JSON line plus ``wall`` (s) and ``rss``
    (peak MiB from ``os.wait4``). A failure stops the benchmark with the step's last error line."""
    env = {
        **os.environ,
        "DEVICEPARK_KEY": KEY,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    t0 = time.perf_counter()
    with (
        tempfile.TemporaryFile() as errf,
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=errf, env=env
        ) as proc,
    ):
        out = proc.stdout.read().decode(errors="replace")  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = [x for x in err.strip().splitlines() if x.strip()] or ["?"]
        raise SystemExit(f"step failed ({proc.returncode}): {tail[-1]}\n{code}")
    payload: dict = {}
    for line in reversed(out.strip().splitlines()):
        try:
            payload = json.loads(line)
            break
        except ValueError:
            continue
    payload.setdefault("t", wall)
    payload.update(wall=wall, rss=usage.ru_maxrss / 1024)
    return payload


SYNTH = """
import datetime as dt, json, time
from devicepark.synth import generate
t0 = time.perf_counter()
generate({out!r}, lines={lines}, seed=7, start=dt.date.fromisoformat({start!r}),
         end=dt.date.fromisoformat({end!r}))
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""

# The history cut (observations of the last N months) and the night's file, from the exports.
PREPARE = """
import duckdb, json, time
t0 = time.perf_counter()
con = duckdb.connect()
d = {data!r}
obs = f"read_csv('{{d}}/observations.csv', all_varchar=true)"
for months, cut in {cuts!r}:
    con.execute(f\"\"\"COPY (SELECT * FROM {{obs}} WHERE left(observed_at, 10) >= '{{cut}}')
                    TO '{{d}}/observations-{{months}}m.csv' (HEADER)\"\"\").fetchall()
night, end = {night!r}, {end!r}
con.execute(f\"\"\"COPY (
  WITH active AS (SELECT line_id FROM read_csv('{{d}}/lines.csv', all_varchar=true)
                  WHERE activated_on <= '{{end}}' AND (coalesce(terminated_on, '') = '' OR terminated_on > '{{end}}')),
  latest AS (SELECT line_id, arg_max(imei, left(observed_at, 19)) AS imei FROM {{obs}} GROUP BY line_id)
  SELECT line_id, imei,
         '{{night}}T' || lpad((h // 3600)::VARCHAR, 2, '0') || ':' || lpad((h // 60 % 60)::VARCHAR, 2, '0')
           || ':' || lpad((h % 60)::VARCHAR, 2, '0') || '+02:00' AS observed_at
  FROM (SELECT line_id, imei, hash(line_id) % 21600 AS h FROM active JOIN latest USING (line_id))
  ORDER BY observed_at) TO '{{d}}/night.csv' (HEADER)\"\"\").fetchall()
rows = con.execute(f"SELECT count(*) FROM read_csv('{{d}}/night.csv')").fetchall()[0][0]
print(json.dumps({{"t": time.perf_counter() - t0, "rows": rows}}))
"""

BUILD = """
import json, time
import pyarrow.parquet as pq
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store.engine import duckdb_connection
from devicepark.answers.daily import refresh_daily
d, store = {data!r}, {store!r}
t0 = time.perf_counter()
ingest(Store.create(store), duckdb_connection({limit!r}), load_key(), lines=[d + '/lines.csv'],
       observations=[{obs!r}], tac=[d + '/tac.csv'], max_reject_rate=0.05, derive=refresh_daily)
t = time.perf_counter() - t0
s = Store.open(store)
n = {{tb: sum(pq.ParquetFile(f).metadata.num_rows for f in s.files(tb)) for tb in ('lines', 'observations', 'tenures')}}
print(json.dumps({{"t": t, "rows": n}}))
"""

# A store built by an earlier release is upgraded on its copy before the night (not timed with
# it: the first ingest of a new release pays it once).
UPGRADE = """
import json, time
from devicepark.store import Store
try:
    from devicepark.store.upgrade import upgrade
except ImportError:  # a release before the store's format was versioned
    upgrade = lambda s, **k: None
try:  # the CLI's hook: the upgrade builds the daily aggregate, as `store upgrade` does
    from devicepark.answers.daily import refresh_daily
    derive = dict(derive=refresh_daily)
except ImportError:  # a release without the aggregate
    derive = {{}}
t0 = time.perf_counter()
before = upgrade(Store.open({store!r}), **derive)
print(json.dumps({{"t": time.perf_counter() - t0, "from": before}}))
"""

# The measured night, with the steps timed from inside by wrapping them.
NIGHT = """
import json, time
from collections import defaultdict
from devicepark.ingest import observations as obs_mod
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.store import Store
from devicepark.store import store as store_mod
from devicepark.store.engine import duckdb_connection
import importlib
refold_mod = importlib.import_module("devicepark.tenure.refold")
layout_mod = importlib.import_module("devicepark.store.layout")

spent = defaultdict(float)

def timed(module, name, label):
    fn = getattr(module, name)
    def wrapper(*a, **k):
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent[label(*a, **k) if callable(label) else label] += time.perf_counter() - t0
    setattr(module, name, wrapper)

def refold_label(con, sql, *a, **k):
    if 'dp_touched AS' in sql:
        return 'tenures: find touched lines'
    if 'dp_appended AS' in sql:
        return 'tenures: fold the new runs'
    if sql.lstrip().startswith('COPY'):
        return 'tenures: rewrite the table'
    return 'tenures: other'

timed(obs_mod, 'start', 'log check and file hash')
timed(obs_mod, 'stage_file', 'staging (validate, pseudonymise)')
timed(obs_mod, 'execute', 'dedup against the history')
timed(obs_mod, 'scalar', 'counts (duplicates, orphans)')
timed(obs_mod, 'finish', 'quarantine and log')
timed(refold_mod, 'execute', refold_label)
timed(refold_mod, 'scalar', refold_label)
timed(layout_mod, 'execute', 'tenures: rewrite the table')
timed(layout_mod, 'scalar', 'tenures: rewrite the table')
timed(store_mod.Transaction, '_commit', 'commit')
try:  # the CLI's hook: the daily aggregate is brought up to date in the night's transaction
    from devicepark.answers import daily as daily_mod
    timed(daily_mod, 'refresh_daily', 'daily aggregate update')
    derive = dict(derive=daily_mod.refresh_daily)
except ImportError:  # a release without the aggregate
    derive = {{}}
con = duckdb_connection({limit!r})
t0 = time.perf_counter()
rep = ingest(Store.open({store!r}), con, load_key(), observations=[{night!r}], max_reject_rate=0.05, **derive)
t = time.perf_counter() - t0
f = rep.files[0]
assert f['rows'] == f['accepted'] + f['rejected'] + f['duplicates'] + f['orphans'], f
print(json.dumps({{"t": t, "spent": spent, "file": {{k: f[k] for k in ('rows', 'accepted', 'rejected', 'duplicates', 'orphans')}},
                  "tenure_lines": rep.tenures_rebuilt_lines}}))
"""

BARE = """
import duckdb, json, time
t0 = time.perf_counter()
con = duckdb.connect()
con.execute("COPY (SELECT * FROM read_csv({night!r}, all_varchar=true)) TO {out!r} (FORMAT parquet, COMPRESSION zstd)").fetchall()
print(json.dumps({{"t": time.perf_counter() - t0}}))
"""


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def months_before(end: dt.date, months: int) -> dt.date:
    """The first day of the history that ends on ``end`` and lasts ``months`` months."""
    m = end.year * 12 + end.month - months  # the month after end, minus N, zero-based
    return dt.date(m // 12, m % 12 + 1, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_055_000)
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2022, 6, 30))
    ap.add_argument("--histories", type=int, nargs="+", default=[6, 24], help="months")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/devicepark-nightly"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "nightly.md")
    ap.add_argument("--note", default="", help="a sentence added under the table")
    ap.add_argument(
        "--memory-limit",
        default=None,
        help="DuckDB's limit for the measured night (default: the ingest's own, 2 GiB at most)",
    )
    ap.add_argument(
        "--build-memory-limit",
        default="12GB",
        help="DuckDB's limit while building the stores (not measured; the night runs on the default)",
    )
    args = ap.parse_args()
    work = args.work / f"nightly-{args.lines}"
    data = work / "data"
    longest = max(args.histories)
    start = months_before(args.end, longest)
    night = args.end + dt.timedelta(days=1)
    load0 = load()
    built: dict = {}
    if not (data / "night.csv").exists():
        if not (data / "observations.csv").exists():
            r = run_step(
                SYNTH.format(
                    out=str(data),
                    lines=args.lines,
                    start=start.isoformat(),
                    end=args.end.isoformat(),
                )
            )
            print(f"synth {r['t']:.1f} s, {r['rss']:,.0f} MiB", flush=True)
        cuts = [(m, months_before(args.end, m).isoformat()) for m in args.histories]
        r = run_step(
            PREPARE.format(
                data=str(data), cuts=cuts, night=night.isoformat(), end=args.end.isoformat()
            )
        )
        print(f"history cuts and night file {r['t']:.1f} s ({r['rows']:,} rows)", flush=True)
    night_rows = sum(1 for _ in open(data / "night.csv", "rb")) - 1
    for months in args.histories:
        store = work / f"store-{months}m"
        meta = work / f"store-{months}m.json"
        if not meta.exists():
            shutil.rmtree(store, ignore_errors=True)
            r = run_step(
                BUILD.format(
                    data=str(data),
                    store=str(store),
                    obs=str(data / f"observations-{months}m.csv"),
                    limit=args.build_memory_limit,
                )
            )
            meta.write_text(json.dumps(r))
            print(
                f"store {months}m built in {r['t']:.1f} s, {r['rss']:,.0f} MiB: {r['rows']}",
                flush=True,
            )
        built[months] = json.loads(meta.read_text())
    bare = []
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        for _ in range(args.repeat):
            bare.append(
                run_step(BARE.format(night=str(data / "night.csv"), out=f"{tmp}/night.parquet"))
            )
    bare_t = min(b["t"] for b in bare)
    print(f"bare conversion {bare_t:.2f} s", flush=True)
    runs: dict[int, list[dict]] = {}
    upgrades: dict[int, dict] = {}
    for months in args.histories:
        runs[months] = []
        for _ in range(args.repeat):
            copy = work / f"run-{months}m"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(work / f"store-{months}m", copy)
            up = run_step(UPGRADE.format(store=str(copy)))
            if up["from"]:
                upgrades[months] = up
                print(f"copy upgraded from {up['from']} in {up['t']:.1f} s", flush=True)
            # the copy's pages reach the disk before the night, not during it (at France scale
            # 8 GB of writeback would compete with the night's own writes and spills)
            os.sync()
            r = run_step(
                NIGHT.format(
                    store=str(copy), night=str(data / "night.csv"), limit=args.memory_limit
                )
            )
            r["load"] = load()
            runs[months].append(r)
            print(
                f"night into {months}m: {r['t']:.2f} s, {r['rss']:,.0f} MiB, {r['file']}",
                flush=True,
            )
            shutil.rmtree(copy, ignore_errors=True)
    load1 = load()

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    md = [
        f"### Nightly snapshot, {args.lines:,} lines, {night_rows:,} sightings, {stamp}",
        "",
        f"Machine: {machine()}. Load average (1, 5, 15 min) {load0} before, {load1} after. "
        f"History ends {args.end}; the night is {night}. DuckDB memory limit of the night: "
        f"{args.memory_limit or 'the ingest default'}. Best of {args.repeat} run(s) "
        "(all runs in brackets); each run is its own process on a fresh copy of the store "
        "(synced to disk first), timing its own work (imports excluded); peak RSS by os.wait4.",
        "",
        "| history | stored observations | stored tenures | nightly ingest | runs | peak RSS | bare CSV->Parquet | ratio |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for months in args.histories:
        rs = runs[months]
        best = min(r["t"] for r in rs)
        rows = built[months]["rows"]
        md.append(
            f"| {months} months | {rows['observations']:,} | {rows['tenures']:,} | {best:.2f} s "
            f"| {', '.join(format(r['t'], '.2f') for r in rs)} | {max(r['rss'] for r in rs):,.0f} MiB "
            f"| {bare_t:.2f} s | {best / bare_t:.1f}x |"
        )
    f = runs[longest][0]["file"]
    md += [
        "",
        f"The night's account: {f['rows']:,} rows = {f['accepted']:,} accepted + {f['rejected']:,} "
        f"rejected + {f['duplicates']:,} duplicates + {f['orphans']:,} orphans; "
        f"{runs[longest][0]['tenure_lines']:,} lines' tenures brought up to date.",
        "",
        "Where the time goes (the best run of each history; seconds, share of the ingest):",
        "",
        "| step | " + " | ".join(f"{m} months" for m in args.histories) + " |",
        "|---|" + "---:|" * len(args.histories),
    ]
    best_runs = {m: min(runs[m], key=lambda r: r["t"]) for m in args.histories}
    steps = list(dict.fromkeys(k for m in args.histories for k in best_runs[m]["spent"]))
    for step in [*steps, "other (key check, lock, sweep, ...)"]:
        cells = []
        for m in args.histories:
            r = best_runs[m]
            s = r["spent"].get(step, r["t"] - sum(r["spent"].values()))
            cells.append(f"{s:.2f} s ({100 * s / r['t']:.0f} %)")
        md.append(f"| {step} | " + " | ".join(cells) + " |")
    for months, up in upgrades.items():
        md.append(
            f"\nThe {months}-month store was built at format {up['from']}; each copy was upgraded "
            f"before its night, untimed (the last upgrade: {up['t']:.1f} s, {up['rss']:,.0f} MiB)."
        )
    if args.note:
        md += ["", args.note]
    md.append("")
    text = "\n".join(md)
    print(text)
    append_markdown(args.out, text)


if __name__ == "__main__":
    main()
