"""The only writers of conversations and messages: idempotent ingestion from every channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.channels.assignment import do_queue_conversation
from kefu.channels.kinds import Channel, ConversationStatus, Sender
from kefu.channels.models import ChannelThread, Conversation, Message
from kefu.core import clock
from kefu.core.errors import InvalidInput, KefuError
from kefu.core.events import Event, send_event_on_commit
from kefu.core.ids import public_id
from kefu.customers.actions import do_recompute_tier, do_touch_customers, resolve_customer
from kefu.customers.identity import Identity
from kefu.customers.models import Customer
from kefu.customers.tiers import TierRules

MAX_BODY_CHARS = 20_000
MAX_EXTERNAL_ID = 255


class MessageTooLarge(KefuError):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class Inbound:
    """One customer message as a channel adapter hands it over, already decoded into plain values."""

    channel: Channel
    external_id: str
    identities: tuple[Identity, ...]
    body: str
    customer_name: str = ""
    subject: str | None = None
    body_html: str | None = None


@dataclass(frozen=True)
class Ingested:
    message: Message
    conversation: Conversation
    duplicate: bool  # True: this external id was already stored; nothing was written


def check_inbound(inbound: Inbound, *, max_body_chars: int = MAX_BODY_CHARS) -> None:
    """Reject what must never be stored, naming the limit the caller exceeded."""
    if len(inbound.body) > max_body_chars:
        raise MessageTooLarge(
            f"body: {len(inbound.body)} characters exceed the limit of {max_body_chars}", field="body"
        )
    if not inbound.external_id or len(inbound.external_id) > MAX_EXTERNAL_ID:
        raise InvalidInput(f"external_id: must be 1-{MAX_EXTERNAL_ID} characters", field="external_id")
    if not inbound.body.strip() and not inbound.body_html:
        raise InvalidInput("body: must not be empty", field="body")


def do_ingest_message(
    session: Session,
    inbound: Inbound,
    *,
    rules: TierRules,
    conversation: Conversation | None = None,
    continue_open: bool = True,
) -> Ingested:
    """Store a customer message once, in the customer's open conversation on that channel (or a new one).

    `conversation` is the thread a channel already found (an e-mail reply); otherwise the customer's open
    conversation on the channel continues, unless `continue_open` is False (a new e-mail without
    references is a new matter). A duplicate delivery, even one racing this one, returns the
    stored message: the insert runs in a SAVEPOINT so a unique violation rolls back only this attempt.
    """
    check_inbound(inbound)
    existing = _stored(session, inbound.channel, inbound.external_id)
    if existing is not None:
        return Ingested(existing, session.get_one(Conversation, existing.conversation_id), duplicate=True)
    try:
        with session.begin_nested():
            return _ingest_new(session, inbound, rules, conversation, continue_open)
    except IntegrityError:
        existing = _stored(session, inbound.channel, inbound.external_id)
        if existing is None:
            raise
        return Ingested(existing, session.get_one(Conversation, existing.conversation_id), duplicate=True)


def _stored(session: Session, channel: Channel, external_id: str) -> Message | None:
    return session.scalar(
        select(Message).where(Message.channel == channel.value, Message.external_id == external_id)
    )


def _ingest_new(
    session: Session,
    inbound: Inbound,
    rules: TierRules,
    conversation: Conversation | None,
    continue_open: bool,
) -> Ingested:
    customer = resolve_customer(session, inbound.identities, name=inbound.customer_name)
    if conversation is None and continue_open:
        conversation = open_conversation(session, customer.id, inbound.channel)
    if conversation is None:
        conversation = do_start_conversation(
            session, customer=customer, channel=inbound.channel, subject=inbound.subject, rules=rules
        )
    message = do_add_message(
        session,
        conversation,
        sender=Sender.customer,
        body=inbound.body,
        external_id=inbound.external_id,
        body_html=inbound.body_html,
    )
    do_touch_customers(session, {customer.id}, message.created_at)
    return Ingested(message, conversation, duplicate=False)


def open_conversation(session: Session, customer_id: int, channel: Channel) -> Conversation | None:
    """The customer's latest conversation on this channel that has not ended."""
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.channel == channel.value,
            Conversation.status != ConversationStatus.ended.value,
        )
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def do_start_conversation(
    session: Session, *, customer: Customer, channel: Channel, subject: str | None, rules: TierRules
) -> Conversation:
    """A new contact enters its channel's routing queue; the customer's activity changed, so their tier is
    recomputed."""
    now = clock.now()
    conversation = Conversation(
        public_id=public_id(),
        customer_id=customer.id,
        channel=channel.value,
        status=ConversationStatus.queued.value,
        subject=(subject or "")[:300] or None,
        started_at=now,
        queued_at=now,
        after_contact_seconds=0,
        hold_seconds=0,
        abandoned=False,
        bot_handled=False,
        transfer_count=0,
    )
    session.add(conversation)
    session.flush()
    do_recompute_tier(session, customer=customer, rules=rules)
    if channel is not Channel.voice:  # calls are distributed by the telephone platform, which reports them
        do_queue_conversation(session, conversation, now)
    send_event_on_commit(
        session,
        Event(
            "conversation.started",
            {"conversation_id": conversation.id, "customer_id": customer.id, "channel": channel.value},
        ),
    )
    return conversation


