"""Inbound API for the company app, social gateways and other systems: signed messages in."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from kefu.channels.actions import Inbound, do_ingest_message
from kefu.channels.gateway import authenticate_gateway, gateway_channel, raw_body
from kefu.channels.kinds import Channel
from kefu.channels.signing import BadSignature
from kefu.core.errors import InvalidInput
from kefu.customers.identity import normalise_identity
from kefu.customers.settings import TierRulesDep
from kefu.web.deps import RuntimeDep, SessionDep, public
from kefu.web.errors import error_body

# Public at the gate: gateways prove themselves by channel token and signature (kefu.channels.gateway).
router = APIRouter(prefix="/channels", tags=["channels"], dependencies=[public()])

ModelT = TypeVar("ModelT", bound=BaseModel)
MESSAGE_CHANNELS = frozenset({Channel.app, Channel.social, Channel.api})
RawBody = Annotated[bytes, Depends(raw_body)]


class IdentityIn(BaseModel):
    kind: str = Field(max_length=20)
    value: str = Field(max_length=320)
    namespace: str = Field(default="", max_length=40)


class InboundMessageIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=255, description="the channel's own message id")
    identities: list[IdentityIn] = Field(min_length=1, max_length=10)
    name: str = Field(default="", max_length=200)
    body: str
    subject: str | None = Field(default=None, max_length=300)


class IngestedOut(BaseModel):
    message_id: int
    conversation_id: str
    customer_id: int
    duplicate: bool


@router.post("/{channel}/messages", response_model=IngestedOut, status_code=201)
def post_message(
    channel: str,
    request: Request,
    body: RawBody,
    session: SessionDep,
    runtime: RuntimeDep,
    rules: TierRulesDep,
) -> IngestedOut | JSONResponse:
    """Store a customer's message once (a repeated external_id answers 200 with the stored one)."""
    kind = gateway_channel(channel, MESSAGE_CHANNELS)
    try:
        authenticate_gateway(session, request, kind, body, runtime.settings.signing_key)
    except BadSignature as exc:
        # Answered, not raised, so that the request's transaction commits the audit entry.
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)
    payload = parse_json(InboundMessageIn, body)
    identities = tuple(normalise_identity(i.kind, i.value, i.namespace) for i in payload.identities)
    inbound = Inbound(
        channel=kind,
        external_id=payload.external_id,
        identities=identities,
        body=payload.body,
        customer_name=payload.name,
        subject=payload.subject,
    )
    result = do_ingest_message(session, inbound, rules=rules)
    out = IngestedOut(
        message_id=result.message.id,
        conversation_id=result.conversation.public_id,
        customer_id=result.conversation.customer_id,
        duplicate=result.duplicate,
    )
    return JSONResponse(out.model_dump(), status_code=200) if result.duplicate else out


def parse_json(model: type[ModelT], body: bytes) -> ModelT:
    """Validate a signed body; errors name the field as the automatic validation would."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None
