"""``devicepark store upgrade``: bring a store written by an earlier release to this format."""

from __future__ import annotations

import typer

from devicepark.cli._common import StoreOpt, out


def upgrade(store: StoreOpt) -> None:
    """Upgrade the store to this release's format, in place and atomically (one commit, which
    also builds the daily aggregate); a store already at it is left as it is. The first ingest
    does the same."""
    from devicepark.answers.daily import refresh_daily
    from devicepark.store import Store
    from devicepark.store.upgrade import upgrade as run_upgrade

    st = Store.open(store)
    before = run_upgrade(st, derive=refresh_daily)
    if before is None:
        out.print(f"store {store} is already at format {st.format}; nothing to do")
    else:
        out.print(f"store {store} upgraded from {before} to {st.format} (version {st.version})")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The store itself: its format.", no_args_is_help=True)
    group.command("upgrade")(upgrade)
    app.add_typer(group, name="store")
