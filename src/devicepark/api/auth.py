"""Bearer tokens for the API, compared in constant time.

The token comes from ``DEVICEPARK_API_TOKEN`` (or ``create_app(token=...)``). Rules:

- the audience export always needs it;
- aggregate endpoints (and the dashboard) need it unless the app is public, in which case they
  serve disclosure-controlled figures only;
- with no token configured, nothing that needs one can be reached (401 says how to set one).

The dashboard also accepts HTTP Basic credentials whose password is the token (any user name),
so that a browser can ask for it.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import Request

from devicepark.api.errors import ApiError

ENV = "DEVICEPARK_API_TOKEN"


def _presented(request: Request, allow_basic: bool) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic" and allow_basic:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def token_matches(presented: str | None, token: str | None) -> bool:
    """Constant-time comparison; no configured token matches nothing.

    >>> token_matches("s3cret", "s3cret"), token_matches("s3cre", "s3cret")
    (True, False)
    >>> token_matches("x", None)
    False
    """
    if not token or presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8"))


def require(request: Request, token: str | None, *, browser: bool = False) -> None:
    """Raise a 401 in the one error shape unless the request carries the token."""
    challenge = 'Basic realm="devicepark", charset="UTF-8"' if browser else "Bearer"
    if not token:
        raise ApiError(
            401,
            f"this server has no API token: set {ENV} before starting devicepark serve"
            " (or serve --public for disclosure-controlled figures)",
            headers={"WWW-Authenticate": challenge},
        )
    if not token_matches(_presented(request, allow_basic=browser), token):
        raise ApiError(
            401,
            "missing or wrong token: send the header 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": challenge},
        )
