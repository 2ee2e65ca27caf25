"""Load test of a public server: 20 anonymous clients sending the most expensive requests the
public face allows, while one client times a cheap request. Goal (issue 18, item 1): the cheap
request's p99 under 1 s, and the server's memory bounded.

Not a test. Run on a store (the 1:20 synthetic operator of ``devicepark demo`` or ``synth``)::

    python benchmarks/bench_public.py --store DIR [--seconds 60] [--clients 20]
        [--memory-limit 2GB] [--campaigns examples] [--out benchmarks/results/public.md]

Method:
- ``devicepark serve --public`` runs in its own process on 127.0.0.1 (a free port), one uvicorn
  worker, as a user would start it, with ``--memory-limit`` for DuckDB.
- Each attacker is its own client address on the loopback (127.0.0.11, 127.0.0.12, ...), so the
  per-client rate limits apply to each as to a distinct machine. It loops over the most expensive
  requests the public bounds allow (two years of weekly points by model, by region and by
  vendor x device age; 92 days of adds by operator brand; a vendor's milestones; the dashboard;
  the campaign results), each time on another date so that the answer cache cannot help, and
  sends the next request as soon as the previous answer (200, 400, 429, 503) is read.
- The timing client (127.0.0.2) asks ``/v1/base?as_of=...&by=vendor`` (a cached answer after
  its first time) about twice a second, within its rate limit, and records each latency from
  send to last byte.
- The server's resident memory is read from /proc every half second.
- Everything is bounded: ``--seconds`` of load, ``--max-requests`` per client, a timeout per
  request; the server is stopped with SIGTERM at the end (and the time it took is reported).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench_core import machine  # the scripts run from benchmarks/, which is on sys.path

CHEAP = "/v1/base?as_of={day}&by=vendor"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def sundays(last: dt.date, n: int) -> list[dt.date]:
    last = last - dt.timedelta(days=(last.weekday() + 1) % 7)
    return [last - dt.timedelta(weeks=k) for k in range(n)]


def expensive(k: int, days: list[dt.date], vendor: str) -> str:
    """The k-th expensive request an attacker sends: the kind cycles, the date moves on."""
    d = days[k % len(days)]
    first = d - dt.timedelta(weeks=104)
    kinds = [
        f"/v1/series?from={first}&to={d}&every=week&by=model",
        f"/v1/series?from={first}&to={d}&every=week&by=region",
        f"/v1/series?from={first}&to={d}&every=week&by=vendor,device_age",
        f"/v1/adds?from={d - dt.timedelta(days=91)}&to={d}&by=operator_brand",
        f"/v1/milestones?vendor={vendor}&every=1000&to={d}",
        f"/?as_of={d}&lang=en",
        f"/v1/base?as_of={d}&by=model",
        "/v1/campaigns/semaine-xiaomi-2022/results",
    ]
    return kinds[(k // len(days) + k) % len(kinds)]


async def get(src: str, port: int, path: str, timeout: float) -> tuple[str, float]:
    """One GET on a new connection from ``src``: (status and error code, seconds to the last
    byte)."""
    start = time.perf_counter()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0)), timeout
    )
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                     .encode())  # fmt: skip
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "0"
    code = re.search(rb'"code": "([a-z_]+)"', data) if status != "200" else None
    return (f"{status} {code.group(1).decode()}" if code else status), time.perf_counter() - start


async def attacker(i: int, port: int, until: float, days: list[dt.date], vendor: str,
                   max_requests: int, codes: Counter) -> None:  # fmt: skip
    src = f"127.0.0.{11 + i}"
    for k in range(max_requests):
        if time.monotonic() >= until:
            return
        try:
            status, _ = await get(src, port, expensive(k * 7 + i, days, vendor), 30)
        except (TimeoutError, OSError):
            status = "client timeout (30 s)"
        codes[status] += 1
        if status.startswith("429"):
            await asyncio.sleep(0.2)  # a rate-limited client retries soon: still pressure


async def timer(port: int, until: float, path: str, max_requests: int,
                out: list[tuple[str, float]]) -> None:  # fmt: skip
    for _ in range(max_requests):
        if time.monotonic() >= until:
            return
        try:
            out.append(await get("127.0.0.2", port, path, 30))
        except (TimeoutError, OSError):
            out.append(("0", 30.0))
        await asyncio.sleep(0.5)


async def sample_rss(pid: int, until: float, out: list[float]) -> None:
    while time.monotonic() < until:
        out.append(rss_mib(pid))
        await asyncio.sleep(0.5)


async def run(args: argparse.Namespace, port: int, pid: int, days: list[dt.date]) -> dict:
    codes: Counter = Counter()
    timings: list[tuple[str, float]] = []
    rss: list[float] = []
    cheap = CHEAP.format(day=days[0])
    warm = await get("127.0.0.2", port, cheap, 120)  # the cheap answer, cold then cached
    until = time.monotonic() + args.seconds
    await asyncio.gather(
        *(attacker(i, port, until, days, args.vendor, args.max_requests, codes)
          for i in range(args.clients)),
        timer(port, until, cheap, args.max_requests, timings),
        sample_rss(pid, until + 5, rss),
    )  # fmt: skip
    return {"codes": codes, "timings": timings, "rss": rss, "warm": warm, "cheap": cheap}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--max-requests", type=int, default=10_000)
    p.add_argument("--memory-limit", default="2GB")
    p.add_argument("--campaigns", default=str(Path(__file__).resolve().parents[1] / "examples"))
    p.add_argument("--as-of", default="2022-01-30")
    p.add_argument("--vendor", default="Xiaomi")
    p.add_argument("--out")
    args = p.parse_args()
    port = free_port()
    env = {**os.environ, "DEVICEPARK_PROGRESS": "0"}
    env.pop("DEVICEPARK_API_TOKEN", None)
    cmd = [sys.executable, "-m", "devicepark.cli.main", "serve", "--store", args.store,
           "--port", str(port), "--public", "--campaigns", args.campaigns,
           "--memory-limit", args.memory_limit]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    err = server.stderr.read().decode() if server.stderr else ""
                    raise SystemExit(f"server did not start: {err}") from None
                time.sleep(0.3)
        load_before = os.getloadavg()[0]
        days = sundays(dt.date.fromisoformat(args.as_of), 52)
        res = asyncio.run(run(args, port, server.pid, days))
        load_after = os.getloadavg()[0]
        t0 = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        stop = time.monotonic() - t0
    finally:
        if server.poll() is None:
            server.kill()
    lat = [s for code, s in res["timings"] if code == "200"]
    bad = sum(code != "200" for code, _ in res["timings"])
    total = sum(res["codes"].values())
    lines = [
        f"#### Public server under load ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- machine: {machine()}; load average {load_before:.1f} before, {load_after:.1f} after",
        f"- store: `{args.store}`; serve --public --memory-limit {args.memory_limit}",
        f"- load: {args.clients} anonymous clients (each its own loopback address) for "
        f"{args.seconds:g} s: {total:,} expensive requests, by status "
        + ", ".join(f"{c}: {n:,}" for c, n in sorted(res["codes"].items())),
        f"- cheap request `{res['cheap']}` (cold: {res['warm'][1] * 1000:,.0f} ms): "
        f"{len(res['timings'])} requests, {bad} not 200; p50 {percentile(lat, 50) * 1000:,.1f} ms, "
        f"p99 {percentile(lat, 99) * 1000:,.1f} ms, max {max(lat, default=0) * 1000:,.1f} ms",
        f"- server RSS: peak {max(res['rss'], default=0):,.0f} MiB, last "
        f"{(res['rss'] or [0])[-1]:,.0f} MiB",
        f"- SIGTERM at the end: the server exited in {stop:.1f} s "
        f"(exit code {server.returncode})",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
