"""``generate``: draw a synthetic French operator and write lines.csv, observations.csv, tac.csv and
truth.json in the input contract, from one seeded ``np.random.Generator`` (same seed, same bytes).
"""

from __future__ import annotations

import datetime as dt
import gzip as gz
import json
import re
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from devicepark.errors import ConfigError
from devicepark.synth import clock, render
from devicepark.synth import model as M
from devicepark.synth import truth as T
from devicepark.synth.catalog import HANDSET_VENDORS, VENDORS, device_world, month_number
from devicepark.synth.handsets import ARRIVAL_INITIAL, Handsets, Plan, make_handsets
from devicepark.synth.population import NO_TERMINATION, Lines, make_lines
from devicepark.synth.sightings import (
    DUPLICATE_FRACTION,
    IMEI_FORMS,
    TIME_FORMS,
    VALID_FORMS,
    Sightings,
    make_sightings,
)

Progress = Callable[..., None]
CALIBRATION_DAY = dt.date(2022, 2, 3)
SIM_EPOCH = dt.date(2020, 1, 1)  # the handsets in use then follow model.INSTALLED_MIX
CALIBRATION_SHARE = 1_000_000 / 21_100_000  # Orange, 3 Feb 2022: 1 M Xiaomi of ~21.1 M lines
FULL_SCALE_LINES = 21_100_000
MILESTONE_STEP_FULL_SCALE = 250_000
CHUNK_ROWS = 1_000_000
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SynthResult:
    """What ``generate`` wrote, with the headline figures of its ground truth."""

    out_dir: Path
    lines_path: Path
    observations_path: Path
    tac_path: Path
    truth_path: Path
    lines: int
    customers: int
    observations: int
    tacs: int
    seconds: float
    truth: dict[str, Any] = field(repr=False)

    @property
    def files(self) -> dict[str, Path]:
        """The input files written, by kind (as ``devicepark ingest`` takes them)."""
        return {
            "lines": self.lines_path,
            "observations": self.observations_path,
            "tac": self.tac_path,
        }

    def summary(self) -> dict[str, Any]:
        """Plain figures for the CLI (no timing inside truth.json, so that bytes are stable)."""
        cal = self.truth.get("calibration")
        return {
            "out": str(self.out_dir),
            "files": {
                "lines": self.lines_path.name,
                "observations": self.observations_path.name,
                "tac": self.tac_path.name,
                "truth": self.truth_path.name,
            },
            "lines": self.lines,
            "customers": self.customers,
            "observations": self.observations,
            "tacs": self.tacs,
            "calibration": cal,
            "campaign": None
            if self.truth.get("campaign") is None
            else {
                k: self.truth["campaign"][k]
                for k in ("id", "vendor", "uplift", "planted_extra_expected", "realised_extra")
            },
            "seconds": round(self.seconds, 2),
        }


def _noop(*_a: Any, **_k: Any) -> None:
    return None


def _strings(mat: np.ndarray) -> pa.Array:
    """A fixed-width uint8 matrix as an Arrow string array, without a Python loop."""
    n, w = mat.shape
    offsets = np.arange(0, n * w + 1, w, dtype=np.int32)
    data = np.ascontiguousarray(mat).reshape(-1)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _plan(campaign: str | Path | None, uplift: float) -> tuple[Plan | None, Any]:
    if campaign is None:
        return None, None
    from devicepark.campaign.spec import load_campaign

    c = load_campaign(campaign)
    names = {
        v.casefold(): i for i, v in enumerate(VENDORS) if v in HANDSET_VENDORS and v != "Unlisted"
    }
    if c.vendor.casefold() not in names:
        raise ConfigError(
            f"campaign vendor {c.vendor!r} is not one the synthetic operator sells",
            hint="one of: " + ", ".join(v for v in HANDSET_VENDORS if v != "Unlisted"),
        )
    brands = {b.casefold() for b in c.operator_brands}
    groups = np.array([b.casefold() in brands for b in M.GROUP_BRAND])
    plan = Plan(
        vendor=names[c.vendor.casefold()],
        starts=int(c.starts.timestamp()),
        ends=int(c.ends.timestamp()),
        groups=groups,
        uplift=float(uplift),
    )
    return plan, c


