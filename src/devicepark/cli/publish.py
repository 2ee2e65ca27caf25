"""``devicepark report`` and ``devicepark announce``: publish figures, protected, in fr or en.

Both run the answers of ``devicepark.answers`` with their cell keys, then ``devicepark.publish``
perturbs every figure (``publish.cellkey``, the protection of everything published) or, with
``--epsilon``, adds differential-privacy noise recorded in the store's privacy ledger.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from devicepark.cli._common import (
    AsOfOpt,
    EpsilonOpt,
    Lang,
    LangOpt,
    LookbackOpt,
    OperatorOpt,
    StoreOpt,
    TextJsonOpt,
    TextOrJson,
    ThresholdOpt,
    VendorOpt,
    err,
    open_store,
    out,
    print_json,
    progress_bar,
    warn_dates,
    with_engine,
)
from devicepark.errors import InputError
from devicepark.questions import AnnounceQuestion, EngineOptions, ReportQuestion


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("announce")(announce)


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
    _check_kind(data, path, option)
    return data


# What each option takes: the JSON of one command, recognised by its contract's keys.
_EXPECTED = {
    "--campaign": ("devicepark campaign measure --format json", {"campaign", "effect", "daily"}),
    "--market": (
        "devicepark market compare --as-of D --format json",
        {"market", "period", "vendors"},
    ),
}


def _check_kind(data: dict[str, Any], path: Path, option: str) -> None:
    """Refuse a file that is the JSON of another command, naming the command expected."""
    command, keys = _EXPECTED[option]
    if keys <= set(data):
        return
    if option == "--market" and {"market", "points"} <= set(data):
        found = "a market comparison series (--from/--to); give one date with --as-of"
    else:
        found = next(
            (f"the JSON of {other[0].split(' --')[0]}" for o, other in _EXPECTED.items()
             if o != option and other[1] <= set(data)),
            "not that JSON",
        )  # fmt: skip
    raise InputError(f"{option} takes the JSON of `{command}`; this is {found}", file=str(path))


# -- report ---------------------------------------------------------------------------------------


@with_engine
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
    *,
    engine: EngineOptions,
) -> None:
    """Write one self-contained HTML report (offline, no script) of the base at --as-of."""
    import dataclasses

    from devicepark import answers
    from devicepark.publish import cellkey, privacy
    from devicepark.publish import report as rep

    q = ReportQuestion.parse(
        as_of, start, lookback_days, vendor, threshold, epsilon is not None, operator, lang.value
    )
    campaigns = [_load_json(p, "--campaign") for p in campaign or []]
    markets = [_load_json(p, "--market") for p in market or []]
    noise = privacy.Noise(epsilon) if epsilon is not None else None
    st, con, tables = open_store(store, engine)
    day = q.as_of
    warn_dates(st, q.as_of, q.start)
    with progress_bar() as cb:
        data = answers.report_data(con, tables, q, progress=cb, keyed=noise is None)
        if noise is None:  # each observed day of a campaign is perturbed from its cell key
            for c in campaigns:
                c[cellkey.DAY_KEYS] = _day_keys(con, tables, c, q.lookback_days)
        data = dataclasses.replace(data, campaigns=campaigns, markets=markets)
        keys = answers.store_vendors(con, tables) if noise is not None else None
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


def _day_keys(con: Any, tables: Any, result: dict[str, Any], lookback_days: int) -> dict[str, int]:
    """The cell keys of the days a campaign result observes (its vendor's adds in its brands)."""
    import datetime as dt

    from devicepark import answers

    days = [str(d.get("date"))[:10] for d in result.get("daily") or []]
    if not days or not result.get("vendor"):
        return {}
    first, last = dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))
    brands = list(result.get("operator_brands") or [])
    return answers.day_keys(con, tables, result["vendor"], brands, first, last, lookback_days)


# -- announce -------------------------------------------------------------------------------------


@with_engine
def announce(
    store: StoreOpt,
    vendor: VendorOpt,
    as_of: AsOfOpt,
    lang: LangOpt = Lang.fr,
    fmt: TextJsonOpt = TextOrJson.text,
    operator: OperatorOpt = None,
    threshold: ThresholdOpt = 10,
    epsilon: EpsilonOpt = None,
    lookback_days: LookbackOpt = 30,
    *,
    engine: EngineOptions,
) -> None:
    """A short post from the largest round figure reached, e.g. "1 MILLION d'utilisateurs
    #Xiaomi chez Orange !", with the published (perturbed) count, the share and its
    definitions."""
    from devicepark import answers
    from devicepark.publish import announce as ann
    from devicepark.publish import privacy

    q = AnnounceQuestion.parse(vendor, as_of, lookback_days, operator, lang.value)
    noise = privacy.Noise(epsilon) if epsilon is not None else None
    st, con, tables = open_store(store, engine)
    got = answers.announce_data(con, tables, q, noised=noise is not None, keyed=noise is None)
    warn_dates(st, q.as_of)
    base = got["base"]
    scale = None
    if noise is not None:
        keys = [{"vendor": v} for v in got["vendors"]]
        base = privacy.noise_base(base, noise, keys=keys)
        scale = noise.spent[0].scale
    result = ann.announce(
        base,
        got["vendor"],
        lang=q.lang,
        operator=got["operator"],
        lookback_days=q.lookback_days,
        threshold=threshold,
        noise_scale=scale,
        epsilon=epsilon,
    )
    if noise is not None:
        total = privacy.record(st, noise, command="announce", as_of=q.as_of)
        err.print(f"privacy budget: epsilon {noise.total:.3g} for this post, {total:.3g} in total")
    if fmt is TextOrJson.json:
        print_json(result)
    else:
        out.print(result["text"], markup=False)
