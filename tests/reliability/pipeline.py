"""Random small operator exports written as CSV, ingested for real, and a naive reference base.

The reference reads the *input rows* (not the store) and follows the definition of
docs/ARCHITECTURE.md word for word: a line counts at D when activated_on <= D < terminated_on and
it is not M2M; its device is the handset of its latest observation (ties: the larger handset
pseudonym) with a local date in [D - 29, D]; vendor from the catalog by TAC, else Unknown.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from reliakit import KEY

from devicepark.identify.imei import calc_check_digit
from devicepark.ingest.pseudonym import canonical_line_id, parse_key, pseudonym

PARIS = ZoneInfo("Europe/Paris")
START = dt.datetime(2022, 2, 15, tzinfo=dt.UTC)  # 60 days across the 27 March DST change
SPAN_MINUTES = 60 * 24 * 60
CATALOG = {"86000001": "Xiaomi", "35000002": "Apple"}  # 49000003 is in no catalog: Unknown
TAC_CSV = (
    "tac,manufacturer,brand,model,marketing_name,device_type,os,release_year\n"
    "86000001,Xiaomi Communications Co Ltd,Redmi,Redmi Note 11,Redmi Note 11,Smartphone,Android,"
    "2022\n"
    "35000002,Apple Inc,Apple,iPhone 13,iPhone 13,Smartphone,iOS,2021\n"
)
IMEIS = [
    (tac + serial) + calc_check_digit(tac + serial)
    for tac in ("86000001", "35000002", "49000003")
    for serial in ("000101", "000202")
]
LINE_IDS = [f"+3361234{i:04d}" for i in range(6)]
ORPHAN = "+33699999999"
OFFSETS = [
    dt.timedelta(0),
    dt.timedelta(hours=1),
    dt.timedelta(hours=5, minutes=30),
    -dt.timedelta(hours=3),
]
LINE_HEADER = "line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on\n"
OBS_HEADER = "line_id,imei,observed_at\n"


@dataclass(frozen=True)
class LineRow:
    line_id: str
    segment: str
    activated_on: dt.date
    terminated_on: dt.date | None

    def csv(self) -> str:
        term = self.terminated_on.isoformat() if self.terminated_on else ""
        customer = f"C{self.line_id[-2:]}"
        act = self.activated_on
        return f"{self.line_id},{customer},Orange,{self.segment},postpaid,,{act},{term}\n"


@dataclass(frozen=True)
class ObsRow:
    line_id: str
    imei: str
    at: dt.datetime  # UTC
    offset: dt.timedelta  # how the export spells the instant

    def csv(self) -> str:
        local = (self.at + self.offset).replace(tzinfo=None).isoformat(timespec="seconds")
        if self.offset:
            sign = "+" if self.offset > dt.timedelta(0) else "-"
            minutes = abs(int(self.offset.total_seconds())) // 60
            return (
                f"{self.line_id},{self.imei},{local}{sign}{minutes // 60:02d}:{minutes % 60:02d}\n"
            )
        return f"{self.line_id},{self.imei},{local}Z\n"


@dataclass(frozen=True)
class Export:
    lines: tuple[LineRow, ...]
    obs: tuple[ObsRow, ...]


def _date(minutes: int) -> dt.date:
    return (START + dt.timedelta(minutes=minutes)).date()


@st.composite
def exports(draw: st.DrawFn, max_obs: int = 30) -> Export:
    n_lines = draw(st.integers(1, len(LINE_IDS)))
    lines = []
    for line_id in LINE_IDS[:n_lines]:
        act = _date(draw(st.integers(-SPAN_MINUTES, SPAN_MINUTES)))
        term = None
        if draw(st.booleans()):
            term = act + dt.timedelta(days=draw(st.integers(0, 90)))
        segment = draw(st.sampled_from(["consumer", "business", "m2m", ""]))
        lines.append(LineRow(line_id, segment, act, term))
    ids = [r.line_id for r in lines] + [ORPHAN]
    obs = draw(
        st.lists(
            st.builds(
                ObsRow,
                st.sampled_from(ids),
                st.sampled_from(IMEIS),
                st.integers(0, SPAN_MINUTES).map(lambda m: START + dt.timedelta(minutes=m)),
                st.sampled_from(OFFSETS),
            ),
            min_size=2,
            max_size=max_obs,
        )
    )
    # Exact repeats of some rows, spelled with another offset: duplicates, never counted twice.
    repeats = draw(st.lists(st.sampled_from(obs), max_size=3)) if obs else []
    obs += [ObsRow(r.line_id, r.imei, r.at, OFFSETS[0]) for r in repeats]
    return Export(tuple(lines), tuple(obs))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Export, list[dt.date]]:
    """An export and 1-3 days to ask about, mostly near its observations (where answers move)."""
    export = draw(exports())
    near = sorted({o.at.astimezone(PARIS).date() for o in export.obs}) or [START.date()]
    day = st.builds(
        lambda d, k: d + dt.timedelta(days=k), st.sampled_from(near), st.integers(-2, 35)
    )
    return export, draw(st.lists(day, min_size=1, max_size=3))


def write(path: Path, header: str, rows: list[Any]) -> Path:
    path.write_text(header + "".join(r.csv() for r in rows), encoding="utf-8")
    return path


def split(rows: list[Any], parts: int, seed: int) -> list[list[Any]]:
    """Shuffle rows and cut them into ``parts`` pieces (some may be empty)."""
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    cuts = sorted(random.Random(seed + 1).randint(0, len(rows)) for _ in range(parts - 1))
    bounds = [0, *cuts, len(rows)]
    return [rows[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def reference_base(export: Export, day: dt.date, lookback: int = 30) -> dict[str, Any]:
    """total_lines, identified_lines and {vendor: lines} at ``day``, from the input rows."""
    key = parse_key(KEY, "test")
    lo = day - dt.timedelta(days=lookback - 1)
    total = identified = 0
    vendors: Counter[str] = Counter()
    for line in export.lines:
        if line.segment == "m2m" or line.activated_on > day:
            continue
        if line.terminated_on is not None and line.terminated_on <= day:
            continue
        total += 1
        seen = [
            (o.at, pseudonym(key, "handset", o.imei[:14]), o.imei[:8])
            for o in export.obs
            if canonical_line_id(o.line_id) == canonical_line_id(line.line_id)
            and lo <= o.at.astimezone(PARIS).date() <= day
        ]
        if not seen:
            continue
        identified += 1
        _, _, tac = max(seen)
        vendors[CATALOG.get(tac, "Unknown")] += 1
    return {"total_lines": total, "identified_lines": identified, "vendors": dict(vendors)}


def answer_summary(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "total_lines": answer["total_lines"],
        "identified_lines": answer["identified_lines"],
        "vendors": {g["vendor"]: g["lines"] for g in answer["groups"]},
    }
