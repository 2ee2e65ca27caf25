"""The attacks of issue 17, replayed against the public API, the dashboard and the report.

Each one recovered hidden counts exactly while suppression held per table only. Now every
published count is perturbed from its own cell key (``devicepark.publish.cellkey``): each attack
must recover values that differ from the truth for most cells, with errors the documented noise
allows (``privacykit.assert_defeated``). Where the public bounds now refuse the question outright,
the test says so and replays the attack on a twin app without the bounds, to show that the
perturbation alone defeats it. The token's answers stay exact (last test).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from privacykit import (
    AUTH,
    SUNDAY,
    assert_defeated,
    cli,
    counts,
    exact,
    get,
    public,
    refused,
)

from devicepark.publish.cellkey import MAX_NOISE, THRESHOLD


def _model_vendor(app) -> dict[str, str]:
    """Which vendor makes each model: public knowledge (any TAC database says it)."""
    grid = exact(app, "/v1/series?from=2021-10-01&to=2022-03-31&every=week&by=vendor,model")
    return {g["model"]: g["vendor"] for p in grid["points"] for g in p["groups"]}


def _hidden_by_vendor(pub_models, exact_models, maker, vendors_pub):
    """Per vendor: its published total minus its shown models = its hidden models."""
    rec, truth, cells = [], [], []
    shown: dict[str, int] = defaultdict(int)
    nshown: dict[str, int] = defaultdict(int)
    hidden: dict[str, int] = defaultdict(int)
    for model, value in pub_models.items():
        v = maker[model]
        if value is None:
            hidden[v] += exact_models[model]
        else:
            shown[v] += value
            nshown[v] += 1
    for v, n_hidden in hidden.items():
        total = vendors_pub.get(v)
        if total is None:  # the vendor itself is hidden: nothing to subtract from
            continue
        rec.append(total - shown[v])
        truth.append(n_hidden)
        cells.append(1 + nshown[v])
    return rec, truth, cells


def test_models_minus_vendor_totals(public_app):
    """/v1/base?by=model minus by=vendor, per vendor: the hidden models of each vendor."""
    maker = _model_vendor(public_app)
    url = f"/v1/base?as_of={SUNDAY}&by="
    pub_models = {k[0]: v for k, v in counts(public(public_app, url + "model"), ["model"]).items()}
    exact_models = {k[0]: v for k, v in counts(exact(public_app, url + "model"), ["model"]).items()}
    vendors = {k[0]: v for k, v in counts(public(public_app, url + "vendor"), ["vendor"]).items()}
    assert sum(v is None for v in pub_models.values()) >= 20  # many small cells to go after
    rec, truth, cells = _hidden_by_vendor(pub_models, exact_models, maker, vendors)
    assert_defeated(rec, truth, cells)


def test_monthly_series_of_models(public_app):
    """Each month of /v1/series?by=model against the vendors' series: the hidden model cells."""
    maker = _model_vendor(public_app)
    q = "/v1/series?from=2021-10-01&to=2022-03-31&every=month&by="
    pub_m, exact_m, pub_v = (public(public_app, q + "model"), exact(public_app, q + "model"),
                             public(public_app, q + "vendor"))  # fmt: skip
    rec, truth, cells = [], [], []
    hidden_cells = 0
    for pm, em, pv in zip(pub_m["points"], exact_m["points"], pub_v["points"], strict=True):
        assert pm["date"] == em["date"] == pv["date"]
        models = {k[0]: v for k, v in counts(pm, ["model"]).items()}
        hidden_cells += sum(v is None for v in models.values())
        r, t, c = _hidden_by_vendor(
            models,
            {k[0]: v for k, v in counts(em, ["model"]).items()},
            maker,
            {k[0]: v for k, v in counts(pv, ["vendor"]).items()},
        )
        rec, truth, cells = rec + r, truth + t, cells + c
    assert hidden_cells >= 60
    assert_defeated(rec, truth, cells)


def _headline(html: str) -> int | None:
    """The chosen vendor's count on the dashboard (English), None when hidden ("< 10")."""
    m = re.search(r'<p class="big">([^<]*) line', html)
    assert m, "no headline"
    text = m.group(1).strip()
    return None if text in ("•", f"&lt; {THRESHOLD}") else int(text.replace(",", ""))


