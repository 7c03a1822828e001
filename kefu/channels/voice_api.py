"""The telephone platform reports call events here, signed like every channel gateway."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, HttpUrl

from kefu.channels.api import RawBody, parse_json
from kefu.channels.gateway import authenticate_gateway
from kefu.channels.kinds import Channel
from kefu.channels.signing import BadSignature
from kefu.channels.voice import CallEvent
from kefu.channels.voice_actions import CallReport, do_voice_event
from kefu.customers.identity import Identity, normalise_phone
from kefu.customers.settings import TierRulesDep
from kefu.customers.tiers import IdentityKind
from kefu.web.deps import RuntimeDep, SessionDep, public
from kefu.web.errors import error_body

# Public at the gate: gateways prove themselves by channel token and signature (kefu.channels.gateway).
router = APIRouter(prefix="/channels/voice", tags=["channels"], dependencies=[public()])


class CallEventIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=100)
    call_id: str = Field(min_length=1, max_length=120)
    type: CallEvent
    at: AwareDatetime
    caller: str | None = Field(default=None, max_length=40, description="the caller's number, if shown")
    agent_id: int | None = None
    recording_url: HttpUrl | None = None


class CallOut(BaseModel):
    conversation_id: str
    status: str
    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    hold_seconds: int
    after_contact_seconds: int
    transfer_count: int
    abandoned: bool
    duplicate: bool


@router.post("/events", response_model=CallOut)
def post_call_event(
    request: Request, body: RawBody, session: SessionDep, runtime: RuntimeDep, rules: TierRulesDep
) -> CallOut | JSONResponse:
    try:
        authenticate_gateway(session, request, Channel.voice, body, runtime.settings.signing_key)
    except BadSignature as exc:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)
    event = parse_json(CallEventIn, body)
    caller = Identity(IdentityKind.phone, normalise_phone(event.caller)) if event.caller else None
    report = CallReport(
        event_id=event.event_id,
        call_id=event.call_id,
        type=event.type,
        at=event.at,
        caller=caller,
        agent_id=event.agent_id,
        recording_url=str(event.recording_url) if event.recording_url else None,
    )
    conversation, duplicate = do_voice_event(session, report, rules=rules)
    return CallOut(
        conversation_id=conversation.public_id,
        status=conversation.status,
        queued_at=conversation.queued_at,
        answered_at=conversation.answered_at,
        ended_at=conversation.ended_at,
        hold_seconds=conversation.hold_seconds,
        after_contact_seconds=conversation.after_contact_seconds,
        transfer_count=conversation.transfer_count,
        abandoned=conversation.abandoned,
        duplicate=duplicate,
    )
