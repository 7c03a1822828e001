"""Follow-ups (回访): callbacks after closure for high-value customers, repeat complainants and negative
CSAT, assigned to the team lead (else the ticket's owner) with a due date; the result is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.core.errors import Conflict
from kefu.core.events import Event, send_event_on_commit
from kefu.customers.models import Customer
from kefu.surveys.models import Survey
from kefu.tickets.models import FollowUp, Ticket
from kefu.tickets.notify import team_lead_of
from kefu.tickets.once import insert_once

DUE_AFTER = timedelta(days=2)
HIGH_VALUE_TIERS = ("high_value", "vip")
REPEAT_WINDOW = timedelta(days=30)  # glossary: two or more complaints within 30 days
REPEAT_COUNT = 2
NEGATIVE_SCORE = 2  # a dimension rated 1 or 2 makes the answer negative


def _create(
    session: Session,
    *,
    source: str,
    reason: str,
    customer_id: int,
    team_id: int | None,
    owner_id: int | None,
    now: datetime,
    ticket_id: int | None = None,
    survey_id: int | None = None,
) -> FollowUp | None:
    assignee = team_lead_of(session, team_id) or owner_id
    row = FollowUp(
        source=source, reason=reason, customer_id=customer_id, ticket_id=ticket_id, survey_id=survey_id,
        assignee_id=assignee, team_id=team_id, status="open", due_at=now + DUE_AFTER, created_at=now,
    )  # fmt: skip
    if not insert_once(session, row):
        return None
    payload = {"follow_up": row.id, "reason": reason, "customer": customer_id, "ticket": ticket_id}
    send_event_on_commit(
        session, Event("follow_up.created", payload, () if assignee is None else (assignee,))
    )
    return row


def is_repeat_complainant(session: Session, customer_id: int, now: datetime) -> bool:
    since = now - REPEAT_WINDOW
    query = select(func.count(Ticket.id)).where(
        Ticket.customer_id == customer_id, Ticket.type == "complaint", Ticket.created_at >= since
    )
    return (session.scalar(query) or 0) >= REPEAT_COUNT


def after_closure(session: Session, ticket: Ticket, now: datetime) -> list[FollowUp]:
    """The follow-ups a closed ticket's customer qualifies for (each reason once per ticket)."""
    tier = session.scalar(select(Customer.tier).where(Customer.id == ticket.customer_id))
    reasons = []
    if tier in HIGH_VALUE_TIERS:
        reasons.append("high_value")
    if ticket.type == "complaint" and is_repeat_complainant(session, ticket.customer_id, now):
        reasons.append("repeat_complainant")
    made = [
        _create(
            session,
            source=f"ticket:{ticket.id}",
            reason=reason,
            customer_id=ticket.customer_id,
            team_id=ticket.team_id,
            owner_id=ticket.assignee_id,
            now=now,
            ticket_id=ticket.id,
        )  # fmt: skip
        for reason in reasons
    ]
    return [m for m in made if m is not None]


def after_survey(session: Session, survey: Survey, now: datetime) -> FollowUp | None:
    """A negative answer (any dimension at 2 or below) gets a callback."""
    scores = (survey.attitude, survey.efficiency, survey.accuracy)
    if min(s for s in scores if s is not None) > NEGATIVE_SCORE:
        return None
    ticket = session.get(Ticket, survey.ticket_id) if survey.ticket_id else None
    agent_team = (
        session.scalar(select(User.team_id).where(User.id == survey.agent_id)) if survey.agent_id else None
    )
    return _create(
        session, source=f"survey:{survey.id}", reason="negative_csat", customer_id=survey.customer_id,
        team_id=ticket.team_id if ticket else agent_team, owner_id=survey.agent_id, now=now,
        ticket_id=survey.ticket_id, survey_id=survey.id,
    )  # fmt: skip


def do_record_result(session: Session, *, follow_up: FollowUp, result: str, now: datetime) -> FollowUp:
    if follow_up.status == "done":
        raise Conflict("status: this follow-up already has its result", code="already_done", field="status")
    follow_up.status, follow_up.result, follow_up.done_at = "done", result, now
    return follow_up