def test_dashboard_brand_pages_minus_vendor_totals(public_app):
    """The dashboard per operator brand against /v1/base by vendor: a vendor hidden in one brand
    was its total minus its count in the others."""
    by_brand = public(public_app, f"/v1/base?as_of={SUNDAY}&by=vendor,operator_brand")
    cells = counts(by_brand, ["vendor", "operator_brand"])
    brands = sorted({b for _, b in cells})
    assert len(brands) >= 2
    # The dashboard shows the very cells of the API (same lines, same key, same noise).
    checked = 0
    for brand in brands:
        for vendor in ("Apple", "Samsung", "Xiaomi"):
            html = get(public_app, f"/?as_of={SUNDAY}&brand={brand}&vendor={vendor}&lang=en")
            assert html.status_code == 200
            assert _headline(html.text) == cells[(vendor, brand)]
            checked += 1
    assert checked == 3 * len(brands)
    # The attack, on every vendor: its total minus its shown brands.
    totals = counts(public(public_app, f"/v1/base?as_of={SUNDAY}&by=vendor"), ["vendor"])
    truth_cells = counts(exact(public_app, f"/v1/base?as_of={SUNDAY}&by=vendor,operator_brand"),
                         ["vendor", "operator_brand"])  # fmt: skip
    rec, truth, ncells = [], [], []
    for (vendor,), total in totals.items():
        mine = {b: cells.get((vendor, b)) for b in brands if (vendor, b) in cells}
        hidden = [b for b, v in mine.items() if v is None]
        if total is None or not hidden:
            continue
        rec.append(total - sum(v for v in mine.values() if v is not None))
        truth.append(sum(truth_cells[(vendor, b)] for b in hidden))
        ncells.append(1 + len(mine) - len(hidden))
    # few vendors are hidden in a brand at this size: pool the attack over several Sundays
    for day in ("2022-01-09", "2022-01-16", "2022-01-23", "2022-01-30", "2022-02-13",
                "2022-02-20", "2022-02-27", "2022-03-06", "2022-03-13"):  # fmt: skip
        tot = counts(public(public_app, f"/v1/base?as_of={day}&by=vendor"), ["vendor"])
        pub = counts(public(public_app, f"/v1/base?as_of={day}&by=vendor,operator_brand"),
                     ["vendor", "operator_brand"])  # fmt: skip
        ex = counts(exact(public_app, f"/v1/base?as_of={day}&by=vendor,operator_brand"),
                    ["vendor", "operator_brand"])  # fmt: skip
        for (vendor,), total in tot.items():
            mine = {b: pub[(vendor, b)] for b in brands if (vendor, b) in pub}
            hidden = [b for b, v in mine.items() if v is None]
            if total is None or not hidden:
                continue
            rec.append(total - sum(v for v in mine.values() if v is not None))
            truth.append(sum(ex[(vendor, b)] for b in hidden))
            ncells.append(1 + len(mine) - len(hidden))
    assert_defeated(rec, truth, ncells)


def test_milestones_last_count(public_app):
    """milestones' last_count hid only counts under 10, so it gave away counts the base hid to
    protect others. Now it is the base's own published cell: no second view of it."""
    day = "2022-03-31"  # a month end, and the store's last day
    base_pub = counts(public(public_app, f"/v1/base?as_of={day}&by=vendor"), ["vendor"])
    base_exact = counts(exact(public_app, f"/v1/base?as_of={day}&by=vendor"), ["vendor"])
    rec, truth = [], []
    for (vendor,), n in sorted(base_exact.items(), key=lambda kv: -kv[1])[:14]:
        m = public(public_app, f"/v1/milestones?vendor={vendor}&every=100&from=2021-12-01&to={day}")
        assert m["last_count"] == base_pub[(vendor,)]  # the same lines, the same noise
        if m["last_count"] is not None:
            rec.append(m["last_count"])
            truth.append(n)
    assert_defeated(rec, truth, [1] * len(rec))


@pytest.mark.slow
def test_campaign_after_period_differences(public_app, relaxed_app):
    """after.cumulative at k and k+1 days, with that day's expected count, gave the day's
    observed count. The public server takes the standard after-period only; without that bound
    the difference gives the day's published (perturbed) count, not the exact one."""
    url = "/v1/campaigns/semaine-xiaomi-2022/results"
    refused(public_app, url + "?after_days=22", "after_days: only 21")
    truth_daily = {d["date"]: d for d in exact(relaxed_app, url + "?after_days=28")["daily"]}
    after = {k: public(relaxed_app, f"{url}?after_days={k}")["after"]["cumulative"]
             for k in range(14, 29)}  # fmt: skip
    ends = dt.date.fromisoformat(exact(relaxed_app, url)["window"]["ends"])
    rec, truth = [], []
    for k in range(14, 28):
        day = (ends + dt.timedelta(days=k + 1)).isoformat()
        if not truth_daily[day]["observed"]:
            continue  # no add that day: a true zero
        # the strongest attacker: the exact expected count of the day
        rec.append(round(after[k + 1] - after[k] + truth_daily[day]["expected"]))
        truth.append(int(truth_daily[day]["observed"]))
    assert_defeated(rec, truth, [2] * len(rec))  # two after-period cells


