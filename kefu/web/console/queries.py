"""The console's database reads that are not one domain's scoped reads: queue figures for the wallboard.

Queue figures are aggregates (counts and timings, no customer data), so they need `reports:read` but no
row scope; the caller checks the permission. Presence is the signed-in agent's own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import User
from kefu.access.roles import Role
from kefu.access.scopes import conversation_scope
from kefu.analytics.measures import ContactRecord
from kefu.channels.models import Conversation
from kefu.core.clock import as_utc
from kefu.routing.access import queue_statuses
from kefu.routing.models import AgentPresence, AgentProfile, Queue, QueueEntry
from kefu.routing.snapshot import HELD
from kefu.routing.state import Presence
from kefu.web.console.presence import PresenceView, view_of
from kefu.web.console.wallboard import (
    HourlyVolume,
    QueueFigures,
    hourly_volume,
    queue_figures,
)


def _record(row: Conversation) -> ContactRecord:
    return ContactRecord(
        queued_at=as_utc(row.queued_at) if row.queued_at else None,
        answered_at=as_utc(row.answered_at) if row.answered_at else None,
        ended_at=as_utc(row.ended_at) if row.ended_at else None,
        abandoned=row.abandoned,
    )


@dataclass(frozen=True)
class Wallboard:
    queues: list[QueueFigures]
    hourly: HourlyVolume


def wallboard(session: Session, actor: Actor, *, since: datetime, now: datetime, timezone: str) -> Wallboard:
    """Per queue: today's offered/answered/abandoned contacts since `since` (conversations table) within the
    reader's scope (a team lead's team; the centre for supervisors), and what routing says now: who waits,
    for how long, and the estimated wait for a contact joining; and the contacts per hour today."""
    today: dict[int, list[ContactRecord]] = defaultdict(list)
    entered = select(Conversation).where(
        Conversation.queue_id.is_not(None), Conversation.queued_at >= since, conversation_scope(actor)
    )
    for row in session.scalars(entered):
        today[row.queue_id].append(_record(row))  # type: ignore[index]
    everyone = [record for records in today.values() for record in records]
    return Wallboard(_queue_figures(session, today, now), hourly_volume(everyone, timezone, now))


def _queue_figures(
    session: Session, today: dict[int, list[ContactRecord]], now: datetime
) -> list[QueueFigures]:
    live = {status.code: status for status in queue_statuses(session, now)}
    figures = []
    for queue in session.scalars(select(Queue).order_by(Queue.id)):
        status = live.get(queue.code)
        figures.append(
            queue_figures(
                queue_id=queue.id,
                name=queue.name,
                channel=queue.channel,
                today=today[queue.id],
                waiting=status.waiting if status else 0,
                longest_wait_seconds=status.longest_wait_seconds if status else 0.0,
                ewt_seconds=status.ewt_seconds if status else None,
            )
        )
    return figures


@dataclass(frozen=True)
class AgentLine:
    user_id: int
    name: str
    presence: PresenceView
    contacts: int  # offered or assigned to the agent now


def agent_lines(session: Session, actor: Actor) -> list[AgentLine]:
    """The agents routing knows (those with a routing profile) in the actor's reach, with their presence and
    current contacts: working agents first, then breaks and training, then those offline."""
    query = (
        select(User.id, User.display_name, AgentPresence)
        .join(AgentProfile, AgentProfile.user_id == User.id)
        .outerjoin(AgentPresence, AgentPresence.user_id == User.id)
        .where(User.is_active)
    )
    if actor.role == Role.team_lead:
        query = query.where(User.team_id == actor.team_id)
    held = dict(
        session.execute(
            select(QueueEntry.agent_id, func.count())
            .where(QueueEntry.status.in_(HELD), QueueEntry.agent_id.is_not(None))
            .group_by(QueueEntry.agent_id)
        ).all()
    )
    lines = [
        AgentLine(user_id, name, view_of(row), held.get(user_id, 0))
        for user_id, name, row in session.execute(query)
    ]
    return sorted(lines, key=lambda line: (STATE_ORDER.index(line.presence.state), line.name))


# Wallboard order: who is taking contacts, then who is away for a while, then who is gone.
STATE_ORDER = (
    Presence.BUSY,
    Presence.AVAILABLE,
    Presence.AFTER_CONTACT_WORK,
    Presence.BREAK,
    Presence.TRAINING,
    Presence.OFFLINE,
)
