"""kefu's own contact history as the forecaster's input: offered contacts and AHT per queue and interval.

Intervals are wall-clock times in the centre's time zone (days and their seasons are local), naive as
the forecaster expects. Contacts that never entered a queue (contained by the bot) are not offered work.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.analytics.measures import ContactRecord
from kefu.channels.models import Conversation
from kefu.routing.models import Queue
from kefu.workforce.forecast import HistoryPoint


def contact_history(
    session: Session, first_day: date, last_day: date, timezone: str, interval_minutes: int = 30
) -> tuple[list[HistoryPoint], dict[str, str]]:
    """History points for the local days `first_day`..`last_day`, and each queue's channel.

    Contacts without a queue are grouped under their channel's name.
    """
    zone = ZoneInfo(timezone)
    start = datetime.combine(first_day, time(), tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=zone)
    rows = session.execute(
        select(Conversation, Queue.code)
        .outerjoin(Queue, Queue.id == Conversation.queue_id)
        .where(Conversation.queued_at >= start, Conversation.queued_at < end)
    ).all()
    offered: dict[tuple[datetime, str], int] = defaultdict(int)
    handled: dict[tuple[datetime, str], list[float]] = defaultdict(list)
    channels: dict[str, str] = {}
    for conversation, code in rows:
        queue = code or conversation.channel
        channels[queue] = conversation.channel
        slot = _slot(conversation.queued_at.astimezone(zone), interval_minutes)
        offered[slot, queue] += 1
        seconds = ContactRecord(
            conversation.queued_at,
            conversation.answered_at,
            conversation.ended_at,
            conversation.abandoned,
            conversation.hold_seconds,
            conversation.after_contact_seconds,
        ).handle_seconds
        if seconds is not None:
            handled[slot, queue].append(seconds)
    points = [
        HistoryPoint(slot, queue, float(n), _mean(handled[slot, queue]))
        for (slot, queue), n in sorted(offered.items())
    ]
    return points, channels


def _slot(local: datetime, interval_minutes: int) -> datetime:
    minute = (local.hour * 60 + local.minute) // interval_minutes * interval_minutes
    return datetime.combine(local.date(), time(minute // 60, minute % 60))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
