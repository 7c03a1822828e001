"""The sweeper's reads: tickets as the pure sweep's `TicketFacts`, and the keys already recorded.

A reconciliation pass reads every open ticket, so the rows come through Core as plain tuples, instants
as the driver gives them (SQLite: the naive UTC text `UtcDateTime` stores; PostgreSQL: aware datetimes)
turned straight into µs, and JSON as its text where the driver leaves it so — no ORM objects, no
datetime per value, no type processing per column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, ColumnElement, Executable, Select, String, and_, not_, or_, select, type_coerce
from sqlalchemy.orm import Session

from kefu.core.db import UtcDateTime
from kefu.tickets.calendar import from_us, to_us
from kefu.tickets.escalation import EscalationPolicy
from kefu.tickets.models import SlaRecord, Ticket
from kefu.tickets.policies import SlaSetup
from kefu.tickets.sweep import EventKey, TicketFacts, new_facts
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


def driver_rows(session: Session, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them, plain tuples: a full pass reads some 350,000 rows, and making
    each a `Row` cost a quarter of the reading (a tuple also compares in C, where a key found in a set of
    `Row`s is compared through `Row.__eq__`)."""
    result = session.execute(query)
    try:
        return result.cursor.fetchall()  # type: ignore[attr-defined, no-any-return]
    finally:
        result.close()


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
    neither). In id order, so that the pass's records, history and updates follow the indexes' order: a
    catch-up pass wrote them 40 % faster so. Sorted here: an ORDER BY would make SQLite scan the whole table
    in id order rather than take the few due rows from the `due_at` index."""
    query = select(*COLUMNS).where(where).with_for_update(skip_locked=True, of=TICKETS)
    policies, choose, escalation = setup.book.policies, setup.book.choose, setup.escalation
    ranks, us, out = escalation.ranks, instant_us, []
    for row in sorted(driver_rows(session, query), key=itemgetter(0)):
        tid, created, first, awaiting, solved, pauses, policy, type_, severity, channel, priority = row[:11]
        level, due, state = row[11:]
        if pauses.__class__ is str:
            pauses = () if pauses == "[]" else json.loads(pauses)
        floor = ranks.get(level)
        if floor is None:
            floor = ranks[level_in_chain(escalation, level)]
        facts = new_facts(
            (
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
        )
        out.append((facts, None if due is None else us(due), state))
    return out


def recorded_keys(
    session: Session, where: ColumnElement[bool], escalation: EscalationPolicy
) -> set[EventKey]:
    """The keys already recorded for the tickets `where` selects (a join, not a list of ids), but for the
    escalations to a level a ticket has already reached: the sweep only looks for levels above a ticket's
    own, and once tickets have climbed those were two thirds of the keys."""
    records, level = SlaRecord.__table__, TICKETS.c.escalation_level
    chain = [lv.value for lv in escalation.chain]
    reached = [and_(level == lv, records.c.subject.in_(chain[: i + 1])) for i, lv in enumerate(chain)]
    query = (
        select(records.c.ticket_id, records.c.kind, records.c.subject, records.c.cycle_us)
        .join(TICKETS, TICKETS.c.id == records.c.ticket_id)
        .where(where, or_(records.c.kind != "escalation", not_(or_(*reached))))
    )
    return set(driver_rows(session, query))


class DriverValues:
    """Values as the driver takes them for this session's database, as SQLAlchemy's own bind processors
    make them (obtained once, not looked up per row): instants from µs for `UtcDateTime` columns, JSON."""

    def __init__(self, session: Session) -> None:
        dialect = session.get_bind().dialect
        self._instant = _fast_twin(UtcDateTime().dialect_impl(dialect).bind_processor(dialect) or _same)
        self._json = JSON().dialect_impl(dialect).bind_processor(dialect) or _same
        self._instants: dict[int, Any] = {}

    def instant(self, us: int) -> Any:
        # memoised: an escalation falls due at the instant of the warning or breach that caused it
        value = self._instants.get(us)
        if value is None:
            value = self._instants[us] = self._instant(from_us(us))
        return value

    def json(self, value: Any) -> Any:
        return self._json(value)


def _same(value: Any) -> Any:
    return value


def _utc_text(instant: datetime) -> str:
    return instant.replace(tzinfo=None).isoformat(" ", "microseconds")


# instants with and without a fraction of a second, before and after a daylight-saving change elsewhere
PROBES = [from_us(us) for us in (1_772_582_400_123_456, 1_774_746_000_000_000, 0)]


def _fast_twin(processor: Callable[[datetime], Any]) -> Callable[[datetime], Any]:
    """A cheaper function that gives what `processor` gives for UTC instants, when the probes show one:
    the instant itself (PostgreSQL's drivers take it as is) or its naive UTC text in ISO form (SQLite, as
    SQLAlchemy stores it) — its processing chain cost more per value than a catch-up pass's insert."""
    for twin in (_same, _utc_text):
        if all(processor(p) == twin(p) and type(processor(p)) is type(twin(p)) for p in PROBES):
            return twin
    return processor


def executemany(session: Session, statement: Executable, rows: Sequence[dict[str, Any]]) -> None:
    """Run a Core statement, compiled once, through the driver's executemany with `rows` as they are
    (driver values: see `DriverValues`): SQLAlchemy's processing of each row's parameters cost more than
    the writes themselves in a catch-up pass, which writes some half a million rows."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    names = compiled.positiontup
    params: Sequence[Any] = [tuple([row[n] for n in names]) for row in rows] if names else rows
    connection.exec_driver_sql(compiled.string, params)  # type: ignore[arg-type]
