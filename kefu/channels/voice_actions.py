"""Writing call events: each becomes a system message (once, by its event id) and updates the timings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.channels.actions import do_add_message, do_start_conversation
from kefu.channels.kinds import Channel, ConversationStatus, Sender
from kefu.channels.models import Conversation, Message, VoiceCall
from kefu.channels.voice import CallEvent, CallTimes, apply_call_event
from kefu.core.errors import InvalidInput, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.customers.actions import resolve_customer
from kefu.customers.identity import Identity
from kefu.customers.tiers import IdentityKind, TierRules


@dataclass(frozen=True)
class CallReport:
    """One event as the telephone platform reports it."""

    event_id: str
    call_id: str
    type: CallEvent
    at: datetime
    caller: Identity | None = None  # on `offered`; a withheld number leaves the call anonymous
    agent_id: int | None = None  # on `answered` and `transferred`
    recording_url: str | None = None  # on `ended`


def do_voice_event(session: Session, report: CallReport, *, rules: TierRules) -> tuple[Conversation, bool]:
    """Apply one call event; a repeated event id changes nothing. Returns the conversation and `duplicate`."""
    external_id = f"{report.call_id}:{report.event_id}"
    seen = session.scalar(
        select(Message).where(Message.channel == Channel.voice.value, Message.external_id == external_id)
    )
    if seen is not None:
        return session.get_one(Conversation, seen.conversation_id), True
    if report.agent_id is not None and session.get(User, report.agent_id) is None:
        raise InvalidInput(f"agent_id: no user {report.agent_id}", field="agent_id")
    with session.begin_nested():
        conversation, call = _call(session, report, rules)
        _apply(conversation, call, report)
        do_add_message(
            session,
            conversation,
            sender=Sender.system,
            body=f"call {report.type.value}",
            external_id=external_id,
        )
    send_event_on_commit(
        session,
        Event(
            "call." + report.type.value,
            {
                "conversation_id": conversation.id,
                "call_id": report.call_id,
                "agent_id": conversation.agent_id,
            },
        ),
    )
    return conversation, False


def _call(session: Session, report: CallReport, rules: TierRules) -> tuple[Conversation, VoiceCall]:
    call = session.scalar(select(VoiceCall).where(VoiceCall.call_id == report.call_id))
    if call is not None:
        if report.type is CallEvent.offered:
            raise InvalidInput(f"type: call {report.call_id} was already offered", field="type")
        return session.get_one(Conversation, call.conversation_id), call
    if report.type is not CallEvent.offered:
        raise NotFound(f"call {report.call_id} unknown: its first event must be `offered`")
    caller = report.caller or Identity(IdentityKind.external, report.call_id, "voice-anonymous")
    customer = resolve_customer(session, [caller])
    conversation = do_start_conversation(
        session, customer=customer, channel=Channel.voice, subject=None, rules=rules
    )
    conversation.started_at = conversation.queued_at = report.at
    customer.last_contact_at = report.at
    call = VoiceCall(call_id=report.call_id, conversation_id=conversation.id)
    session.add(call)
    session.flush()
    return conversation, call


def _apply(conversation: Conversation, call: VoiceCall, report: CallReport) -> None:
    if report.type is CallEvent.offered:
        return
    assert conversation.queued_at is not None
    before = CallTimes(
        queued_at=conversation.queued_at,
        answered_at=conversation.answered_at,
        ended_at=conversation.ended_at,
        held_since=call.held_since,
        hold_seconds=conversation.hold_seconds,
        after_contact_seconds=conversation.after_contact_seconds,
        transfer_count=conversation.transfer_count,
        abandoned=conversation.abandoned,
    )
    after = apply_call_event(before, report.type, report.at)
    conversation.answered_at, conversation.ended_at = after.answered_at, after.ended_at
    conversation.hold_seconds, conversation.after_contact_seconds = (
        after.hold_seconds,
        after.after_contact_seconds,
    )
    conversation.transfer_count, conversation.abandoned = after.transfer_count, after.abandoned
    call.held_since = after.held_since
    if report.agent_id is not None:
        conversation.agent_id = report.agent_id
    if report.recording_url:
        call.recording_url = report.recording_url
    conversation.status = (ConversationStatus.ended if after.ended_at else ConversationStatus.active).value
