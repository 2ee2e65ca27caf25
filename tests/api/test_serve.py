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
    check_bind("0.0.0.0", "a-token")


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
