"""Bearer tokens for the API, compared in constant time.

The token comes from ``DEVICEPARK_API_TOKEN`` (or ``create_app(token=...)``). Rules:

- the audience export always needs it;
- aggregate endpoints (and the dashboard) need it unless the app is public, in which case they
  serve disclosure-controlled figures only;
- with no token configured, nothing that needs one can be reached (401 says how to set one).

The dashboard also accepts HTTP Basic credentials whose password is the token (any user name),
so that a browser can ask for it. A browser (a request that accepts ``text/html``) without the
right token gets :func:`signin_page` with its 401: a page in French and English that says how to
sign in (the browser's prompt, with the token as the password, or a reverse proxy adding the
Bearer header). The Basic challenge stays, since the browser's prompt is the simplest way in, and
the page is what a reader sees after cancelling it; when the server has no token at all the
challenge is Bearer, so that no browser asks for a password that cannot exist. Scripts (no
``text/html`` in ``Accept``) and every API endpoint keep the one JSON error shape.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html

from fastapi import Request
from fastapi.responses import HTMLResponse

from devicepark.api.errors import ApiError
from devicepark.publish import locale

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
            "missing or wrong token: send the header 'Authorization: Bearer <token>'"
            + (
                " (or HTTP Basic credentials, any user name, the token as the password)"
                if browser
                else ""
            ),
            headers={"WWW-Authenticate": challenge},
        )


def wants_html(request: Request) -> bool:
    """Whether the client is a browser asking for a page (``text/html`` in ``Accept``)."""
    accept = request.headers.get("accept") or ""
    return "text/html" in accept or "application/xhtml+xml" in accept


SIGNIN_KEYS = ("title", "missing", "wrong", "none", "what", "how", "browser", "proxy", "retry")
LANGS = ("fr", "en")  # the page's languages (publish.locale's catalog holds its sentences)

_PAGE_CSS = (
    "body{margin:0;background:#f8f9fa;color:#212529;font:16px/1.5 system-ui,'DejaVu Sans',"
    "Arial,sans-serif}main{max-width:760px;margin:0 auto;padding:32px 24px}section{background:"
    "#fff;border:1px solid #e9ecef;border-radius:12px;padding:20px 24px;margin:18px 0}"
    "h1{font-size:24px;margin:0 0 8px}code{background:#f1f3f5;padding:1px 4px;border-radius:4px}"
)


def signin_page(reason: str, langs: tuple[str, ...] = ("fr", "en")) -> str:
    """The 401 page a browser gets: why (``missing``, ``wrong`` or ``none``: no token
    configured) and how to sign in, in each of ``langs`` (the first is the page's language)."""
    env = f"<code>{ENV}</code>"
    parts = []
    for lang in langs:
        t = {
            k: html.escape(locale.message(f"signin_{k}", lang, env="{env}")).replace("{env}", env)
            for k in SIGNIN_KEYS
        }
        body = [f"<h1>{t['title']}</h1>", f'<p class="why">{t[reason]}</p>']
        if reason != "none":
            body += [
                f"<p>{t['what']}</p>",
                f"<p>{t['how']}</p>",
                f'<ul><li class="browser">{t["browser"]}</li><li class="proxy">{t["proxy"]}</li>'
                "</ul>",
                f'<p><a class="retry" href="">{t["retry"]}</a></p>',
            ]
        parts.append(f'<section lang="{lang}">{"".join(body)}</section>')
    title = html.escape(locale.message("signin_title", langs[0]))
    return (
        f'<!DOCTYPE html>\n<html lang="{langs[0]}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_PAGE_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(parts)
        + "\n</main>\n</body>\n</html>\n"
    )


def signin_response(
    request: Request, token: str | None, lang: str | None, csp: str
) -> HTMLResponse:
    """The HTML 401 of the dashboard for a browser without the right token; ``lang`` (the
    page's ``lang`` parameter, else the browser's ``Accept-Language``) comes first."""
    if lang not in LANGS:
        accept = (request.headers.get("accept-language") or "").lower()
        found = [(accept.find(x), x) for x in LANGS if x in accept]
        lang = min(found)[1] if found else "fr"
    langs = (lang, *(x for x in LANGS if x != lang))
    if not token:
        reason, challenge = "none", "Bearer"
    else:
        given = request.headers.get("authorization")
        reason, challenge = (
            ("wrong" if given else "missing"),
            'Basic realm="devicepark", charset="UTF-8"',
        )
    headers = {"WWW-Authenticate": challenge, "Cache-Control": "no-store",
               "Content-Security-Policy": csp}  # fmt: skip
    return HTMLResponse(signin_page(reason, langs), status_code=401, headers=headers)
