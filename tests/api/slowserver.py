"""A real server (``devicepark.cli.serve.run``, uvicorn) on a store, with two routes for the
tests: ``/slow`` asks one DuckDB query that runs for minutes through the one cached answer path,
``/running`` says how many queries are running. ``python slowserver.py STORE PORT [SECONDS]``."""

from __future__ import annotations

import sys

from fastapi import Request

from devicepark.api.app import create_app
from devicepark.api.deps import App, aggregate
from devicepark.api.work import Limits
from devicepark.cli.serve import run

SLOW_SQL = "SELECT sum(hash(i)) AS s FROM range(1000000000000) t(i)"


def main() -> None:
    store, port = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 600.0
    app = create_app(store, public=True, limits=Limits(seconds=seconds, public_seconds=seconds))

    @app.get("/slow", dependencies=[])
    async def slow(request: Request, app_: App) -> object:
        await aggregate(request)

        def compute(con, tables, keyed):  # noqa: ANN001, ANN202
            return {"s": con.raw_sql(SLOW_SQL).fetchall()[0][0]}

        data, _ = await app_.answer(request, "dashboard", ("slow",), compute)
        return data

    @app.get("/running")
    async def running() -> dict[str, int]:
        return {"running": len(app.state.running)}

    print("ready", flush=True)
    run(app, "127.0.0.1", port)


if __name__ == "__main__":
    main()
