"""Authenticating calls from channel gateways (company app, social networks, telephone platform).

A gateway proves itself twice: an API token whose scopes include `channel:<name>` (or the umbrella
`channel:api`), and an HMAC signature of the timestamped body with the channel's secret, which also
keeps a captured request from being replayed after five minutes.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.audit import do_audit
from kefu.access.authn import actor_for_token
from kefu.channels import signing
from kefu.channels.kinds import Channel
from kefu.core import clock
from kefu.core.errors import Forbidden, KefuError, NotFound, Unauthenticated

MAX_REQUEST_BYTES = 256 * 1024
UMBRELLA_SCOPE = "channel:api"


class RequestTooLarge(KefuError):
    status = 413
    code = "too_large"


def channel_secret(installation_secret: str, channel: Channel) -> str:
    """The secret a gateway signs with; an administrator reads it once and configures the gateway."""
    return signing.derive_secret(installation_secret, f"channel:{channel.value}")


def gateway_channel(name: str, allowed: frozenset[Channel]) -> Channel:
    try:
        channel = Channel(name)
    except ValueError:
        channel = None
    if channel not in allowed:
        raise NotFound(f"channel {name!r} does not take messages over this API")
    return channel


async def raw_body(request: Request) -> bytes:
    """The body exactly as signed; refused before reading it all when it is declared too large."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise RequestTooLarge(f"request body larger than the limit of {MAX_REQUEST_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_REQUEST_BYTES:
        raise RequestTooLarge(f"request body larger than the limit of {MAX_REQUEST_BYTES} bytes")
    return body


def authenticate_gateway(
    session: Session, request: Request, channel: Channel, body: bytes, installation_secret: str
) -> Actor:
    """Check the signature and the token; a bad signature is audited in the caller's transaction.

    The caller must commit even when this raises BadSignature, so that the audit entry stays.
    """
    address = request.client.host if request.client else None
    try:
        signing.verify(
            channel_secret(installation_secret, channel),
            timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
            signature=request.headers.get(signing.SIGNATURE_HEADER),
            body=body,
            now=clock.now(),
        )
    except signing.BadSignature as exc:
        do_audit(
            session,
            "channel.bad_signature",
            object_type="channel",
            object_id=channel.value,
            address=address,
            details={"reason": exc.message, "path": request.url.path},
        )
        raise
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send the channel's API token (Authorization: Bearer …)")
    actor = actor_for_token(session, token.strip(), address)
    scopes = actor.token_scopes or frozenset()
    if f"channel:{channel.value}" not in scopes and UMBRELLA_SCOPE not in scopes:
        raise Forbidden(f"this token lacks the scope channel:{channel.value}", code="permission_denied")
    return actor
