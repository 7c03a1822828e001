"""Agents reply to conversations over the API; delivery (mail relay, webhook) runs after the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, Field

from kefu.access.actor import Actor
from kefu.access.permissions import Permission
from kefu.channels.access import access_conversation_by_public_id
from kefu.channels.actions import MAX_BODY_CHARS
from kefu.channels.assignment import do_end_conversation
from kefu.channels.delivery import deliver_mail, webhook_policy
from kefu.channels.kinds import Channel, ConversationStatus
from kefu.channels.replies import WEBHOOK_CHANNELS, do_agent_reply
from kefu.channels.settings import ChannelSettingsDep
from kefu.channels.webhooks import deliver_due_webhooks
from kefu.core import clock
from kefu.core.errors import Conflict
from kefu.surveys.actions import do_create_survey
from kefu.web.deps import RuntimeDep, SessionDep, require

router = APIRouter(prefix="/conversations", tags=["conversations"])


class ReplyIn(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)


class ReplyOut(BaseModel):
    message_id: int
    channel: str
    created_at: datetime


@router.post("/{public_id}/replies", response_model=ReplyOut, status_code=201)
def post_reply(
    public_id: str,
    reply: ReplyIn,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: ChannelSettingsDep,
    background: BackgroundTasks,
    actor: Annotated[Actor, require(Permission.conversations_write)],
) -> ReplyOut:
    conversation = access_conversation_by_public_id(session, actor, public_id)
    message = do_agent_reply(
        session, conversation=conversation, body=reply.body, author_id=actor.user_id, settings=settings
    )
    channel = Channel(conversation.channel)
    if channel is Channel.email:
        background.add_task(deliver_mail, runtime, settings)
    elif channel in WEBHOOK_CHANNELS:
        background.add_task(deliver_due_webhooks, runtime.write_sessions, webhook_policy(runtime, settings))
    return ReplyOut(message_id=message.id, channel=channel.value, created_at=message.created_at)


class SolveIn(BaseModel):
    after_contact_seconds: int = Field(default=0, ge=0, le=3600, description="after-contact work to keep")


class SolveOut(BaseModel):
    status: str
    ended_at: datetime
    survey_sent: bool


@router.post("/{public_id}/solve", response_model=SolveOut)
def solve(
    public_id: str,
    body: SolveIn,
    session: SessionDep,
    actor: Annotated[Actor, require(Permission.conversations_write)],
) -> SolveOut:
    """End the conversation: its agent goes into after-contact work, and the customer is asked for CSAT."""
    conversation = access_conversation_by_public_id(session, actor, public_id)
    if conversation.status == ConversationStatus.ended.value:
        raise Conflict("the conversation has already ended", code="conversation_ended")
    now = clock.now()
    do_end_conversation(session, conversation, now, body.after_contact_seconds)
    survey = None
    if conversation.agent_id is not None:
        survey = do_create_survey(
            session, customer_id=conversation.customer_id, channel=conversation.channel, now=now,
            conversation_id=conversation.id, agent_id=conversation.agent_id,
        )  # fmt: skip
    return SolveOut(status=conversation.status, ended_at=now, survey_sent=survey is not None)
