"""Data scopes: which rows an actor may see, as SQL conditions applied inside every domain's reads.

An agent sees the customers, conversations and tickets they handle; a team lead those of the team;
supervisors and administrators all. Other roles see nothing of customers until a feature grants it
(quality sampling grants QA specialists the contacts sampled to them).
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import User
from kefu.access.roles import Role
from kefu.channels.models import Conversation
from kefu.core.errors import NotFound
from kefu.customers.models import Customer
from kefu.surveys.models import Survey
from kefu.tickets.models import Ticket

CENTRE_WIDE = {Role.supervisor, Role.admin}
Row = TypeVar("Row")


def one_in_scope(
    session: Session,
    query: Select[tuple[Row]],
    missing: str,
    *,
    field: str | None = None,
    for_update: bool = False,
) -> Row:
    """The one row `query` (its key and the reader's scope) finds, or 404: a row out of scope is reported
    exactly like one that does not exist, so guessing ids reveals nothing. `for_update` locks the row
    (PostgreSQL)."""
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise NotFound(missing, field=field)
    return row


def conversation_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.role in CENTRE_WIDE:
        return true()
    if actor.role == Role.team_lead and actor.team_id is not None:
        return Conversation.team_id == actor.team_id
    if actor.role == Role.agent:
        return Conversation.agent_id == actor.user_id
    return false()


def ticket_scope(actor: Actor) -> ColumnElement[bool]:
    if actor.role in CENTRE_WIDE:
        return true()
    if actor.role == Role.team_lead and actor.team_id is not None:
        return Ticket.team_id == actor.team_id
    if actor.role == Role.agent:
        return Ticket.assignee_id == actor.user_id
    return false()


def user_scope(actor: Actor) -> ColumnElement[bool]:
    """Colleagues: a team lead sees the team, supervisors and administrators everyone, others themselves."""
    if actor.role in CENTRE_WIDE:
        return true()
    if actor.role == Role.team_lead and actor.team_id is not None:
        return or_(User.team_id == actor.team_id, User.id == actor.user_id)
    return User.id == actor.user_id


def customer_scope(actor: Actor) -> ColumnElement[bool]:
    """A customer is visible when one of their conversations or tickets is, or they are dedicated to you."""
    if actor.role in CENTRE_WIDE:
        return true()
    handled = select(Conversation.customer_id).where(conversation_scope(actor))
    ticketed = select(Ticket.customer_id).where(ticket_scope(actor))
    conditions = [Customer.id.in_(handled), Customer.id.in_(ticketed)]
    if actor.role == Role.agent:
        conditions.append(Customer.dedicated_agent_id == actor.user_id)
    return or_(*conditions)


def survey_scope(actor: Actor) -> ColumnElement[bool]:
    """CSAT answers count in a report when the agent they rate is in the reader's reach."""
    if actor.role in CENTRE_WIDE:
        return true()
    if actor.role == Role.team_lead and actor.team_id is not None:
        return Survey.agent_id.in_(select(User.id).where(User.team_id == actor.team_id))
    if actor.role == Role.agent:
        return Survey.agent_id == actor.user_id
    return false()
