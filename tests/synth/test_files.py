"""synth's files: determinism, the input contract, messy rows in their documented fractions."""

from __future__ import annotations

import gzip
import re

import pandas as pd
from synthkit import imei_body

from devicepark.ingest.staging import LINE_COLUMNS
from devicepark.synth import generate
from devicepark.synth.sightings import DUPLICATE_FRACTION, IMEI_FORMS, TIME_FORMS

FILES = ("lines.csv", "observations.csv", "tac.csv", "truth.json")


def test_same_seed_same_bytes(tmp_path):
    a = generate(tmp_path / "a", lines=400, seed=3)
    b = generate(tmp_path / "b", lines=400, seed=3)
    c = generate(tmp_path / "c", lines=400, seed=4)
    for name in FILES:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    assert (a.out_dir / "observations.csv").read_bytes() != (
        c.out_dir / "observations.csv"
    ).read_bytes()


def test_gzip_is_deterministic_and_the_same_text(tmp_path):
    plain = generate(tmp_path / "p", lines=300, seed=5)
    z1 = generate(tmp_path / "z1", lines=300, seed=5, gzip=True)
    z2 = generate(tmp_path / "z2", lines=300, seed=5, gzip=True)
    assert z1.files["tac"].read_bytes() == plain.files["tac"].read_bytes()  # always plain CSV
    for kind in ("lines", "observations"):
        assert z1.files[kind].name == f"{kind}.csv.gz"
        assert z1.files[kind].read_bytes() == z2.files[kind].read_bytes()
        assert gzip.decompress(z1.files[kind].read_bytes()) == plain.files[kind].read_bytes()


def test_lines_contract(small):
    lines = pd.read_csv(small.lines_path, dtype=str, keep_default_na=False)
    assert list(lines.columns) == LINE_COLUMNS  # exactly what ingest reads
    assert len(lines) == 2500 and lines["line_id"].is_unique
    assert lines["line_id"].str.fullmatch(r"\+33[67][0-9]{8}").all()
    share = lines["operator_brand"].value_counts(normalize=True)
    assert set(share.index) == {"Orange", "Sosh"} and 0.15 < share["Sosh"] < 0.3
    seg = lines["segment"].value_counts(normalize=True)
    assert 0.01 < seg["m2m"] < 0.07 and seg["business"] > 0.05 and 0.02 < seg[""] < 0.08
    assert (lines["plan"] == "prepaid").mean() > 0.05
    assert (lines[lines["plan"] == "prepaid"]["operator_brand"] == "Orange").all()
    per_customer = lines.groupby("customer_id").size()
    assert per_customer.min() == 1 and per_customer.max() == 3
    ended = lines[lines["terminated_on"] != ""]
    assert 0.1 < len(ended) / len(lines) < 0.4  # churn
    assert (ended["activated_on"] < ended["terminated_on"]).all()
    assert lines["activated_on"].str[:4].astype(int).between(1994, 2022).all()
    assert lines["activated_on"].str[:4].nunique() > 15  # activations spread over years
    assert lines["region"].nunique() >= 12


