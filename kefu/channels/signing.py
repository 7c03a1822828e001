"""Request signatures shared by inbound channel calls and outbound webhooks (pure).

The signature is HMAC-SHA256 over `<timestamp>.<raw body>` with the channel's secret, hex-encoded.
The timestamp (Unix seconds) is inside the signed text, so a captured request cannot be re-dated, and
requests older (or further in the future) than the tolerance are refused, so it cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from kefu.core.errors import Unauthenticated

TIMESTAMP_HEADER = "X-Kefu-Timestamp"
SIGNATURE_HEADER = "X-Kefu-Signature"
SIGNATURE_PREFIX = "sha256="
TOLERANCE_SECONDS = 300


class BadSignature(Unauthenticated, ValueError):
    code = "bad_signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    """The two headers a sender adds; used by kefu's own webhooks and by tests acting as a gateway."""
    timestamp = int(now.timestamp())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: datetime) -> None:
    """Raise BadSignature naming what is wrong; return quietly when the request is authentic and fresh."""
    if not timestamp or not signature:
        raise BadSignature(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required")
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER}: must be Unix seconds") from None
    if abs(now.timestamp() - sent) > TOLERANCE_SECONDS:
        raise BadSignature(f"{TIMESTAMP_HEADER}: more than {TOLERANCE_SECONDS} s from the server's time")
    if not hmac.compare_digest(sign(secret, sent, body), signature.strip()):
        raise BadSignature(f"{SIGNATURE_HEADER}: does not match the body")


def derive_secret(installation_secret: str, purpose: str) -> str:
    """A per-purpose secret (e.g. `channel:app`) derived from the installation secret, never stored."""
    return hmac.new(installation_secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def sign_value(secret: str, value: str) -> str:
    """A site signs a logged-in customer's id so the widget can pass it on without being able to forge it."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def verify_value(secret: str, value: str, signature: str) -> None:
    if not hmac.compare_digest(sign_value(secret, value), signature.strip().lower()):
        raise BadSignature("signature: does not match the customer id")
