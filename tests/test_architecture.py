"""The house rules of docs/ARCHITECTURE.md, enforced: imports run one way, and only the faces'
kit (``answers``) and the stages that write (``ingest``, ``store``) execute anything."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "devicepark"

# Stages in the order data flows; a module may import from its own stage and earlier ones.
LAYERS = [
    {"errors", "jsonout", "reasons"},
    {"store"},
    {"identify"},
    {"tenure"},
    {"ingest"},
    {"base"},
    {"campaign"},
    {"publish"},
    {"market"},
    {"synth"},
    {"questions"},
    {"answers"},
    {"api"},
    {"cli"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
PURE = ("base", "campaign", "market", "publish", "questions")
EXECUTES = re.compile(r"\.(execute|to_pyarrow|to_pandas|raw_sql|sql|fetchall|fetchone)\(|connect\(")


def stage(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def imported(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "devicepark":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "devicepark" and len(parts) > 1:
                    found.add(parts[1])
    return found


def modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if stage(p) != "__init__"]


def test_every_stage_has_a_place() -> None:
    assert {stage(p) for p in modules()} <= set(RANK)


def test_imports_run_one_way() -> None:
    wrong = []
    for path in modules():
        here = stage(path)
        for there in imported(ast.parse(path.read_text(encoding="utf-8"))):
            if there != here and RANK.get(there, -1) > RANK[here]:
                wrong.append(f"{path.relative_to(SRC)} imports devicepark.{there}")
    assert not wrong, "imports against the flow:\n" + "\n".join(wrong)


def test_pure_stages_never_execute() -> None:
    offenders = []
    for path in modules():
        if stage(path) not in PURE:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if EXECUTES.search(code) and not code.lstrip().startswith((">>>", "...")):
                offenders.append(f"{path.relative_to(SRC)}:{no}: {line.strip()}")
    assert not offenders, "pure stages execute:\n" + "\n".join(offenders)


def test_the_rule_can_fail(tmp_path: Path) -> None:
    """The checker itself sees a backward import and an execution."""
    tree = ast.parse("from devicepark.answers import base\nimport devicepark.cli.main\n")
    assert imported(tree) == {"answers", "cli"}
    assert EXECUTES.search("rows = con.to_pyarrow(expr)")


DRAINS = {"fetchall", "fetchone", "fetchmany", "fetch_arrow_table", "to_arrow_table", "arrow", "df"}


def test_every_duckdb_execute_is_drained() -> None:
    """DuckDB 2 refuses other work on a connection while a result is open (issue 15): every
    ``x.execute(...)`` in the source is read to the end on the spot (``.fetchall()``...)."""
    open_results = []
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        drained = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in DRAINS
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "execute"
                and id(node) not in drained
            ):
                open_results.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not open_results, "results left open: " + ", ".join(open_results)