def generate(
    out_dir: str | Path,
    lines: int = 1_055_000,
    seed: int = 20220203,
    start: dt.date = dt.date(2020, 1, 1),
    end: dt.date = dt.date(2022, 6, 30),
    sightings_per_month: float = 1.1,
    campaign: str | Path | None = None,
    uplift: float = 0.0,
    progress: Progress | None = None,
    gzip: bool = False,
    lookback_days: int = 30,
) -> SynthResult:
    """Write a synthetic operator's exports and their ground truth into ``out_dir``.

    ``lines`` is the number of rows of lines.csv (lines active at some point between ``start``
    and ``end``, both inclusive local dates); observations run from ``start`` 00:00 to ``end``
    24:00 Europe/Paris. ``progress(stage, done, total)`` is called as the work advances.
    """
    t_begin = time.perf_counter()
    cb = progress or _noop
    if lines < 10:
        raise ConfigError(f"--lines must be at least 10, got {lines}")
    if end <= start:
        raise ConfigError(f"--end ({end}) must come after --start ({start})")
    if not (0 < sightings_per_month <= 100):
        raise ConfigError(f"--sightings-per-month must lie in (0, 100], got {sightings_per_month}")
    if uplift < 0:
        raise ConfigError(f"--uplift must be 0 or more, got {uplift}")
    if uplift and campaign is None:
        raise ConfigError("--uplift needs --campaign (the window and vendor to raise)")
    plan, camp = _plan(campaign, uplift)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    world = device_world()
    start_day, end_day = clock.day_number(start), clock.day_number(end)
    start_s = int(clock.paris_midnight(np.array([start_day]))[0])
    end_s = int(clock.paris_midnight(np.array([end_day + 1]))[0])

    stages = 5
    cb("synth", 0, stages)
    pop = make_lines(rng, lines, start_day, end_day)
    # handsets are simulated from 2020-01 at the latest (the mixes' reference state), so that a
    # later start still sees the installed base of its day
    sim_start = min(start, SIM_EPOCH)
    sim_s = int(clock.paris_midnight(np.array([clock.day_number(sim_start)]))[0])
    mixes = M.Mixes(world, month_number(sim_start), month_number(end) - month_number(sim_start) + 1)
    cb("synth", 1, stages)
    hs = make_handsets(rng, pop, world, mixes, sim_s, end_s, plan)
    cb("synth", 2, stages)
    sg = make_sightings(rng, pop, hs, start_s, end_s, sightings_per_month)
    cb("synth", 3, stages)

    ext = ".csv.gz" if gzip else ".csv"
    lines_path, obs_path = out / f"lines{ext}", out / f"observations{ext}"
    tac_path = out / "tac.csv"  # TAC catalogs are plain CSV in the contract (issue 2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the ground truth is computed while the files are written
        truth_job = pool.submit(_truth, pop, hs, sg, world, start, end, lookback_days, plan, camp)
        _write_table(_lines_table(pop), lines_path, gzip)
        catalog = world.catalog_table()
        _write_table(catalog, tac_path, False)
        n_obs = _write_observations(
            pop, hs, sg, obs_path, gzip, start_s, lambda d, t: cb("observations", d, t), pool
        )
        cb("synth", 4, stages)
        truth = truth_job.result()
    truth["generator"] = {
        "format_version": FORMAT_VERSION,
        "lines": lines,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "sightings_per_month": sightings_per_month,
        "gzip": gzip,
        "campaign": None if camp is None else camp.id,
        "uplift": uplift,
    }
    truth["files"] = {
        "lines": {"name": lines_path.name, "rows": lines},
        "observations": {"name": obs_path.name, "rows": n_obs},
        "tac": {"name": tac_path.name, "rows": catalog.num_rows},
    }
    truth_path = out / "truth.json"
    truth_path.write_text(_compact_json(truth), encoding="utf-8")
    cb("synth", stages, stages)
    n_customers = int(np.unique(pop.customer[: pop.n]).size)
    return SynthResult(
        out_dir=out,
        lines_path=lines_path,
        observations_path=obs_path,
        tac_path=tac_path,
        truth_path=truth_path,
        lines=lines,
        customers=n_customers,
        observations=n_obs,
        tacs=catalog.num_rows,
        seconds=time.perf_counter() - t_begin,
        truth=truth,
    )


