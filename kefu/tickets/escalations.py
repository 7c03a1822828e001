"""Recording an escalation (by the sweep, at creation of a major complaint, or by hand) and telling the
level it reached. The record shares the sweep's unique key, so each level is reached once per ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kefu.core.events import Event, send_event_on_commit
from kefu.tickets.calendar import to_us
from kefu.tickets.escalation import EscalationPolicy
from kefu.tickets.models import SlaRecord, Ticket, TicketEvent
from kefu.tickets.notify import level_recipients
from kefu.tickets.once import insert_once
from kefu.tickets.timing import level_in_chain


def escalation_record(ticket: Ticket, level: str, due_at: datetime, now: datetime, reason: str) -> SlaRecord:
    cycle = to_us(ticket.created_at, "created_at")
    return SlaRecord(
        ticket_id=ticket.id,
        kind="escalation",
        subject=level,
        cycle_us=cycle,
        due_at=due_at,
        recorded_at=now,
        reason=reason[:120],
    )


def escalation_notice(
    ticket_id: int, public_id: str, level: str, reason: str, recipients: tuple[int, ...]
) -> Event:
    payload = {"ticket": ticket_id, "public_id": public_id, "level": level, "reason": reason}
    return Event("ticket.escalated", payload, recipients)


def history_row(
    ticket_id: int, level: str, reason: str, now: datetime, actor_id: int | None
) -> dict[str, Any]:
    data = {"level": level, "reason": reason}
    return {
        "ticket_id": ticket_id,
        "actor_id": actor_id,
        "kind": "escalated",
        "data": data,
        "created_at": now,
    }


def apply_escalation(
    session: Session,
    ticket: Ticket,
    level: str,
    now: datetime,
    reason: str,
    policy: EscalationPolicy,
    actor_id: int | None = None,
) -> None:
    """Move the ticket up to `level` (never down), keep it in the history and notify that level."""
    if policy.rank(level) > policy.rank(level_in_chain(policy, ticket.escalation_level)):
        ticket.escalation_level = level
    session.add(TicketEvent(**history_row(ticket.id, level, reason, now, actor_id)))
    recipients = level_recipients(session, ticket, level)
    send_event_on_commit(session, escalation_notice(ticket.id, ticket.public_id, level, reason, recipients))


def escalate(
    session: Session,
    ticket: Ticket,
    level: str,
    now: datetime,
    reason: str,
    policy: EscalationPolicy,
    actor_id: int | None = None,
) -> bool:
    """Record and apply an escalation once; False when the level was already reached for this ticket."""
    if not insert_once(session, escalation_record(ticket, level, now, now, reason)):
        return False
    apply_escalation(session, ticket, level, now, reason, policy, actor_id)
    return True
