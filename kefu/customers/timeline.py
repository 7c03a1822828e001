"""The 360° view of one customer: every contact and piece of work on one timeline (read-only).

Conversations and tickets are listed within the caller's data scope (an agent sees the ones they
handle, supervisors all), so the view never shows more than the caller could open one by one. CSAT
answers and open follow-ups belong to the customer and are shown whenever the customer is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.scopes import conversation_scope, ticket_scope
from kefu.channels.models import Conversation
from kefu.surveys.models import Survey
from kefu.tickets.models import FollowUp, Ticket

TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # conversation, ticket, csat, follow_up
    ref: str  # the id the matching API takes (public id of a conversation, ticket id, …)
    at: datetime
    channel: str | None
    status: str
    title: str


def customer_timeline(session: Session, actor: Actor, customer_id: int) -> list[TimelineItem]:
    """Newest first; the caller has already checked that the customer is visible."""
    items = [
        *_conversations(session, actor, customer_id),
        *_tickets(session, actor, customer_id),
        *_surveys(session, customer_id),
        *_follow_ups(session, customer_id),
    ]
    return sorted(items, key=lambda item: (item.at, item.kind, item.ref), reverse=True)[:TIMELINE_LIMIT]


def _conversations(session: Session, actor: Actor, customer_id: int) -> list[TimelineItem]:
    rows = session.scalars(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, conversation_scope(actor))
        .order_by(Conversation.started_at.desc())
        .limit(TIMELINE_LIMIT)
    )
    return [
        TimelineItem("conversation", c.public_id, c.started_at, c.channel, c.status, c.subject or "")
        for c in rows
    ]


def _tickets(session: Session, actor: Actor, customer_id: int) -> list[TimelineItem]:
    rows = session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, ticket_scope(actor))
        .order_by(Ticket.created_at.desc())
        .limit(TIMELINE_LIMIT)
    )
    return [
        TimelineItem("ticket", str(t.id), t.created_at, t.channel, t.status, f"{t.type}: {t.subject}")
        for t in rows
    ]


def _surveys(session: Session, customer_id: int) -> list[TimelineItem]:
    rows = session.scalars(
        select(Survey)
        .where(Survey.customer_id == customer_id, Survey.answered_at.is_not(None))
        .order_by(Survey.answered_at.desc())
        .limit(TIMELINE_LIMIT)
    )
    return [TimelineItem("csat", str(s.id), s.answered_at, s.channel, "answered", _scores(s)) for s in rows]


def _scores(survey: Survey) -> str:
    parts = [
        f"{d} {getattr(survey, d)}" for d in ("attitude", "efficiency", "accuracy") if getattr(survey, d)
    ]
    return ", ".join(parts)


def _follow_ups(session: Session, customer_id: int) -> list[TimelineItem]:
    rows = session.scalars(
        select(FollowUp)
        .where(FollowUp.customer_id == customer_id, FollowUp.status == "open")
        .order_by(FollowUp.due_at)
        .limit(TIMELINE_LIMIT)
    )
    return [TimelineItem("follow_up", str(f.id), f.due_at, None, f.status, f.reason) for f in rows]
