"""Bounded memory and time in ingest (issue 18, item 4), measured on a real process.

A 30 KB gzip of empty rows (10.5 million rows) and a gzip of blank lines end in seconds with
exit 2; rejected rows are written as they come, so the peak RSS of an ingest does not grow with
the number of rejected rows; the reject-rate abort fires as soon as the rate cannot be met.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from reliakit import KEY

# Runs ``devicepark ARGS`` in this interpreter and prints its exit code and peak RSS (MiB) on the
# last line of stderr. BLOCK is the reader's block size (a small one keeps the test fast).
PROBE = """
import json, resource, sys
from devicepark.ingest import readers
readers.BLOCK_BYTES = int(sys.argv[1])
from devicepark.cli.main import main
try:
    main(sys.argv[2:])
    code = 0
except SystemExit as exc:
    code = exc.code
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
sys.stderr.write(json.dumps({"exit": code, "rss_mb": rss}) + "\\n")
"""
HEADER = b"line_id,imei,observed_at\n"
LINES_HEADER = (
    b"line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on\n"
)


def probe(block: int, *args: str) -> tuple[int, int, float, str]:
    """(exit code, peak RSS in MiB, seconds, the first stderr line) of one ingest process."""
    env = {**os.environ, "DEVICEPARK_KEY": KEY, "DEVICEPARK_PROGRESS": "0"}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(block), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    seconds = time.monotonic() - start
    lines = proc.stderr.strip().splitlines()
    assert lines, proc.stdout
    result = json.loads(lines[-1])
    return result["exit"], result["rss_mb"], seconds, lines[0] if len(lines) > 1 else ""


def test_a_gzip_bomb_of_empty_rows_stops_early(tmp_path: Path) -> None:
    """10.5 million rows ``,,`` in about 30 KB: the rate cannot be met after the first block."""
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(HEADER + b",,\n" * 10_500_000, 9))
    assert bomb.stat().st_size < 40_000
    code, rss, seconds, err = probe(16 << 20, "ingest", "--store", str(tmp_path / "s"),
                                    "--observations", str(bomb))  # fmt: skip
    assert code == 2, err
    assert err.startswith(f"error: {bomb}:2: column line_id: ") and "rest of the file" in err
    assert not (tmp_path / "s").exists()
    assert seconds < 60 and rss < 2048, (seconds, rss)  # was 4.7 GB; ~1.6 GB in a fresh venv


def test_a_gzip_of_blank_lines_is_a_whole_file_error_at_once(tmp_path: Path) -> None:
    blank = tmp_path / "blank.csv.gz"
    blank.write_bytes(gzip.compress(HEADER + b"\n" * 50_000_000, 9))
    code, rss, seconds, err = probe(16 << 20, "ingest", "--store", str(tmp_path / "s"),
                                    "--observations", str(blank))  # fmt: skip
    assert code == 2, err
    assert err.startswith(f"error: {blank}:1002: more than 1000 blank lines in a row")
    assert seconds < 30 and rss < 2048, (seconds, rss)


def test_peak_memory_does_not_grow_with_the_rejected_rows(tmp_path: Path) -> None:
    """Every row rejected and kept (rate 100 %): a file ten times larger takes no more memory
    (each rejected row used to stay in a Python list until the end of the file)."""
    rss = {}
    for rows in (100_000, 700_000):
        path = tmp_path / f"lines-{rows}.csv"
        path.write_bytes(LINES_HEADER + b",,,,,,,\n" * rows)
        code, rss[rows], _, err = probe(1 << 18, "ingest", "--store", str(tmp_path / f"s{rows}"),
                                        "--lines", str(path), "--max-reject-rate", "1")  # fmt: skip
        assert code == 0, err
    assert rss[700_000] - rss[100_000] < 80, rss  # was about +200 MiB


def test_the_reject_rate_aborts_as_soon_as_it_cannot_be_met(tmp_path: Path) -> None:
    """A plain file whose bad rows come first: the run stops after the first block that makes
    the rate unreachable, whatever the rest of the file holds, and never earlier (the verdict
    is the whole file's)."""
    good = b"+33600000001,860000010001013,2022-01-10T10:00:00Z\n"
    path = tmp_path / "obs.csv"
    path.write_bytes(HEADER + b",,\n" * 300_000 + good * 100_000)
    start = time.monotonic()
    code, _, _, err = probe(1 << 20, "ingest", "--store", str(tmp_path / "s"),
                            "--observations", str(path))  # fmt: skip
    assert code == 2 and "of the first" in err and "rest of the file" in err, err
    # 1 % of the same rows, spread over the file: the rate is met, no early abort
    spread = tmp_path / "spread.csv"
    spread.write_bytes(HEADER + (good * 99 + b",,\n") * 1_000)
    code, _, _, err = probe(1 << 20, "ingest", "--store", str(tmp_path / "t"),
                            "--observations", str(spread))  # fmt: skip
    assert code == 0, err
    assert time.monotonic() - start < 120
