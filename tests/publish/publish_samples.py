"""Hand-made answers (the JSON contracts) for the publish tests: a small French operator."""

from __future__ import annotations

import datetime as dt

from devicepark.publish.report import ReportInput

VENDORS = {  # lines on 2022-02-03
    "Apple": 41_250,
    "Samsung": 36_120,
    "Xiaomi": 10_012,
    "Huawei": 4_310,
    "Oppo": 2_205,
    "Google": 1_480,
    "Motorola": 905,
    "Nokia": 8,  # under the threshold: hidden with a complement
    "Unknown": 150,
}
TOTAL = 101_000


def base_dict(counts: dict[str, int], total: int, as_of: str = "2022-02-03") -> dict:
    ident = sum(counts.values())
    groups = [
        {"vendor": v, "lines": n, "share": n / total, "share_of_identified": n / ident}
        for v, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]
    return {
        "as_of": as_of,
        "by": ["vendor"],
        "unit": "lines",
        "total_lines": total,
        "identified_lines": ident,
        "groups": groups,
    }


def series_dict() -> dict:
    points = []
    start = dt.date(2021, 2, 28)
    for k in range(12):
        day = (start + dt.timedelta(days=30 * k)).isoformat()
        f = k / 11
        counts = {v: int(n * (0.85 + 0.15 * f)) for v, n in VENDORS.items()}
        counts["Xiaomi"] = int(6_000 + 4_012 * f)
        b = base_dict(counts, TOTAL - 400 + 400 * k // 11, day)
        points.append(
            {
                "date": day,
                **{k2: b[k2] for k2 in ("total_lines", "identified_lines")},
                "groups": b["groups"],
            }
        )
    return {"by": ["vendor"], "every": "month", "points": points}


def switches_dict() -> dict:
    flows = [
        ("Apple", "Apple", 39_000), ("Samsung", "Samsung", 33_000), ("Xiaomi", "Xiaomi", 7_900),
        ("Samsung", "Xiaomi", 1_200), ("Apple", "Xiaomi", 310), ("Huawei", "Xiaomi", 420),
        ("Samsung", "Apple", 900), ("Apple", "Samsung", 520), ("Xiaomi", "Samsung", 140),
        ("Xiaomi", "Apple", 95), ("Huawei", "Samsung", 260), ("Huawei", "Huawei", 4_000),
        ("(not active)", "Xiaomi", 180), ("(not active)", "Apple", 800),
        ("(not active)", "Samsung", 640), ("Apple", "(not active)", 700),
        ("Nokia", "Xiaomi", 4), ("(unidentified)", "Xiaomi", 90), ("Oppo", "Oppo", 2_100),
        ("Oppo", "Xiaomi", 60), ("Google", "Google", 1_400), ("Motorola", "Motorola", 880),
    ]  # fmt: skip
    from devicepark.base.switches import summary

    fl = [{"from_vendor": a, "to_vendor": b, "lines": n} for a, b, n in flows]
    return {"from": "2021-02-28", "to": "2022-02-03", "flows": fl, "summary": summary(fl)}


def age_dict() -> dict:
    counts = {"0-6": 14_000, "6-12": 15_500, "12-24": 26_000, "24-36": 20_100, "36+": 20_790}
    b = base_dict({}, TOTAL)
    ident = sum(counts.values())
    b.update(
        by=["device_age"],
        identified_lines=ident,
        groups=[
            {"device_age": k, "lines": n, "share": n / TOTAL, "share_of_identified": n / ident}
            for k, n in counts.items()
        ],
    )
    return b


def campaign_dict() -> dict:
    daily = []
    for k in range(28):
        day = (dt.date(2022, 1, 20) + dt.timedelta(days=k)).isoformat()
        expected = 40 + (k % 7 == 5) * 15
        inwin = "2022-02-03" <= day <= "2022-02-09"
        daily.append(
            {
                "date": day,
                "observed": expected + (18 if inwin else 0) + (k % 3) - 1,
                "expected": expected,
                "low": expected - 9,
                "high": expected + 9,
            }
        )
    daily[3]["observed"] = 6  # a small count: hidden
    return {
        "campaign": "semaine-xiaomi-2022",
        "vendor": "Xiaomi",
        "operator_brands": ["Orange"],
        "window": {"starts": "2022-02-03", "ends": "2022-02-09"},
        "effect": {"cumulative": 126.4, "low": 81.2, "high": 171.9},
        "after": {"cumulative": -12.0, "low": -60.5, "high": 36.1},
        "daily": daily,
        "placebo_false_positive_rate": 0.05,
        "holdout": None,
    }


def milestones_dict() -> dict:
    return {
        "vendor": "Xiaomi",
        "every": 2_500,
        "milestones": [
            {"threshold": 7_500, "first_crossed": "2021-07-28", "fell_back": False,
             "last_fell_back": None, "above_now": True},
            {"threshold": 10_000, "first_crossed": "2022-01-24", "fell_back": False,
             "last_fell_back": None, "above_now": True},
        ],
        "next": {"threshold": 12_500, "date": "2023-01-10", "low": "2022-10-01",
                 "high": "2023-06-01"},
    }  # fmt: skip


def sample_input() -> ReportInput:
    return ReportInput(
        as_of="2022-02-03",
        base=base_dict(VENDORS, TOTAL),
        series=series_dict(),
        switches=switches_dict(),
        age=age_dict(),
        milestones=[milestones_dict()],
        campaigns=[campaign_dict()],
        operator="Orange et Sosh",
        lookback_days=30,
        start="2021-02-28",
    )


def campaign_flat_dict() -> dict:
    """A second campaign whose effect is not significant: its 95 % interval contains 0."""
    c = campaign_dict()
    for k, d in enumerate(c["daily"]):
        d["observed"] = d["expected"] + (k % 5) - 2  # no uplift: noise around the expectation
    c["daily"][3]["observed"] = 40
    c.update(
        campaign="printemps-apple-2022",
        vendor="Apple",
        effect={"cumulative": 4.0, "low": -31.5, "high": 39.5},
        after={"cumulative": -2.0, "low": -44.0, "high": 40.0},
    )
    return c


# (vendor, base_share, market_share, index, gap_lines): StatCounter's worldwide web usage
MARKET_VENDORS = [
    ("Apple", 0.4277, 0.38, 112.6, -4_600),
    ("Samsung", 0.3745, 0.30, 124.8, 1),
    ("Xiaomi", 0.1038, 0.21, 49.4, 1),
    ("Oppo", 0.0229, 0.05, 45.7, 1),
    ("Google", 0.0153, 0.0004, 3825.0, 1),
    ("Unknown", 0.0016, 0.02, 7.8, 1),
]


def market_dict() -> dict:
    keys = ("vendor", "base_share", "market_share", "index", "gap_lines")
    return {
        "as_of": "2022-02-03",
        "market": "statcounter-ww",
        "period": "2022-02",
        "vendors": [dict(zip(keys, row, strict=True)) for row in MARKET_VENDORS],
    }


def full_input() -> ReportInput:
    """The sample with two campaigns (one significant, one not) and a market comparison."""
    inp = sample_input()
    inp.campaigns = [campaign_dict(), campaign_flat_dict()]
    inp.markets = [market_dict()]
    return inp
