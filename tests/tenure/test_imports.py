"""The tenure package sits between the store and the stages that use it: it imports only
``devicepark.store``, ``devicepark.errors`` and third-party libraries, and ``base`` reaches
tenures through it, never through ``ingest``."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "devicepark"


def _devicepark_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "devicepark" or m.startswith("devicepark.")}


def _inside(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_tenure_imports_only_the_store_and_errors() -> None:
    allowed = ("devicepark.tenure", "devicepark.store", "devicepark.errors")
    offences = {
        f"{path.name}: {module}"
        for path in (SRC / "tenure").glob("*.py")
        for module in _devicepark_imports(path)
        if not _inside(module, *allowed)
    }
    assert offences == set()


def test_base_does_not_import_ingest() -> None:
    offences = {
        f"{path.name}: {module}"
        for path in (SRC / "base").glob("*.py")
        for module in _devicepark_imports(path)
        if _inside(module, "devicepark.ingest")
    }
    assert offences == set()
