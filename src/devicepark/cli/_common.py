"""What every command shares: output formats, error handling, store and engine options."""

from __future__ import annotations

import contextlib
import csv
import functools
import inspect
import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
import typer.core
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from devicepark.base.common import BY_KEYS, UNITS
from devicepark.jsonout import dumps
from devicepark.questions import CLI, EngineOptions

# Help speaks in words, not Python types: "--as-of TEXT", "--lines PATH...", and nothing after a
# flag (typer shows "<bool>", "<list[Path]>"); an option's own metavar wins. typer is pinned
# below its next major version, whose help we check in tests/test_cli_options.py.
_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "bool": None}


def _help_type(self: Any, ctx: Any) -> str | None:
    if getattr(self, "metavar", None) is not None:
        return str(self.metavar)
    if getattr(self, "is_flag", False):
        return None
    label = str(self.display_type(ctx)).strip("<>")
    many = label.startswith("list[") and label.endswith("]")
    inner = label[5:-1] if many else label
    first = inner.split(" ")[0]
    word = _WORDS.get(first.lower(), first)
    return None if word is None else word + ("..." if many else "")


typer.core.TyperOption.display_type_rich = _help_type  # type: ignore[method-assign]
typer.core.TyperArgument.display_type_rich = _help_type  # type: ignore[method-assign]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


Format = StrEnum("Format", "table json csv")
TableOrJson = StrEnum("TableOrJson", "table json")
TextOrJson = StrEnum("TextOrJson", "text json")
Engine = StrEnum("Engine", "duckdb spark")
Lang = StrEnum("Lang", "fr en")


def _keys(keys: Sequence[str]) -> str:
    return ", ".join(keys)


# Every option used by more than one command is declared here, once (Annotated aliases keep the
# signatures short and the names, help texts and defaults the same everywhere).
StoreOpt = Annotated[Path, typer.Option("--store", help="Store directory.", show_default=False)]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, json or csv.")]
TableJsonOpt = Annotated[TableOrJson, typer.Option("--format", help="table or json.")]
TextJsonOpt = Annotated[TextOrJson, typer.Option("--format", help="text or json.")]
AsOfOpt = Annotated[str, typer.Option("--as-of", help="Date D (YYYY-MM-DD).", show_default=False)]
FromOpt = Annotated[
    str, typer.Option("--from", help="First date (YYYY-MM-DD).", show_default=False)
]
ToOpt = Annotated[str, typer.Option("--to", help="Last date (YYYY-MM-DD).", show_default=False)]
ByOpt = Annotated[str, typer.Option("--by", help=f"Comma list among {_keys(BY_KEYS)}.")]
UnitOpt = Annotated[str, typer.Option("--unit", help=f"{_keys(UNITS[:-1])} or {UNITS[-1]}.")]
EveryOpt = Annotated[str, typer.Option("--every", help="day, week (Sundays) or month (last days).")]
SeedOpt = Annotated[
    int, typer.Option("--seed", min=0, help="Random seed; the same seed writes the same bytes.")
]
KeyFileOpt = Annotated[
    Path | None, typer.Option("--key-file", help="Key file (else DEVICEPARK_KEY).")
]
LookbackOpt = Annotated[
    int, typer.Option("--lookback-days", help="Days of observations that identify a device.")
]
M2mOpt = Annotated[
    bool, typer.Option("--include-m2m", help="Count M2M SIMs too (excluded by default).")
]
VendorOpt = Annotated[
    str, typer.Option("--vendor", help="Vendor, e.g. Xiaomi.", show_default=False)
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="fr or en.")]
OperatorOpt = Annotated[
    str | None,
    typer.Option(
        "--operator",
        help="Operator name in the text (default: the store's operator brands, joined).",
        show_default=False,
    ),
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
EngineOpt = Annotated[
    Engine | None,
    typer.Option(
        "--engine", help="duckdb (default) or spark; or set DEVICEPARK_ENGINE.", show_default=False
    ),
]
SparkMasterOpt = Annotated[
    str | None, typer.Option("--spark-master", help="Spark master URL, e.g. local[2].")
]
SparkConfOpt = Annotated[
    list[str] | None, typer.Option("--spark-conf", help="Spark setting KEY=VALUE; repeatable.")
]
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option("--memory-limit", help="Engine memory limit, e.g. 4GB (DuckDB's memory_limit)."),
]
F = TypeVar("F", bound=Callable[..., Any])


def _options(
    target: str, params: tuple[tuple[str, Any, Any], ...], fold: Callable[[dict[str, Any]], Any]
) -> Callable[[F], F]:
    """A decorator giving a command a group of options declared here once: typer sees each
    option; the command receives them folded into one argument named ``target``."""

    def decorate(func: F) -> F:
        sig = inspect.signature(func, eval_str=True)
        params_ = [p for p in sig.parameters.values() if p.name != target]
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
            for name, ann, default in params
        ]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            raw = {name: kwargs.pop(name, default) for name, _, default in params}
            return func(*args, **{target: fold(raw)}, **kwargs)

        command.__signature__ = sig.replace(parameters=[*params_, *extra])  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in [*params_, *extra]}
        return cast(F, command)

    return decorate


