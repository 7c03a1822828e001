"""Who hears about a ticket: the people an event about it is addressed to (user ids)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.models import Team, User
from kefu.access.roles import Role
from kefu.tickets.models import Ticket


def team_lead_of(session: Session, team_id: int | None) -> int | None:
    return None if team_id is None else session.scalar(select(Team.lead_id).where(Team.id == team_id))


def supervisors(session: Session) -> list[int]:
    query = select(User.id).where(User.role == Role.supervisor.value, User.is_active.is_(True))
    return list(session.scalars(query.order_by(User.id)))


def recipients_of_level(
    level: str, assignee_id: int | None, team_lead: int | None, supervisor_ids: Sequence[int]
) -> tuple[int, ...]:
    """The people of an escalation level: the team lead of the ticket's team, or every supervisor."""
    if level == "team_lead":
        return () if team_lead is None else (team_lead,)
    if level == "supervisor":
        return tuple(supervisor_ids)
    return () if assignee_id is None else (assignee_id,)


def level_recipients(session: Session, ticket: Ticket, level: str) -> tuple[int, ...]:
    lead = team_lead_of(session, ticket.team_id) if level == "team_lead" else None
    return recipients_of_level(
        level, ticket.assignee_id, lead, supervisors(session) if level == "supervisor" else ()
    )


def watchers(session: Session, ticket: Ticket) -> tuple[int, ...]:
    """The customer-facing owner and their team lead: the console recipients of a ticket's changes."""
    ids = [ticket.assignee_id, team_lead_of(session, ticket.team_id)]
    return tuple(sorted({i for i in ids if i is not None}))
