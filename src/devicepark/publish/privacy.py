"""Optional differential privacy for published counts (OpenDP core) and the store's ledger.

The privacy unit is one subscriber line. In a base table each line sits in exactly one cell
(a group, or the unidentified lines), so adding or removing a line changes the vector of counts
by 1 in L1: discrete Laplace noise of scale ``1/epsilon`` gives ``epsilon``-DP. A series of P
points holds each line once per point (sensitivity P); a switching table holds each line once.
A release splits its ``--epsilon`` evenly over the tables it publishes (basic composition) and
records what OpenDP's privacy map says each one spent in the ``privacy_ledger`` table.

OpenDP is imported here and nowhere else, lazily; without it the CLI says how to install it.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from devicepark.errors import ConfigError, MissingDependency
from devicepark.publish.disclosure import flow_keys, switch_matrix
from devicepark.store import schema
from devicepark.store.store import Store

PRIVACY_LEDGER = pa.schema(
    [
        ("release_id", pa.string()),  # one id per report/announce/export run
        ("released_at", schema.UTC_TS),
        ("command", pa.string()),  # report | announce | export
        ("as_of", pa.date32()),
        ("table", pa.string()),  # which published table spent it (base, series, ...)
        ("mechanism", pa.string()),  # discrete_laplace
        ("sensitivity", pa.int64()),  # L1 sensitivity, in lines
        ("scale", pa.float64()),
        ("epsilon", pa.float64()),  # from OpenDP's privacy map
    ]
)
schema.register("privacy_ledger", PRIVACY_LEDGER)


def opendp() -> Any:
    """The OpenDP prelude with the 'contrib' feature on; the one place opendp is imported."""
    try:
        import opendp.prelude as dp
    except ImportError:
        raise MissingDependency("opendp") from None
    dp.enable_features("contrib")
    return dp


def laplace_measurement(scale: float) -> Any:
    """OpenDP's discrete Laplace measurement on a vector of 64-bit counts (L1 distance)."""
    dp = opendp()
    return dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale=scale
    )


@dataclass(frozen=True)
class Spend:
    table: str
    sensitivity: int
    scale: float
    epsilon: float


@dataclass
class Noise:
    """One release's budget: ``epsilon`` split evenly over ``parts`` noised tables."""

    epsilon: float
    parts: int = 1
    spent: list[Spend] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise ConfigError(f"--epsilon must be a positive number, got {self.epsilon}")
        self.parts = max(1, int(self.parts))

    @property
    def per_table(self) -> float:
        return self.epsilon / self.parts

    def counts(self, table: str, values: Sequence[int], sensitivity: int = 1) -> list[int]:
        """Noisy counts (clamped at 0, a post-processing) for one table; records the spend."""
        sensitivity = max(1, int(sensitivity))
        scale = sensitivity / self.per_table
        meas = laplace_measurement(scale)
        eps = float(meas.map(sensitivity))
        noisy = list(meas([int(v) for v in values])) if len(values) else []
        self.spent.append(Spend(table, sensitivity, scale, eps))
        return [max(0, int(n)) for n in noisy]

    @property
    def total(self) -> float:
        return sum(s.epsilon for s in self.spent)


def _count_key(groups: list[dict[str, Any]]) -> str:
    for g in groups:
        for k in ("lines", "customers", "handsets"):
            if k in g:
                return k
    return "lines"


def _noisy_table(
    table: dict[str, Any], noise: Noise, name: str, sensitivity: int, keys: list[dict] | None
) -> dict[str, Any]:
    out = copy.deepcopy(table)
    groups = out.get("groups", [])
    ck = _count_key(groups)
    if ck != "lines" or out.get("unit", "lines") != "lines":
        raise ConfigError("--epsilon applies to counts of lines only (--unit lines)")
    if keys:  # a public domain of group keys: absent keys are zero cells, noised too
        by = out.get("by") or []
        present = {tuple(g.get(k) for k in by) for g in groups}
        for key in keys:
            if tuple(key.get(k) for k in by) not in present:
                groups.append({**{k: key.get(k) for k in by}, ck: 0})
    unidentified = int(out.get("total_lines") or 0) - int(out.get("identified_lines") or 0)
    noisy = noise.counts(name, [int(g.get(ck) or 0) for g in groups] + [unidentified], sensitivity)
    for g, n in zip(groups, noisy, strict=False):
        g[ck] = n
    identified = sum(noisy[:-1])
    total = identified + noisy[-1]
    out["identified_lines"], out["total_lines"] = identified, total
    kept = []
    for g in groups:
        if g[ck] == 0:
            continue
        g["share"] = g[ck] / total if total else None
        g["share_of_identified"] = g[ck] / identified if identified else None
        kept.append(g)
    kept.sort(key=lambda g: -g[ck])
    out["groups"] = kept
    return out


