"""Options are declared once: the same name means the same thing, with the same help, in every
command; the engine options reach every command that queries; help lists keys from the code."""

from __future__ import annotations

import typer.main

from devicepark.base.common import BY_KEYS
from devicepark.cli.main import app

ENGINE = ("--engine", "--spark-master", "--spark-conf", "--memory-limit")


def commands() -> dict[str, object]:
    """Every leaf command of the app by its full name (``campaign measure``...)."""
    group = typer.main.get_command(app)
    found: dict[str, object] = {}

    def walk(cmd, prefix: str) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found[prefix] = cmd

    walk(group, "")
    return found


def options(cmd) -> dict[str, tuple[str, str]]:
    """``{--name: (help, type name)}`` of a command's visible options."""
    got = {}
    for p in cmd.params:
        if getattr(p, "hidden", False) or not p.opts[0].startswith("--"):
            continue  # arguments are positional: their meaning is the command's
        for name in p.opts:
            got[name] = (p.help or "", str(p.type_descriptor.annotation))
    return got


def test_engine_options_on_every_query_command() -> None:
    querying = {
        "base",
        "series",
        "switches",
        "adds",
        "milestones",
        "report",
        "announce",
        "campaign audience",
        "campaign measure",
        "market compare",
        "claim check",
        "serve",
    }
    cmds = commands()
    assert querying <= set(cmds)
    for name in querying:
        assert set(ENGINE) <= set(options(cmds[name])), name


def test_one_meaning_per_option_name() -> None:
    """Where two commands share an option name, its help and type agree. Exempt on purpose:
    options whose help names what that command does with the same kind of value (a date, a
    vendor, a file to write, the output format, the grouping keys it accepts), and three names
    that still mean two things (listed in the closing note of issue 16): ``--threshold`` (a
    milestone, or the disclosure threshold), ``--market`` (a name, or a comparison file) and
    ``--campaign`` (a file to plant, or a result to show)."""
    specific = {"--by", "--vendor", "--out", "--from", "--to", "--as-of", "--format", "--lines"}
    specific |= {"--store", "--threshold", "--market", "--campaign"}
    seen: dict[str, tuple[str, tuple[str, str]]] = {}
    for name, cmd in commands().items():
        for opt, meta in options(cmd).items():
            if opt in specific:
                continue
            if opt in seen:
                assert seen[opt][1] == meta, f"{opt}: {seen[opt][0]} and {name} differ"
            else:
                seen[opt] = (name, meta)
    assert "--lookback-days" in seen and "--memory-limit" in seen


def test_every_is_a_period_wherever_it_is_visible() -> None:
    for name, cmd in commands().items():
        if "--every" in options(cmd):
            assert options(cmd)["--every"][1] != str(int), name


def test_by_help_lists_the_keys_of_the_code() -> None:
    help_text = options(commands()["base"])["--by"][0]
    assert all(key in help_text for key in BY_KEYS)


def test_help_speaks_words_not_python_types() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    for name in commands():
        r = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "120"})
        assert r.exit_code == 0, name
        for python_type in ("<bool>", "<str>", "<int>", "<float>", "<path>", "list[", "<Path"):
            assert python_type not in r.stdout, f"{name}: {python_type}"
    serve = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "120"}).stdout
    assert "DEVICEPARK_API_TOKEN" in serve


def test_version() -> None:
    from typer.testing import CliRunner

    from devicepark import __version__

    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout == f"devicepark {__version__}\n"
