"""Errors that carry a stable machine code, an HTTP status and a human message.

Domain code raises these; the web layer turns them into `{"code", "message", "fields"}` JSON.
"""

from __future__ import annotations


class KefuError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(KefuError):
    status = 404
    code = "not_found"


class Conflict(KefuError):
    status = 409
    code = "conflict"


class InvalidInput(KefuError):
    status = 422
    code = "invalid_input"


class Unauthenticated(KefuError):
    status = 401
    code = "unauthenticated"


class Forbidden(KefuError):
    status = 403
    code = "forbidden"
