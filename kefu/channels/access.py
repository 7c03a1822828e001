"""Scoped reads of conversations: fetch and check permission in one call; missing and forbidden look alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.scopes import conversation_scope, one_in_scope
from kefu.channels.kinds import Channel, ConversationStatus
from kefu.channels.models import Attachment, Conversation, Message
from kefu.customers.models import Customer

OPEN_STATUSES = (ConversationStatus.queued.value, ConversationStatus.active.value)


def access_conversation_by_public_id(session: Session, actor: Actor, public_id: str) -> Conversation:
    query = select(Conversation).where(Conversation.public_id == public_id, conversation_scope(actor))
    return one_in_scope(session, query, f"conversation {public_id} not found")


def access_conversation_by_id(session: Session, actor: Actor, conversation_id: int) -> Conversation:
    query = select(Conversation).where(Conversation.id == conversation_id, conversation_scope(actor))
    return one_in_scope(session, query, f"conversation {conversation_id} not found", field="conversation_id")


@dataclass(frozen=True, slots=True)
class ConversationLine:
    """One line of an inbox: what a list shows, without loading whole rows."""

    public_id: str
    status: str
    channel: str
    subject: str | None
    started_at: datetime
    customer_name: str


def list_conversations(
    session: Session, actor: Actor, *, limit: int, status: str | None = None, channel: str | None = None
) -> list[ConversationLine]:
    """The actor's conversations: open ones first, then the most recently started.

    Two index-ordered queries (open, then the rest) rather than one sort on a computed "open first" key,
    which would read every row in scope: a supervisor's scope is the whole history of the centre.
    """
    if limit < 1:
        raise ValueError("limit: must be at least 1")
    if status is not None and status not in ConversationStatus.__members__:
        raise ValueError(f"status: {status!r} is not a conversation status")
    if channel is not None and channel not in Channel.__members__:
        raise ValueError(f"channel: {channel!r} is not a channel")
    on_channel = Conversation.channel == channel if channel is not None else true()
    if status is not None:
        return _lines(session, actor, and_(Conversation.status == status, on_channel), limit)
    lines = _lines(session, actor, and_(Conversation.status.in_(OPEN_STATUSES), on_channel), limit)
    if len(lines) < limit:
        rest = and_(Conversation.status.not_in(OPEN_STATUSES), on_channel)
        lines += _lines(session, actor, rest, limit - len(lines))
    return lines


def _lines(
    session: Session, actor: Actor, condition: ColumnElement[bool], limit: int
) -> list[ConversationLine]:
    query = (
        select(
            Conversation.public_id,
            Conversation.status,
            Conversation.channel,
            Conversation.subject,
            Conversation.started_at,
            Customer.name,
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(conversation_scope(actor), condition)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    return [ConversationLine(*row) for row in session.execute(query)]


def count_open_conversations(session: Session, actor: Actor) -> int:
    """Conversations in the actor's scope that are still queued or being handled."""
    query = select(func.count()).where(conversation_scope(actor), Conversation.status.in_(OPEN_STATUSES))
    return session.scalar(query) or 0


def messages_of(session: Session, conversation_id: int, *, limit: int = 500) -> list[Message]:
    """A conversation's latest `limit` messages, oldest first (the caller already checked access)."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))


def messages_after(
    session: Session, conversation_id: int, after_id: int, *, limit: int = 200
) -> list[Message]:
    """The conversation's messages newer than `after_id`, oldest first (the caller already checked access)."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after_id)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def attachments_of(session: Session, message_ids: list[int]) -> dict[int, list[Attachment]]:
    """The files of these messages, by message id (the caller already checked access to the messages)."""
    found: dict[int, list[Attachment]] = {}
    if not message_ids:
        return found
    query = select(Attachment).where(Attachment.message_id.in_(message_ids)).order_by(Attachment.id)
    for attachment in session.scalars(query):
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


def offered_conversation_lines(session: Session, conversation_ids: list[int]) -> dict[int, ConversationLine]:
    """What an offer shows (customer, channel, subject), by conversation id. Not scoped: routing offered
    these contacts to the reader, which is what lets them see this much before accepting."""
    if not conversation_ids:
        return {}
    query = (
        select(
            Conversation.id,
            Conversation.public_id,
            Conversation.status,
            Conversation.channel,
            Conversation.subject,
            Conversation.started_at,
            Customer.name,
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.id.in_(conversation_ids))
    )
    return {row[0]: ConversationLine(*row[1:]) for row in session.execute(query)}


@dataclass(frozen=True)
class QueuedContact:
    """A conversation's stay in a queue as the wallboard counts it (no customer data)."""

    queue_id: int
    queued_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    abandoned: bool


def queued_contacts_since(session: Session, actor: Actor, since: datetime) -> list[QueuedContact]:
    """Conversations that entered a queue at or after `since`, in the reader's scope (a team lead's team,
    the centre for supervisors): the wallboard's "today"."""
    rows = session.execute(
        select(
            Conversation.queue_id,
            Conversation.queued_at,
            Conversation.answered_at,
            Conversation.ended_at,
            Conversation.abandoned,
        ).where(
            Conversation.queue_id.is_not(None), Conversation.queued_at >= since, conversation_scope(actor)
        )
    )
    return [QueuedContact(*row) for row in rows]
