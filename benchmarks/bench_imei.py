"""Bulk IMEI parsing rate: ``devicepark.identify.imei.parse_array`` over 5 million values.

Run: ``python benchmarks/bench_imei.py [--n 5000000] [--out benchmarks/results/imei.md]``

The input mimics an operator's observation export: mostly valid 15-digit IMEIs, with IMEISVs,
14-digit IMEIs, values spelled with dashes or spaces, bad check digits, wrong lengths, Arabic-Indic
digits, junk and nulls (the mix is printed in the result). Building the input is not timed; each
timed run parses the whole Arrow column (classification, Luhn, TAC and body) and the best of
``--repeat`` runs is reported, on one thread and on all cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from devicepark.identify.imei import _luhn_tables, parse_array

MIX = {  # share of the 5 M values
    "valid IMEI (15 digits)": 0.80,
    "IMEISV (16 digits)": 0.05,
    "IMEI14 (no check digit)": 0.03,
    "IMEI with dashes (35-xxxxxx-xxxxxx-x)": 0.03,
    "bad check digit": 0.04,
    "wrong length": 0.02,
    "Arabic-Indic digits": 0.01,
    "junk text": 0.01,
    "null": 0.01,
}


def make_values(n: int, seed: int = 7) -> pa.Array:
    """An Arrow string column of ``n`` values in the MIX proportions (vectorised, not timed)."""
    rng = np.random.default_rng(seed)
    body = rng.integers(10**13, 10**14, n, dtype=np.int64)  # 14-digit bodies
    even, odd = _luhn_tables()
    # check digit: the Luhn sum of body*10 must be completed to a multiple of 10
    x = body * 10
    low, rest = x % 100_000, x // 100_000
    s = even[low].astype(np.int64) + odd[rest % 100_000] + even[rest // 100_000]
    check = (10 - s % 10) % 10
    imei15 = pa.array((x + check).astype(str))
    kinds = rng.choice(len(MIX), size=n, p=list(MIX.values()))
    out = imei15
    bodies = pa.array(body.astype(str))
    sv = pc.binary_join_element_wise(bodies, pa.array(rng.integers(10, 99, n).astype(str)), "")
    dashed = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(imei15, 0, 2),
        pc.utf8_slice_codeunits(imei15, 2, 8),
        pc.utf8_slice_codeunits(imei15, 8, 14),
        pc.utf8_slice_codeunits(imei15, 14, 15),
        "-",
    )
    badcheck = pa.array((x + (check + 1) % 10).astype(str))
    short = pc.utf8_slice_codeunits(imei15, 0, 12)
    arabic = pc.utf8_slice_codeunits(imei15, 0, 15)
    for d in range(10):
        arabic = pc.replace_substring(arabic, str(d), chr(0x0660 + d))
    junk = pa.array(np.full(n, "unknown"))
    variants = [imei15, sv, bodies, dashed, badcheck, short, arabic, junk, pa.nulls(n, pa.string())]
    for k, variant in enumerate(variants):
        out = pc.if_else(pa.array(kinds == k), variant, out)
    return out.cast(pa.string())


def best(values: pa.Array, threads: int, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU time (all threads) of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        parse_array(values, threads=threads)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="write the result as Markdown here")
    args = ap.parse_args()
    values = make_values(args.n)
    result = parse_array(values)
    counts = pc.value_counts(pc.fill_null(result["reason"], "valid")).to_pylist()
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    (single, single_cpu), (multi, multi_cpu) = (best(values, t, args.repeat) for t in (1, cores))
    n = args.n
    lines = [
        "## Bulk IMEI parsing (`devicepark.identify.imei.parse_array`)",
        "",
        f"- values: {n:,} (Arrow `string` column, built before timing)",
        f"- 1 thread: {single:.3f} s wall, **{n / single / 1e6:.1f} M values/s** "
        f"({n / single_cpu / 1e6:.1f} M values per CPU-second)",
        f"- {cores} threads: {multi:.3f} s wall, **{n / multi / 1e6:.1f} M values/s** "
        f"({multi_cpu:.3f} CPU-seconds) -- goal: >= 2 M values/s on 2 cores",
        f"- machine: nproc {cores}, {cpu_model()}, Python {platform.python_version()}, "
        f"pyarrow {pa.__version__}, numpy {np.__version__}; 1-minute load average when the run "
        f"started: {load:.1f} (a shared machine: wall-clock rates drop when it is busy)",
        f"- method: `python benchmarks/bench_imei.py --n {n} --repeat {args.repeat}`; best of "
        f"{args.repeat} runs of "
        "`parse_array(values, threads=T)`; each run classifies every value (spaces and dashes "
        "removed, ASCII digits, length, all-zero, Luhn) and returns valid, reason, kind, TAC and "
        "body. Input mix: " + ", ".join(f"{k} {v:.0%}" for k, v in MIX.items()) + ".",
        "- outcome of the mix: "
        + ", ".join(
            f"{c['values']} {c['counts']:,}" for c in sorted(counts, key=lambda c: -c["counts"])
        ),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
