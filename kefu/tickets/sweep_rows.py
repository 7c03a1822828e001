"""The sweeper's reads: tickets as the pure sweep's `TicketFacts`, and the keys already recorded.

A reconciliation pass reads every open ticket, so the rows come through Core as plain tuples, instants
as the driver gives them (SQLite: the naive UTC text `UtcDateTime` stores; PostgreSQL: aware datetimes)
turned straight into µs, and JSON as its text where the driver leaves it so — no ORM objects, no
datetime per value, no type processing per column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Insert, String, Table, bindparam, insert, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from kefu.core.db import UtcDateTime
from kefu.tickets.calendar import from_us, to_us
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


def instant_us(value: str | datetime) -> int:
    if value.__class__ is str:
        return (_parse(value) - NAIVE_EPOCH) // ONE_US  # type: ignore[arg-type, operator]
    return to_us(value)  # type: ignore[arg-type]


# One read ticket: its facts, and the stored `due_at` (µs) and risk state the pass may change
Swept = tuple[TicketFacts, int | None, str]


def read_tickets(session: Session, where: ColumnElement[bool], setup: SlaSetup) -> list[Swept]:
    """The tickets `where` selects. Rows a request is changing right now are skipped (PostgreSQL): the
    request keeps a `due_at` that has come, so the next pass takes them; locking the others stops a request
    from overwriting this pass's `due_at` with one computed before it (SQLite's single writer needs
    neither)."""
    query = select(*COLUMNS).where(where).with_for_update(skip_locked=True, of=TICKETS)
    policies, choose, escalation = setup.book.policies, setup.book.choose, setup.escalation
    ranks, us, out = escalation.ranks, instant_us, []
    for row in session.execute(query).all():
        tid, created, first, awaiting, solved, pauses, policy, type_, severity, channel, priority = row[:11]
        level, due, state = row[11:]
        if pauses.__class__ is str:
            pauses = () if pauses == "[]" else json.loads(pauses)
        floor = ranks.get(level)
        if floor is None:
            floor = ranks[level_in_chain(escalation, level)]
        facts = TicketFacts(
            tid,
            us(created),
            None if first is None else us(first),
            None if awaiting is None else us(awaiting),
            None if solved is None else us(solved),
            stored_pauses(pauses) if pauses else (),
            policies.get(policy or "") or choose(channel, type_, priority, "active"),
            floor,
            type_ == "complaint" and severity == "major",
        )
        out.append((facts, None if due is None else us(due), state))
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
    return set(map(tuple, session.execute(query).all()))


class InstantWriter(NamedTuple):
    """How a pass binds instants: `of(µs)` gives the value, `type` the bind type (see `instant_writer`)."""

    of: Callable[[int], str | datetime]
    type: TypeEngine[Any]


def instant_writer(session: Session) -> InstantWriter:
    """µs → what the driver stores in a `UtcDateTime` column: a catch-up pass writes hundreds of
    thousands of instants, and SQLAlchemy's processing of each on SQLite (to UTC, then to text) cost more
    than the insert. SQLite: naive UTC text in SQLAlchemy's own format (so that text comparisons keep
    ordering instants), bound as is; others: aware datetimes through the column's own type."""
    if session.get_bind().dialect.name == "sqlite":
        return InstantWriter(_sqlite_text, String())
    return InstantWriter(from_us, UtcDateTime())


def _sqlite_text(us: int) -> str:
    return (NAIVE_EPOCH + timedelta(microseconds=us)).isoformat(" ", "microseconds")


def instants_insert(table: Table, instants: Iterable[str], writer: InstantWriter) -> Insert:
    """An INSERT of every column of `table` but its key, the `instants` bound as `writer` gives them."""
    names = set(instants)
    values = {
        c.name: bindparam(c.name, type_=writer.type if c.name in names else c.type)
        for c in table.c
        if not c.primary_key
    }
    return insert(table).values(values)
