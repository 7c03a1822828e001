"""A stored ticket's SLA: its clocks, countdowns, risk state and the `due_at` the sweep selects on.

The glue between the `Ticket` row and the pure modules (sla, sweep, escalation): paused periods are kept
on the ticket as `[status, start µs, end µs or null]` so that the sweep never reads the event history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from kefu.tickets.calendar import from_us, to_us
from kefu.tickets.escalation import EscalationLevel, EscalationPolicy
from kefu.tickets.lifecycle import SLA_PAUSED
from kefu.tickets.models import Ticket
from kefu.tickets.policies import SlaSetup
from kefu.tickets.sla import Pause, PolicyBook, SlaPolicy, StatusInterval, TicketTimes, pauses_of, sla_clocks
from kefu.tickets.sweep import SweepTicket, facts_of, plan_facts

GLOSSARY_ORDER = tuple(EscalationLevel)


def level_in_chain(policy: EscalationPolicy, level: str) -> str:
    """A stored level the (edited) chain no longer has counts as the highest chain level below it: a
    ticket at team_lead when the chain became agent → supervisor is at agent, and still climbs."""
    if level in policy.ranks:
        return level
    below = [
        lv for lv in policy.chain if GLOSSARY_ORDER.index(lv) < GLOSSARY_ORDER.index(EscalationLevel(level))
    ]
    return below[-1] if below else policy.chain[0]


def moved_pauses(pauses: Sequence[list[Any]], old: str, new: str, now: datetime) -> list[list[Any]]:
    """The paused periods after a status change at `now`: an open pause ends, a paused status opens one."""
    changed = [list(p) for p in pauses]
    if old not in SLA_PAUSED and new not in SLA_PAUSED:
        return changed
    now_us = to_us(now, "now")
    if changed and changed[-1][2] is None:
        changed[-1][2] = now_us
    if new in SLA_PAUSED:
        changed.append([new, now_us, None])
    return changed


def intervals(pauses: Sequence[Sequence[Any]]) -> tuple[StatusInterval, ...]:
    return tuple(
        StatusInterval(status, from_us(start), None if end is None else from_us(end))
        for status, start, end in pauses
    )


def policy_for(ticket: Ticket | Row[Any], book: PolicyBook) -> SlaPolicy:
    """The ticket's stored policy; a policy deleted since is replaced by what the rules choose now."""
    policy = book.policies.get(ticket.sla_policy or "")
    return policy or book.choose(ticket.channel, ticket.type, ticket.priority, "active")


def pauses_us(pauses: Sequence[Sequence[Any]]) -> tuple[tuple[int, int | None], ...] | None:
    """The stored paused periods as µs pairs when they are as `moved_pauses` keeps them (paused statuses,
    sorted, disjoint, only the last open); None otherwise (then the history is read the long way)."""
    out, last = [], None
    for status, start, end in pauses:
        if status not in SLA_PAUSED or (last is not None and (last is True or start < last)):
            return None
        if end is not None and end < start:
            return None
        out.append((start, end))
        last = True if end is None else end
    return tuple(out)


def stored_pauses(stored: Sequence[Sequence[Any]]) -> tuple[Pause, ...]:
    """The stored paused periods as sorted, disjoint µs pairs, read the long way (through a status
    history) only when they are not kept as `moved_pauses` keeps them."""
    fast = pauses_us(stored)
    return fast if fast is not None else tuple(pauses_of(intervals(stored)))


def sweep_ticket_of(ticket: Ticket | Row[Any], setup: SlaSetup) -> SweepTicket:
    stored = ticket.sla_pauses or ()
    fast = pauses_us(stored)
    times = TicketTimes(
        ticket.id,
        ticket.created_at,
        intervals(stored) if fast is None else (),
        ticket.first_response_at,
        ticket.awaiting_reply_since,
        ticket.solved_at,
        fast,
    )
    major = ticket.type == "complaint" and ticket.severity == "major"
    level = level_in_chain(setup.escalation, ticket.escalation_level)
    return SweepTicket(times, policy_for(ticket, setup.book), level, major)


def refresh_sla(ticket: Ticket, setup: SlaSetup, now: datetime) -> None:
    """Recompute the risk state and `due_at` after a change. A `due_at` that has already come is kept, in
    any status: the sweep has not looked yet, and what was due then must not be skipped — e.g. a breach
    of a ticket solved just after its deadline (the sweep finds nothing if the change made it moot)."""
    facts = facts_of(sweep_ticket_of(ticket, setup), setup.escalation)
    plan = plan_facts(facts, to_us(now, "now"), setup.escalation, None)
    ticket.sla_state = plan.state
    if ticket.due_at is not None and ticket.due_at <= now:
        return
    ticket.due_at = None if plan.next_us is None else from_us(plan.next_us)


def countdowns(ticket: Ticket, setup: SlaSetup, now: datetime) -> list[dict[str, Any]]:
    """Each clock for the API: deadline, warning, whether it runs, and business seconds left (negative once
    overdue; while paused, the business time that will be left when the clock resumes)."""
    swept = sweep_ticket_of(ticket, setup)
    calendar, out = swept.policy.calendar, []
    for c in sla_clocks(swept.policy, swept.times):
        if c.deadline is None:
            left = c.remaining
        elif c.deadline >= now:
            left = calendar.business_seconds_between(now, c.deadline)
        else:
            left = -calendar.business_seconds_between(c.deadline, now)
        out.append(
            {
                "metric": c.metric.value,
                "started_at": c.started_at,
                "deadline": c.deadline,
                "warn_at": c.warn_at,
                "stopped_at": c.stopped_at,
                "running": c.stopped_at is None and ticket.status not in SLA_PAUSED,
                "breached": c.breached or (c.stopped_at is None and left < 0),
                "business_seconds_left": None if c.stopped_at is not None else left,
            }
        )
    return out
