"""Signed tokens for links sent to customers (CSAT survey, ticket status) (pure).

A token is `<public id>.<signature>`: the public id is already unguessable, and the HMAC over it and the
link's purpose means a token for one purpose never opens another, and a rotated secret retires old links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_CHARS = 27  # 160 bits of the HMAC-SHA256, URL-safe base64


def _signature(secret: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_CHARS]


def sign_token(secret: str, purpose: str, value: str) -> str:
    if not secret or not purpose or not value or "." in value:
        raise ValueError("sign_token: secret, purpose and a value without '.' are required")
    return f"{value}.{_signature(secret, purpose, value)}"


def read_token(secret: str, purpose: str, token: str) -> str | None:
    """The value a token signs for `purpose`, or None when it is malformed or forged."""
    value, dot, signature = token.rpartition(".")
    if not dot or not value:
        return None
    return value if hmac.compare_digest(signature, _signature(secret, purpose, value)) else None