@pytest.mark.slow
def test_one_day_campaign_window(public_app, relaxed_app, attack_store):
    """A one-day window gave the day's count outright (effect + expected). Public results need
    windows of a week or more; without that bound the day comes out perturbed."""
    from devicepark.campaign.spec import EXAMPLE

    folder = attack_store / "campaigns"
    main = exact(relaxed_app, "/v1/campaigns/semaine-xiaomi-2022/results?after_days=28")
    observed = {d["date"]: int(d["observed"]) for d in main["daily"]}
    days = [dt.date.fromisoformat(d) for d, n in observed.items() if n and d >= "2022-02-10"][:6]
    for day in days:
        text = re.sub(r'^id = ".*"$', f'id = "one-day-{day}"', EXAMPLE, count=1, flags=re.M)
        text = re.sub(r"^starts = .*$", f"starts = {day}", text, count=1, flags=re.M)
        text = re.sub(r"^ends = .*$", f"ends = {day}", text, count=1, flags=re.M)
        text = re.sub(r"\[\[phases\]\].*?(?=\n\[(?!\[phases)|\Z)", "", text, flags=re.S)
        (folder / f"one-day-{day}.toml").write_text(text, encoding="utf-8")
    try:
        refused(public_app, f"/v1/campaigns/one-day-{days[0]}/results", "at least 7 days")
        rec, truth = [], []
        for day in days:
            url = f"/v1/campaigns/one-day-{day}/results"
            p = public(relaxed_app, url)
            e = exact(relaxed_app, url)  # the strongest attacker: the exact expected count
            expected = e["daily"][0]["observed"] - e["effect"]["cumulative"]
            rec.append(round(p["effect"]["cumulative"] + expected))
            truth.append(observed[day.isoformat()])
        assert_defeated(rec, truth, [1] * len(rec))
    finally:
        for day in days:
            (folder / f"one-day-{day}.toml").unlink()


def test_adds_of_one_vendor_against_the_by_vendor_table(public_app):
    """/v1/adds?vendor=V returned a day's count the by-vendor table hid as a complement. Now both
    publish the same cell with the same noise, and the day's total minus the shown vendors gives
    the hidden ones only within the noise."""
    q = "/v1/adds?from=2022-01-20&to=2022-03-31"
    by_vendor = public(public_app, q + "&by=vendor")
    truth = exact(public_app, q + "&by=vendor")
    vendors = ("Apple", "Samsung", "Xiaomi")
    single = {v: public(public_app, f"{q}&vendor={v}") for v in vendors}
    rec, tru, cells = [], [], []
    for n, (p, t) in enumerate(zip(by_vendor["points"], truth["points"], strict=True)):
        groups = {g["vendor"]: g["adds"] for g in p["groups"]}
        for v in vendors:  # the same cell, the same published value
            assert single[v]["points"][n]["adds"] == groups.get(v, 0)
        hidden = [g["vendor"] for g in p["groups"] if g["adds"] is None]
        if p["adds"] is None or not hidden:
            continue
        exact_groups = {g["vendor"]: g["adds"] for g in t["groups"]}
        rec.append(p["adds"] - sum(x for x in groups.values() if x is not None))
        tru.append(sum(exact_groups[v] for v in hidden))
        cells.append(1 + sum(x is not None for x in groups.values()))
    assert_defeated(rec, tru, cells)


def test_vendor_by_model_structural_zeros(public_app, relaxed_app):
    """In by=vendor,model the complementary cells were often structural zeros (a model belongs
    to one vendor). The public server refuses model with another key; and without that bound a
    (vendor, model) cell is the model's cell, published with the same noise: nothing to
    subtract."""
    refused(public_app, f"/v1/base?as_of={SUNDAY}&by=vendor,model", "no model or region")
    grid = public(relaxed_app, f"/v1/base?as_of={SUNDAY}&by=vendor,model")
    models = counts(public(relaxed_app, f"/v1/base?as_of={SUNDAY}&by=model"), ["model"])
    truth = counts(exact(relaxed_app, f"/v1/base?as_of={SUNDAY}&by=vendor,model"),
                   ["vendor", "model"])  # fmt: skip
    assert all(g["lines"] is not None or g["suppressed"] for g in grid["groups"])
    assert {(g["vendor"], g["model"]) for g in grid["groups"]} == set(truth)  # zeros stay out
    rec, tru = [], []
    for g in grid["groups"]:
        assert g["lines"] == models[(g["model"],)]
        if g["lines"] is not None:
            rec.append(g["lines"])
            tru.append(truth[(g["vendor"], g["model"])])
    assert_defeated(rec, tru, [1] * len(rec))


