"""``devicepark serve``: the REST API and the live dashboard on a store, with uvicorn.

Beyond this machine the server needs a token of at least :data:`MIN_TOKEN_CHARS` characters.
SIGTERM (or Ctrl-C) stops it within seconds even in the middle of a query: the signal interrupts
every running query (``api.work.Running``) and uvicorn waits at most :data:`GRACE_SECONDS` for
the requests still open.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from devicepark.cli._common import StoreOpt, err, with_engine
from devicepark.errors import ConfigError
from devicepark.questions import EngineOptions

TOKEN_ENV = "DEVICEPARK_API_TOKEN"
MIN_TOKEN_CHARS = 32  # a token guessable by brute force is no token
GRACE_SECONDS = 3  # how long a shutdown waits for open requests once their queries are stopped


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
    """Refuse to listen beyond this machine without a token, or with one shorter than
    :data:`MIN_TOKEN_CHARS` characters (ConfigError, exit 2).

    >>> check_bind("0.0.0.0", "x" * 32), check_bind("127.0.0.1", None)
    (None, None)
    >>> check_bind("0.0.0.0", "short")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    devicepark.errors.ConfigError: --host 0.0.0.0 ...: DEVICEPARK_API_TOKEN has 5 characters, ...
    """
    if is_loopback(host):
        return
    if not token:
        raise ConfigError(
            f"--host {host} is reachable from other machines: set {TOKEN_ENV} first",
            hint="or keep the default --host 127.0.0.1",
        )
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"--host {host} is reachable from other machines: {TOKEN_ENV} has {len(token)} "
            f"characters, at least {MIN_TOKEN_CHARS} are needed",
            hint="devicepark key new --out FILE makes a random one",
        )


@with_engine
def serve(
    store: StoreOpt,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    public: Annotated[
        bool,
        typer.Option("--public", help="Serve aggregates without a token, perturbed (PRIVACY.md)."),
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
        import uvicorn  # noqa: F401 - fail now if it is missing
    except ImportError:
        from devicepark.errors import MissingDependency

        raise MissingDependency("uvicorn") from None
    from devicepark.api.app import create_app

    app = create_app(store, token=token, public=public, campaigns_dir=campaigns, engine=engine)
    app.state.store.backend()  # connect the engine now (Spark starts here), not per request
    mode = "public: perturbed figures without a token" if public else "token required"
    if not token and not public:
        mode = f"no {TOKEN_ENV}: every /v1 endpoint will answer 401; set it or use --public"
    err.print(f"devicepark serve: store {store} (version {st.version}) on http://{host}:{port}/ "
              f"({mode})")  # fmt: skip
    run(app, host, port)


def run(app: Any, host: str, port: int) -> None:
    """Serve ``app`` until SIGTERM or SIGINT; the signal stops every running query at once."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=GRACE_SECONDS)  # fmt: skip
    server = _server_class()(config)
    server.running = app.state.running
    try:
        server.run()
    finally:
        app.state.running.interrupt_all()
        app.state.store.close()


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, whose exit signal also interrupts the engine's running queries."""

        running: Any = None

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            if self.running is not None:
                self.running.interrupt_all()

    return Server


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""
    app.command("serve")(serve)
