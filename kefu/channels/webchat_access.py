"""Reads for a web chat visitor: their open conversation and what they missed (no scope: the visitor
proved their identity on connect, and sees only their own open conversation)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels.actions import open_conversation
from kefu.channels.kinds import Channel
from kefu.channels.models import Message
from kefu.customers.identity import Identity
from kefu.customers.models import CustomerIdentity

RESUME_LIMIT = 500


def visitor_conversation_id(session: Session, identities: tuple[Identity, ...]) -> int | None:
    """The open web chat conversation of whoever these identities name."""
    for identity in reversed(identities):  # the signed customer id, when given, is the stronger claim
        customer_id = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == identity.kind.value,
                CustomerIdentity.namespace == identity.namespace,
                CustomerIdentity.value == identity.value,
            )
        )
        if customer_id is not None:
            conversation = open_conversation(session, customer_id, Channel.webchat)
            return None if conversation is None else conversation.id
    return None


def visitor_messages_after(
    session: Session, identities: tuple[Identity, ...], after: int
) -> list[dict[str, Any]]:
    """The open conversation's messages after `after`, oldest first, shaped as resume frames carry them."""
    conversation_id = visitor_conversation_id(session, identities)
    if conversation_id is None:
        return []
    rows = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after, Message.is_internal.is_(False))
        .order_by(Message.id)
        .limit(RESUME_LIMIT)
    )
    return [
        {
            "message_id": m.id,
            "sender": m.sender,
            "body": m.body,
            "created_at": m.created_at.isoformat(),
            "client_id": _client_id(m.external_id),
        }
        for m in rows
    ]


def _client_id(external_id: str | None) -> str | None:
    return None if external_id is None else external_id.partition(":")[2] or None
