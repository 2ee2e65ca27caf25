"""Cell-key perturbation: the one protection of every figure that leaves the building.

The method of the ABS (TableBuilder) and of the ONS (2021 census flexible tables), on our data.
Every subscriber line has a fixed record key, ``int(line[:2], 16)`` (0..255) of its keyed
pseudonym (``devicepark.base.common.record_key``); a cell's key is the sum of the record keys of
the lines it counts, modulo 256, computed by the engine next to the count. The published
perturbation table (p-table, :data:`PTABLE`) maps (count, cell key) to a small noise, so the same
set of lines gets the same noise in every table, face and run, and two answers cannot be
subtracted or averaged into an exact hidden count. PRIVACY.md documents the table.

- ``perturb(n, key)``: the published value of a count ``n`` with cell key ``key``;
- ``perturb_base``, ``perturb_series``, ``perturb_switches``, ``perturb_adds``,
  ``perturb_milestones`` and ``perturb_results``: the JSON answers, computed with cell keys
  (``devicepark.answers`` with ``keyed=True``: a ``"_ckey"`` beside each count), made fit for
  publication: every count perturbed from its own key, counts under the threshold hidden
  (``null``, ``"suppressed": true``), shares from published counts, the keys stripped, and a
  ``"disclosure"`` field saying how the figures were protected.

Zeros stay zero: a cell no line falls in has no record key to draw noise from and is not
published (an absent group, or 0). A count of 1 to 3 may be perturbed down to 0 (never below),
and is then hidden like every count published under the threshold.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from devicepark.base.common import CELL_KEYS
from devicepark.base.shape import CKEY, CKEYS, COUNTS, join_keys

THRESHOLD = 10  # published counts under this are shown as "< 10" (hidden)
PTABLE_ID = "devicepark-ptable-1"

# The p-table, in 256ths of the cell keys, for noise -4..+4. A count of 4 or more takes WEIGHTS:
# symmetric (mean 0), variance 616/256 = 2.41, published unchanged with probability 76/256. A
# count of 1, 2 or 3 cannot go below 0: its row keeps the noises down to -n, tilted so that its
# mean stays exactly 0 (an exponential tilt of WEIGHTS, rounded to 256ths; PRIVACY.md). A small
# count may so be published as 0 (then hidden like every count under the threshold); a true
# zero has no lines, hence no key, and is always 0.
WEIGHTS = (4, 10, 26, 50, 76, 50, 26, 10, 4)
MAX_NOISE = (len(WEIGHTS) - 1) // 2
SMALL = {  # noise: weight, for the counts 1, 2 and 3
    1: {-1: 92, 0: 99, 1: 44, 2: 16, 3: 4, 4: 1},
    2: {-2: 34, -1: 59, 0: 84, 1: 45, 2: 23, 3: 8, 4: 3},
    3: {-3: 11, -2: 28, -1: 52, 0: 79, 1: 48, 2: 25, 3: 9, 4: 4},
}
ROWS = len(SMALL) + 1  # the row of counts from 4 on


def _row(n: int) -> tuple[int, ...]:
    """Noise weights (in 256ths) for noise -MAX_NOISE..+MAX_NOISE for a count ``n >= 1``.

    >>> _row(1), _row(4) == _row(400) == WEIGHTS
    ((0, 0, 0, 92, 99, 44, 16, 4, 1), True)
    """
    if n >= ROWS:
        return WEIGHTS
    return tuple(SMALL[n].get(k, 0) for k in range(-MAX_NOISE, MAX_NOISE + 1))


def _noises(weights: Sequence[int]) -> tuple[int, ...]:
    """The noise of each cell key 0..255 for a row: keys in order take the noises in order,
    each as many keys as its weight."""
    out: list[int] = []
    for k, w in enumerate(weights):
        out.extend([k - MAX_NOISE] * w)
    assert len(out) == CELL_KEYS
    return tuple(out)


PTABLE: dict[int, tuple[int, ...]] = {n: _noises(_row(n)) for n in range(1, ROWS + 1)}


def noise(n: int, key: int) -> int:
    """The p-table's noise for a count ``n`` whose cell key is ``key`` (0 for a zero count).

    >>> noise(0, 17), noise(1, 200), noise(500, 0), noise(500, 100), noise(500, 255)
    (0, 1, -4, 0, 4)
    """
    if n <= 0:
        return 0
    return PTABLE[min(n, ROWS)][int(key) % CELL_KEYS]


def perturb(n: int, key: int) -> int:
    """The published value of a count ``n`` with cell key ``key``: ``n + noise(n, key)``.

    >>> perturb(1000, 3), perturb(1000, 128), perturb(1, 0), perturb(0, 99)
    (996, 1000, 0, 0)
    """
    return int(n) + noise(int(n), key)


def lower_bound(value: int) -> int:
    """The smallest exact count the p-table can publish as ``value`` (what a claim may rely on).

    >>> [lower_bound(v) for v in (0, 1, 2, 3, 7, 1000)]
    [0, 1, 1, 1, 3, 996]
    """
    if value <= 0:
        return 0
    for n in range(max(1, value - MAX_NOISE), value + 1):
        if value - n in PTABLE[min(n, ROWS)]:
            return n
    return value  # pragma: no cover - n = value always publishes as itself with some key


def published(n: int, key: int, threshold: int = THRESHOLD) -> int | None:
    """What a cell of ``n`` lines with cell key ``key`` publishes: 0 for no line (a true zero),
    else its perturbed count, or None (hidden, "< threshold") when that is under the threshold.

    >>> published(0, 5), published(1000, 3), published(9, 255), published(9, 0)
    (0, 996, 13, None)
    """
    if n <= 0:
        return 0
    value = perturb(n, key)
    return value if value >= threshold else None


def stats() -> dict[str, float]:
    """Mean, variance and the probability of no change of the large-count row.

    >>> stats()
    {'max_noise': 4, 'mean': 0.0, 'variance': 2.40625, 'p_unchanged': 0.296875}
    """
    row = PTABLE[ROWS]
    mean = sum(row) / CELL_KEYS
    var = sum((x - mean) ** 2 for x in row) / CELL_KEYS
    return {"max_noise": MAX_NOISE, "mean": mean, "variance": var,
            "p_unchanged": row.count(0) / CELL_KEYS}  # fmt: skip


def disclosure(threshold: int = THRESHOLD) -> dict[str, Any]:
    """The ``"disclosure"`` field of a published answer: how its figures were protected."""
    return {
        "method": "cell-key perturbation",
        "ptable": PTABLE_ID,
        "max_noise": MAX_NOISE,
        "variance": stats()["variance"],
        "hidden_under": threshold,
        "documentation": "PRIVACY.md",
    }


NOTE = {
    "fr": (
        "Chiffres perturbés (méthode des clés de cellule) : chaque effectif publié peut "
        "s'écarter de la valeur exacte de {d} au plus ; les effectifs publiés sous {t} sont "
        "masqués (« < {t} »)."
    ),
    "en": (
        "Perturbed figures (cell-key method): each published count may differ from the exact "
        'value by at most {d}; published counts under {t} are hidden ("< {t}").'
    ),
}


def note(lang: str, threshold: int = THRESHOLD) -> str:
    """The sentence every public page and post carries.

    >>> note("en", 10)[:54]
    'Perturbed figures (cell-key method): each published co'
    """
    return NOTE["fr" if lang == "fr" else "en"].format(d=MAX_NOISE, t=threshold)


# ---------------------------------------------------------------------------------------------
# The JSON answers, perturbed
# ---------------------------------------------------------------------------------------------

def _ratio(num: int | None, den: int | None) -> float | None:
    if num is None or den is None:
        return None
    return num / den if den else 0.0


def _sort_key(by: Sequence[str], count: str) -> Any:
    def key(g: Mapping[str, Any]) -> tuple[Any, ...]:
        value = g.get(count)
        return (
            value is None,
            -(value or 0),
            *[(g.get(k) is None, "" if g.get(k) is None else str(g.get(k))) for k in by],
        )

    return key


def _point(point: dict[str, Any], by: Sequence[str], threshold: int, sort: bool = True) -> None:
    """Perturb one base-shaped table in place: totals, groups, shares; keys stripped; groups
    ordered by their published counts (the exact order would tell more than the counts), unless
    ``sort`` is false (an order chosen from published counts already, e.g. the report's)."""
    keys = point.pop(CKEYS, None)
    if keys is None:
        raise ValueError("not a keyed answer: ask devicepark.answers with keyed=True")
    if point.get("unit", "lines") != "lines":
        raise ValueError("cell-key perturbation publishes counts of lines (unit lines)")
    total = published(point["total_lines"], keys["total_lines"], threshold)
    ident = published(point["identified_lines"], keys["identified_lines"], threshold)
    small = total is None or ident is None  # nothing is published from a table this small
    point["total_lines"], point["identified_lines"] = total, ident
    for g in point.get("groups", []):
        key = g.pop(CKEY)
        value = None if small else published(g["lines"], key, threshold)
        g["lines"] = value
        g["share"] = _ratio(value, total)
        g["share_of_identified"] = _ratio(value, ident)
        g["suppressed"] = value is None
    if sort:
        point["groups"] = sorted(point.get("groups", []), key=_sort_key(by, "lines"))


def perturb_base(
    answer: Mapping[str, Any], threshold: int = THRESHOLD, *, sort: bool = True
) -> dict[str, Any]:
    """A keyed base answer made fit for publication (see the module's docstring).

    >>> a = {"as_of": "2022-02-03", "by": ["vendor"], "unit": "lines", "total_lines": 900,
    ...      "identified_lines": 800, "_ckeys": {"total_lines": 100, "identified_lines": 0},
    ...      "groups": [{"vendor": "A", "lines": 790, "_ckey": 255, "share": 0.9},
    ...                 {"vendor": "B", "lines": 10, "_ckey": 0, "share": 0.01}]}
    >>> p = perturb_base(a)
    >>> p["total_lines"], p["identified_lines"], [(g["vendor"], g["lines"]) for g in p["groups"]]
    (900, 796, [('A', 794), ('B', None)])
    >>> p["disclosure"]["max_noise"], "_ckey" in str(p)
    (4, False)
    """
    out = copy.deepcopy(dict(answer))
    _point(out, out.get("by") or [], threshold, sort)
    out["disclosure"] = disclosure(threshold)
    return out


def perturb_series(
    answer: Mapping[str, Any], threshold: int = THRESHOLD, *, sort: bool = True
) -> dict[str, Any]:
    """A keyed series answer, every point perturbed as a base table."""
    out = copy.deepcopy(dict(answer))
    for point in out.get("points", []):
        _point(point, out.get("by") or [], threshold, sort)
    out["disclosure"] = disclosure(threshold)
    return out


def _flow_keys(answer: Mapping[str, Any]) -> tuple[str, str, str]:
    flows = answer.get("flows") or [{}]
    if "from_brand" in flows[0]:
        return "from_brand", "to_brand", "brand"
    return "from_vendor", "to_vendor", "vendor"


def perturb_switches(answer: Mapping[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """A keyed switches answer: each flow perturbed; per vendor, ``kept`` is the diagonal flow,
    ``lost`` the cell of the lines that left it and ``gained`` the cell of the lines that came
    to it (each union of flows perturbed from its own key), ``loyalty`` from published values.
    """
    from devicepark.base.switches import RESERVED

    out = copy.deepcopy(dict(answer))
    fk, tk, sk = _flow_keys(out)
    cells: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for f in out.get("flows", []):
        n, key = int(f["lines"]), int(f.pop(CKEY))
        a, b = f[fk], f[tk]
        if a == b:
            cells.setdefault(a, {}).setdefault("kept", []).append((n, key))
        else:
            if a not in RESERVED:
                cells.setdefault(a, {}).setdefault("lost", []).append((n, key))
            if b not in RESERVED:
                cells.setdefault(b, {}).setdefault("gained", []).append((n, key))
        f["lines"] = published(n, key, threshold)
        f["suppressed"] = f["lines"] is None
    out["flows"] = sorted(out.get("flows", []), key=_sort_key((fk, tk), "lines"))

    def union(parts: list[tuple[int, int]]) -> int | None:
        n = sum(p[0] for p in parts)
        return published(n, join_keys(p[1] for p in parts), threshold)

    summary = []
    for s in out.get("summary", []):
        c = cells.get(s[sk], {})
        kept, lost, gained = (union(c.get(k, [])) for k in ("kept", "lost", "gained"))
        loyal = None
        if kept is not None and lost is not None and kept + lost:
            loyal = kept / (kept + lost)
        hidden = kept is None or lost is None or gained is None
        summary.append({sk: s[sk], "gained": gained, "lost": lost, "kept": kept,
                        "loyalty": loyal, "suppressed": hidden})  # fmt: skip
    summary.sort(key=lambda r: (-((r["kept"] or 0) + (r["gained"] or 0)), str(r[sk])))
    out["summary"] = summary
    out["disclosure"] = disclosure(threshold)
    return out


def perturb_adds(answer: Mapping[str, Any], threshold: int = THRESHOLD) -> dict[str, Any]:
    """A keyed adds answer: each day's count and each of its groups perturbed from its key."""
    out = copy.deepcopy(dict(answer))
    by = out.get("by") or []
    for p in out.get("points", []):
        key = p.pop(CKEY, 0)
        p["adds"] = published(int(p["adds"]), key, threshold)
        p["suppressed"] = p["adds"] is None
        for g in p.get("groups") or []:
            g["adds"] = published(int(g["adds"]), g.pop(CKEY), threshold)
            g["suppressed"] = g["adds"] is None
        if p.get("groups"):
            p["groups"] = sorted(p["groups"], key=_sort_key(by, "adds"))
    out["disclosure"] = disclosure(threshold)
    return out


def perturb_milestones(
    answer: Mapping[str, Any], threshold: int = THRESHOLD, paths: int = 500, seed: int = 0
) -> dict[str, Any]:
    """A keyed milestones answer, read again off the perturbed daily counts: the crossings, the
    last count and the forecast are those of the published series, never of the exact one."""
    from devicepark.base.milestones import milestones

    out = copy.deepcopy(dict(answer))
    counts = out.pop(COUNTS)
    dates = [dt.date.fromisoformat(d) for d in counts["dates"]]
    pairs = list(zip(counts["lines"], counts["keys"], strict=True))
    values = [perturb(n, k) for n, k in pairs]
    redo = milestones(dates, values, every=out["every"], thresholds=counts["thresholds"],
                      paths=paths, seed=seed)  # fmt: skip
    out.update(redo)
    out["last_count"] = published(*pairs[-1], threshold) if pairs else 0
    out["disclosure"] = disclosure(threshold)
    return out


MIN_DAILY = 20  # a campaign's day-by-day series is published when its days average this many


def perturb_results(
    answer: Mapping[str, Any], keys: Mapping[str, int], threshold: int = THRESHOLD
) -> dict[str, Any]:
    """A campaign result made fit for publication, from the cell key of each day of ``daily``
    (``keys[date]``: the key of the vendor's adds that day in the campaign's brands).

    Each day's observed count is perturbed from its own key. The window's adds are a cell of
    their own (the union of its days: the sum of their keys), and so are the after-period's: each
    cumulative effect (and its interval) moves by that cell's noise, so that neither a one-day
    window nor two after-periods a day apart give a day's exact count. A day published under the
    threshold is hidden; the day-by-day series is left out (``daily: []``) when the published
    days average under :data:`MIN_DAILY`; the treatment/holdout comparison (counts of audience
    lines) is withheld.
    """
    out = copy.deepcopy(dict(answer))
    window = out.get("window") or {}
    ends = str(window.get("ends") or "9999-12-31")
    parts: dict[str, list[tuple[int, int]]] = {"effect": [], "after": []}
    values = []
    for d in out.get("daily") or []:
        day = str(d["date"])[:10]
        n, key = int(round(float(d.get("observed") or 0))), keys.get(day, 0)
        parts["effect" if day <= ends else "after"].append((n, key))
        d["observed"] = published(n, key, threshold)
        d["suppressed"] = d["observed"] is None
        values.append(perturb(n, key))
    for part, cells in parts.items():
        block = out.get(part)
        if not block or not cells:
            continue
        moved = noise(sum(n for n, _ in cells), join_keys(k for _, k in cells))
        for k in ("cumulative", "low", "high"):
            if block.get(k) is not None:
                block[k] = round(float(block[k]) + moved, 2)
    if values and sum(values) / len(values) < MIN_DAILY:
        out["daily"] = []
    if out.get("holdout"):
        out["holdout"] = {"through": out["holdout"].get("through"), "suppressed": True}
    out["disclosure"] = disclosure(threshold)
    return out


DAY_KEYS = "_day_keys"  # a campaign result to publish: the cell key of each of its days


def perturb_market(
    market: Mapping[str, Any], published: Mapping[str, Any], as_of: str
) -> dict[str, Any]:
    """A market comparison (``market compare`` JSON) whose base side is read again off the
    published (perturbed) base by vendor ``published`` of the same day: ``base_share``,
    ``index`` and ``gap_lines`` from the published counts (null where the count is hidden);
    all three null when the comparison is of another day than the published base."""
    out = copy.deepcopy(dict(market))
    same_day = str(out.get("as_of") or as_of)[:10] == str(as_of)[:10]
    counts = {g["vendor"]: g.get("lines") for g in published.get("groups", [])}
    ident = published.get("identified_lines")
    for row in out.get("vendors", []):
        n = counts.get(row.get("vendor"), 0) if same_day else None
        ms = row.get("market_share")
        if n is None or not ident:
            row["base_share"] = row["index"] = row["gap_lines"] = None
            continue
        row["base_share"] = n / ident
        row["index"] = n * 100 / (ident * ms) if ms else None
        row["gap_lines"] = round(ms * ident - n) if ms is not None else None
    return out


HIDDEN = {
    "fr": (
        "{names} : ligne entière masquée (•) : l'effectif publié (perturbé) est inférieur à "
        "{t} lignes."
    ),
    "en": "{names}: whole row hidden (•): its published (perturbed) count is under {t} lines.",
}


def hidden_text(names: str, lang: str, threshold: int = THRESHOLD) -> str:
    """The footnote of table rows hidden whole in a perturbed page."""
    return HIDDEN["fr" if lang == "fr" else "en"].format(names=names, t=threshold)


def strip_check(text: str) -> str:
    """Raise if a cell key would leave the building (the last check before encoding)."""
    if CKEY in text or CKEYS in text or COUNTS in text:
        raise AssertionError("a cell key is about to be published")
    return text


__all__ = [
    "CKEY",
    "CKEYS",
    "MAX_NOISE",
    "PTABLE",
    "THRESHOLD",
    "disclosure",
    "join_keys",
    "noise",
    "note",
    "perturb",
    "perturb_adds",
    "perturb_base",
    "perturb_milestones",
    "perturb_results",
    "perturb_series",
    "perturb_switches",
    "published",
    "stats",
]
