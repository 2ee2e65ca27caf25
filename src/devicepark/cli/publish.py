"""``devicepark report`` and ``devicepark announce``: publish figures, protected, in fr or en.

Both run the answers of ``devicepark.answers``, then ``devicepark.publish`` applies disclosure
control (and, with ``--epsilon``, differential privacy recorded in the store's privacy ledger).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    EngineOpt,
    MemoryLimitOpt,
    SparkConfOpt,
    SparkMasterOpt,
    StoreOpt,
    err,
    open_store,
    out,
    print_json,
    progress_bar,
)
from devicepark.errors import ConfigError, InputError


class Lang(StrEnum):
    fr = "fr"
    en = "en"


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


AsOfOpt = Annotated[str, typer.Option("--as-of", help="Date D (YYYY-MM-DD).", show_default=False)]
LangOpt = Annotated[Lang, typer.Option("--lang", help="fr or en.")]
OperatorOpt = Annotated[
    str | None,
    typer.Option(
        "--operator",
        help="Operator name in the text (default: the store's operator brands, joined).",
        show_default=False,
    ),
]
LookbackOpt = Annotated[
    int, typer.Option("--lookback-days", help="Days of observations that identify a device.")
]
ThresholdOpt = Annotated[
    int, typer.Option("--threshold", help="Counts under this many lines are hidden.", min=1)
]
EpsilonOpt = Annotated[
    float | None,
    typer.Option(
        "--epsilon",
        help="Add Laplace noise (OpenDP) with this privacy budget; recorded in the store's "
        "privacy ledger.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("announce")(announce)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} takes a date YYYY-MM-DD, not {value!r}") from None


def _open(
    store: Path, engine: Any, spark_master: str | None, spark_conf: list[str] | None,
    memory_limit: str | None,
) -> tuple[Any, Any, Any]:  # fmt: skip
    return open_store(store, engine, spark_master, spark_conf, memory_limit)


def _operator(con: Any, tables: Any, given: str | None, lang: str) -> str:
    """The operator's name in prose: ``--operator``, else the store's brands ('Orange et Sosh')."""
    from devicepark.publish import locale

    if given:
        return given
    t = tables.lines
    brands = [r["operator_brand"] for r in con.to_pyarrow(t.select("operator_brand").distinct())
              .to_pylist() if r["operator_brand"]]  # fmt: skip
    return locale.join(sorted(brands), lang)


def _catalog_vendors(con: Any, tables: Any) -> list[str]:
    """The public domain of vendor names (the catalog's, plus Unknown) for noising."""
    t = tables.catalog
    names = {r["vendor"] for r in con.to_pyarrow(t.select("vendor").distinct()).to_pylist()}
    return sorted({n for n in names if n} | {"Unknown"})


def _load_json(path: Path, option: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg})",
            file=str(path),
            line=exc.lineno,
            column=exc.colno,
            hint=f"{option} takes the JSON that the matching command writes with --format json",
        ) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", file=str(path), line=1)
    return data


def _every(start: dt.date, end: dt.date, noised: bool = False) -> str:
    """Daily points up to two years (milestones are dated to the day), weekly beyond. With
    noise every point costs budget (a line counts once per point): monthly, or weekly when
    the span is short."""
    days = (end - start).days
    if noised:
        return "month" if days > 120 else "week"
    return "day" if days <= 2 * 366 else "week"


def _milestones(
    series: dict[str, Any], vendors: list[str], counts: dict[str, int], threshold: int
) -> list[dict[str, Any]]:
    """First crossings of round thresholds by each vendor, read off the report's own series
    (the shape of ``answers.milestones`` without its forecast)."""
    from devicepark.base.milestones import crossings

    points = series.get("points", [])
    dates = [dt.date.fromisoformat(str(p["date"])[:10]) for p in points]
    out = []
    for v in vendors:
        if not counts.get(v) or not dates:
            continue
        values = [next((g["lines"] for g in p["groups"] if g["vendor"] == v), 0) for p in points]
        every = _milestone_every(max(values), threshold)
        ths = list(range(every, max(values) + 1, every))
        out.append({"vendor": v, "every": every, "milestones": crossings(dates, values, ths)})
    return out


