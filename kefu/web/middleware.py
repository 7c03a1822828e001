"""Every response's headers and request metrics, as one plain ASGI middleware.

It does what `metrics.record_request`, `security.security_headers` and
`security_headers.content_security_policy` do as `@app.middleware("http")` functions, but without
Starlette's BaseHTTPMiddleware, which runs each request through a task group and memory streams per layer
(measured: the largest fixed cost of a small API request after the database). Same headers, same
precedence (a route's own header wins; then the hardening headers, the API's `Cache-Control: no-store`,
then the Content-Security-Policy and its companions), same metrics labels.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu.access.sessions import SESSION_COOKIE
from kefu.web import security, security_headers
from kefu.web.metrics import LATENCY, REQUESTS

Header = tuple[bytes, bytes]


def _encoded(headers: dict[str, str]) -> list[Header]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class ResponseHeaders:
    def __init__(self, app: ASGIApp, docs_url: str | None = None) -> None:
        self.app = app
        self.docs_url = docs_url
        # Encoded once, in order of precedence (the first of a name wins, as with setdefault).
        self._hardening = _encoded(security.HEADERS)
        self._api = _encoded({"Cache-Control": "no-store"})
        self._policy = _encoded(security_headers.HEADERS)
        self._docs_policy = [h for h in self._policy if h[0] != b"content-security-policy"]
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _defaults(self, path: str) -> list[Header]:
        api = self._api if path.startswith("/api/") else []
        return [*self._hardening, *api, *(self._docs_policy if path == self.docs_url else self._policy)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        status = [500]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers: list[Header] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                if message["status"] == 401 and SESSION_COOKIE in HTTPConnection(scope).cookies:
                    cleared = Response()
                    security.clear_session_cookies(cleared)
                    headers += [(n, v) for n, v in cleared.raw_headers if n == b"set-cookie"]
                for name, value in self._defaults(path):
                    if name not in present:  # a route's own header wins
                        present.add(name)
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
        self._observe(scope, time.perf_counter() - started, status[0])

    def _observe(self, scope: Scope, seconds: float, status: int) -> None:
        """The request's metrics; the labelled series are looked up once per (method, route, status)."""
        key = (scope["method"], getattr(scope.get("route"), "path", "unmatched"), status)
        series = self._metrics.get(key)
        if series is None:
            method, template, _ = key
            series = self._metrics[key] = (
                LATENCY.labels(method, template),
                REQUESTS.labels(method, template, str(status)),
            )
        series[0].observe(seconds)
        series[1].inc()
