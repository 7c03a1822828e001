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
from typing import NamedTuple

from kefu.tickets.calendar import from_us, to_us
from kefu.tickets.escalation import (
    EscalationLevel,
    EscalationPolicy,
    Signal,
    due_escalations_us,
    next_escalation_us,
)
from kefu.tickets.sla import ClockRow, SlaMetric, SlaPolicy, TicketTimes, clock_rows


class SlaEventKind(StrEnum):
    warning = "warning"
    breach = "breach"
    escalation = "escalation"


# (ticket id, kind, metric or level, cycle start in µs since the epoch): plain values that survive a
# round trip through any database unchanged (a datetime could come back naive and never compare equal)
EventKey = tuple[int, str, str, int]


class SlaEvent(NamedTuple):
    """`subject` is the metric (warning, breach) or the level reached (escalation); `cycle` is the clock's
    start — next response has one cycle per unanswered customer message — or the ticket's creation for
    escalations, which happen once per level per ticket. Instants are kept in µs (a first pass after
    downtime builds hundreds of thousands of events); `cycle` and `due_at` give them as datetimes."""

    ticket_id: int
    kind: SlaEventKind
    subject: str
    cycle_us: int
    due_us: int
    reason: str = ""

    @property
    def cycle(self) -> datetime:
        return from_us(self.cycle_us)

    @property
    def due_at(self) -> datetime:
        return from_us(self.due_us)

    @property
    def key(self) -> EventKey:
        return (self.ticket_id, self.kind.value, self.subject, self.cycle_us)


@dataclass(frozen=True, slots=True)
class SweepTicket:
    times: TicketTimes
    policy: SlaPolicy
    level: EscalationLevel = EscalationLevel.agent
    major_complaint: bool = False


def _prepare(
    ticket: SweepTicket, escalation: EscalationPolicy
) -> tuple[list[ClockRow], list[Signal], int, int, int | None]:
    """Clock rows, escalation signals (running clocks only), current rank, created_at and, for a major
    complaint, the instant it escalates from (all instants in µs)."""
    rows = clock_rows(ticket.policy, ticket.times)
    signals = [(r[0], r[6], r[5]) for r in rows if r[4] is None]
    created_us = to_us(ticket.times.created_at, "created_at")
    major_us = created_us if ticket.major_complaint else None
    return rows, signals, escalation.rank(ticket.level), created_us, major_us


# (kind, metric) → reason, and the plain strings of the enums: built once, not per event
_REASONS = {
    (kind, metric): f"{metric.value} deadline " + ("passed" if kind is SlaEventKind.breach else "near")
    for kind in (SlaEventKind.breach, SlaEventKind.warning)
    for metric in SlaMetric
}
_BREACH, _WARNING, _ESCALATION = SlaEventKind.breach, SlaEventKind.warning, SlaEventKind.escalation


def sweep_ticket(
    ticket: SweepTicket, now_us: int, escalation: EscalationPolicy, recorded: Container[EventKey]
) -> list[SlaEvent]:
    """The events due for one ticket at `now_us` (µs) whose keys are not recorded. Keys are checked
    before events are built: in steady state nearly everything due is already recorded. (StrEnum
    members equal and hash like their values, so they serve in keys as they are.)"""
    return _due_events(ticket, _prepare(ticket, escalation), now_us, escalation, recorded)


Prepared = tuple[list[ClockRow], list[Signal], int, int, int | None]


def _due_events(
    ticket: SweepTicket, prepared: Prepared, now_us: int, escalation: EscalationPolicy,
    recorded: Container[EventKey],
) -> list[SlaEvent]:  # fmt: skip
    rows, signals, floor, created_us, major_us = prepared
    tid, events = ticket.times.ticket_id, []
    for metric, _start, t0, _stop, stop, deadline, warn, _left in rows:
        # a breach once the deadline passed (also for a clock stopped too late); otherwise a warning once
        # the warning instant passed — a late sweep that finds both due reports only the breach
        if deadline is not None and deadline <= now_us and (stop is None or stop > deadline):
            kind, at = _BREACH, deadline
        elif stop is None and warn is not None and warn <= now_us:
            kind, at = _WARNING, warn
        else:
            continue
        if (tid, kind, metric, t0) not in recorded:
            events.append(SlaEvent(tid, kind, metric._value_, t0, at, _REASONS[kind, metric]))
    if not signals and major_us is None:
        return events  # nothing running can escalate
    for d in due_escalations_us(escalation, ticket.policy.calendar, floor, signals, now_us, major_us):
        if (tid, _ESCALATION, d.level, created_us) not in recorded:
            events.append(SlaEvent(tid, _ESCALATION, d.level._value_, created_us, d.due_us, d.reason))
    return events


def next_due(
    ticket: SweepTicket, now: datetime, escalation: EscalationPolicy | None = None
) -> datetime | None:
    """The first instant after `now` at which a sweep would find a new event for this ticket, if the
    ticket does not change (None: nothing ahead, e.g. every clock met or paused).

    Store it with the ticket (a `due_at` column) and recompute it on every change of the ticket: a pass
    then only needs the tickets whose `due_at` has come, instead of all open tickets."""
    policy = escalation or EscalationPolicy()
    ahead = _next_us(ticket, _prepare(ticket, policy), to_us(now, "now"), policy)
    return None if ahead is None else from_us(ahead)


def _next_us(ticket: SweepTicket, prepared: Prepared, now_us: int, policy: EscalationPolicy) -> int | None:
    rows, signals, floor, _, major_us = prepared
    ahead = [x for r in rows if r[4] is None for x in (r[6], r[5]) if x is not None and x > now_us]
    escalation_us = next_escalation_us(policy, ticket.policy.calendar, floor, signals, now_us, major_us)
    if escalation_us is not None:
        ahead.append(escalation_us)
    return min(ahead) if ahead else None


def _risk(rows: list[ClockRow], now_us: int) -> str:
    """`breached` when a running clock is past its deadline, `at_risk` past its warning, else `ok`."""
    state = "ok"
    for row in rows:
        if row[4] is not None:
            continue
        if row[5] is not None and row[5] <= now_us:
            return "breached"
        if row[6] is not None and row[6] <= now_us:
            state = "at_risk"
    return state


class TicketPlan(NamedTuple):
    """One ticket's pass: the new events, when the next one falls due (µs, None: nothing ahead) and
    its risk state, all from one computation of its clocks. `next_us` assumes the level does not change:
    a ticket this pass escalates is planned again at its new level."""

    events: list[SlaEvent]
    next_us: int | None
    state: str


def plan_ticket(
    ticket: SweepTicket, now_us: int, escalation: EscalationPolicy, recorded: Container[EventKey]
) -> TicketPlan:
    """`sweep_ticket`, `next_due` and the risk state of one ticket at once (the scheduler's pass)."""
    prepared = _prepare(ticket, escalation)
    return TicketPlan(
        _due_events(ticket, prepared, now_us, escalation, recorded),
        _next_us(ticket, prepared, now_us, escalation),
        _risk(prepared[0], now_us),
    )


def sweep(
    tickets: Iterable[SweepTicket],
    now: datetime,
    recorded: Container[EventKey],
    escalation: EscalationPolicy | None = None,
) -> list[SlaEvent]:
    """The events due at `now` whose keys are not in `recorded`, in ticket order."""
    policy, now_us = escalation or EscalationPolicy(), to_us(now, "now")
    return [e for t in tickets for e in sweep_ticket(t, now_us, policy, recorded)]
