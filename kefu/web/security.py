"""Session cookies, CSRF checks and security headers for the web layer.

CSRF uses a synchronizer token bound to the signed session: the token lives inside the session cookie
and is also given to the page (a readable `kefu_csrf` cookie and the sign-in response); every
state-changing request authenticated by the cookie must echo it in the `X-CSRF-Token` header.
Bearer-token requests need no CSRF token: browsers never attach them on their own.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from kefu.access.sessions import (
    CSRF_COOKIE,
    CSRF_HEADER,
    MAX_AGE,
    SESSION_COOKIE,
    SessionData,
    encode_session,
)
from kefu.core.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def check_csrf(request: Request, data: SessionData) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), data.csrf.encode()):
        raise Forbidden("CSRF token missing or wrong; send the X-CSRF-Token header", code="csrf_failed")


def set_session_cookies(request: Request, response: Response, key: str, data: SessionData) -> None:
    secure = request.url.scheme == "https"
    max_age = int(MAX_AGE.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        encode_session(key, data),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    # Readable by the console's script, which echoes it in X-CSRF-Token; worthless without the session.
    response.set_cookie(
        CSRF_COOKIE, data.csrf, max_age=max_age, httponly=False, samesite="lax", secure=secure
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Hardening headers on every response; a rejected session cookie is removed from the browser."""
    response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    if response.status_code == 401 and SESSION_COOKIE in request.cookies:
        clear_session_cookies(response)
    return response
