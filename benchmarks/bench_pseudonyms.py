"""What one pseudonym costs: the floor the staging of a nightly snapshot cannot go under.

Not a test. Run::

    python benchmarks/bench_pseudonyms.py [--values 2000000]

Every staged sighting needs two keyed pseudonyms (its line and its handset), each an
HMAC-SHA256 (``devicepark.ingest.pseudonym``). This measures, on ``--values`` distinct
MSISDN-like strings:

- ``duckdb``: the ingest's own SQL expression (``pseudonym.hmac_sql``, two ``sha256`` over
  blobs), all of DuckDB's threads, each value read by ``max``;
- ``python``: the reference HMAC with hashlib's states for the padded key precomputed and copied
  per value (OpenSSL's SHA-256, one core: hashlib holds the GIL on short inputs);
- ``validation``: for scale, the staging's validation SQL alone over the same number of rows of
  a nightly file's shape (``staging.observations_sql``, raw ids, no pseudonyms).

Prints one Markdown table (appended to ``--out``) with the time per value and what two
pseudonyms per sighting cost for a France-scale night of ``--night`` sightings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa

# the scripts run from benchmarks/, which is on sys.path
from bench_core import append_markdown, machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # measure this checkout, whatever else is installed

from devicepark.ingest import staging  # noqa: E402
from devicepark.ingest.pseudonym import DOMAINS, hmac_sql, pseudonym  # noqa: E402

KEY = bytes.fromhex("3c9e1f7a20d4b68e5f0a7c3d91e2b84f" * 2)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def python_hmac(values: list[bytes]) -> list[str]:
    block = KEY.ljust(64, b"\x00")
    inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in block) + DOMAINS["line"] + b"\x00")
    outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    out = []
    for v in values:
        h = inner0.copy()
        h.update(v)
        o = outer0.copy()
        o.update(h.digest())
        out.append(o.hexdigest()[:32])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--values", type=int, default=2_000_000)
    # the France night bench_nightly.py measured: 21 M lines, 19.5 M of them active and seen
    ap.add_argument("--night", type=int, default=19_500_000, help="sightings of a France night")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pseudonyms.md")
    args = ap.parse_args()
    n = args.values
    ids = [f"+336{i:08d}" for i in range(n)]
    assert python_hmac([ids[7].encode()])[0] == pseudonym(KEY, "line", ids[7])
    con = duckdb.connect()
    con.register("v", pa.table({"v": ids}))
    expr = hmac_sql(KEY, "line", "v")
    got = con.execute(f"SELECT {expr} FROM v LIMIT 1 OFFSET 7").fetchall()[0][0]
    assert got == pseudonym(KEY, "line", ids[7])
    duck = best(lambda: con.execute(f"SELECT max({expr}) FROM v").fetchall(), args.repeat)
    raw = [s.encode() for s in ids]
    py = best(lambda: python_hmac(raw), args.repeat)
    # a nightly file's rows, prepared as the staging prepares them (its own Arrow steps)
    night = pa.table(
        {
            "line_id": ids,
            "imei": [f"35{i % 10**12:012d}0" for i in range(n)],
            "observed_at": ["2022-07-01T03:00:00+02:00"] * n,
        }
    )
    batch = staging.imei_parts(staging.id_parts(night, "33"))
    batch = batch.append_column("line_no", pa.array(range(n), pa.int64()))
    con.register("batch", batch)
    sql = staging.observations_sql("33", "Europe/Paris", dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    every = "count(problem), max(line), max(handset), max(observed_at), max(local_date)"
    val = best(lambda: con.execute(f"SELECT {every} FROM ({sql})").fetchall(), args.repeat)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("HMAC in DuckDB SQL (the ingest's), all threads", duck, 2),
        ("HMAC in Python (hashlib, precomputed pads), one core", py, 2),
        ("validation SQL alone (per sighting), all threads", val, 1),
    ]
    md = [
        f"### Pseudonym cost, {n:,} values, {stamp}",
        "",
        f"Machine: {machine()}; DuckDB {duckdb.__version__}. Load average {load}. Best of "
        f"{args.repeat}. A sighting needs two pseudonyms (line, handset); the last column is what "
        f"a night of {args.night:,} sightings pays for that step alone.",
        "",
        "| step | total | per value | per night |",
        "|---|---:|---:|---:|",
    ]
    for label, t, per_sighting in rows:
        md.append(
            f"| {label} | {t:.2f} s | {t / n * 1e6:.2f} us "
            f"| {t / n * per_sighting * args.night:.0f} s |"
        )
    text = "\n".join(md) + "\n"
    print(text)
    append_markdown(args.out, text)


if __name__ == "__main__":
    main()