# -- writing ------------------------------------------------------------------------------------


def _open(path: Path, gzip: bool):
    raw = open(path, "wb")  # noqa: SIM115 - closed by the caller
    if gzip:  # mtime 0 and no file name: the same input gives the same bytes
        return gz.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0), raw
    return raw, None


def _write_table(table: pa.Table, path: Path, gzip: bool) -> None:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(
        table, sink, write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    )
    f, raw = _open(path, gzip)
    try:
        f.write(sink.getvalue().to_pybytes())
    finally:
        f.close()
        if raw is not None:
            raw.close()


def _lines_table(pop: Lines) -> pa.Table:
    n = pop.n
    g = pop.group[:n]
    cust = np.empty((n, 10), dtype=np.uint8)
    cust[:, 0] = ord("C")
    cust[:, 1:] = render.digits(pop.customer[:n], 9) + ord("0")

    def labels(values: tuple[str, ...], idx: np.ndarray) -> pa.Array:
        return pa.array(values).take(pa.array(idx))

    segment = labels(M.GROUP_SEGMENT, g)
    segment = pc.if_else(pa.array(pop.blank_segment[:n]), pa.scalar(None, pa.string()), segment)
    term = pop.term_day[:n]
    return pa.table(
        {
            "line_id": _strings(render.msisdn_bytes(pop.msisdn[:n])),
            "customer_id": _strings(cust),
            "operator_brand": labels(M.GROUP_BRAND, g),
            "segment": segment,
            "plan": labels(M.GROUP_PLAN, g),
            "region": labels(M.REGIONS, pop.region[:n]),
            "activated_on": pa.array(pop.act_day[:n], type=pa.int32()).cast(pa.date32()),
            "terminated_on": pa.array(term, mask=term == NO_TERMINATION, type=pa.int32()).cast(
                pa.date32()
            ),
        }
    )


def _file_order(sg: Sightings, start_s: int) -> np.ndarray:
    """Rows as written: every row plus its duplicates, ordered by UTC day (a daily extract),
    then by line within a day."""
    idx = np.concatenate([np.arange(len(sg.t)), sg.dup])
    day = ((sg.t[idx] - start_s) // clock.DAY).astype(np.int16)
    return idx[np.argsort(day, kind="stable")]


def _write_observations(
    pop: Lines,
    hs: Handsets,
    sg: Sightings,
    path: Path,
    gzip: bool,
    start_s: int,
    cb: Progress,
    pool: ThreadPoolExecutor,
) -> int:
    """Render chunks on the pool (numpy and Arrow release the GIL), write them in order."""
    order = _file_order(sg, start_s)
    total = len(order)
    msisdn = render.msisdn_bytes(pop.msisdn)
    imei = render.imei_ascii(hs.body)

    def chunk(lo: int) -> memoryview:
        rows = order[lo : lo + CHUNK_ROWS]
        return render.observation_rows(
            msisdn[sg.line[rows]],
            imei[sg.handset[rows]],
            sg.imei_form[rows],
            sg.sv[rows],
            sg.t[rows],
            sg.time_form[rows],
        )

    f, raw = _open(path, gzip)
    try:
        f.write(b"line_id,imei,observed_at\n")
        cb(0, total)
        pending: deque = deque()
        starts = iter(range(0, total, CHUNK_ROWS))
        for lo in starts:
            pending.append((lo, pool.submit(chunk, lo)))
            if len(pending) >= 3:
                break
        while pending:
            lo, fut = pending.popleft()
            f.write(fut.result())
            nxt = next(starts, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(chunk, nxt)))
            cb(min(lo + CHUNK_ROWS, total), total)
    finally:
        f.close()
        if raw is not None:
            raw.close()
    return total


