"""Scoped reads of tickets: fetch and check the scope in one query; missing and forbidden look alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.roles import Role
from kefu.access.scopes import CENTRE_WIDE, one_in_scope, ticket_scope
from kefu.core.errors import NotFound
from kefu.tickets.conversations import linked_to_conversation
from kefu.tickets.models import FollowUp, Handoff, Ticket, TicketEvent


def access_ticket_by_id(
    session: Session, actor: Actor, ticket_id: int, *, for_update: bool = False
) -> Ticket:
    """The ticket if the actor may see it; `for_update` locks the row (PostgreSQL) for a change."""
    query = select(Ticket).where(Ticket.id == ticket_id, ticket_scope(actor))
    return one_in_scope(
        session, query, f"ticket {ticket_id} not found", field="ticket_id", for_update=for_update
    )


def ticket_page(
    *conditions: ColumnElement[bool], limit: int, status: str | None = None, before_id: int | None = None
) -> Select[tuple[Ticket]]:
    """Newest first, `limit` at a time; page on with `before_id` (the last id of the previous page)."""
    if not 1 <= limit <= 200:
        raise ValueError("limit: must be between 1 and 200")
    query = select(Ticket).where(*conditions).order_by(Ticket.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Ticket.status == status)
    if before_id is not None:
        query = query.where(Ticket.id < before_id)
    return query


def list_tickets(
    session: Session,
    actor: Actor,
    *,
    limit: int = 50,
    status: str | None = None,
    before_id: int | None = None,
) -> Sequence[Ticket]:
    """The caller's tickets: the scope condition is part of the query, never a filter afterwards."""
    return session.scalars(
        ticket_page(ticket_scope(actor), limit=limit, status=status, before_id=before_id)
    ).all()


OPEN_STATUSES = ("new", "open", "pending", "on_hold")


def open_tickets(
    session: Session, actor: Actor, *, limit: int, channel: str | None = None, customer_id: int | None = None
) -> Sequence[Ticket]:
    """Tickets in the actor's scope that still need work (new, open, pending, on hold), newest first."""
    query = ticket_page(ticket_scope(actor), Ticket.status.in_(OPEN_STATUSES), limit=limit)
    if channel is not None:
        query = query.where(Ticket.channel == channel)
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    return session.scalars(query).all()


def tickets_of_conversation(session: Session, actor: Actor, conversation_id: int) -> Sequence[Ticket]:
    """The tickets created from or linked to a conversation, within the actor's scope, newest first."""
    query = ticket_page(ticket_scope(actor), linked_to_conversation(conversation_id), limit=20)
    return session.scalars(query).all()


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    type: str | None = None
    sla_state: str | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    conversation_id: int | None = None  # created from or linked to it


def filtered_tickets(
    session: Session, actor: Actor, where: TicketFilter, *, limit: int, before_id: int | None = None
) -> Sequence[Ticket]:
    """`list_tickets` with the API's filters (status, type, SLA risk, team, assignee, customer)."""
    columns = ("type", "sla_state", "team_id", "assignee_id", "customer_id")
    conditions = [getattr(Ticket, c) == getattr(where, c) for c in columns if getattr(where, c) is not None]
    if where.conversation_id is not None:
        conditions.append(linked_to_conversation(where.conversation_id))
    query = ticket_page(
        ticket_scope(actor), *conditions, limit=limit, status=where.status, before_id=before_id
    )
    return session.scalars(query).all()


def history_of(session: Session, ticket: Ticket) -> Sequence[TicketEvent]:
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    return session.scalars(query.order_by(TicketEvent.id)).all()


def handoffs_of(session: Session, ticket: Ticket) -> Sequence[Handoff]:
    return session.scalars(select(Handoff).where(Handoff.ticket_id == ticket.id).order_by(Handoff.id)).all()


def access_handoff(session: Session, actor: Actor, ticket_id: int, handoff_id: int) -> tuple[Ticket, Handoff]:
    ticket = access_ticket_by_id(session, actor, ticket_id, for_update=True)
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.ticket_id != ticket.id:
        raise NotFound(f"no handoff {handoff_id} on ticket {ticket_id}", field="handoff_id")
    return ticket, handoff


def _follow_up_scope(actor: Actor) -> ColumnElement[bool]:
    """A follow-up is visible to its assignee, to whoever may see its ticket, and to the team's lead."""
    if actor.role in CENTRE_WIDE:
        return true()
    conditions = [
        FollowUp.assignee_id == actor.user_id,
        FollowUp.ticket_id.in_(select(Ticket.id).where(ticket_scope(actor))),
    ]
    if actor.role == Role.team_lead and actor.team_id is not None:
        conditions.append(FollowUp.team_id == actor.team_id)
    return or_(*conditions)


def list_follow_ups(session: Session, actor: Actor, *, status: str | None, limit: int) -> Sequence[FollowUp]:
    query = select(FollowUp).where(_follow_up_scope(actor))
    if status is not None:
        query = query.where(FollowUp.status == status)
    return session.scalars(query.order_by(FollowUp.due_at, FollowUp.id).limit(limit)).all()


def access_follow_up_by_id(session: Session, actor: Actor, follow_up_id: int) -> FollowUp:
    query = select(FollowUp).where(FollowUp.id == follow_up_id, _follow_up_scope(actor))
    return one_in_scope(session, query, f"no follow-up {follow_up_id}", field="follow_up_id")
