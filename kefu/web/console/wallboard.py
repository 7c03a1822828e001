"""The wallboard's per-queue and per-agent figures, from the glossary's measures.

The figures are computed here from plain rows (`queue_figures`, `hourly_volume` are pure: rows and `now`
come in); the rows come from the domains' own reads — conversations that entered a queue today from
kefu.channels.access, live queue status and agents' presence from kefu.routing.access — so the web layer
holds no SQL. Every ratio is computed by kefu.analytics.measures, so the wallboard and the reports cannot
disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.analytics import measures
from kefu.analytics.measures import ContactRecord
from kefu.channels.access import QueuedContact, queued_contacts_since
from kefu.core.clock import as_utc
from kefu.routing.access import agents_on_board, list_queues, queue_statuses
from kefu.routing.state import Presence
from kefu.web.console.presence import PresenceView, view_of

# "Answered within X seconds", X per channel (glossary: e.g. 15 s voice, 30 s chat). E-mail is answered
# in hours rather than seconds, so its bar is an hour; a channel missing here uses the chat bar.
SERVICE_LEVEL_SECONDS = {"voice": 15, "webchat": 30, "app": 30, "social": 30, "api": 30, "email": 3600}
DEFAULT_SERVICE_LEVEL_SECONDS = 30


@dataclass(frozen=True, slots=True)
class QueueFigures:
    queue_id: int
    name: str
    channel: str
    waiting: int
    longest_wait_seconds: float
    offered: int
    answered: int
    abandoned: int
    answer_rate: float | None
    service_level: float | None
    service_level_seconds: int
    ewt_seconds: float | None  # routing's estimate for a contact joining now; None when nobody serves


def start_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s date in the centre's time zone ("today" on the wallboard), as an aware instant."""
    if now.tzinfo is None:
        raise ValueError("now: must be timezone-aware")
    zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def queue_figures(
    *,
    queue_id: int,
    name: str,
    channel: str,
    today: Sequence[ContactRecord],
    waiting: int,
    longest_wait_seconds: float,
    ewt_seconds: float | None,
) -> QueueFigures:
    """Today's figures of one queue; `today` holds the contacts that entered it since midnight, and the
    live figures (waiting now, longest wait, estimated wait) come from routing, which owns the queues."""
    if waiting < 0 or longest_wait_seconds < 0:
        raise ValueError("waiting, longest_wait_seconds: must not be negative")
    threshold = SERVICE_LEVEL_SECONDS.get(channel, DEFAULT_SERVICE_LEVEL_SECONDS)
    return QueueFigures(
        queue_id=queue_id,
        name=name,
        channel=channel,
        waiting=waiting,
        longest_wait_seconds=longest_wait_seconds,
        offered=measures.offered(today),
        answered=measures.answered(today),
        abandoned=measures.abandoned(today),
        answer_rate=measures.answer_rate(today),
        service_level=measures.service_level(today, threshold),
        service_level_seconds=threshold,
        ewt_seconds=ewt_seconds,
    )


@dataclass(frozen=True, slots=True)
class HourlyVolume:
    hours: list[int]  # 0..23, local to the centre
    offered: list[int]
    answered: list[int]


def hourly_volume(contacts: Sequence[ContactRecord], timezone: str, until: datetime) -> HourlyVolume:
    """Today's offered and answered contacts per hour of entering the queue, up to `until`'s hour."""
    if until.tzinfo is None:
        raise ValueError("until: must be timezone-aware")
    zone = ZoneInfo(timezone)
    hours = list(range(until.astimezone(zone).hour + 1))
    offered, answered = [0] * len(hours), [0] * len(hours)
    for contact in contacts:
        if contact.queued_at is None:
            continue
        hour = contact.queued_at.astimezone(zone).hour
        if hour < len(hours):
            offered[hour] += 1
            answered[hour] += contact.answered
    return HourlyVolume(hours, offered, answered)


def _record(row: QueuedContact) -> ContactRecord:
    return ContactRecord(
        queued_at=as_utc(row.queued_at),
        answered_at=as_utc(row.answered_at) if row.answered_at else None,
        ended_at=as_utc(row.ended_at) if row.ended_at else None,
        abandoned=row.abandoned,
    )


@dataclass(frozen=True)
class Wallboard:
    queues: list[QueueFigures]
    hourly: HourlyVolume


def wallboard(session: Session, actor: Actor, *, since: datetime, now: datetime, timezone: str) -> Wallboard:
    """Per queue: today's offered/answered/abandoned contacts since `since` within the reader's scope (a team
    lead's team; the centre for supervisors), and what routing says now: who waits, for how long, and the
    estimated wait for a contact joining; and the contacts per hour today."""
    today: dict[int, list[ContactRecord]] = defaultdict(list)
    for row in queued_contacts_since(session, actor, since):
        today[row.queue_id].append(_record(row))
    everyone = [record for records in today.values() for record in records]
    live = {status.code: status for status in queue_statuses(session, now)}
    figures = []
    for queue in sorted(list_queues(session), key=lambda q: q.id):
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
    return Wallboard(figures, hourly_volume(everyone, timezone, now))


@dataclass(frozen=True)
class AgentLine:
    user_id: int
    name: str
    presence: PresenceView
    contacts: int  # offered or assigned to the agent now


# Wallboard order: who is taking contacts, then who is away for a while, then who is gone.
STATE_ORDER = (
    Presence.BUSY,
    Presence.AVAILABLE,
    Presence.AFTER_CONTACT_WORK,
    Presence.BREAK,
    Presence.TRAINING,
    Presence.OFFLINE,
)


def agent_lines(session: Session, actor: Actor) -> list[AgentLine]:
    """The agents routing knows in the actor's reach, with their presence and current contacts: working
    agents first, then breaks and training, then those offline."""
    lines = [
        AgentLine(a.user_id, a.name, view_of(a.presence), a.contacts) for a in agents_on_board(session, actor)
    ]
    return sorted(lines, key=lambda line: (STATE_ORDER.index(line.presence.state), line.name))
