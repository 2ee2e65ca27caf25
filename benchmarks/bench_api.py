"""Load test of the API: ``/v1/base`` and ``/v1/series`` under 50 concurrent clients for 30 s.

Not a test. Run (after ``devicepark demo``, which builds the 1:20 store)::

    python benchmarks/bench_api.py --store devicepark-demo/store [--clients 50] [--seconds 30]
        [--as-of 2022-02-03] [--series-from 2021-02-07 --series-to 2022-01-30]
        [--first-dates 2021-12-05,2022-01-16,2022-02-03] [--out benchmarks/results/api.md]

Method:
- ``devicepark serve`` runs in its own process on 127.0.0.1 (a free port, a random token), one
  uvicorn worker, as a user would start it; the client is this process: ``--clients`` asyncio
  tasks, each with its own keep-alive connection and a minimal HTTP/1.1 client (prebuilt request
  bytes, the answer read by Content-Length: httpx itself cost 6 times the server's CPU per
  request and made the client the bottleneck), every task sending its next request as soon as
  the previous answer has been read in full.
- cold: before the load, each query is sent once on an idle server (cache miss: Ibis on DuckDB
  over the Parquet store) and its latency recorded.
- first answers (``--first-dates``): on the same idle server, before the load, ``/v1/base`` at
  each of those dates by each standard cut (``CUTS``: vendor, brand, device_type,
  operator_brand, segment, plan, region, vendor x operator_brand) and the weekly series by
  vendor and by operator brand: every one a cache miss, each latency recorded (median and max
  reported, and the slowest named).
- load: for ``--seconds`` seconds each client alternates ``/v1/base?as_of=2022-02-03`` (by
  vendor) and ``/v1/series?from=2021-02-07&to=2022-01-30&every=week`` (by vendor, 52 points);
  the server answers from its per-(store version, query) cache. Latency is measured per request
  from send to last byte; an error is any status other than 200 or a transport failure.
  The loop is bounded in time and count (``--max-requests``) and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_core import machine  # the scripts run from benchmarks/, which is on sys.path

CUTS = ("vendor", "brand", "device_type", "operator_brand", "segment", "plan", "region",
        "vendor,operator_brand")


def queries(as_of: str, start: str, end: str) -> dict[str, str]:
    return {
        "base": f"/v1/base?as_of={as_of}",
        "series": f"/v1/series?from={start}&to={end}&every=week",
    }


QUERIES: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def load(host: str, port: int, token: str, clients: int, seconds: float,
               max_requests: int):
    """``clients`` keep-alive connections, each a minimal HTTP/1.1 client on asyncio streams
    (like wrk: the request bytes are prebuilt and the answer is read by Content-Length), so that
    the load generator costs far less CPU than the server it measures."""
    latencies: dict[str, list[float]] = {k: [] for k in QUERIES}
    errors: dict[str, int] = {k: 0 for k in QUERIES}
    requests = {
        name: (f"GET {url} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n").encode()
        for name, url in QUERIES.items()
    }
    sent = 0
    stop = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal sent
        names = list(QUERIES)
        k = n % len(names)
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop and sent < max_requests:
                name = names[k]
                k = (k + 1) % len(names)
                sent += 1
                t0 = time.perf_counter()
                ok = False
                try:
                    writer.write(requests[name])
                    head = await reader.readuntil(b"\r\n\r\n")
                    status = int(head.split(b" ", 2)[1])
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        key, _, value = line.partition(b":")
                        if key.strip().lower() == b"content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    ok = status == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                latencies[name].append(time.perf_counter() - t0)
                if not ok:
                    errors[name] += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(n) for n in range(clients)))
    return latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--max-requests", type=int, default=2_000_000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--as-of", default="2022-02-03")
    ap.add_argument("--series-from", default="2021-02-07")
    ap.add_argument("--series-to", default="2022-01-30")
    ap.add_argument("--first-dates", default="", help="comma-separated dates (see the method)")
    args = ap.parse_args()
    QUERIES.update(queries(args.as_of, args.series_from, args.series_to))

    import httpx

    from devicepark.store import Store

    store = Store.open(args.store)
    lines = sum(_rows(f) for f in store.files("lines"))
    port, token = free_port(), secrets.token_urlsafe(24)
    env = {**os.environ, "DEVICEPARK_API_TOKEN": token}
    server = subprocess.Popen(
        [sys.executable, "-m", "devicepark.cli.main", "serve", "--store", str(args.store),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base_url + "/openapi.json", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        cold = {}
        for name, url in QUERIES.items():
            t0 = time.perf_counter()
            r = httpx.get(base_url + url, headers=auth, timeout=300)
            cold[name] = (time.perf_counter() - t0, r.status_code, len(r.content))
        first: list[tuple[float, str, int]] = []
        dates = [d for d in args.first_dates.split(",") if d]
        firsts = [f"/v1/base?as_of={d}&by={by}" for d in dates for by in CUTS]
        if dates:
            firsts += [f"/v1/series?from={args.series_from}&to={args.series_to}&every=week"
                       f"&by={by}" for by in ("vendor", "operator_brand")]
        for url in firsts:
            t0 = time.perf_counter()
            r = httpx.get(base_url + url, headers=auth, timeout=300)
            first.append((time.perf_counter() - t0, url, r.status_code))
        cpu0, own0, load0 = cpu_seconds(server.pid), time.process_time(), os.getloadavg()[0]
        latencies, errors = asyncio.run(
            load("127.0.0.1", port, token, args.clients, args.seconds, args.max_requests))
        server_cpu = cpu_seconds(server.pid) - cpu0
        client_cpu = time.process_time() - own0
        load1 = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait(timeout=30)

    rows = []
    for name in QUERIES:
        lat = [x * 1000 for x in latencies[name]]
        rows.append(
            f"| {name} | `{QUERIES[name]}` | {cold[name][0] * 1000:,.0f} | {len(lat):,} | "
            f"{statistics.median(lat):.1f} | {percentile(lat, 99):.1f} | {max(lat):.1f} | "
            f"{errors[name]} | {cold[name][2]:,} |"
        )
    total = sum(len(v) for v in latencies.values())
    if first:
        ms = [t * 1000 for t, _, _ in first]
        slow = max(first)
        bad = [u for _, u, code in first if code != 200]
        rows += [
            "",
            f"First answers (each a cache miss, before the load): {len(first)} requests "
            f"(base at {args.first_dates} by {', '.join(CUTS)}; weekly series by vendor and by "
            f"operator brand): median {statistics.median(ms):,.0f} ms, max {max(ms):,.0f} ms "
            f"(`{slow[1]}`), non-200: {len(bad)}.",
        ]
    text = "\n".join([
        "# API load test (`benchmarks/bench_api.py`)",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {machine()}",
        f"- store: `{args.store}` (version {store.version}, {lines:,} lines rows)",
        f"- load: {args.clients} concurrent clients for {args.seconds:.0f} s, one uvicorn worker "
        f"on 127.0.0.1, client and server on the same machine; {total:,} requests "
        f"({total / args.seconds:,.0f}/s)",
        f"- CPU: server {server_cpu / max(total, 1) * 1000:.2f} ms per request "
        f"({server_cpu:.1f} s), client {client_cpu / max(total, 1) * 1000:.2f} ms per request; "
        f"load average {load0:.1f} before, {load1:.1f} after (other jobs share the 2 cores)",
        "",
        "| query | URL | cold (ms) | requests | p50 (ms) | p99 (ms) | max (ms) | errors "
        "| body bytes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rows(path: str) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


if __name__ == "__main__":
    main()
