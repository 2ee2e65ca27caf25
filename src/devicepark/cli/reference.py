"""Write the CLI reference (Markdown) from the command tree itself, so the docs cannot drift.

``python -m devicepark.cli.reference`` prints it; ``--write README.md`` replaces the part of the
README between the ``<!-- cli-reference -->`` markers. A test checks the README is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

BEGIN, END = "<!-- cli-reference:begin -->", "<!-- cli-reference:end -->"


def _walk(cmd, path: list[str]):  # type: ignore[no-untyped-def]
    if hasattr(cmd, "list_commands"):
        ctx = typer.Context(cmd)
        for name in sorted(cmd.list_commands(ctx)):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name])
    else:
        yield path, cmd


def reference(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    out: list[str] = []
    for path, cmd in _walk(root, []):
        args = " ".join(
            (p.name or "").upper()
            + ("..." if p.nargs == -1 or getattr(p, "multiple", False) else "")
            for p in cmd.params
            if p.param_type_name == "argument"
        )
        out.append(f"#### `devicepark {' '.join(path)}{(' ' + args) if args else ''}`")
        out.append("")
        helptext = (cmd.help or "").strip().split("\n\n")[0].replace("\n", " ")
        if helptext:
            out.append(helptext)
            out.append("")
        opts = [
            p
            for p in cmd.params
            if p.param_type_name == "option" and not p.hidden and p.name != "help"
        ]
        if opts:
            out.append("| option | meaning |")
            out.append("|---|---|")
            for p in opts:
                names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
                meaning = (p.help or "").replace("|", "\\|").replace("\n", " ")
                default = p.default
                if (
                    default not in (None, False, (), [], "")
                    and not getattr(p, "is_flag", False)
                    and not callable(default)
                ):
                    default = getattr(default, "value", default)
                    meaning += f" Default: `{default}`."
                out.append(f"| {names} | {meaning.strip()} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def splice(readme: str, ref: str) -> str:
    head, sep, rest = readme.partition(BEGIN)
    if not sep:
        raise SystemExit(f"README has no {BEGIN} marker")
    _, sep2, tail = rest.partition(END)
    if not sep2:
        raise SystemExit(f"README has no {END} marker")
    return f"{head}{BEGIN}\n{ref}{END}{tail}"


def main(argv: list[str] | None = None) -> None:
    from devicepark.cli.main import app

    argv = sys.argv[1:] if argv is None else argv
    ref = reference(app)
    if argv[:1] == ["--write"]:
        path = Path(argv[1] if len(argv) > 1 else "README.md")
        path.write_text(splice(path.read_text(encoding="utf-8"), ref), encoding="utf-8")
    else:
        sys.stdout.write(ref)


if __name__ == "__main__":
    main()
