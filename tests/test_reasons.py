"""Reason codes have one registry, ``devicepark.reasons.Reason``: every emitter goes through it,
no code is spelled anywhere else, and the README documents every registered code."""

from __future__ import annotations

import ast
import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from devicepark.identify import imei
from devicepark.identify.catalog import read_catalog
from devicepark.ingest import staging
from devicepark.reasons import Reason
from devicepark.synth.sightings import IMEI_FORMS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "devicepark"
REGISTRY = SRC / "reasons.py"
BAD = ROOT / "tests" / "data" / "bad"
CODES = {r.value for r in Reason}
# A rejection spelled in SQL: 'reason|column' (split apart after the query).
SQL_PROBLEM = re.compile(r"'([a-z][a-z0-9_]*)\|([a-z][a-z0-9_]*)'")
# synth names the faulty IMEI spellings it plants after the code each must cause; it emits none.
PLANTED = {SRC / "synth" / "sightings.py"}


def _trees() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))  # a docstring may quote codes, as imei's doctests do
    return found


def _strings() -> Iterator[tuple[Path, int, str]]:
    """Every string constant of the package (parts of f-strings too), docstrings excepted."""
    for path, tree in _trees():
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
            ):
                yield path, node.lineno, node.value


def test_no_code_is_spelled_outside_the_registry() -> None:
    offences = []
    for path, line, text in _strings():
        if path == REGISTRY:
            continue
        where = f"{path.relative_to(ROOT)}:{line}"
        if text in CODES and path not in PLANTED:
            offences.append(f"{where}: {text!r} (use Reason.{Reason(text).name})")
        for code, column in SQL_PROBLEM.findall(text):
            offences.append(f"{where}: SQL '{code}|{column}' (build it from Reason)")
    assert offences == []


def test_every_code_an_emitter_names_is_registered() -> None:
    used = {
        node.attr
        for _, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Reason"
        and not node.attr.startswith("_")
    }
    assert {"MISSING_TAC", "BAD_TAC", "CONFLICTING_DUPLICATE", "BAD_QUOTING"} <= used
    assert used - set(Reason.__members__) == set()


def test_the_codes_in_the_validation_sql_are_registered() -> None:
    now = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    sql = staging.lines_sql("33")
    sql += staging.observations_sql("33", "Europe/Paris", now)
    found = {code for code, _ in SQL_PROBLEM.findall(sql)}
    assert found == {
        "missing_value",
        "non_ascii_digit",
        "bad_date",
        "bad_value",
        "terminated_before_activated",
        "nonexistent_local_time",
        "bad_timestamp",
        "future_timestamp",
    }
    assert found <= CODES


def test_imei_and_catalog_codes_are_registered() -> None:
    assert set(imei.REASONS) <= CODES
    assert all(imei.EXPLANATIONS[r] == Reason(r).meaning for r in imei.REASONS)
    parsed = imei.parse_array(pa.array(["352099001761482", "", "٣٥", "123", "0" * 15, None]))
    assert set(parsed.column("reason").drop_null().to_pylist()) <= CODES
    catalog = read_catalog(BAD / "tac_conflicts.csv")
    assert catalog.reasons and set(catalog.reasons) <= CODES
    assert {r.reason for r in catalog.rejects + catalog.conflicts} <= CODES


def test_the_bad_input_corpus_and_synth_use_registered_codes() -> None:
    cases = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))["case"]
    expected = {code for case in cases for code in case.get("reasons", {})}
    expected |= {row[2] for case in cases for row in case.get("quarantine", [])}
    assert expected and expected <= CODES
    assert {name for _, name, _, valid in IMEI_FORMS if not valid} <= CODES


def _readme_paragraph() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Ingest guarantees", 1)[1].split("\n## ", 1)[0]
    return section.split("Reason codes:", 1)[1].split("\n\n", 1)[0]


def test_every_registered_code_is_documented_in_the_readme() -> None:
    paragraph = _readme_paragraph()
    documented = set(re.findall(r"`([a-z][a-z0-9_]*)`", paragraph))
    assert CODES - documented == set(), "add them to README.md, 'Reason codes:'"
    assert documented - CODES == set(), "the README names codes that are not in Reason"


def test_every_code_has_a_one_line_meaning() -> None:
    for reason in Reason:
        assert reason.meaning and "\n" not in reason.meaning, reason.name
        assert reason.value == reason.name.lower()
