"""Helpers of the reliability tests: run the CLI in-process or as a script, snapshot a store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from devicepark.cli.main import app

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"  # as tests/conftest.py
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str, BaseException | None]:
    """Run ``devicepark ARGS`` in-process: (exit code, stdout, stderr, unexpected exception)."""
    result = runner.invoke(app, list(args), env={"DEVICEPARK_KEY": KEY})
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return result.exit_code, result.stdout, result.stderr, exc


def devicepark_cmd() -> list[str]:
    exe = shutil.which("devicepark")
    return [exe] if exe else [sys.executable, "-m", "devicepark.cli.main"]


def run_script(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the real ``devicepark`` console script in a subprocess."""
    env = {**os.environ, "DEVICEPARK_KEY": KEY}
    return subprocess.run([*devicepark_cmd(), *args], capture_output=True, text=True, env=env, **kw)


def store_state(path: Path) -> dict[str, Any]:
    """What a reader can see of a store: the manifest and the bytes of every file it names."""
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    files = {rel: (path / rel).read_bytes() for t in manifest["tables"].values() for rel in t}
    return {"manifest": manifest, "files": files}