def test_messy_rows_as_documented(small):
    obs = pd.read_csv(small.observations_path, dtype=str, keep_default_na=False)
    rows = small.truth["rows"]
    assert len(obs) == rows["distinct"] + rows["duplicates"] == small.observations
    assert obs.duplicated().sum() == rows["duplicates"]
    assert abs(rows["duplicates"] / rows["distinct"] - DUPLICATE_FRACTION) < 0.002
    distinct = obs.drop_duplicates()
    imei = distinct["imei"]
    found = {
        "imeisv": imei.str.fullmatch(r"[0-9]{16}").sum(),
        "imei_spaces": imei.str.fullmatch(r"[0-9][0-9] [0-9]{6} [0-9]{6} [0-9]").sum(),
        "imei_dashes": imei.str.fullmatch(r"[0-9][0-9]-[0-9]{6}-[0-9]{6}-[0-9]").sum(),
        "imei14": imei.str.fullmatch(r"[0-9]{14}").sum(),
        "bad_length": imei.str.fullmatch(r"[0-9]{13}|[0-9]{17}").sum(),
        "zero_imei": (imei == "0" * 15).sum(),
        "non_ascii_digit": (~imei.map(str.isascii)).sum(),
    }
    # 15 ASCII digits, not zero, failing Luhn
    fifteen = imei[imei.str.fullmatch(r"[0-9]{15}") & (imei != "0" * 15)]
    found["bad_checksum"] = fifteen.map(lambda s: imei_body(s) is None).sum()
    found["imei"] = len(fifteen) - found["bad_checksum"]
    assert found == rows["imei_forms"]
    n = rows["distinct"]
    for _code, name, fraction, _valid in IMEI_FORMS[1:]:
        assert rows["imei_forms"][name] > 0, name
        assert abs(rows["imei_forms"][name] / n - fraction) < max(0.5 * fraction, 0.0006), name
    assert rows["invalid_imei_rows"] / n < 0.01  # under ingest's default --max-reject-rate
    ts = distinct["observed_at"]
    times = {
        "utc_z": ts.str.endswith("Z").sum(),
        "offset": ts.str.fullmatch(r".*\+0[12]:00").sum(),
        "naive_local": ts.str.fullmatch(
            r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
        ).sum(),
    }
    assert times == rows["time_forms"]
    for _code, name, fraction in TIME_FORMS:
        assert abs(times[name] / n - fraction) < 0.02
    lines = set(pd.read_csv(small.lines_path, dtype=str)["line_id"])
    orphans = ~distinct["line_id"].isin(lines)
    assert orphans.sum() == rows["orphan_rows"] > 0


def test_catalog_and_unlisted_tacs(small):
    tac = pd.read_csv(small.tac_path, dtype=str, keep_default_na=False)
    assert list(tac.columns) == [
        "tac",
        "manufacturer",
        "brand",
        "model",
        "marketing_name",
        "device_type",
        "os",
        "release_year",
    ]
    assert tac["tac"].str.fullmatch(r"[0-9]{8}").all() and tac["tac"].is_unique
    xiaomi = tac[tac["manufacturer"] == "Xiaomi"]
    assert set(xiaomi["brand"]) == {"Xiaomi", "Redmi", "POCO"}
    assert {"Redmi Note 11", "Xiaomi 11T Pro", "iPhone 13", "Galaxy A52"} <= set(tac["model"])
    assert "module/IoT" in set(tac["device_type"])
    obs = pd.read_csv(small.observations_path, dtype=str, keep_default_na=False)
    seen = {b[:8] for b in obs["imei"].map(imei_body).dropna()}
    assert seen - set(tac["tac"])  # some handsets carry TACs no catalog lists


def test_handsets_renew_about_every_32_months(small):
    obs = pd.read_csv(small.observations_path, dtype=str, keep_default_na=False)
    lines = pd.read_csv(small.lines_path, dtype=str, keep_default_na=False)
    stayed = lines[
        (lines["activated_on"] < "2020-01-01")
        & (lines["terminated_on"] == "")
        & (lines["segment"] != "m2m")
    ]["line_id"]
    obs = obs[obs["line_id"].isin(set(stayed))]
    handsets = obs.assign(body=obs["imei"].map(imei_body)).dropna().groupby("line_id")["body"]
    changes_per_year = (handsets.nunique() - 1).mean() / 2.5
    assert 12 / 40 < changes_per_year < 12 / 26, changes_per_year


def test_vendor_mix_shifts(small):
    daily = small.truth["daily"]
    v = daily["vendors"]
    i20 = 181  # 2020-06-30
    assert v["Xiaomi"][-1] > 1.5 * v["Xiaomi"][i20]
    assert v["Huawei"][-1] < 0.8 * v["Huawei"][i20]
    last = {k: s[-1] for k, s in v.items()}
    assert sorted(last, key=last.get, reverse=True)[:2] == ["Apple", "Samsung"]
    assert re.fullmatch(r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]", daily["from"])
