"""The sweeper's reads: tickets as the pure sweep's `TicketFacts`, and the keys already recorded.

A reconciliation pass reads every open ticket, so the rows come through Core as plain tuples, instants
as the driver gives them (SQLite: the naive UTC text `UtcDateTime` stores; PostgreSQL: aware datetimes)
turned straight into µs, and JSON as its text where the driver leaves it so — no ORM objects, no
datetime per value, no type processing per column.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, select, type_coerce
from sqlalchemy.orm import Session

from kefu.tickets.calendar import to_us
from kefu.tickets.models import SlaRecord, Ticket
from kefu.tickets.policies import SlaSetup
from kefu.tickets.sweep import EventKey, TicketFacts
from kefu.tickets.timing import level_in_chain, stored_pauses

TICKETS = Ticket.__table__
NAIVE_EPOCH = datetime(1970, 1, 1)
ONE_US = timedelta(microseconds=1)
_parse = datetime.fromisoformat


def _raw(name: str) -> ColumnElement[Any]:
    """A column as the driver returns it (String has no result processing)."""
    return type_coerce(TICKETS.c[name], String).label(name)


COLUMNS = (
    TICKETS.c.id, _raw("created_at"), _raw("first_response_at"), _raw("awaiting_reply_since"),
    _raw("solved_at"), _raw("sla_pauses"), TICKETS.c.sla_policy, TICKETS.c.type, TICKETS.c.severity,
    TICKETS.c.channel, TICKETS.c.priority, TICKETS.c.escalation_level, _raw("due_at"), TICKETS.c.sla_state,
)  # fmt: skip


def instant_us(value: str | datetime | None) -> int | None:
    if value is None:
        return None
    if value.__class__ is str:
        return (_parse(value) - NAIVE_EPOCH) // ONE_US  # type: ignore[operator]
    return to_us(value)  # type: ignore[arg-type]


class Swept:
    """One read ticket: its facts, and the stored `due_at` (µs) and risk state the pass may change."""

    __slots__ = ("facts", "due_us", "state")

    def __init__(self, facts: TicketFacts, due_us: int | None, state: str) -> None:
        self.facts, self.due_us, self.state = facts, due_us, state


def read_tickets(session: Session, where: ColumnElement[bool], setup: SlaSetup) -> list[Swept]:
    """The tickets `where` selects. Rows a request is changing right now are skipped (PostgreSQL): the
    request keeps a `due_at` that has come, so the next pass takes them; locking the others stops a request
    from overwriting this pass's `due_at` with one computed before it (SQLite's single writer needs
    neither)."""
    query = select(*COLUMNS).where(where).with_for_update(skip_locked=True, of=TICKETS)
    rows = session.execute(query).all()
    policies, choose, escalation = setup.book.policies, setup.book.choose, setup.escalation
    ranks, us, out = escalation.ranks, instant_us, []
    for (
        tid,
        created,
        first,
        awaiting,
        solved,
        pauses,
        policy,
        type_,
        severity,
        channel,
        priority,
        level,
        due,
        state,
    ) in rows:
        if pauses.__class__ is str:
            pauses = () if pauses == "[]" else json.loads(pauses)
        floor = ranks.get(level)
        if floor is None:
            floor = ranks[level_in_chain(escalation, level)]
        facts = TicketFacts(
            tid,
            us(created),
            us(first),
            us(awaiting),
            us(solved),
            stored_pauses(pauses) if pauses else (),
            policies.get(policy or "") or choose(channel, type_, priority, "active"),
            floor,
            type_ == "complaint" and severity == "major",
        )
        out.append(Swept(facts, us(due), state))
    return out


def recorded_keys(session: Session, where: ColumnElement[bool]) -> set[EventKey]:
    """The keys already recorded for the tickets `where` selects (a join, not a list of ids)."""
    records = SlaRecord.__table__
    query = (
        select(records.c.ticket_id, records.c.kind, records.c.subject, records.c.cycle_us)
        .join(TICKETS, TICKETS.c.id == records.c.ticket_id)
        .where(where)
    )
    # plain tuples: a key found in the set is then compared in C, not through Row.__eq__
    return set(map(tuple, session.execute(query)))
