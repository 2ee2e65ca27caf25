"""``devicepark serve``: the REST API and the live dashboard on a store, with uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from devicepark.cli._common import StoreOpt, err, with_engine
from devicepark.errors import ConfigError
from devicepark.questions import EngineOptions

TOKEN_ENV = "DEVICEPARK_API_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("192.168.1.5"), is_loopback("example.org")
    (False, False, False)
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name may resolve anywhere: treat it as reachable from outside


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token (ConfigError, exit 2)."""
    if not token and not is_loopback(host):
        raise ConfigError(
            f"--host {host} is reachable from other machines: set {TOKEN_ENV} first",
            hint="or keep the default --host 127.0.0.1",
        )


@with_engine
def serve(
    store: StoreOpt,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    public: Annotated[
        bool,
        typer.Option("--public", help="Serve aggregates without a token, disclosure-controlled."),
    ] = False,
    campaigns: Annotated[
        Path | None,
        typer.Option("--campaigns", help="Directory of campaign files (default: STORE/campaigns)."),
    ] = None,
    *,
    engine: EngineOptions,
) -> None:
    """Serve the REST API (/v1/..., /openapi.json) and the live dashboard (/). Clients send
    the bearer token set in DEVICEPARK_API_TOKEN (required beyond this machine)."""
    from devicepark.store import Store

    token = os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    if campaigns is not None and not campaigns.is_dir():
        raise ConfigError(f"--campaigns: {campaigns} is not a directory")
    st = Store.open(store)  # fail now, with the next command to run, rather than per request
    try:
        import uvicorn
    except ImportError:
        from devicepark.errors import MissingDependency

        raise MissingDependency("uvicorn") from None
    from devicepark.api.app import create_app

    app = create_app(store, token=token, public=public, campaigns_dir=campaigns, engine=engine)
    app.state.store.backend()  # connect the engine now (Spark starts here), not per request
    mode = "public, disclosure-controlled" if public else "token required"
    if not token and not public:
        mode = f"no {TOKEN_ENV}: every /v1 endpoint will answer 401; set it or use --public"
    err.print(f"devicepark serve: store {store} (version {st.version}) on http://{host}:{port}/ "
              f"({mode})")  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""
    app.command("serve")(serve)
