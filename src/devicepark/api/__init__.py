"""The REST API and live dashboard (``devicepark serve``): the CLI's answers over HTTP.

Entry point: ``create_app(store_dir, token=None, public=False)`` in ``devicepark.api.app``.
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See ``devicepark.api.app.create_app`` (imported lazily: FastAPI loads only when serving)."""
    from devicepark.api.app import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["create_app"]
