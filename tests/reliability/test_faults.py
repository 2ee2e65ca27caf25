"""Fault injection: ``devicepark ingest`` killed at random moments and at every step of its commit,
and a reader asking for the base while an ingest commits.

After any kill the store opens and answers exactly as before that ingest or exactly as after it;
rerunning the ingest gives the clean run's answer. A concurrent reader only ever sees a committed
version.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from reliakit import KEY, base_answers, devicepark_cmd, ingest_files, scratch

from devicepark.identify.imei import calc_check_digit
from devicepark.store import Store

DAYS = [dt.date(2022, 2, 15), dt.date(2022, 3, 31)]
TAC_CSV = (
    "tac,manufacturer,brand,model,marketing_name,device_type,os,release_year\n"
    "86000001,Xiaomi Communications Co Ltd,Redmi,Redmi Note 11,Redmi Note 11,Smartphone,Android,"
    "2022\n"
    "35000002,Apple Inc,Apple,iPhone 13,iPhone 13,Smartphone,iOS,2021\n"
    "35000003,SAMSUNG ELECTRONICS CO LTD,Samsung,SM-A525F,Galaxy A52,Smartphone,Android,2021\n"
)


def make_exports(
    root: Path, n_lines: int, n_before: int, n_after: int, seed: int = 9
) -> dict[str, Path]:
    """Lines, a first observations file (already in the store) and the one the test kills."""
    rng = random.Random(seed)
    tacs = ["86000001", "35000002", "35000003", "49000004"]
    handsets = []
    for i in range(max(50, n_lines // 4)):
        body = f"{rng.choice(tacs)}{i:06d}"
        handsets.append(body + calc_check_digit(body))
    lines = ["line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on\n"]
    for i in range(n_lines):
        act = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(450))
        term = act + dt.timedelta(days=rng.randrange(30, 400)) if rng.random() < 0.2 else ""
        lines.append(f"+336{i:08d},C{i // 2},Orange,consumer,postpaid,Bretagne,{act},{term}\n")
    start = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)

    def obs(n: int) -> str:
        rows = ["line_id,imei,observed_at\n"]
        for _ in range(n):
            at = start + dt.timedelta(seconds=rng.randrange(100 * 86400))
            rows.append(
                f"+336{rng.randrange(n_lines):08d},{rng.choice(handsets)},{at:%Y-%m-%dT%H:%M:%SZ}\n"
            )
        return "".join(rows)

    paths = {
        "lines": root / "lines.csv",
        "before": root / "obs-1.csv",
        "after": root / "obs-2.csv",
        "tac": root / "tac.csv",
    }
    paths["lines"].write_text("".join(lines), encoding="utf-8")
    paths["before"].write_text(obs(n_before), encoding="utf-8")
    paths["after"].write_text(obs(n_after), encoding="utf-8")
    paths["tac"].write_text(TAC_CSV, encoding="utf-8")
    return paths


def answer(store: Path) -> dict[str, Any]:
    """Everything a reader sees: version, row counts of every table, the base by vendor."""
    s = Store.open(store)
    counts = {
        table: sum(pq.ParquetFile(store / f).metadata.num_rows for f in files)
        for table, files in s.manifest.tables.items()
    }
    return {"version": s.version, "counts": counts, "base": base_answers(store, DAYS)}


def ingest_cmd(store: Path, obs: Path) -> list[str]:
    return [
        *devicepark_cmd(),
        "ingest",
        "--store",
        str(store),
        "--observations",
        str(obs),
        "--max-reject-rate",
        "1",
        "--format",
        "json",
    ]


ENV = {**os.environ, "DEVICEPARK_KEY": KEY}


@pytest.fixture(scope="module")
def world() -> Any:
    """A store before the ingest under test, its answer, and the answer after a clean run."""
    with scratch() as d:
        yield _world(Path(d))


def _world(root: Path) -> dict[str, Any]:
    paths = make_exports(root, n_lines=5_000, n_before=10_000, n_after=50_000)
    template = root / "template"
    ingest_files(
        template, lines=[paths["lines"]], observations=[paths["before"]], tac=[paths["tac"]]
    )
    clean = root / "clean"
    shutil.copytree(template, clean)
    t0 = time.monotonic()
    proc = subprocess.run(
        ingest_cmd(clean, paths["after"]), capture_output=True, text=True, env=ENV
    )
    took = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    before, after = answer(template), answer(clean)
    assert before != after and before["base"] != after["base"]
    return {
        "root": root,
        "paths": paths,
        "template": template,
        "before": before,
        "after": after,
        "took": took,
    }


@pytest.mark.slow
def test_sigkill_at_random_moments(world: dict[str, Any]) -> None:
    rng = random.Random(2026)
    seen = {"before": 0, "after": 0}
    store = world["root"] / "killed"
    for i in range(20):
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(world["template"], store)
        proc = subprocess.Popen(
            ingest_cmd(store, world["paths"]["after"]),
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, 1.05 * world["took"]))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = answer(store)
        state = "before" if got == world["before"] else "after" if got == world["after"] else None
        assert state, f"kill {i}: the store answers neither as before nor as after the ingest"
        seen[state] += 1
        report = ingest_files(store, observations=[world["paths"]["after"]])  # the rerun
        assert report.files[0]["skipped"] == (state == "after")
        assert answer(store) == world["after"], f"kill {i}: rerun differs from the clean run"
    assert seen["before"] >= 1, seen


# A SIGKILL at the k-th file-system step of the commit: the staged files' renames into tables/,
# the manifest's replace (the commit itself), and the staging clean-up after it.
KILL_AT_STEP = textwrap.dedent(
    """
    import os, shutil, signal, sys

    target, steps = int(sys.argv[1]), [0]

    def hook(fn):
        def step(*args, **kwargs):
            steps[0] += 1
            if steps[0] == target:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return step

    os.rename, os.replace, shutil.rmtree = hook(os.rename), hook(os.replace), hook(shutil.rmtree)
    from devicepark.cli.main import main
    main(sys.argv[2:])
    """
)


@pytest.mark.slow
def test_sigkill_at_every_step_of_the_commit(tmp_path: Path) -> None:
    paths = make_exports(tmp_path, n_lines=300, n_before=1_000, n_after=2_000)
    template = tmp_path / "template"
    ingest_files(
        template, lines=[paths["lines"]], observations=[paths["before"]], tac=[paths["tac"]]
    )
    before = answer(template)
    clean = tmp_path / "clean"
    shutil.copytree(template, clean)
    ingest_files(clean, observations=[paths["after"]])
    after = answer(clean)
    store = tmp_path / "killed"
    outcomes = []
    for k in range(1, 40):
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(template, store)
        args = ingest_cmd(store, paths["after"])[len(devicepark_cmd()) :]
        proc = subprocess.run(
            [sys.executable, "-c", KILL_AT_STEP, str(k), *args],
            env=ENV,
            capture_output=True,
            text=True,
        )
        got = answer(store)
        assert got in (before, after), f"killed at step {k}: a state between before and after"
        outcomes.append("before" if got == before else "after")
        if proc.returncode == 0:  # k is past the last step: the run completed
            break
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        ingest_files(store, observations=[paths["after"]])
        assert answer(store) == after, f"killed at step {k}: rerun differs from the clean run"
    else:
        pytest.fail("the ingest never completed")
    # Kills before the manifest's replace leave the old version, every later one the new.
    assert outcomes == sorted(outcomes, key=["before", "after"].index), outcomes
    assert "before" in outcomes[:-1] and "after" in outcomes[:-1], outcomes


@pytest.mark.slow
def test_reader_never_sees_a_partial_state(world: dict[str, Any]) -> None:
    """base in a loop in a thread while ``devicepark ingest`` commits in another process."""
    store = world["root"] / "read-while-writing"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(world["template"], store)
    allowed = (world["before"]["base"], world["after"]["base"])
    seen: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        while True:
            finished = done.is_set()
            try:
                got = base_answers(store, DAYS)
            except BaseException as exc:  # noqa: BLE001 - a reader must never fail either
                errors.append(exc)
                return
            seen.append(
                "before" if got == allowed[0] else "after" if got == allowed[1] else "partial"
            )
            if finished:
                return

    thread = threading.Thread(target=reader)
    thread.start()
    proc = subprocess.run(
        ingest_cmd(store, world["paths"]["after"]), env=ENV, capture_output=True, text=True
    )
    done.set()
    thread.join(timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not errors, errors
    assert "partial" not in seen, seen
    assert seen[0] == "before" and seen[-1] == "after", seen
    assert seen == sorted(seen, key=["before", "after"].index)  # never back to an older version