def _compact_json(obj: Any) -> str:
    """Indented JSON whose lists of numbers stay on one line."""
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    return (
        re.sub(
            r"\[\s*(-?[\d.]+(?:,\s*-?[\d.]+)*)\s*\]",
            lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]",
            text,
        )
        + "\n"
    )


# -- ground truth -------------------------------------------------------------------------------


def truth_days(start: dt.date, end: dt.date, extra: tuple[dt.date, ...] = ()) -> list[dt.date]:
    """The documented snapshot dates: every month's last day within [start, end], the
    calibration day 2022-02-03 and ``extra`` days, when they fall in the range.

    >>> [d.isoformat() for d in truth_days(dt.date(2022, 1, 1), dt.date(2022, 3, 15))]
    ['2022-01-31', '2022-02-03', '2022-02-28']
    """
    days = set()
    d = start
    while d <= end:
        nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last <= end:
            days.add(last)
        d = nxt
    for x in (CALIBRATION_DAY, *extra):
        if start <= x <= end:
            days.add(x)
    return sorted(days)


def _truth(
    pop: Lines,
    hs: Handsets,
    sg: Sightings,
    world,
    start: dt.date,
    end: dt.date,
    lookback: int,
    plan: Plan | None,
    camp: Any,
) -> dict[str, Any]:
    brands, brand_vendor, tac_brand = T.brand_labels(world)
    valid = VALID_FORMS[sg.imei_form] & (sg.line < pop.n)
    row_line = sg.line[valid]
    row_t = sg.t[valid]
    row_brand = tac_brand[hs.tac_row[sg.handset[valid]]]
    d0, d1 = clock.day_number(start), clock.day_number(end)
    daily = T.DailyBase(pop, row_line, row_t, row_brand, len(brands), d0, d1, lookback)
    extra = tuple(camp.days()) if camp is not None else ()
    days = truth_days(start, end, extra)
    out: dict[str, Any] = {
        "semantics": (
            "installed base as in docs/ARCHITECTURE.md: local dates in Europe/Paris, lookback "
            f"{lookback} days, invalid IMEIs and orphans excluded, duplicates count once; "
            "vendor from tac.csv, Unknown for TACs not in it; M2M lines reported apart"
        ),
        "lookback_days": lookback,
        "rows": _row_counts(pop, sg),
        "snapshots": [T.snapshot(daily, clock.day_number(d), brands, brand_vendor) for d in days],
    }
    if start <= CALIBRATION_DAY <= end:
        snap = T.snapshot(daily, clock.day_number(CALIBRATION_DAY), brands, brand_vendor)
        x = snap["vendors"].get("Xiaomi", 0)
        out["calibration"] = {
            "as_of": CALIBRATION_DAY.isoformat(),
            "vendor": "Xiaomi",
            "lines": x,
            "total_lines": snap["total_lines"],
            "identified_lines": snap["identified_lines"],
            "share": round(x / snap["total_lines"], 6) if snap["total_lines"] else None,
            "target_share": round(CALIBRATION_SHARE, 6),
        }
    series = T.daily_series(daily, brand_vendor)
    out["daily"] = series
    scale_total = out.get("calibration", {}).get("total_lines") or series["total_lines"][-1]
    step = max(1, round(MILESTONE_STEP_FULL_SCALE * scale_total / FULL_SCALE_LINES))
    out["milestones"] = {
        "vendor": "Xiaomi",
        "step": step,
        "crossings": T.crossings(series["vendors"].get("Xiaomi", []), d0, step, lookback),
    }
    vendor = plan.vendor if plan is not None else VENDORS.index("Xiaomi")
    out["gross_adds"] = _gross_adds_daily(pop, hs, vendor, d0, d1)
    out["campaign"] = None if plan is None else _campaign_truth(pop, hs, plan, camp)
    return out


