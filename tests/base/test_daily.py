"""The daily aggregate (base/daily.py) answers exactly as the exact fold: on random small stores
(activation and termination, M2M, several runs per line, gaps longer than the lookback, unknown
TACs, a TAC whose catalog row a second import changes), base at every date and series by day,
week and month, plain and keyed, for every ``by`` it fits; and through real ingests (re-ingest,
late data, a second catalog), the stored aggregate is the one rebuilt from scratch."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from basekit import Fixture, Line, Obs, at, build_store, catalog_table, day
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicepark import answers
from devicepark.answers.daily import refresh_daily
from devicepark.base.daily import DAILY_KEYS, fits
from devicepark.ingest.pseudonym import load_key
from devicepark.ingest.run import ingest
from devicepark.jsonout import dumps
from devicepark.questions import BaseQuestion, SeriesQuestion
from devicepark.store import Store, open_tables
from devicepark.store.engine import connect, duckdb_connection
from devicepark.store.schema import DAILY

TACS = {"H0": "11111111", "H1": "22222222", "H2": "99999999", "H3": "11111112", "H4": "44444444"}
CATALOG = {
    "11111111": ("Apple", "Apple", "iPhone 13", "smartphone"),
    "11111112": ("Apple", "Apple", "iPhone 8", "smartphone"),
    "22222222": ("Xiaomi", "Redmi", "Redmi Note 10", "smartphone"),
    "44444444": ("Quectel", "Quectel", "EC25", "module/IoT"),
}
# A second import changes a TAC's vendor and brand, and its device type
SECOND = {"22222222": ("Xiaomi", "POCO", "POCO X3", "smartphone"),
          "44444444": ("Quectel", "Quectel", "EC25", "modem/dongle")}  # fmt: skip
SPAN = 80  # days 0..79
FITTING = [[], ["vendor"], ["brand", "operator_brand"], ["device_type", "segment"],
           ["plan", "region", "vendor"], list(DAILY_KEYS)]  # fmt: skip


@st.composite
def stores(draw: Any) -> Fixture:
    n = draw(st.integers(1, 6))
    lines = []
    for i in range(n):
        act = draw(st.integers(0, 40))
        term = draw(st.one_of(st.none(), st.integers(act, act + 50)))
        prefix = draw(st.integers(0, 255))
        lines.append(
            Line(
                f"{prefix:02x}{i:030x}",
                day(act),
                None if term is None else day(term),
                customer=draw(st.sampled_from([None, "C1", "C2"])),
                operator_brand=draw(st.sampled_from(["Orange", "Sosh"])),
                segment=draw(st.sampled_from(["consumer", "business", "m2m", None])),
                plan=draw(st.sampled_from(["postpaid", "prepaid", None])),
                region=draw(st.sampled_from(["IDF", "PACA", None])),
            )
        )
    names = [ln.line for ln in lines] + ["ff" + "0" * 30]  # the last one is an orphan
    obs = []
    for _ in range(draw(st.integers(0, 18))):
        h = draw(st.sampled_from(sorted(TACS)))
        when = at(draw(st.integers(0, SPAN + 10)), draw(st.sampled_from([0, 12])))
        obs.append(Obs(draw(st.sampled_from(names)), h, TACS[h], when))
    return Fixture(lines, obs, CATALOG)


def two_imports() -> pa.Table:
    second = catalog_table(SECOND)
    second = second.set_column(
        second.schema.get_field_index("import_seq"), "import_seq", pa.array([1] * len(SECOND))
    )
    return pa.concat_tables([catalog_table(CATALOG), second])


def with_daily(path: Path, fx: Fixture, backend: Any, gap: int) -> Store:
    store = build_store(path, fx, backend, gap)
    with store.transaction() as tx:
        tx.write("catalog", two_imports(), replace=True)
    con = duckdb_connection()
    try:
        with store.transaction() as tx:
            refresh_daily(tx, con)
    finally:
        con.close()
    return store.refresh()


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(fx=stores(), gap=st.sampled_from([7, 30]), m2m=st.booleans(), pick=st.integers(0, 99))
def test_aggregate_equals_exact(tmp_path_factory, fx, gap, m2m, pick) -> None:
    backend = connect("duckdb")
    store = with_daily(tmp_path_factory.mktemp("daily"), fx, backend, gap)
    fast = open_tables(backend, store)
    assert fast.daily is not None
    exact = dataclasses.replace(fast, daily=None)
    by = FITTING[pick % len(FITTING)]
    for d in range(SPAN):  # keyed: the plain answer plus the keys (one expression for both)
        q = BaseQuestion.parse(day(d), by, "lines", 30, m2m)
        a = answers.base(backend, fast, q, keyed=True)
        assert dumps(a) == dumps(answers.base(backend, exact, q, keyed=True)), (day(d), by)
    for keyed in (False, True):
        for every, d1 in (("day", 0), ("day", 17), ("week", 3), ("month", 0)):
            q2 = SeriesQuestion.parse(day(d1), day(SPAN - 1), every, by, "lines", 30, m2m)
            a = answers.series(backend, fast, q2, keyed=keyed)
            b = answers.series(backend, exact, q2, keyed=keyed)
            assert dumps(a) == dumps(b), (every, d1, by, keyed)


def test_what_fits() -> None:
    assert fits(["vendor", "region"], "lines", 30)
    assert not fits(["model"], "lines", 30)
    assert not fits(["device_age"], "lines", 30)
    assert not fits(["vendor"], "customers", 30)
    assert not fits(["vendor"], "handsets", 30)
    assert not fits(["vendor"], "lines", 45)


# ----------------------------------------------------------------------------------------------
# Through real ingests

DATA = Path(__file__).resolve().parents[1] / "data" / "core"
HEAD = "line_id,imei,observed_at\n"
A, B = "+33600000001,860000010001013", "+33600000002,350000020002024"
C = "+33600000001,350000020002024"


def _night(tmp: Path, name: str, rows: list[str]) -> Path:
    path = tmp / name
    path.write_text(HEAD + "".join(r + "\n" for r in rows))
    return path


def _rows(files: list[str]) -> list[tuple[Any, ...]]:
    """The aggregate's rows: its files' events summed per kind, day and keys (the files add
    up), those that cancel out dropped."""
    if not files:
        return []
    t = pa.concat_tables([pq.read_table(f).cast(DAILY) for f in files])
    sums: dict[tuple[Any, ...], list[int]] = {}
    for r in t.to_pylist():
        key = tuple(v for k, v in r.items() if k not in ("delta", "kdelta"))
        acc = sums.setdefault(key, [0, 0])
        acc[0] += r["delta"]
        acc[1] += r["kdelta"]
    return sorted((*k, d, kd) for k, (d, kd) in sums.items() if d or kd)


def _from_scratch(store: Store) -> list[tuple[Any, ...]]:
    con = duckdb_connection()
    try:
        with store.transaction() as tx:
            refresh_daily(tx, con)
            got = _rows(tx.files("daily"))
            tx.changed = False  # not committed: only compared
    finally:
        con.close()
    return got


def test_ingests_keep_the_aggregate_exact(tmp_path: Path, key_env: str) -> None:
    path = tmp_path / "store"
    tac2 = tmp_path / "tac2.csv"
    tac2.write_text(
        "tac,manufacturer,brand,model,marketing_name,device_type,os,release_year\n"
        "86000001,Xiaomi Communications Co Ltd,POCO,POCO X4,POCO X4,Smartphone,Android,2022\n"
    )
    # line 1 terminated, line 2 moves to the business segment and to Sosh
    changed = tmp_path / "lines2.csv"
    changed.write_text(
        "line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on\n"
        "+33600000001,CUST-001,Orange,consumer,postpaid,Île-de-France,2020-01-01,2022-04-15\n"
        "+33600000002,CUST-001,Sosh,business,postpaid,Île-de-France,2019-06-15,\n"
    )
    steps: list[dict[str, Any]] = [
        dict(lines=[DATA / "lines.csv"], observations=[DATA / "observations.csv"],
             tac=[DATA / "tac.csv"]),
        dict(observations=[_night(tmp_path, "n1.csv", [f"{A},2022-03-01T01:00:00Z",
                                                       f"{B},2022-03-01T02:00:00Z"])]),
        dict(observations=[_night(tmp_path, "n1.csv", [f"{A},2022-03-01T01:00:00Z"])]),  # again
        dict(observations=[_night(tmp_path, "n2.csv", [f"{C},2022-05-20T01:00:00Z"])]),
        dict(observations=[_night(tmp_path, "late.csv", [f"{B},2022-02-10T01:00:00Z",
                                                         f"{C},2022-04-01T01:00:00Z"])]),
        dict(tac=[tac2]),
        dict(lines=[DATA / "lines.csv"]),
        dict(observations=[_night(tmp_path, "n3.csv", [f"{A},2022-06-01T01:00:00Z",
                                                       f"{B},2022-06-01T02:00:00Z"])]),
        dict(lines=[changed]),
    ]  # fmt: skip
    how: list[str] = []

    def derive(tx: Any, c: Any) -> None:
        how.append(refresh_daily(tx, c))

    con = duckdb_connection()
    backend = None
    try:
        for step in steps:
            ingest(Store.create(path), con, load_key(), max_reject_rate=0.5,
                   derive=derive, **step)  # fmt: skip
            store = Store.open(path)
            stored = _rows(store.files("daily"))
            assert stored and stored == _from_scratch(store)
        # the first build, two nights, late data, a catalog, a night, changed lines (a night
        # again and the same lines change nothing: no commit, no hook)
        assert how == ["rebuilt", "updated", "updated", "rebuilt", "rebuilt", "updated",
                       "updated"], how  # fmt: skip
        backend = connect("duckdb")
        fast = open_tables(backend, Store.open(path))
        exact = dataclasses.replace(fast, daily=None)
        for by in (["vendor"], ["brand", "segment"]):
            q = SeriesQuestion.parse(day(0), dt.date(2022, 7, 1), "day", by, "lines", 30, True)
            assert dumps(answers.series(backend, fast, q, keyed=True)) == dumps(
                answers.series(backend, exact, q, keyed=True)
            )
    finally:
        con.close()
        if backend is not None:
            backend.disconnect()


def core_store(tmp_path: Path) -> Path:
    """The core test files ingested as the CLI does (with the aggregate's hook)."""
    path = tmp_path / "store"
    con = duckdb_connection()
    try:
        ingest(Store.create(path), con, load_key(), lines=[DATA / "lines.csv"],
               observations=[DATA / "observations.csv"], tac=[DATA / "tac.csv"],
               max_reject_rate=0.5, derive=refresh_daily)  # fmt: skip
    finally:
        con.close()
    return path


def test_an_ingest_without_the_hook_drops_the_aggregate(tmp_path: Path, key_env: str) -> None:
    path = core_store(tmp_path)
    con = duckdb_connection()
    try:
        assert Store.open(path).files("daily")
        night = _night(tmp_path, "n.csv", [f"{A},2022-03-01T01:00:00Z"])
        ingest(Store.open(path), con, load_key(), observations=[night])
        assert not Store.open(path).files("daily")  # stale: gone, the exact fold answers
    finally:
        con.close()


# Random sequences of real ingests: lines files that add lines, terminate them, change their
# segment or brand (orphan sightings adopted), nights that append, come late or repeat, and a
# second catalog. After each ingest the stored aggregate (kept, updated or rebuilt) sums to the
# one rebuilt from scratch, and answers equal the exact fold's.
N_LINES = 8
IMEIS = ["860000010001013", "350000020002024", "990000030003035", "860000010004017"]
LHEAD = "line_id,customer_id,operator_brand,segment,plan,region,activated_on,terminated_on\n"


@st.composite
def ingest_steps(draw: Any) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    clock = 0  # the nights move forward; late ones go back
    for _ in range(draw(st.integers(2, 6))):
        kind = draw(st.sampled_from(["lines", "night", "night", "late", "tac"]))
        if kind == "lines":
            rows = []
            for i in draw(st.sets(st.integers(0, N_LINES - 1), min_size=1)):
                act = draw(st.integers(0, 30))
                term = draw(st.one_of(st.none(), st.integers(act + 1, act + 120)))
                rows.append(
                    f"+3360000{i:04d},C{i % 3},{draw(st.sampled_from(['Orange', 'Sosh']))},"
                    f"{draw(st.sampled_from(['consumer', 'business', 'm2m']))},postpaid,IDF,"
                    f"{day(act)},{'' if term is None else day(term)}"
                )
            steps.append(("lines", rows))
        elif kind == "tac":
            steps.append(("tac", []))
        else:
            if kind == "night":
                clock += draw(st.integers(1, 45))
            when = clock if kind == "night" else draw(st.integers(0, max(clock, 1)))
            rows = [
                f"+3360000{i:04d},{draw(st.sampled_from(IMEIS))},{day(when)}T0{h}:00:00Z"
                for i in draw(st.sets(st.integers(0, N_LINES - 1), min_size=1))
                for h in range(draw(st.integers(1, 2)))
            ]
            steps.append(("observations", rows))
    return steps


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=ingest_steps())
def test_random_ingests_keep_the_aggregate_exact(tmp_path_factory, steps, key_env) -> None:
    root = tmp_path_factory.mktemp("seq")
    path = root / "store"
    tac2 = root / "tac2.csv"
    tac2.write_text(
        "tac,manufacturer,brand,model,marketing_name,device_type,os,release_year\n"
        "86000001,Xiaomi Communications Co Ltd,POCO,POCO X4,POCO X4,Smartphone,Android,2022\n"
        "99000003,Quectel,Quectel,EC25,EC25,Modem,,2019\n"
    )
    con = duckdb_connection()
    backend = connect("duckdb")
    try:
        ingest(Store.create(path), con, load_key(), tac=[DATA / "tac.csv"], derive=refresh_daily)
        for n, (kind, rows) in enumerate(steps):
            if kind == "tac":
                files: dict[str, Any] = {"tac": [tac2]}
            else:
                f = root / f"{n}-{kind}.csv"
                f.write_text((LHEAD if kind == "lines" else HEAD) + "".join(r + "\n" for r in rows))
                files = {kind: [f]}
            ingest(Store.open(path), con, load_key(), max_reject_rate=1.0, derive=refresh_daily,
                   **files)  # fmt: skip
            store = Store.open(path)
            assert _rows(store.files("daily")) == _from_scratch(store), (n, kind)
        store = Store.open(path)
        fast = open_tables(backend, store)
        if fast.daily is None:
            return  # no lines yet: nothing to aggregate
        exact = dataclasses.replace(fast, daily=None)
        for by in (["vendor"], ["brand", "operator_brand", "segment"]):
            q = SeriesQuestion.parse(day(0), day(200), "day", by, "lines", 30, True)
            assert dumps(answers.series(backend, fast, q, keyed=True)) == dumps(
                answers.series(backend, exact, q, keyed=True)
            ), by
    finally:
        con.close()
        backend.disconnect()


