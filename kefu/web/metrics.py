"""Request counters and latency histograms for Prometheus, labelled by route template (not raw path)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response

REQUESTS = Counter("kefu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("kefu_http_request_seconds", "HTTP request latency", ["method", "route"])


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    template = getattr(route, "path", "unmatched")
    LATENCY.labels(request.method, template).observe(time.perf_counter() - started)
    REQUESTS.labels(request.method, template, str(response.status_code)).inc()
    return response
