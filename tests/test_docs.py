"""Docs that cannot drift: the README's CLI reference and test command match the code."""

from __future__ import annotations

import re
from pathlib import Path

from devicepark.cli.main import app
from devicepark.cli.reference import BEGIN, END, reference

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_cli_reference_is_current() -> None:
    section = README.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert section == reference(app).strip(), (
        "run: python -m devicepark.cli.reference --write README.md"
    )


def test_every_command_and_option_is_in_the_readme() -> None:
    ref = reference(app)
    for heading in re.findall(r"^#### `(devicepark [^`]*)`", ref, flags=re.M):
        assert heading in README
    for option in set(re.findall(r"`(--[a-z0-9-]+)`", ref)):
        assert f"`{option}`" in README


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```\n(.*?)\n```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b).strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
    # ...in a new virtual environment, after lint and type checks, saying what it resolved.
    assert "python3 -m venv" in ci and ci.index("ruff check") < ci.index(test_command)
    assert ci.index("mypy") < ci.index(test_command) and "duckdb" in ci
    demo_command = next(b for b in blocks if "devicepark demo" in b).strip()
    assert demo_command == "pip install -e . && devicepark demo"