def _row_counts(pop: Lines, sg: Sightings) -> dict[str, Any]:
    m = len(sg.t)
    forms = np.bincount(sg.imei_form, minlength=len(IMEI_FORMS))
    times = np.bincount(sg.time_form, minlength=len(TIME_FORMS))
    return {
        "distinct": m,
        "duplicates": int(len(sg.dup)),
        "duplicate_fraction_target": DUPLICATE_FRACTION,
        "orphan_rows": int((sg.line >= pop.n).sum()),
        "orphan_lines": pop.n_orphans,
        "imei_forms": {name: int(forms[code]) for code, name, _f, _v in IMEI_FORMS},
        "invalid_imei_rows": int((~VALID_FORMS[sg.imei_form]).sum()),
        "time_forms": {name: int(times[code]) for code, name, _f in TIME_FORMS},
    }


def _gross_adds_daily(pop: Lines, hs: Handsets, vendor: int, d0: int, d1: int) -> dict[str, Any]:
    """Per Europe/Paris day: lines (non-M2M) whose new handset is of ``vendor`` while the previous
    one was not (or there was none: a new line), by operator brand; from the generator's events."""
    sel = (
        (hs.kind != ARRIVAL_INITIAL)
        & (hs.vendor == vendor)
        & (hs.prev_vendor != vendor)
        & (hs.line < pop.n)
        & (pop.group[hs.line] != M.M2M_GROUP)
    )
    day = clock.paris_day(hs.arrival[sel]) - d0
    g = pop.group[hs.line[sel]]
    nd = d1 - d0 + 1
    by = {}
    for brand in sorted(set(M.GROUP_BRAND)):
        mask = np.array([M.GROUP_BRAND[i] == brand for i in range(len(M.GROUPS))])[g]
        by[brand] = np.bincount(day[mask & (day >= 0) & (day < nd)], minlength=nd).tolist()
    return {
        "vendor": VENDORS[vendor],
        "from": clock.day_date(d0).isoformat(),
        "to": clock.day_date(d1).isoformat(),
        "by_operator_brand": by,
    }


def _campaign_truth(pop: Lines, hs: Handsets, plan: Plan, camp: Any) -> dict[str, Any]:
    """Planted effect per local day of the window (campaign time zone), on its operator brands."""
    x = plan.vendor
    days = camp.days()
    mid = clock.local_midnights(camp.timezone, days[0], days[-1])
    on_lines = (hs.line < pop.n) & plan.groups[pop.group[hs.line]] & (hs.kind != ARRIVAL_INITIAL)
    in_win = on_lines & (hs.arrival >= plan.starts) & (hs.arrival < plan.ends)
    day = np.searchsorted(mid, hs.arrival, side="right") - 1
    gross = hs.prev_vendor != x
    nd = len(days)

    def per_day(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(day[mask], weights=w, minlength=nd)[:nd]

    purchases = per_day(hs.in_window)
    exp_up = per_day(hs.in_window & gross, hs.p_up)
    exp_base = per_day(hs.in_window & gross, hs.p_base)
    real = per_day(in_win & gross & (hs.vendor == x))
    real_base = per_day(in_win & gross & (hs.vendor_base == x))
    daily = [
        {
            "date": d.isoformat(),
            "purchases": int(purchases[i]),
            "expected": round(float(exp_up[i]), 3),
            "expected_without_uplift": round(float(exp_base[i]), 3),
            "gross_adds": int(real[i]),
            "gross_adds_without_uplift": int(real_base[i]),
        }
        for i, d in enumerate(days)
    ]
    return {
        "id": camp.id,
        "vendor": VENDORS[x],
        "operator_brands": [
            b for b in sorted(set(M.GROUP_BRAND)) if plan.groups[M.GROUP_BRAND.index(b)]
        ],
        "starts": camp.starts.isoformat(),
        "ends": camp.ends.isoformat(),
        "uplift": plan.uplift,
        "definition": (
            "gross add: a line's new handset of the vendor when its previous handset was another "
            "vendor or none (new line); counted on the day of the change in the campaign's time "
            "zone; the network sees the new IMEI within hours (mean 8 h) unless the line is silent"
        ),
        "planted_extra_expected": round(float(exp_up.sum() - exp_base.sum()), 3),
        "realised_extra": int(real.sum() - real_base.sum()),
        "gross_adds": int(real.sum()),
        "gross_adds_without_uplift": int(real_base.sum()),
        "daily": daily,
    }
