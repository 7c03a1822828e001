"""Conversations linked to a ticket: the one it was created from (`Ticket.conversation_id`, which stays
linked) and any others linked later. A conversation may be linked to several tickets; every link and
unlink is kept in the ticket's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.channels.models import Conversation
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.tickets.models import Ticket, TicketConversation, TicketEvent
from kefu.tickets.notify import watchers


@dataclass(frozen=True)
class LinkedConversation:
    conversation_id: int
    public_id: str
    channel: str
    status: str
    linked_at: datetime
    origin: bool  # the conversation the ticket was created from


def linked_conversations(session: Session, ticket: Ticket) -> list[LinkedConversation]:
    """The origin first, then the others in the order they were linked."""
    rows = session.execute(
        select(Conversation.id, Conversation.public_id, Conversation.channel, Conversation.status,
               TicketConversation.created_at)
        .join(TicketConversation, TicketConversation.conversation_id == Conversation.id)
        .where(TicketConversation.ticket_id == ticket.id)
        .order_by(TicketConversation.id)
    ).all()  # fmt: skip
    links = [LinkedConversation(r[0], r[1], r[2], r[3], r[4], False) for r in rows]
    if ticket.conversation_id is not None:
        origin = session.get(Conversation, ticket.conversation_id)
        if origin is not None:
            first = LinkedConversation(
                origin.id, origin.public_id, origin.channel, origin.status, ticket.created_at, True
            )
            links = [first, *(x for x in links if x.conversation_id != origin.id)]
    return links


def linked_ids(session: Session, ticket: Ticket) -> list[int]:
    ids = session.scalars(
        select(TicketConversation.conversation_id)
        .where(TicketConversation.ticket_id == ticket.id)
        .order_by(TicketConversation.id)
    ).all()
    origin = [ticket.conversation_id] if ticket.conversation_id is not None else []
    return origin + [i for i in ids if i != ticket.conversation_id]


def linked_to_conversation(conversation_id: int) -> ColumnElement[bool]:
    """Tickets created from or linked to the conversation (a condition for a ticket query)."""
    linked = select(TicketConversation.ticket_id).where(TicketConversation.conversation_id == conversation_id)
    return or_(Ticket.conversation_id == conversation_id, Ticket.id.in_(linked))


def _record(session: Session, ticket: Ticket, kind: str, conversation: Conversation, actor_id: int | None,
            now: datetime) -> None:  # fmt: skip
    data = {"conversation_id": conversation.id, "conversation": conversation.public_id}
    session.add(TicketEvent(ticket_id=ticket.id, actor_id=actor_id, kind=kind, data=data, created_at=now))
    ticket.updated_at = now
    payload = {"ticket": ticket.id, "public_id": ticket.public_id, "status": ticket.status,
               "fields": ["conversations"], "conversation": conversation.public_id}  # fmt: skip
    send_event_on_commit(session, Event("ticket.updated", payload, watchers(session, ticket)))


def do_link(
    session: Session, *, ticket: Ticket, conversation_id: int, actor_id: int | None, now: datetime
) -> Conversation:
    """Link one of the ticket's customer's conversations; 409 if it is linked already."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise InvalidInput(f"conversation_id: no conversation {conversation_id}", field="conversation_id")
    if conversation.customer_id != ticket.customer_id:
        raise InvalidInput(
            "conversation_id: the conversation is another customer's, not the ticket's",
            field="conversation_id",
        )
    if ticket.conversation_id == conversation.id or conversation.id in linked_ids(session, ticket):
        raise Conflict(
            f"conversation_id: conversation {conversation_id} is already linked", code="already_linked",
            field="conversation_id",
        )  # fmt: skip
    try:
        with session.begin_nested():  # two requests linking the same pair: one wins, the other is told
            session.add(TicketConversation(
                ticket_id=ticket.id, conversation_id=conversation.id, linked_by_id=actor_id, created_at=now
            ))  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(
            f"conversation_id: conversation {conversation_id} is already linked", code="already_linked",
            field="conversation_id",
        ) from exc  # fmt: skip
    _record(session, ticket, "conversation_linked", conversation, actor_id, now)
    return conversation


def do_unlink(
    session: Session, *, ticket: Ticket, conversation_id: int, actor_id: int | None, now: datetime
) -> None:
    """Unlink a conversation; the one the ticket was created from stays (409)."""
    if ticket.conversation_id == conversation_id:
        raise Conflict(
            "conversation_id: the ticket was created from this conversation; it stays linked",
            code="origin_conversation", field="conversation_id",
        )  # fmt: skip
    link = session.scalar(
        select(TicketConversation).where(
            TicketConversation.ticket_id == ticket.id, TicketConversation.conversation_id == conversation_id
        )
    )
    if link is None:
        raise NotFound(
            f"conversation {conversation_id} is not linked to this ticket", field="conversation_id"
        )
    conversation = session.get(Conversation, conversation_id)
    session.delete(link)
    if conversation is not None:
        _record(session, ticket, "conversation_unlinked", conversation, actor_id, now)
    session.flush()
