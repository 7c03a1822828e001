"""The SLA sweep: which warnings, breaches and escalations are due now and not yet recorded (pure).

The scheduler calls `sweep` with the open tickets, `now` and the keys of the events it has already
recorded; it records what comes back. Because every event has a stable key and recorded keys are
skipped, running the sweep twice — or after a restart — records each event once, and nothing depends on
timers held in memory: an event missed while the server was down is simply due at the next pass.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kefu.tickets.escalation import EscalationLevel, EscalationPolicy, SlaSignal, due_escalations
from kefu.tickets.sla import SlaClock, SlaPolicy, TicketTimes, sla_clocks


class SlaEventKind(StrEnum):
    warning = "warning"
    breach = "breach"
    escalation = "escalation"


EventKey = tuple[int, str, str, datetime]


@dataclass(frozen=True, slots=True)
class SlaEvent:
    """`subject` is the metric (warning, breach) or the level reached (escalation); `cycle` is the clock's
    start — next response has one cycle per unanswered customer message — or the ticket's creation for
    escalations, which happen once per level per ticket."""

    ticket_id: int
    kind: SlaEventKind
    subject: str
    cycle: datetime
    due_at: datetime
    reason: str = ""

    @property
    def key(self) -> EventKey:
        return (self.ticket_id, self.kind.value, self.subject, self.cycle)


@dataclass(frozen=True, slots=True)
class SweepTicket:
    times: TicketTimes
    policy: SlaPolicy
    level: EscalationLevel = EscalationLevel.agent
    major_complaint: bool = False


def _clock_events(clock: SlaClock, now: datetime) -> list[SlaEvent]:
    """A breach once the deadline passed (also for a clock stopped too late); otherwise a warning once
    the warning instant passed — a late sweep that finds both due reports only the breach."""
    metric, deadline = clock.metric.value, clock.deadline
    if deadline is not None and deadline <= now and (clock.stopped_at is None or clock.breached):
        reason = f"{metric} deadline passed"
        return [SlaEvent(clock.ticket_id, SlaEventKind.breach, metric, clock.started_at, deadline, reason)]
    if clock.stopped_at is None and clock.warn_at is not None and clock.warn_at <= now:
        reason = f"{metric} deadline at {deadline.isoformat() if deadline else 'unknown'}"
        kind = SlaEventKind.warning
        return [SlaEvent(clock.ticket_id, kind, metric, clock.started_at, clock.warn_at, reason)]
    return []


def sweep_ticket(ticket: SweepTicket, now: datetime, escalation: EscalationPolicy) -> list[SlaEvent]:
    """Every event due for one ticket at `now`, recorded or not."""
    times = ticket.times
    clocks = sla_clocks(ticket.policy, times)
    events = [event for clock in clocks for event in _clock_events(clock, now)]
    signals = [SlaSignal(c.metric.value, c.warn_at, c.deadline) for c in clocks if c.stopped_at is None]
    major_since = times.created_at if ticket.major_complaint else None
    for decision in due_escalations(
        escalation, ticket.policy.calendar, ticket.level, signals, now, major_complaint_since=major_since
    ):
        events.append(
            SlaEvent(
                times.ticket_id,
                SlaEventKind.escalation,
                decision.level.value,
                times.created_at,
                decision.due_at,
                decision.reason,
            )
        )
    return events


def sweep(
    tickets: Iterable[SweepTicket],
    now: datetime,
    recorded: Container[EventKey],
    escalation: EscalationPolicy | None = None,
) -> list[SlaEvent]:
    """The events due at `now` whose keys are not in `recorded`, in ticket order."""
    policy = escalation or EscalationPolicy()
    return [e for t in tickets for e in sweep_ticket(t, now, policy) if e.key not in recorded]
