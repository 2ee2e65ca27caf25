"""The ``devicepark`` console script: registers each command group and turns errors into one
line."""

from __future__ import annotations

import errno
import importlib
import os
import sys

import typer
from typer.core import TyperGroup

from devicepark.errors import DeviceparkError


def os_fault(exc: OSError) -> str:
    """An operating-system error the library did not name (a file in the way, a read-only or full
    disk), as one line: the path and the OS's reason, never a traceback."""
    reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
    code = errno.errorcode.get(exc.errno or 0)
    where = f"{exc.filename}: " if exc.filename else ""
    return f"error: {where}{reason}{f' [{code}]' if code else ''}"


class _Group(TyperGroup):
    """Turns a DeviceparkError (or an OSError) anywhere below into one line on stderr and exit
    code 2."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except DeviceparkError as exc:
            sys.stderr.write(f"error: {exc}\n")
            ctx.exit(2)
        except OSError as exc:
            if exc.errno == errno.EPIPE or os.environ.get("DEVICEPARK_DEBUG"):
                raise  # a closed pipe is click's to handle
            sys.stderr.write(os_fault(exc) + "\n")
            ctx.exit(2)


app = typer.Typer(
    cls=_Group,
    name="devicepark",
    help="Count an operator's subscribers by handset vendor and model, privately.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("devicepark")
        except PackageNotFoundError:  # run from a source tree that is not installed
            from devicepark import __version__ as number
        sys.stdout.write(f"devicepark {number}\n")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Count an operator's subscribers by handset vendor and model, privately."""


# One module per command group; each exposes register(app).
MODULES = (
    "identify",  # imei check, tac import, tac lookup
    "ingest",  # ingest, key new
    "queries",  # base, series, switches, adds, milestones
    "synth",  # synth
    "demo",  # demo
    "campaign",  # campaign check|offers|audience|measure
    "publish",  # report, announce
    "market",  # market import|compare, claim check
    "serve",  # serve
    "sql",  # sql
    "store",  # store upgrade
)

for _name in MODULES:
    importlib.import_module(f"devicepark.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; a DeviceparkError becomes one line on stderr and exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except DeviceparkError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except OSError as exc:
        if os.environ.get("DEVICEPARK_DEBUG"):
            raise
        sys.stderr.write(os_fault(exc) + "\n")
        sys.exit(2)
    except Exception as exc:  # never a traceback for the user
        if os.environ.get("DEVICEPARK_DEBUG"):
            raise
        if "OutOfMemory" in type(exc).__name__:
            sys.stderr.write(
                "error: the engine ran out of memory; raise --memory-limit (or free memory) "
                "and run again\n"
            )
            sys.exit(2)
        # Only the exception's type: an engine's message may quote SQL or data values.
        sys.stderr.write(
            f"error: internal error ({type(exc).__name__}); set DEVICEPARK_DEBUG=1 for details\n"
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
