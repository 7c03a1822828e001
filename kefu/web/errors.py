"""Every error leaves as JSON with a stable `code`, a human `message` and, for bad input, the fields."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu.core.dialect import number_out_of_range, out_of_range_errors
from kefu.core.errors import KefuError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_body(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "customer", "email") -> "customer.email"; the transport part says nothing to the caller.
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(location[-1] if location else "request")


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = [{"field": _field_name(tuple(e["loc"])), "reason": e["msg"]} for e in exc.errors()]
    message = "; ".join(f"{f['field']}: {f['reason']}" for f in fields)
    return JSONResponse(error_body("invalid_input", message, fields), status_code=422)


async def _kefu_error(_request: Request, exc: KefuError) -> JSONResponse:
    fields = [{"field": exc.field, "reason": exc.message}] if exc.field else None
    return JSONResponse(error_body(exc.code, exc.message, fields), status_code=exc.status)


async def _domain_value_error(request: Request, exc: ValueError) -> JSONResponse:
    """Pure modules raise ValueErrors carrying `status` and `code` (they may not import the web layer)."""
    status = getattr(exc, "status", None)
    if not isinstance(status, int):
        return await _unexpected(request, exc)
    field = getattr(exc, "field", None)
    fields = [{"field": field, "reason": getattr(exc, "reason", str(exc))}] if field else None
    return JSONResponse(error_body(getattr(exc, "code", "bad_request"), str(exc), fields), status_code=status)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _database_refused(request: Request, exc: Exception) -> JSONResponse:
    """An id or number beyond what the database holds names nothing stored, whatever input carried it:
    the caller is told so (422) rather than a 500."""
    if not number_out_of_range(exc):
        return await _unexpected(request, exc)
    message = "a number in the request is larger than kefu can store (at most 9223372036854775807)"
    return JSONResponse(error_body("number_out_of_range", message), status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Details go to the log only; the caller learns nothing about internals.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(KefuError, _kefu_error)  # type: ignore[arg-type]
    app.add_exception_handler(ValueError, _domain_value_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    for refused in out_of_range_errors():
        app.add_exception_handler(refused, _database_refused)
    app.add_exception_handler(Exception, _unexpected)