def noise_base(
    base: dict[str, Any], noise: Noise, *, name: str = "base", keys: list[dict] | None = None
) -> dict[str, Any]:
    """A base dict with every count noised once (sensitivity 1); totals are sums of cells."""
    return _noisy_table(base, noise, name, 1, keys)


def noise_series(
    series: dict[str, Any], noise: Noise, *, keys: list[dict] | None = None
) -> dict[str, Any]:
    """A series dict with each point noised; the P points share one spend of sensitivity P."""
    out = copy.deepcopy(series)
    points = out.get("points", [])
    if not points:
        return out
    # P points at epsilon/P each (scale P/epsilon): one vector query of sensitivity P.
    inner = Noise(noise.per_table, parts=len(points))
    for n, p in enumerate(points):
        noisy = _noisy_table({**p, "by": out.get("by")}, inner, "series", 1, keys)
        noisy.pop("by", None)
        points[n] = {**p, **noisy}
    scale = inner.spent[0].scale
    noise.spent.append(Spend("series", len(points), scale, sum(s.epsilon for s in inner.spent)))
    return out


def noise_switches(switches: dict[str, Any], noise: Noise) -> dict[str, Any]:
    """Switching flows with every from x to cell noised once (each line is in one cell);
    the summary is recomputed from the noisy table."""
    fk, tk, sk = flow_keys(switches)
    names, table = switch_matrix(switches)
    flat = [v for row in table for v in row]
    noisy = noise.counts("switches", flat, 1)
    n = len(names)
    grid = [noisy[i * n : (i + 1) * n] for i in range(n)]
    out = copy.deepcopy(switches)
    had_diag = any(f[fk] == f[tk] for f in switches.get("flows", []))
    out["flows"] = [
        {fk: names[i], tk: names[j], "lines": grid[i][j]}
        for i in range(n)
        for j in range(n)
        if grid[i][j] > 0 and (i != j or had_diag)
    ]
    out["flows"].sort(key=lambda f: -f["lines"])
    summary = []
    for s in switches.get("summary", []):
        k = names.index(s[sk]) if s[sk] in names else None
        if k is None:
            continue
        kept = grid[k][k]
        row, col = sum(grid[k]), sum(grid[i][k] for i in range(n))
        summary.append(
            {
                **s,
                "gained": col - kept,
                "lost": row - kept,
                "kept": kept,
                "loyalty": kept / row if row else None,
            }
        )
    out["summary"] = summary
    return out


# ---------------------------------------------------------------------------------------------
# The ledger
# ---------------------------------------------------------------------------------------------


def new_release_id() -> str:
    return uuid.uuid4().hex[:12]


def record(
    store: Store,
    noise: Noise,
    *,
    command: str,
    as_of: dt.date | str | None,
    release_id: str | None = None,
) -> float:
    """Append this release's spends to the store's privacy ledger; return the running total."""
    if not noise.spent:
        return ledger_total(store)
    when = dt.datetime.now(dt.UTC)
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    rid = release_id or new_release_id()
    rows = [
        {
            "release_id": rid,
            "released_at": when,
            "command": command,
            "as_of": day,
            "table": s.table,
            "mechanism": "discrete_laplace",
            "sensitivity": s.sensitivity,
            "scale": s.scale,
            "epsilon": s.epsilon,
        }
        for s in noise.spent
    ]
    with store.transaction() as tx:
        tx.write("privacy_ledger", pa.Table.from_pylist(rows, schema=PRIVACY_LEDGER))
    return ledger_total(store.refresh())


def ledger_total(store: Store) -> float:
    """The epsilon spent by every release recorded in the store (basic composition)."""
    spent = store.read("privacy_ledger", ["epsilon"]).column("epsilon").to_pylist()
    return float(sum(e for e in spent if e is not None))


def ledger(store: Store) -> list[dict[str, Any]]:
    """The ledger's rows, oldest first."""
    return sorted(store.read("privacy_ledger").to_pylist(), key=lambda r: r["released_at"])
