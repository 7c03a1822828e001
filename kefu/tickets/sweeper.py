"""The SLA sweeper: records the warnings, breaches and escalations that have come, each exactly once.

A pass reads only the tickets whose stored `due_at` has come (an indexed query), asks the pure `sweep`
what is due and not yet recorded, records each event under its unique key — a second sweeper or a pass
after a restart that finds the same event is refused by the constraint and skips it — then emits events
and stores each swept ticket's new `due_at`, risk state and escalation level. Nothing lives in memory.
A reconciliation (`full=True`) does the same for every open ticket: reads and writes go through Core as
plain tuples and executemany (see `sweep_rows`), since it handles 100,000 tickets in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import Insert, Table, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.access.models import Team
from kefu.core import clock
from kefu.core.events import Event, send_event_on_commit
from kefu.core.leader import Leader
from kefu.core.runtime import Runtime
from kefu.tickets.automations import listening, run_automation
from kefu.tickets.calendar import to_us
from kefu.tickets.escalation import EscalationPolicy
from kefu.tickets.escalations import escalation_notice, history_row
from kefu.tickets.handoffs import mark_overdue_handoffs
from kefu.tickets.lifecycle import ACTIVE
from kefu.tickets.models import SlaRecord, Ticket, TicketEvent
from kefu.tickets.notify import recipients_of_level, supervisors
from kefu.tickets.once import insert_once
from kefu.tickets.policies import sla_setup
from kefu.tickets.sweep import EventKey, SlaEvent, SlaEventKind, TicketPlan, collector_paused, plan_facts
from kefu.tickets.sweep_rows import DriverValues, Swept, driver_rows, executemany, read_tickets, recorded_keys

LOCK_KEY = 0x6B65_6675_0002  # "kefu" + 2: the SLA sweeper
ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)
TICKETS, RECORDS = Ticket.__table__, SlaRecord.__table__


def sweep_pass(session: Session, now: datetime, *, full: bool = False) -> int:
    """One pass; returns how many events it recorded. `full` reconsiders every open ticket, not only the
    due ones, and recomputes every `due_at` (a reconciliation, e.g. after SLA policies were edited)."""
    with collector_paused():
        return _pass(session, now, full)


def _pass(session: Session, now: datetime, full: bool) -> int:
    # due_at alone picks the rows (its index; a ticket solved after a missed deadline is still due once, for
    # its breach); `full` adds every open ticket
    due_at = TICKETS.c.due_at
    due = or_(due_at <= now, TICKETS.c.status.in_(ACTIVE_STATUSES)) if full else due_at <= now
    setup = sla_setup(session)
    swept = read_tickets(session, due, setup)
    mark_overdue_handoffs(session, now)
    if not swept:
        return 0
    # one computation of each ticket's clocks gives its events, next due instant and risk state
    recorded, now_us, policy = _recorded(session, due), to_us(now, "now"), setup.escalation
    plans = [plan_facts(facts, now_us, policy, recorded) for facts, _, _ in swept]
    new = _record(session, [e for plan in plans for e in plan.events], now)
    levels = _announce(session, new, swept, now, policy)
    _store_next(session, swept, plans, levels, now_us, policy)
    _automate(session, new, now)
    return len(new)


def _automate(session: Session, events: Sequence[SlaEvent], now: datetime) -> None:
    """Automation rules on SLA warnings, breaches and escalations, in the pass's transaction; the tickets
    are loaded only when a rule listens to these events."""
    kinds = {SlaEventKind.warning: "sla_warning", SlaEventKind.breach: "sla_breach"}
    kinds[SlaEventKind.escalation] = "escalated"
    if not events or not listening(session, set(kinds.values())):
        return
    for event in events:
        ticket = session.get(Ticket, event.ticket_id)
        if ticket is not None:
            run_automation(session, ticket, kinds[event.kind], now, {"sla": event.subject})


def _recorded(session: Session, due: Any) -> set[EventKey]:
    return recorded_keys(session, due, sla_setup(session).escalation)


def _row_of(event: SlaEvent, values: DriverValues, recorded_at: Any) -> dict[str, Any]:
    return {
        "ticket_id": event.ticket_id, "kind": event.kind._value_, "subject": event.subject,
        "cycle_us": event.cycle_us, "due_at": values.instant(event.due_us), "recorded_at": recorded_at,
        "reason": event.reason[:120],
    }  # fmt: skip


def _insert(table: Table, *names: str) -> Insert:
    return insert(table).values({name: bindparam(name) for name in names})


RECORD = _insert(RECORDS, "ticket_id", "kind", "subject", "cycle_us", "due_at", "recorded_at", "reason")
HISTORY = _insert(TicketEvent.__table__, "ticket_id", "actor_id", "kind", "data", "created_at")


def _record(session: Session, events: Sequence[SlaEvent], now: datetime) -> list[SlaEvent]:
    """Insert all in one executemany; if another sweeper got some first, retry row by row in SAVEPOINTs
    and keep only the events this pass recorded."""
    if not events:
        return []
    values = DriverValues(session)
    at = values.instant(to_us(now, "now"))
    rows = [_row_of(e, values, at) for e in events]
    try:
        with session.begin_nested():
            executemany(session, RECORD, rows)
        return list(events)
    except IntegrityError:
        return [e for e, r in zip(events, rows, strict=True) if insert_once(session, _record_of(e, r, now))]


def _record_of(event: SlaEvent, row: dict[str, Any], now: datetime) -> SlaRecord:
    return SlaRecord(**(row | {"due_at": event.due_at, "recorded_at": now}))


SUMMARY = {kind: f"ticket.sla_{kind.value}" for kind in SlaEventKind}


class Announced(NamedTuple):
    """What the announcements of a ticket say and who hears them, read only for tickets with new events."""

    id: int
    public_id: str
    assignee_id: int | None
    team_id: int | None
    customer_id: int
    channel: str
    status: str


ANNOUNCED = select(*(TICKETS.c[name] for name in Announced._fields))
CHUNK = 500  # ids per IN list: well inside every database's limit on bound parameters
_announced_of = partial(tuple.__new__, Announced)  # from the driver's tuples, without a Python __new__


def _announced(session: Session, ids: set[int]) -> dict[int, Announced]:
    ordered, rows = sorted(ids), {}
    for i in range(0, len(ordered), CHUNK):
        query = ANNOUNCED.where(TICKETS.c.id.in_(ordered[i : i + CHUNK]))
        rows.update((row[0], _announced_of(row)) for row in driver_rows(session, query))
    return rows


def _announce(
    session: Session,
    events: Sequence[SlaEvent],
    swept: Sequence[Swept],
    now: datetime,
    policy: EscalationPolicy,
) -> dict[int, str]:
    """Tell who must hear, keep escalations in the history; returns each escalated ticket's new level
    (from its current rank in the chain, raised as the events go). An escalation is one event per
    ticket (`ticket.escalated` to the level's people, e.g. for an e-mail listener), as is a customer's
    progress notice; warnings and breaches only make the owners' and leads' consoles refresh, so they go
    as one event per kind and recipients, listing the tickets (a pass after downtime finds tens of
    thousands). The recipients are read once per pass, not per event."""
    if not events:
        return {}
    ids = {e.ticket_id for e in events}
    rows = _announced(session, ids)
    floors = {facts.ticket_id: facts.floor for facts, _, _ in swept if facts.ticket_id in ids}
    leads: dict[int, int | None] = {r[0]: r[1] for r in session.execute(select(Team.id, Team.lead_id))}
    bosses = supervisors(session)
    levels: dict[int, str] = {}
    history, values = [], DriverValues(session)
    at, data = values.instant(to_us(now, "now")), {}  # the same few levels and reasons over and over
    summaries: dict[tuple[str, tuple[int, ...]], list[int]] = {}
    for event in events:
        row = rows[event.ticket_id]
        lead = leads.get(row.team_id) if row.team_id is not None else None
        if event.kind is SlaEventKind.escalation:
            level, reason = event.subject, event.reason
            if policy.ranks[level] > floors[row.id]:
                floors[row.id], levels[row.id] = policy.ranks[level], level
            entry = history_row(row.id, level, reason, now, None)
            known = data.get((level, reason))
            if known is None:
                known = data[level, reason] = values.json(entry["data"])
            history.append(entry | {"data": known, "created_at": at})
            recipients = recipients_of_level(level, row.assignee_id, lead, bosses)
            send_event_on_commit(session, escalation_notice(row.id, row.public_id, level, reason, recipients))
            continue
        recipients = tuple(sorted({i for i in (row.assignee_id, lead) if i is not None}))
        listed = summaries.setdefault((SUMMARY[event.kind], recipients), [])
        if not listed or listed[-1] != row.id:  # a ticket's events come together: two clocks breached, once
            listed.append(row.id)
        if event.kind is SlaEventKind.warning and event.subject == "resolution":
            notice = {"ticket": row.id, "public_id": row.public_id, "customer": row.customer_id,
                      "channel": row.channel, "status": row.status, "why": "deadline_at_risk"}  # fmt: skip
            send_event_on_commit(session, Event("ticket.progress", notice, ()))
    for (kind, recipients), tickets in summaries.items():
        send_event_on_commit(session, Event(kind, {"tickets": tickets}, recipients))
    if history:
        executemany(session, HISTORY, history)
    return levels


def _store_next(
    session: Session,
    swept: Sequence[Swept],
    plans: Sequence[TicketPlan],
    levels: dict[int, str],
    now_us: int,
    policy: EscalationPolicy,
) -> None:
    """Store each swept ticket's next `due_at`, risk state and level; unchanged rows are not written.
    A ticket escalated by this pass is planned again at its new level."""
    plain, levelled, values = [], [], DriverValues(session)
    for (facts, due_us, state), plan in zip(swept, plans, strict=True):
        level, next_us = levels.get(facts.ticket_id), plan.next_us
        if level is not None:
            next_us = plan_facts(facts._replace(floor=policy.ranks[level]), now_us, policy, None).next_us
        elif next_us == due_us and plan.state == state:
            continue
        change = {
            "ticket_id": facts.ticket_id,
            "new_due_at": None if next_us is None else values.instant(next_us),
        }
        change["new_sla_state"] = plan.state
        if level is None:
            plain.append(change)
        else:
            levelled.append(change | {"new_escalation_level": level})
    if plain:
        executemany(session, STORE_NEXT, plain)
    if levelled:
        executemany(session, STORE_NEXT_LEVEL, levelled)


# by primary key, one executemany each: the ORM's bulk update would collect each row's parameters first
_BY_ID = update(TICKETS).where(TICKETS.c.id == bindparam("ticket_id"))
STORE_NEXT = _BY_ID.values(due_at=bindparam("new_due_at"), sla_state=bindparam("new_sla_state"))
STORE_NEXT_LEVEL = STORE_NEXT.values(escalation_level=bindparam("new_escalation_level"))


def sweep_step(runtime: Runtime) -> int:
    with runtime.write_sessions() as session, session.begin():
        return sweep_pass(session, clock.now())


class SlaSweeper(Leader):
    """The sweeper as a leader: one process sweeps at a time (PostgreSQL advisory lock)."""

    def __init__(self, runtime: Runtime, interval_seconds: float = 5.0, lock_key: int = LOCK_KEY) -> None:
        super().__init__(runtime, lock_key, sweep_step, interval_seconds, name="sla-sweeper")
