"""Scoped reads of conversations: fetch and check permission in one call; missing and forbidden look alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.scopes import conversation_scope
from kefu.channels.kinds import ConversationStatus
from kefu.channels.models import Conversation, Message
from kefu.core.errors import NotFound
from kefu.customers.models import Customer

OPEN_STATUSES = (ConversationStatus.queued.value, ConversationStatus.active.value)


def access_conversation_by_public_id(session: Session, actor: Actor, public_id: str) -> Conversation:
    conversation = session.scalar(
        select(Conversation).where(Conversation.public_id == public_id, conversation_scope(actor))
    )
    if conversation is None:
        raise NotFound(f"conversation {public_id} not found")
    return conversation


def access_conversation_by_id(session: Session, actor: Actor, conversation_id: int) -> Conversation:
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, conversation_scope(actor))
    )
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} not found", field="conversation_id")
    return conversation


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
    session: Session, actor: Actor, *, limit: int, status: str | None = None
) -> list[ConversationLine]:
    """The actor's conversations: open ones first, then the most recently started.

    Two index-ordered queries (open, then the rest) rather than one sort on a computed "open first" key,
    which would read every row in scope: a supervisor's scope is the whole history of the centre.
    """
    if limit < 1:
        raise ValueError("limit: must be at least 1")
    if status is not None and status not in ConversationStatus.__members__:
        raise ValueError(f"status: {status!r} is not a conversation status")
    if status is not None:
        return _lines(session, actor, Conversation.status == status, limit)
    lines = _lines(session, actor, Conversation.status.in_(OPEN_STATUSES), limit)
    if len(lines) < limit:
        lines += _lines(session, actor, Conversation.status.not_in(OPEN_STATUSES), limit - len(lines))
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
