"""``devicepark serve``: the bind rule, the errors, and a real server on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from apikit import KEY, TOKEN, cli


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_refuses_a_non_loopback_bind_without_a_token(core_store, host, monkeypatch):
    monkeypatch.delenv("DEVICEPARK_API_TOKEN", raising=False)
    code, out, err = cli("serve", "--store", str(core_store), "--host", host, ok=False)
    assert code == 2
    assert err.startswith(f"error: --host {host} is reachable from other machines")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_refuses_a_missing_store(tmp_path):
    code, _, err = cli("serve", "--store", str(tmp_path / "none"), ok=False)
    assert code == 2 and "no devicepark store here" in err


def test_refuses_a_missing_campaigns_directory(core_store, tmp_path):
    code, _, err = cli("serve", "--store", str(core_store), "--campaigns",
                       str(tmp_path / "none"), ok=False)
    assert code == 2 and "--campaigns" in err


def test_loopback_rule():
    from devicepark.cli.serve import check_bind

    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("127.0.0.1", "short")  # this machine only: any token
    check_bind("0.0.0.0", "t" * 32)


@pytest.mark.parametrize("token", ["a-token", "t" * 31])
def test_refuses_a_short_token_beyond_this_machine(core_store, token, monkeypatch):
    monkeypatch.setenv("DEVICEPARK_API_TOKEN", token)
    code, _, err = cli("serve", "--store", str(core_store), "--host", "0.0.0.0", ok=False)
    assert code == 2 and err.count("\n") == 1
    assert f"DEVICEPARK_API_TOKEN has {len(token)} characters, at least 32 are needed" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_real_server_answers_the_cli_bytes(core_store):
    port = _free_port()
    env = {**os.environ, "DEVICEPARK_KEY": KEY, "DEVICEPARK_API_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "devicepark.cli.main", "serve", "--store", str(core_store),
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1/base?as_of=2022-02-03"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        _, out, _ = cli("base", "--store", str(core_store), "--as-of", "2022-02-03",
                        "--format", "json")
        assert r.status_code == 200
        assert r.content == out
        assert httpx.get(url, timeout=10).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _start_slow_server(core_store, port: int, seconds: float = 600.0) -> subprocess.Popen:
    from pathlib import Path

    script = Path(__file__).resolve().parent / "slowserver.py"
    env = {**os.environ, "DEVICEPARK_KEY": KEY}
    env.pop("DEVICEPARK_API_TOKEN", None)
    proc = subprocess.Popen([sys.executable, str(script), str(core_store), str(port),
                             str(seconds)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/running", timeout=5)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.2)


def _running(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/running", timeout=5).json()["running"]


def _wait_running(port: int, n: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if _running(port) == n:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_sigterm_stops_the_server_within_seconds_mid_query(core_store):
    """A query that would run for minutes is interrupted by SIGTERM; the process is gone within
    a few seconds (uvicorn waits at most serve.GRACE_SECONDS for the request)."""
    import signal
    import threading

    port = _free_port()
    proc = _start_slow_server(core_store, port)
    try:
        threading.Thread(target=lambda: _quiet_get(f"http://127.0.0.1:{port}/slow", 60),
                         daemon=True).start()  # fmt: skip
        assert _wait_running(port, 1, 15), "the slow query never started"
        time.sleep(0.5)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - start < 8
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_the_query_stops_when_the_client_hangs_up_or_time_runs_out(core_store):
    port = _free_port()
    proc = _start_slow_server(core_store, port, seconds=3.0)
    try:
        # the client gives up after 1 s: its query stops too
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"http://127.0.0.1:{port}/slow", timeout=1.0)
        assert _wait_running(port, 0, 5), "the query outlived its client"
        # a patient client: the server stops the query at its 3 s limit and says why
        start = time.monotonic()
        r = httpx.get(f"http://127.0.0.1:{port}/slow", timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "timeout"
        assert "time limit of 3 s" in r.json()["error"]["message"]
        assert 2.5 < time.monotonic() - start < 10
        assert _running(port) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _quiet_get(url: str, timeout: float) -> None:
    try:
        httpx.get(url, timeout=timeout)
    except httpx.HTTPError:
        pass
