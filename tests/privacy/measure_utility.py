"""Measure what cell-key perturbation costs the headline figures (PRIVACY.md, "Utility").

    python tests/privacy/measure_utility.py STORE [CAMPAIGN.toml] [--as-of 2022-02-06]

Prints, exact against published (perturbed) figures: the vendor counts and shares at the date,
a campaign's measured effect, and the dates Xiaomi first crossed each round threshold. Not a
test (it needs a large store); the results are recorded in PRIVACY.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

from devicepark import answers
from devicepark.campaign.spec import load_campaign
from devicepark.publish import cellkey
from devicepark.questions import BaseQuestion, MeasureQuestion, MilestonesQuestion
from devicepark.store import Store, connect, open_tables


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("store")
    p.add_argument("campaign", nargs="?")
    p.add_argument("--as-of", default="2022-02-06")
    p.add_argument("--vendor", default="Xiaomi")
    p.add_argument("--every", type=int, default=10_000)
    a = p.parse_args(argv)
    con = connect("duckdb")
    t = open_tables(con, Store.open(a.store))
    t0 = time.perf_counter()
    q = BaseQuestion.parse(a.as_of, "vendor")
    exact = answers.base(con, t, q)
    pub = cellkey.perturb_base(answers.base(con, t, q, keyed=True))
    print(f"## Vendor shares at {a.as_of} ({exact['total_lines']:,} lines)")
    print("| vendor | exact lines | published | exact share | published share | error (pp) |")
    print("|---|---|---|---|---|---|")
    got = {g["vendor"]: g for g in pub["groups"]}
    errs, rel = [], []
    for g in exact["groups"]:
        p_ = got[g["vendor"]]
        if p_["lines"] is None:
            print(f"| {g['vendor']} | {g['lines']} | < 10 | {g['share']:.4%} | - | - |")
            continue
        e = 100 * (p_["share"] - g["share"])
        errs.append(abs(e))
        rel.append(abs(p_["lines"] - g["lines"]) / g["lines"])
        print(f"| {g['vendor']} | {g['lines']:,} | {p_['lines']:,} | {g['share']:.4%} | "
              f"{p_['share']:.4%} | {e:+.5f} |")
    print(f"\ntotal_lines exact {exact['total_lines']:,}, published {pub['total_lines']:,}")
    print(f"largest share error {max(errs):.5f} pp, mean {statistics.mean(errs):.5f} pp; "
          f"largest relative count error {max(rel):.2e}")
    if a.campaign:
        c = load_campaign(a.campaign)
        res = answers.measure(con, t, MeasureQuestion(c))[0]
        days = [d["date"] for d in res["daily"]]
        keys = answers.day_keys(con, t, c.vendor, c.operator_brands,
                                dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1]))
        out = cellkey.perturb_results(res, keys)
        print(f"\n## Campaign {c.id}")
        for part in ("effect", "after"):
            e, o = res[part], out[part]
            print(f"{part}: exact {e['cumulative']} [{e['low']}, {e['high']}], published "
                  f"{o['cumulative']} [{o['low']}, {o['high']}], "
                  f"difference {o['cumulative'] - e['cumulative']:+.2f}")
        shown = [d["observed"] for d in out["daily"]]
        print(f"daily series published: {bool(out['daily'])}, days hidden: "
              f"{sum(x is None for x in shown)} of {len(res['daily'])}")
    mq = MilestonesQuestion.parse(a.vendor, a.every)
    m_exact = answers.milestones(con, t, mq)
    m_pub = cellkey.perturb_milestones(answers.milestones(con, t, mq, keyed=True))
    print(f"\n## Milestones of {a.vendor} every {a.every:,}")
    print("| threshold | exact first crossed | published first crossed | days apart |")
    print("|---|---|---|---|")
    pub_by = {m["threshold"]: m for m in m_pub["milestones"]}
    for m in m_exact["milestones"]:
        x, y = m["first_crossed"], pub_by.get(m["threshold"], {}).get("first_crossed")
        apart = (dt.date.fromisoformat(y) - dt.date.fromisoformat(x)).days if x and y else None
        print(f"| {m['threshold']:,} | {x} | {y} | {apart} |")
    print(f"next: exact {m_exact['next'].get('date')}, published {m_pub['next'].get('date')}")
    print(f"\n(elapsed {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
