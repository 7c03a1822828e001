"""The customer's signed status link: it opens one ticket's status and estimate, without signing in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.core.errors import NotFound
from kefu.tickets.links import read_token, sign_token
from kefu.tickets.models import Ticket
from kefu.tickets.policies import SlaSetup
from kefu.tickets.sla import sla_clocks
from kefu.tickets.timing import sweep_ticket_of

PURPOSE = "ticket-status"


def status_token(secret: str, ticket_public_id: str) -> str:
    return sign_token(secret, PURPOSE, ticket_public_id)


def status_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/api/v1/ticket-status/{token}"


def ticket_for_token(session: Session, secret: str, token: str) -> Ticket:
    public_id = read_token(secret, PURPOSE, token)
    ticket = (
        None if public_id is None else session.scalar(select(Ticket).where(Ticket.public_id == public_id))
    )
    if ticket is None:
        raise NotFound("this status link is not valid", field="token")
    return ticket


def estimate(ticket: Ticket, setup: SlaSetup, now: datetime) -> datetime | None:
    """When the ticket is due to be resolved: the resolution deadline while it runs (None while paused or
    without a resolution target), the solve time once solved."""
    if ticket.solved_at is not None:
        return ticket.solved_at
    swept = sweep_ticket_of(ticket, setup)
    clock = next((c for c in sla_clocks(swept.policy, swept.times) if c.metric == "resolution"), None)
    return None if clock is None else clock.deadline