def test_report_other_and_vendors(public_app, attack_store, tmp_path):
    """The report shows the API's cells (same noise); its 'Other' row minus the API's shown
    small vendors gives the hidden ones only within the noise (on the smaller operator brand's
    report, where small vendors are hidden)."""
    page = tmp_path / "r.html"
    cli("report", "--store", str(attack_store), "--as-of", SUNDAY, "--lang", "en",
        "--out", str(page), "--top", "4")  # fmt: skip
    html = page.read_text("utf-8")
    assert "Perturbed figures (cell-key method)" in html and f"at most {MAX_NOISE}" in html
    table = html[html.index('<section id="headline">'):]
    table = table[: table.index("</table>")]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td class=n>([^<]*(?:<[^>]+>[^<]*</span>)?)",
                           table))  # fmt: skip
    api = counts(public(public_app, f"/v1/base?as_of={SUNDAY}&by=vendor"), ["vendor"])
    top = [v for v in rows if v != "Other"]
    assert len(top) == 4
    for v in top:
        assert int(rows[v].replace(",", "")) == api[(v,)]
    # Other, folded with its own key, against the API's small vendors, pooled over Sundays
    from devicepark import answers
    from devicepark.publish.report import publish
    from devicepark.questions import ReportQuestion
    from devicepark.store import Store, connect, open_tables

    con = connect("duckdb")
    t = open_tables(con, Store.open(attack_store))
    sizes = counts(exact(public_app, f"/v1/base?as_of={SUNDAY}&by=operator_brand"),
                   ["operator_brand"])  # fmt: skip
    brand = min((b for (b,) in sizes if b), key=lambda b: sizes[(b,)])
    rec, tru, cells = [], [], []
    for k in range(10):
        day = dt.date(2021, 12, 5) + dt.timedelta(weeks=k)
        q = ReportQuestion(as_of=day, every="month", brand=brand)
        pub = publish(answers.report_data(con, t, q, keyed=True), lang="en", top=4)
        other = next(g for g in pub.data.base["groups"] if g["vendor"] == "Other")
        grid = f"/v1/base?as_of={day}&by=vendor,operator_brand"
        api_d = {v: n for (v, b), n in counts(public(public_app, grid), ["vendor",
                 "operator_brand"]).items() if b == brand}  # fmt: skip
        ex_d = {v: n for (v, b), n in counts(exact(public_app, grid), ["vendor",
                "operator_brand"]).items() if b == brand}  # fmt: skip
        rest = [v for v in api_d if v not in pub.top]
        hidden = [v for v in rest if api_d[v] is None]
        if other["lines"] is None or not hidden:
            continue
        rec.append(other["lines"] - sum(api_d[v] for v in rest if api_d[v] is not None))
        tru.append(sum(ex_d[v] for v in hidden))
        cells.append(1 + len(rest) - len(hidden))
    assert_defeated(rec, tru, cells)


@pytest.mark.parametrize(
    ("url", "args"),
    [
        (f"/v1/base?as_of={SUNDAY}&by=model", ["base", "--as-of", SUNDAY, "--by", "model"]),
        (f"/v1/base?as_of={SUNDAY}&by=vendor,model",
         ["base", "--as-of", SUNDAY, "--by", "vendor,model"]),
        ("/v1/series?from=2021-10-01&to=2022-03-31&every=month&by=model",
         ["series", "--from", "2021-10-01", "--to", "2022-03-31", "--every", "month", "--by",
          "model"]),
        ("/v1/adds?from=2022-01-20&to=2022-03-31&by=vendor",
         ["adds", "--from", "2022-01-20", "--to", "2022-03-31", "--by", "vendor"]),
    ],
)
def test_the_token_still_gets_the_exact_cli_bytes(public_app, attack_store, url, args):
    r = get(public_app, url, AUTH)
    assert r.status_code == 200 and r.headers["x-devicepark-figures"] == "exact"
    assert r.content == cli(*args, "--store", str(attack_store), "--format", "json")


def test_hidden_means_published_under_the_threshold(public_app):
    a = public(public_app, f"/v1/base?as_of={SUNDAY}&by=model")
    t = counts(exact(public_app, f"/v1/base?as_of={SUNDAY}&by=model"), ["model"])
    for g in a["groups"]:
        n = t[(g["model"],)]
        if g["lines"] is None:
            assert n < THRESHOLD + MAX_NOISE
        else:
            assert g["lines"] >= THRESHOLD and abs(g["lines"] - n) <= MAX_NOISE
