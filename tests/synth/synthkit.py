"""A naive pandas reference of the installed base, read back from synth's files (tests only)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd
from stdnum import luhn

MAKER_VENDOR = {"HMD Global Oy": "Nokia"}  # every other manufacturer in tac.csv is its vendor


@cache
def imei_body(value: str) -> str | None:
    """The 14-digit body of a valid IMEI spelling, else None (the rules of issue 2)."""
    s = value.replace(" ", "").replace("-", "")
    if not (s.isascii() and s.isdigit()) or set(s) == {"0"}:
        return None
    if len(s) == 15:
        return s[:14] if luhn.is_valid(s) else None
    if len(s) in (14, 16):
        return s[:14]
    return None


def read_observations(directory: Path) -> pd.DataFrame:
    """observations.csv as strings, plus body, UTC instant and Europe/Paris local date."""
    return _read_observations(str(directory)).copy()


@cache
def _read_observations(directory: str) -> pd.DataFrame:
    directory = Path(directory)
    obs = pd.read_csv(directory / "observations.csv", dtype=str, keep_default_na=False)
    obs["body"] = obs["imei"].map(imei_body)
    s = obs["observed_at"]
    aware = s.str.endswith("Z") | s.str.contains(r"[+-][0-9][0-9]:[0-9][0-9]$")
    at = pd.Series(pd.NaT, index=obs.index, dtype="datetime64[ns, UTC]")
    at[aware] = pd.to_datetime(s[aware], utc=True, format="ISO8601")
    naive = pd.to_datetime(s[~aware], format="ISO8601").dt.tz_localize("Europe/Paris")
    at[~aware] = naive.dt.tz_convert("UTC")
    obs["at"] = at
    obs["local"] = obs["at"].dt.tz_convert("Europe/Paris").dt.date
    return obs


def naive_base(directory: Path, day: dt.date, brand: str | None = None, lookback: int = 30) -> dict:
    """The installed base at ``day`` by the semantics of docs/ARCHITECTURE.md, the slow way."""
    lines = pd.read_csv(directory / "lines.csv", dtype=str, keep_default_na=False)
    tac = pd.read_csv(directory / "tac.csv", dtype=str, keep_default_na=False)
    vendor_of = {
        t: MAKER_VENDOR.get(m, m) for t, m in zip(tac["tac"], tac["manufacturer"], strict=True)
    }
    obs = read_observations(directory).drop_duplicates(["line_id", "imei", "observed_at"])
    obs = obs[obs["body"].notna() & obs["line_id"].isin(set(lines["line_id"]))]
    act = lines["activated_on"].map(dt.date.fromisoformat)
    term = lines["terminated_on"].map(lambda s: dt.date.fromisoformat(s) if s else None)
    alive = (act <= day) & term.map(lambda t: t is None or t > day) & (lines["segment"] != "m2m")
    if brand is not None:
        alive &= lines["operator_brand"] == brand
    active = set(lines.loc[alive, "line_id"])
    lo = day - dt.timedelta(days=lookback - 1)
    win = obs[(obs["local"] >= lo) & (obs["local"] <= day) & obs["line_id"].isin(active)]
    latest = win.sort_values(["at", "body"], ascending=False).drop_duplicates("line_id")
    vendors = latest["body"].str[:8].map(lambda t: vendor_of.get(t, "Unknown")).value_counts()
    return {
        "total_lines": len(active),
        "identified_lines": len(latest),
        "vendors": {k: int(v) for k, v in vendors.items()},
    }