def test_a_brand_page_filters_the_aggregate_too(tmp_path: Path, key_env: str) -> None:
    """The report's and dashboard's brand pages count one operator brand: through
    ``Tables.only_brand`` the aggregate is filtered as the lines are; tables whose lines were
    filtered any other way do not use it."""
    path = core_store(tmp_path)
    backend = connect("duckdb")
    try:
        tables = open_tables(backend, Store.open(path))
        assert tables.aggregate() is not None
        for brand in ("Orange", "Sosh"):
            fast = tables.only_brand(brand)
            assert fast.aggregate() is not None
            lines = tables.lines.filter(tables.lines.operator_brand == brand)
            other = dataclasses.replace(tables, lines=lines)
            assert other.aggregate() is None  # filtered lines: the exact fold
            exact = dataclasses.replace(other, daily=None)
            for d in (dt.date(2022, 1, 20), dt.date(2022, 2, 3), dt.date(2022, 3, 1)):
                q = BaseQuestion.parse(d, ["vendor"], "lines", 30, True)
                got = answers.base(backend, fast, q, keyed=True)
                assert dumps(got) == dumps(answers.base(backend, exact, q, keyed=True))
                assert dumps(got) == dumps(answers.base(backend, other, q, keyed=True))
            whole = answers.base(backend, tables, BaseQuestion.parse(dt.date(2022, 2, 3)))
            part = answers.base(backend, fast, BaseQuestion.parse(dt.date(2022, 2, 3)))
            assert 0 < part["total_lines"] < whole["total_lines"]
    finally:
        backend.disconnect()