def _milestone_every(count: int, threshold: int) -> int:
    """Thresholds roughly a quarter of the current count apart, on round figures."""
    from devicepark.publish.announce import round_figure

    return max(threshold, round_figure(max(1, count // 4)))


# -- report ---------------------------------------------------------------------------------------


def report(
    store: StoreOpt,
    as_of: AsOfOpt,
    out_file: Annotated[
        Path, typer.Option("--out", help="The HTML file to write.", show_default=False)
    ],
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First date of the series and the switching flows "
            "(default: a year before --as-of, or the first full date of the store).",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = Lang.fr,
    campaign: Annotated[
        list[Path] | None,
        typer.Option(
            "--campaign",
            help="A campaign result (devicepark campaign measure --format json); repeatable.",
            show_default=False,
        ),
    ] = None,
    market: Annotated[
        list[Path] | None,
        typer.Option(
            "--market",
            help="A market comparison (devicepark market compare --format json); repeatable.",
            show_default=False,
        ),
    ] = None,
    vendor: Annotated[
        list[str] | None,
        typer.Option(
            "--vendor",
            help="Vendor whose milestones are marked (default: the top 3); repeatable.",
            show_default=False,
        ),
    ] = None,
    operator: OperatorOpt = None,
    top: Annotated[int, typer.Option("--top", help="Vendors shown by name.", min=1)] = 6,
    threshold: ThresholdOpt = 10,
    epsilon: EpsilonOpt = None,
    lookback_days: LookbackOpt = 30,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    memory_limit: MemoryLimitOpt = None,
) -> None:
    """Write one self-contained HTML report (offline, no script) of the base at --as-of."""
    from devicepark import answers
    from devicepark.publish import privacy
    from devicepark.publish import report as rep

    day = _date(as_of, "--as-of")
    assert day is not None
    campaigns = [_load_json(p, "--campaign") for p in campaign or []]
    markets = [_load_json(p, "--market") for p in market or []]
    noise = privacy.Noise(epsilon) if epsilon is not None else None
    st, con, tables = _open(store, engine, spark_master, spark_conf, memory_limit)
    with progress_bar() as cb:
        cb("base", 0, 6)
        base = answers.base(con, tables, day, by=["vendor"], lookback_days=lookback_days)
        first = _date(start, "--from")
        if first is None:
            first = day - dt.timedelta(days=365)
            span = answers.data_span(con, tables)
            if span is not None:
                first = max(first, min(span[0] + dt.timedelta(days=lookback_days - 1), day))
        if first > day:
            raise ConfigError(f"--from {first} is after --as-of {day}")
        cb("base", 1, 6)
        series = answers.series(
            con, tables, first, day, every=_every(first, day, noise is not None), by=["vendor"],
            lookback_days=lookback_days,
        )  # fmt: skip
        cb("base", 2, 6)
        switches = answers.switches(con, tables, first, day, lookback_days=lookback_days)
        cb("base", 3, 6)
        age = answers.base(con, tables, day, by=["device_age"], lookback_days=lookback_days)
        cb("base", 4, 6)
        counts = {g["vendor"]: g["lines"] for g in base["groups"]}
        milestones = _milestones(series, vendor or rep.top_vendors(base, 3), counts, threshold)
        cb("base", 5, 6)
        data = rep.ReportInput(
            as_of=day.isoformat(),
            base=base,
            series=series,
            switches=switches,
            age=age,
            milestones=milestones,
            campaigns=campaigns,
            markets=markets,
            operator=_operator(con, tables, operator, lang.value),
            lookback_days=lookback_days,
            start=first.isoformat(),
        )
        keys = _catalog_vendors(con, tables) if noise is not None else None
        pub = rep.publish(
            data, lang=lang.value, top=top, threshold=threshold, noise=noise, vendor_keys=keys
        )
        if noise is not None:
            pub.epsilon = noise.total
            pub.epsilon_total = privacy.record(st, noise, command="report", as_of=day)
        page = rep.render(pub, lang.value)
        cb("base", 6, 6)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(f".{out_file.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_file)
    out.print(f"wrote {out_file} ({len(page.encode('utf-8')) // 1024} kB)")
    if noise is not None:
        out.print(
            f"privacy budget: epsilon {pub.epsilon:.3g} for this report, "
            f"{pub.epsilon_total:.3g} in total for this store"
        )


# -- announce -------------------------------------------------------------------------------------


def announce(
    store: StoreOpt,
    vendor: Annotated[
        str, typer.Option("--vendor", help="Vendor to announce, e.g. Xiaomi.", show_default=False)
    ],
    as_of: AsOfOpt,
    lang: LangOpt = Lang.fr,
    fmt: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
    operator: OperatorOpt = None,
    threshold: ThresholdOpt = 10,
    epsilon: EpsilonOpt = None,
    lookback_days: LookbackOpt = 30,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    memory_limit: MemoryLimitOpt = None,
) -> None:
    """A short post from the largest round figure reached, e.g. "1 MILLION d'utilisateurs
    #Xiaomi chez Orange !", with the exact count, the share and its definitions."""
    from devicepark import answers
    from devicepark.publish import announce as ann
    from devicepark.publish import privacy

    day = _date(as_of, "--as-of")
    assert day is not None
    noise = privacy.Noise(epsilon) if epsilon is not None else None
    st, con, tables = _open(store, engine, spark_master, spark_conf, memory_limit)
    base = answers.base(con, tables, day, by=["vendor"], lookback_days=lookback_days)
    scale = None
    if noise is not None:
        keys = [{"vendor": v} for v in _catalog_vendors(con, tables)]
        base = privacy.noise_base(base, noise, keys=keys)
        scale = noise.spent[0].scale
    result = ann.announce(
        base,
        vendor,
        lang=lang.value,
        operator=_operator(con, tables, operator, lang.value),
        lookback_days=lookback_days,
        threshold=threshold,
        noise_scale=scale,
        epsilon=epsilon,
    )
    if noise is not None:
        total = privacy.record(st, noise, command="announce", as_of=day)
        err.print(f"privacy budget: epsilon {noise.total:.3g} for this post, {total:.3g} in total")
    if fmt is TextOrJson.json:
        print_json(result)
    else:
        out.print(result["text"], markup=False)
