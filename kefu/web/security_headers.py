"""Content-Security-Policy and companions on every response.

The console keeps all script in static files, so the policy can forbid inline script and eval outright:
even if untrusted text ever slipped past autoescaping, the browser would refuse to run it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# For pages drawing charts: ECharts positions its canvas and tooltip through style attributes. Only style
# *attributes* are allowed, never <style> elements and never script; every other page keeps the strict policy.
CHART_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; style-src-attr 'unsafe-inline'"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def content_security_policy(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Set the headers unless a route chose its own; the API docs page (inline script) is left out."""
    response = await call_next(request)
    for name, value in HEADERS.items():
        if name == "Content-Security-Policy" and request.url.path == request.app.docs_url:
            continue
        response.headers.setdefault(name, value)
    return response
