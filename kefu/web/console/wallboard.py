"""The wallboard's per-queue figures, from the glossary's measures (pure: rows and `now` come in).

Every ratio is computed by kefu.analytics.measures, so the wallboard and the reports cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from kefu.analytics import measures
from kefu.analytics.measures import ContactRecord

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