def do_add_message(
    session: Session,
    conversation: Conversation,
    *,
    sender: Sender,
    body: str,
    external_id: str | None = None,
    body_html: str | None = None,
    author_id: int | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        external_id=external_id,
        sender=sender.value,
        author_id=author_id,
        body=body,
        body_html=body_html,
        is_internal=False,
        created_at=clock.now(),
    )
    session.add(message)
    session.flush()
    send_event_on_commit(session, message_event(message, conversation.customer_id))
    return message


def do_add_note(session: Session, conversation: Conversation, *, body: str, author_id: int) -> Message:
    """An internal note: stored with the conversation for colleagues, never delivered to the customer."""
    if not body.strip():
        raise InvalidInput("body: must not be empty", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput(f"body: at most {MAX_BODY_CHARS} characters", field="body")
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        sender=Sender.agent.value,
        author_id=author_id,
        body=body,
        is_internal=True,
        created_at=clock.now(),
    )
    session.add(message)
    session.flush()
    send_event_on_commit(session, message_event(message, conversation.customer_id))
    return message


def do_record_thread(
    session: Session, *, channel: Channel, key: str, conversation_id: int, ours: bool
) -> None:
    """Remember a transport thread handle (idempotently: the first conversation to claim a key keeps it)."""
    exists = session.scalar(
        select(ChannelThread.id).where(ChannelThread.channel == channel.value, ChannelThread.key == key)
    )
    if exists is None:
        session.add(
            ChannelThread(
                channel=channel.value,
                key=key[:255],
                conversation_id=conversation_id,
                ours=ours,
                created_at=clock.now(),
            )
        )
        session.flush()


def thread_for(session: Session, channel: Channel, keys: Sequence[str]) -> ChannelThread | None:
    """The first known thread handle among `keys` (newest reference first, as e-mail clients list them)."""
    for key in keys:
        thread = session.scalar(
            select(ChannelThread).where(ChannelThread.channel == channel.value, ChannelThread.key == key)
        )
        if thread is not None:
            return thread
    return None


def message_event(message: Message | dict[str, Any], customer_id: int) -> Event:
    """`message.created`, with the body so live channels (web chat) can push it without reading it back.

    `message` may be the row's column values, as bulk inserts have them.
    """
    values = message if isinstance(message, dict) else {c: getattr(message, c) for c in EVENT_COLUMNS}
    # Internal notes are published too (colleagues' consoles refresh); live channels must skip them.
    return Event(
        "message.created",
        {
            "message_id": values["id"],
            "conversation_id": values["conversation_id"],
            "channel": values["channel"],
            "sender": values["sender"],
            "customer_id": customer_id,
            "body": values["body"],
            "created_at": values["created_at"].isoformat(),
            "internal": bool(values.get("is_internal")),
        },
    )


EVENT_COLUMNS = ("id", "conversation_id", "channel", "sender", "body", "created_at", "is_internal")
