"""What a campaign did: a counterfactual of daily gross adds from the pre-period, and its placebos.

``estimate_effect(frame, first_day, last_day)`` is pure (a pandas daily frame in, a dict out), so it
is tested on simulated series without a store. The model is a structural time series fitted with
statsmodels (``UnobservedComponents``): a local linear trend, a stochastic weekly seasonal
(``freq_seasonal`` period 7, 3 harmonics) and, when given, the control series as a regressor. It
is fitted on the 8-16 weeks before the window only, then forecast over the window and the weeks
after it, using the control's observed values. The intervals are 95 % prediction intervals of
the counterfactual (state and observation noise; the parameters are taken as known). Cumulative
intervals come from simulated paths (the days of a forecast are correlated), with a fixed seed so
that reruns agree.

Placebos: fake windows of the same length, placed back to back in the pre-period (each with at
least 4 weeks of data before it), are measured the same way with the fitted parameters (only
filtered again on the data before each); the false-positive rate is the share whose cumulative
interval excludes 0.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from devicepark.errors import ConfigError

MIN_PRE_WEEKS = 8
MAX_PRE_WEEKS = 16
PLACEBO_MIN_HISTORY = 28  # days of data a placebo window needs before it
SIMULATIONS = 2000


def estimate_effect(
    frame: pd.DataFrame,
    first_day: dt.date,
    last_day: dt.date,
    *,
    pre_weeks: int = MAX_PRE_WEEKS,
    after_days: int = 21,
    level: float = 0.95,
    placebos: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """The effect of a window ``[first_day, last_day]`` (inclusive days) on ``frame.observed``.

    ``frame`` has one row per day (a ``DatetimeIndex`` or a ``date`` column), an ``observed``
    column and optionally a ``control`` column. The pre-period is the ``pre_weeks`` weeks before
    the window (fewer if the data starts later, but at least 8); the after-period is up to
    ``after_days`` days after it, as far as the data goes.

    Returns ``{"window": {"starts", "ends"}, "effect": {"cumulative", "low", "high"},
    "after": {...} | None, "daily": [{"date", "observed", "expected", "low", "high"}],
    "placebo_false_positive_rate": float | None, "details": {...}}``.
    """
    series = _daily(frame)
    if last_day < first_day:
        raise ConfigError(f"the window ends ({last_day}) before it starts ({first_day})")
    if not MIN_PRE_WEEKS <= pre_weeks <= MAX_PRE_WEEKS:
        raise ConfigError(
            f"pre_weeks must lie in [{MIN_PRE_WEEKS}, {MAX_PRE_WEEKS}], got {pre_weeks}"
        )
    start, end = pd.Timestamp(first_day), pd.Timestamp(last_day)
    if series.index.max() < end:
        raise ConfigError(
            f"the data end on {series.index.max().date()}, before the campaign window ends on "
            f"{last_day}; ingest observations up to at least {last_day}"
        )
    pre = series[(series.index < start) & (series.index >= start - pd.Timedelta(weeks=pre_weeks))]
    if len(pre) < MIN_PRE_WEEKS * 7:
        raise ConfigError(
            f"only {len(pre)} days of data before {first_day}; the counterfactual needs at least "
            f"{MIN_PRE_WEEKS} weeks ({MIN_PRE_WEEKS * 7} days) before the campaign"
        )
    window_days = int((end - start).days) + 1
    post = series[series.index >= start].iloc[: window_days + max(after_days, 0)]
    use_control = "control" in series and _varies(pre["control"])
    fit = _fit(pre, use_control)
    rng = np.random.default_rng(seed)
    paths, mean, lo, hi = _forecast(fit, post, use_control, level, rng)
    obs = post["observed"].to_numpy(dtype=float)
    in_window = np.arange(len(post)) < window_days
    effect = _cumulative(obs, paths, in_window, level)
    after = _cumulative(obs, paths, ~in_window, level) if (~in_window).any() else None
    daily = [
        {
            "date": day.date().isoformat(),
            "observed": _num(o),
            "expected": round(float(m), 2),
            "low": round(float(a), 2),
            "high": round(float(b), 2),
        }
        for day, o, m, a, b in zip(post.index, obs, mean, lo, hi, strict=True)
    ]
    rate, n_placebo = (None, 0)
    if placebos:
        rate, n_placebo = _placebo_rate(fit, pre, window_days, use_control, level, rng)
    return {
        "window": {"starts": first_day.isoformat(), "ends": last_day.isoformat()},
        "effect": effect,
        "after": after,
        "daily": daily,
        "placebo_false_positive_rate": rate,
        "details": {
            "pre_period": {
                "starts": pre.index.min().date().isoformat(),
                "ends": pre.index.max().date().isoformat(),
                "days": len(pre),
            },
            "after_days": int((~in_window).sum()),
            "control": bool(use_control),
            "placebos": n_placebo,
            "model": "UnobservedComponents(local linear trend, freq_seasonal 7/3"
            + (", control as exog)" if use_control else ")"),
            "level": level,
        },
    }


def _daily(frame: pd.DataFrame) -> pd.DataFrame:
    """A gap-free daily frame indexed by Timestamp; missing days count 0 adds."""
    f = frame.copy()
    if "date" in f.columns:
        f = f.set_index("date")
    f.index = pd.to_datetime(f.index)
    if "observed" not in f.columns:
        raise ValueError("frame needs an 'observed' column")
    cols = ["observed"] + (["control"] if "control" in f.columns else [])
    f = f[cols].astype(float).sort_index()
    if f.empty:
        raise ConfigError("no daily data to measure the campaign on")
    full = pd.date_range(f.index.min(), f.index.max(), freq="D")
    return f.reindex(full, fill_value=0.0)


def _varies(values: pd.Series) -> bool:
    return bool(values.std() > 1e-9)


def _model(data: pd.DataFrame, use_control: bool) -> Any:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    return UnobservedComponents(
        data["observed"].to_numpy(dtype=float),
        level="local linear trend",
        freq_seasonal=[{"period": 7, "harmonics": 3}],
        exog=data["control"].to_numpy(dtype=float)[:, None] if use_control else None,
    )


def _fit(pre: pd.DataFrame, use_control: bool) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _model(pre, use_control).fit(disp=False, maxiter=200)


def _forecast(
    fit: Any, post: pd.DataFrame, use_control: bool, level: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    steps = len(post)
    exog = post["control"].to_numpy(dtype=float)[:, None] if use_control else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = fit.get_forecast(steps, exog=exog).summary_frame(alpha=1 - level)
        sims = fit.simulate(steps, anchor="end", repetitions=SIMULATIONS, exog=exog, rng=rng)
    paths = np.asarray(sims, dtype=float).reshape(steps, -1)
    return (
        paths,
        frame["mean"].to_numpy(),
        frame["mean_ci_lower"].to_numpy(),
        frame["mean_ci_upper"].to_numpy(),
    )


def _cumulative(
    obs: np.ndarray, paths: np.ndarray, mask: np.ndarray, level: float
) -> dict[str, float]:
    """Observed minus counterfactual, summed over ``mask``: point estimate and interval."""
    observed = float(obs[mask].sum())
    totals = paths[mask].sum(axis=0)
    tail = (1 - level) / 2
    q_lo, q_hi = np.quantile(totals, [tail, 1 - tail])
    return {
        "cumulative": round(observed - float(np.mean(totals)), 2),
        "low": round(observed - float(q_hi), 2),
        "high": round(observed - float(q_lo), 2),
    }


def _placebo_rate(
    fit: Any,
    pre: pd.DataFrame,
    days: int,
    use_control: bool,
    level: float,
    rng: np.random.Generator,
) -> tuple[float | None, int]:
    starts = list(range(len(pre) - days, PLACEBO_MIN_HISTORY - 1, -days))
    if not starts:
        return None, 0
    hits = 0
    for s in starts:
        history, window = pre.iloc[:s], pre.iloc[s : s + days]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refit = _model(history, use_control).filter(fit.params)
        paths, *_ = _forecast(refit, window, use_control, level, rng)
        obs = window["observed"].to_numpy(dtype=float)
        eff = _cumulative(obs, paths, np.ones(len(window), dtype=bool), level)
        hits += int(eff["low"] > 0 or eff["high"] < 0)
    return round(hits / len(starts), 4), len(starts)


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def significant(effect: dict[str, float] | None) -> bool:
    """Whether an interval excludes 0.

    >>> significant({"cumulative": 5.0, "low": 1.0, "high": 9.0})
    True
    >>> significant({"cumulative": 1.0, "low": -2.0, "high": 4.0})
    False
    """
    return (
        effect is not None
        and (effect["low"] > 0 or effect["high"] < 0)
        and not math.isnan(effect["low"])
    )