def _engine(raw: dict[str, Any]) -> EngineOptions:
    engine = raw["engine"]
    raw["engine"] = engine.value if isinstance(engine, Engine) else engine
    return EngineOptions.parse(**raw, names=CLI)


# The four engine options (--engine, --spark-master, --spark-conf, --memory-limit), folded into
# one ``engine: EngineOptions`` argument.
with_engine = _options(
    "engine",
    (
        ("engine", EngineOpt, None),
        ("spark_master", SparkMasterOpt, None),
        ("spark_conf", SparkConfOpt, None),
        ("memory_limit", MemoryLimitOpt, None),
    ),
    _engine,
)
# What every count shares (--lookback-days, --include-m2m), folded into ``scope``: a dict of the
# raw values for the question's ``parse``.
with_scope = _options(
    "scope", (("lookback_days", LookbackOpt, 30), ("include_m2m", M2mOpt, False)), dict
)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    sys.stdout.write(buf.getvalue())


_ATOMIC = re.compile(r"[-+0-9.,:/ %]*")  # a number, share or date: printed whole or not at all


def print_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    right: Sequence[str] = (),
    drop: Sequence[str] | None = None,
) -> None:
    """A table that fits the terminal without cutting a number or a date: headers wrap at
    underscores, text wraps inside its column, and when even that is too wide the rightmost
    measures are left out (``drop`` names them in the order to leave out; by default from the
    right, keeping the first) and named on stderr."""
    cells = [["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows]
    atomic, need = [], []
    for i, c in enumerate(columns):
        values = [r[i] for r in cells]
        whole = c in right or all(_ATOMIC.fullmatch(v) for v in values)
        widest = max((len(v) for v in values), default=0)
        atomic.append(whole)
        word = max((len(w) for w in c.split("_")), default=1)  # headers wrap at underscores
        need.append(max(widest, word) if whole else min(max(widest, word), 12))
    keep = list(range(len(columns)))
    # Too wide: leave out measures from the right (never a key column, never the first measure,
    # so no two rows read alike); what still does not fit wraps.
    if drop is None:
        droppable = [i for i in reversed(keep) if columns[i] in right][:-1]
    else:  # the caller's order of what matters least
        droppable = [columns.index(c) for c in drop if c in columns]
    while droppable and sum(need[i] + 3 for i in keep) + 1 > out.width:
        keep.remove(droppable.pop(0))
    roomy = sum(max(need[i], len(columns[i])) + 3 for i in keep) + 1 <= out.width
    table = RichTable(title=title, show_lines=False)
    for i in keep:
        justify: Any = "right" if columns[i] in right else "left"
        header = (
            columns[i] if roomy or len(columns[i]) <= need[i] else columns[i].replace("_", "\n")
        )
        least = need[i] if atomic[i] else min(need[i], 6)  # text may wrap down to 6 wide
        table.add_column(
            header, justify=justify, no_wrap=atomic[i], min_width=least, overflow="fold"
        )
    for r in cells:
        table.add_row(*[r[i] for i in keep])
    out.print(table)
    if len(keep) < len(columns):
        hidden = ", ".join(columns[i] for i in range(len(columns)) if i not in keep)
        err.print(f"(not shown, the terminal is too narrow: {hidden}; --format csv shows all)")


def thousands(n: int | float | None) -> str:
    return "" if n is None else f"{int(n):,}"


def percent(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{100 * x:.{digits}f} %"


def connect_engine(opts: EngineOptions) -> Any:
    """The Ibis backend the engine options ask for (DuckDB unless --engine/DEVICEPARK_ENGINE)."""
    from devicepark.store import connect

    return connect(
        opts.engine,
        memory_limit=opts.memory_limit,
        spark_master=opts.spark_master,
        spark_conf=dict(opts.spark_conf),
    )


def open_store(store: Path, opts: EngineOptions) -> tuple[Any, Any, Any]:
    """(store, backend, tables) for a query command."""
    from devicepark.store import Store, open_tables

    st = Store.open(store)
    con = connect_engine(opts)
    return st, con, open_tables(con, st)


@contextlib.contextmanager
def progress_bar(enabled: bool | None = None) -> Iterator[Callable[..., None]]:
    """A rich progress display driven by the library's callback ``cb(stage, done, total)``.

    Shown only on a terminal (or when DEVICEPARK_PROGRESS=1), always on stderr.
    """
    if enabled is None:
        enabled = err.is_terminal or os.environ.get("DEVICEPARK_PROGRESS") == "1"
    if not enabled:
        yield lambda *a, **k: None
        return
    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as prog:

        def callback(stage: str, done: float | None = None, total: float | None = None) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(stage, total=total)
            task = tasks[stage]
            prog.update(task, completed=done if done is not None else 0, total=total)

        yield callback


@contextlib.contextmanager
def busy(stage: str) -> Iterator[None]:
    """An indeterminate progress bar with the elapsed time while one long query runs (shown on a
    terminal only, like ``progress_bar``)."""
    with progress_bar() as cb:
        cb(stage, 0, None)
        yield
        cb(stage, 1, 1)


def warn_dates(store: Any, *days: Any) -> None:
    """Print one warning line on stderr when a date lies outside the store's data."""
    from devicepark.answers.span import outside

    message = outside(store, *days)
    if message:
        err.print(f"warning: {message}", markup=False)
