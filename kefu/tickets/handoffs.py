"""Department handoffs: part of a ticket's work handed to a department with its own deadline and owner.

The ticket waits `on_hold` while a handoff is open (its SLA clocks keep running: the customer-facing owner
stays accountable and is told of the reply, the bounce-back, or a missed deadline)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kefu.access.models import Department
from kefu.core.errors import Conflict, InvalidInput
from kefu.core.events import Event, send_event_on_commit
from kefu.tickets.actions import do_change_status, user_or_refuse
from kefu.tickets.models import Handoff, Ticket, TicketEvent
from kefu.tickets.notify import watchers
from kefu.tickets.policies import sla_setup
from kefu.tickets.timing import policy_for

HOLD_FROM = ("new", "open", "pending")


def do_hand_off(
    session: Session,
    *,
    ticket: Ticket,
    department_id: int,
    task: str,
    owner_id: int | None,
    response_hours: float,
    actor_id: int | None,
    now: datetime,
) -> Handoff:
    """Hand a task to a department; its deadline is in business hours of the ticket's SLA calendar."""
    if session.get(Department, department_id) is None:
        raise InvalidInput(f"department_id: no department {department_id}", field="department_id")
    if owner_id is not None:
        user_or_refuse(session, owner_id, "owner_id")
    if ticket.status in ("solved", "closed"):
        raise Conflict(
            f"status: a {ticket.status} ticket cannot be handed off; reopen it first", field="status"
        )
    calendar = policy_for(ticket, sla_setup(session).book).calendar
    due_at = calendar.add_business_seconds(now, response_hours * 3600)
    handoff = Handoff(
        ticket_id=ticket.id, department_id=department_id, owner_id=owner_id, task=task, status="open",
        due_at=due_at, created_by_id=actor_id, created_at=now,
    )  # fmt: skip
    session.add(handoff)
    session.flush()
    _record(session, ticket, handoff, "handoff", actor_id, now)
    if ticket.status in HOLD_FROM:
        do_change_status(
            session, ticket=ticket, status="on_hold", actor_id=actor_id, now=now, reason="handoff"
        )
    recipients = () if owner_id is None else (owner_id,)
    payload = {
        "handoff": handoff.id,
        "ticket": ticket.id,
        "department": department_id,
        "due_at": handoff.due_at.isoformat(),
    }
    send_event_on_commit(session, Event("ticket.handoff", payload, recipients))
    return handoff


def _record(
    session: Session, ticket: Ticket, handoff: Handoff, kind: str, actor_id: int | None, now: datetime
) -> None:
    data = {"handoff": handoff.id, "department": handoff.department_id, "owner": handoff.owner_id}
    if handoff.answer is not None:
        data["answer"] = handoff.answer
    session.add(TicketEvent(ticket_id=ticket.id, actor_id=actor_id, kind=kind, data=data, created_at=now))


def do_answer_handoff(
    session: Session,
    *,
    ticket: Ticket,
    handoff: Handoff,
    answer: str,
    outcome: str,
    actor_id: int | None,
    now: datetime,
) -> Handoff:
    """The department's reply or bounce-back; the ticket returns to its owner's work when none is open."""
    if handoff.status != "open":
        raise Conflict(
            f"status: this handoff was already {handoff.status}", code="handoff_closed", field="status"
        )
    handoff.status, handoff.answer, handoff.answered_at = outcome, answer, now
    _record(session, ticket, handoff, f"handoff_{outcome}", actor_id, now)
    still_open = session.scalar(
        select(Handoff.id).where(
            Handoff.ticket_id == ticket.id, Handoff.status == "open", Handoff.id != handoff.id
        )
    )
    if still_open is None and ticket.status == "on_hold":
        do_change_status(
            session, ticket=ticket, status="open", actor_id=actor_id, now=now, reason=f"handoff {outcome}"
        )
    payload = {"handoff": handoff.id, "ticket": ticket.id, "outcome": outcome}
    send_event_on_commit(session, Event(f"ticket.handoff_{outcome}", payload, watchers(session, ticket)))
    return handoff


def mark_overdue_handoffs(session: Session, now: datetime) -> list[int]:
    """Flag each open handoff past its deadline once and tell the ticket's owner (sweeper's pass)."""
    late = session.scalars(
        update(Handoff)
        .where(Handoff.status == "open", Handoff.due_at <= now, Handoff.overdue_at.is_(None))
        .values(overdue_at=now)
        .returning(Handoff.id)
    ).all()
    for handoff in session.scalars(select(Handoff).where(Handoff.id.in_(late))):
        ticket = session.get(Ticket, handoff.ticket_id)
        assert ticket is not None  # a foreign key
        payload = {"handoff": handoff.id, "ticket": ticket.id, "department": handoff.department_id}
        recipients = tuple(sorted(set(watchers(session, ticket)) | ({handoff.owner_id} - {None})))
        send_event_on_commit(session, Event("ticket.handoff_overdue", payload, recipients))
    return list(late)
