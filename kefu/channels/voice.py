"""Call events from the telephone platform turned into the timings the measures need (pure).

wait  = answered_at − queued_at (or until abandoned), feeding ASA and service level
talk  = ended_at − answered_at − hold
hold  = the sum of held → resumed spans (a call that ends on hold stops holding when it ends)
after-call work = wrap_up_done − ended_at
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from kefu.core.errors import Conflict


class CallEvent(StrEnum):
    offered = "offered"  # entered a queue
    answered = "answered"  # connected to an agent
    held = "held"
    resumed = "resumed"
    transferred = "transferred"
    abandoned = "abandoned"  # the caller hung up before being answered
    ended = "ended"
    wrap_up_done = "wrap_up_done"  # the agent finished after-call work


class CallEventRefused(Conflict, ValueError):
    code = "call_event_refused"


@dataclass(frozen=True)
class CallTimes:
    queued_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    held_since: datetime | None = None
    hold_seconds: int = 0
    after_contact_seconds: int = 0
    transfer_count: int = 0
    abandoned: bool = False

    @property
    def wait_seconds(self) -> int | None:
        end = self.answered_at or (self.ended_at if self.abandoned else None)
        return None if end is None else _seconds(self.queued_at, end)

    @property
    def talk_seconds(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, _seconds(self.answered_at, self.ended_at) - self.hold_seconds)


def apply_call_event(times: CallTimes, event: CallEvent, at: datetime) -> CallTimes:
    """The call after one more event; an event that cannot happen in the call's state is refused."""
    latest = max(t for t in (times.queued_at, times.answered_at, times.held_since, times.ended_at) if t)
    if at < latest:
        raise CallEventRefused(
            f"at: {event.value} at {at.isoformat()} precedes the call's last event at {latest.isoformat()}",
            field="at",
        )
    step = _STEPS.get(event)
    if step is None:
        raise CallEventRefused(
            f"type: {event.value} cannot follow the offer of a call already offered", field="type"
        )
    return step(times, at)


def _answered(t: CallTimes, at: datetime) -> CallTimes:
    _require(
        t.answered_at is None and t.ended_at is None, "answered", "the call was already answered or ended"
    )
    return replace(t, answered_at=at)


def _held(t: CallTimes, at: datetime) -> CallTimes:
    _require(_talking(t) and t.held_since is None, "held", "only a connected call not on hold can be held")
    return replace(t, held_since=at)


def _resumed(t: CallTimes, at: datetime) -> CallTimes:
    _require(_talking(t) and t.held_since is not None, "resumed", "the call is not on hold")
    return _close_hold(t, at)


def _transferred(t: CallTimes, at: datetime) -> CallTimes:
    _require(_talking(t), "transferred", "only a connected call can be transferred")
    return replace(t, transfer_count=t.transfer_count + 1)


def _abandoned(t: CallTimes, at: datetime) -> CallTimes:
    _require(t.answered_at is None and t.ended_at is None, "abandoned", "an answered or ended call")
    return replace(t, abandoned=True, ended_at=at)


def _ended(t: CallTimes, at: datetime) -> CallTimes:
    _require(_talking(t), "ended", "the call was never answered (report abandoned) or already ended")
    return replace(_close_hold(t, at), ended_at=at)


def _wrap_up_done(t: CallTimes, at: datetime) -> CallTimes:
    _require(t.ended_at is not None and t.answered_at is not None, "wrap_up_done", "the call has not ended")
    assert t.ended_at is not None
    return replace(t, after_contact_seconds=_seconds(t.ended_at, at))


_STEPS = {
    CallEvent.answered: _answered,
    CallEvent.held: _held,
    CallEvent.resumed: _resumed,
    CallEvent.transferred: _transferred,
    CallEvent.abandoned: _abandoned,
    CallEvent.ended: _ended,
    CallEvent.wrap_up_done: _wrap_up_done,
}


def _talking(t: CallTimes) -> bool:
    return t.answered_at is not None and t.ended_at is None


def _close_hold(t: CallTimes, at: datetime) -> CallTimes:
    if t.held_since is None:
        return t
    return replace(t, held_since=None, hold_seconds=t.hold_seconds + _seconds(t.held_since, at))


def _require(condition: bool, event: str, reason: str) -> None:
    if not condition:
        raise CallEventRefused(f"type: {event} refused: {reason}", field="type")


def _seconds(start: datetime, end: datetime) -> int:
    if end < start:
        raise CallEventRefused(f"at: {end.isoformat()} is before {start.isoformat()}", field="at")
    return round((end - start).total_seconds())
