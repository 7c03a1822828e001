"""The SLA sweeper: records the warnings, breaches and escalations that have come, each exactly once.

A pass reads only the tickets whose stored `due_at` has come (an indexed query), asks the pure `sweep`
what is due and not yet recorded, records each event under its unique key — a second sweeper or a pass
after a restart that finds the same event is refused by the constraint and skips it — then emits events
and stores each swept ticket's new `due_at`, risk state and escalation level. Nothing lives in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.access.models import Team
from kefu.core import clock
from kefu.core.events import Event, send_event_on_commit
from kefu.core.leader import Leader
from kefu.core.runtime import Runtime
from kefu.tickets.automations import listening, run_automation
from kefu.tickets.calendar import from_us, to_us
from kefu.tickets.escalation import EscalationPolicy
from kefu.tickets.escalations import escalation_notice, history_row
from kefu.tickets.handoffs import mark_overdue_handoffs
from kefu.tickets.lifecycle import ACTIVE
from kefu.tickets.models import SlaRecord, Ticket, TicketEvent
from kefu.tickets.notify import recipients_of_level, supervisors
from kefu.tickets.once import insert_once
from kefu.tickets.policies import sla_setup
from kefu.tickets.sweep import SlaEvent, SlaEventKind, SweepTicket, TicketPlan, next_due, plan_ticket
from kefu.tickets.timing import sweep_ticket_of

LOCK_KEY = 0x6B65_6675_0002  # "kefu" + 2: the SLA sweeper
COLUMNS = (
    Ticket.id, Ticket.public_id, Ticket.created_at, Ticket.sla_pauses, Ticket.first_response_at,
    Ticket.awaiting_reply_since, Ticket.solved_at, Ticket.type, Ticket.severity, Ticket.escalation_level,
    Ticket.sla_policy, Ticket.channel, Ticket.priority, Ticket.status, Ticket.assignee_id, Ticket.team_id,
    Ticket.customer_id, Ticket.due_at, Ticket.sla_state,
)  # fmt: skip
ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)


def sweep_pass(session: Session, now: datetime, *, full: bool = False) -> int:
    """One pass; returns how many events it recorded. `full` reconsiders every open ticket, not only the
    due ones, and recomputes every `due_at` (a reconciliation, e.g. after SLA policies were edited)."""
    # due_at alone picks the rows (its index; a ticket solved after a missed deadline is still due once, for
    # its breach); `full` adds every open ticket
    due = or_(Ticket.due_at <= now, Ticket.status.in_(ACTIVE_STATUSES)) if full else Ticket.due_at <= now
    # Rows a request is changing right now are skipped (PostgreSQL): the request keeps a due_at that has
    # come, so the next pass takes them; locking the others stops a request from overwriting this pass's
    # due_at with one computed before it (SQLite's single writer needs neither).
    query = select(*COLUMNS).where(due)
    rows = session.execute(query.with_for_update(skip_locked=True, of=Ticket)).all()
    mark_overdue_handoffs(session, now)
    if not rows:
        return 0
    setup = sla_setup(session)
    swept = {row.id: sweep_ticket_of(row, setup) for row in rows}
    # one computation of each ticket's clocks gives its events, next due instant and risk state
    recorded, now_us, policy = _recorded(session, due), to_us(now, "now"), setup.escalation
    plans = {tid: plan_ticket(ticket, now_us, policy, recorded) for tid, ticket in swept.items()}
    new = _record(session, [e for plan in plans.values() for e in plan.events], now)
    by_id = {row.id: row for row in rows}
    levels = _announce(session, new, by_id, swept, now, policy)
    _store_next(session, swept, plans, by_id, levels, now, policy)
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


def _recorded(session: Session, due: Any) -> set[tuple[int, str, str, int]]:
    """The keys already recorded for the tickets of this pass (a join, not a list of ids)."""
    query = (
        select(SlaRecord.ticket_id, SlaRecord.kind, SlaRecord.subject, SlaRecord.cycle_us)
        .join(Ticket, Ticket.id == SlaRecord.ticket_id)
        .where(due)
    )
    return {tuple(r) for r in session.execute(query)}  # type: ignore[misc]


def _row_of(event: SlaEvent, now: datetime) -> dict[str, Any]:
    return {
        "ticket_id": event.ticket_id, "kind": event.kind.value, "subject": event.subject,
        "cycle_us": event.cycle_us, "due_at": event.due_at, "recorded_at": now,
        "reason": event.reason[:120],
    }  # fmt: skip


def _record(session: Session, events: Sequence[SlaEvent], now: datetime) -> list[SlaEvent]:
    """Insert all in one statement; if another sweeper got some first, retry row by row in SAVEPOINTs
    and keep only the events this pass recorded."""
    if not events:
        return []
    rows = [_row_of(e, now) for e in events]
    try:
        with session.begin_nested():
            session.execute(insert(SlaRecord.__table__), rows)  # Core: no ORM bookkeeping per row
        return list(events)
    except IntegrityError:
        return [e for e, r in zip(events, rows, strict=True) if insert_once(session, SlaRecord(**r))]


def _announce(
    session: Session,
    events: Sequence[SlaEvent],
    rows: dict[int, Row[Any]],
    swept: dict[int, SweepTicket],
    now: datetime,
    policy: EscalationPolicy,
) -> dict[int, str]:
    """Events for the console (owner and team lead, or the escalation level's people), progress notices
    for the customer, escalations kept in the history; returns each escalated ticket's new level. The
    recipients are read once per pass, not per event."""
    leads: dict[int, int | None] = {r[0]: r[1] for r in session.execute(select(Team.id, Team.lead_id))}
    bosses = supervisors(session)
    levels: dict[int, str] = {}
    history = []
    for event in events:
        row = rows[event.ticket_id]
        lead = leads.get(row.team_id) if row.team_id is not None else None
        if event.kind is SlaEventKind.escalation:
            level = event.subject
            current = levels.get(row.id, swept[row.id].level)
            if policy.rank(level) > policy.rank(current):
                levels[row.id] = level
            history.append(history_row(row.id, level, event.reason, now, None))
            recipients = recipients_of_level(level, row.assignee_id, lead, bosses)
            send_event_on_commit(
                session, escalation_notice(row.id, row.public_id, level, event.reason, recipients)
            )
            continue
        recipients = tuple(sorted({i for i in (row.assignee_id, lead) if i is not None}))
        payload = {
            "ticket": row.id,
            "public_id": row.public_id,
            "metric": event.subject,
            "due_at": event.due_at.isoformat(),
        }
        send_event_on_commit(session, Event(f"ticket.sla_{event.kind.value}", payload, recipients))
        if event.kind is SlaEventKind.warning and event.subject == "resolution":
            notice = {"ticket": row.id, "public_id": row.public_id, "customer": row.customer_id,
                      "channel": row.channel, "status": row.status, "why": "deadline_at_risk"}  # fmt: skip
            send_event_on_commit(session, Event("ticket.progress", notice, ()))
    if history:
        session.execute(insert(TicketEvent.__table__), history)
    return levels


def _store_next(
    session: Session,
    swept: dict[int, SweepTicket],
    plans: dict[int, TicketPlan],
    rows: dict[int, Row[Any]],
    levels: dict[int, str],
    now: datetime,
    policy: EscalationPolicy,
) -> None:
    """Store each swept ticket's next `due_at`, risk state and level; unchanged rows are not written.
    A ticket escalated by this pass is planned again at its new level."""
    changes = []
    for ticket_id, plan in plans.items():
        row, level = rows[ticket_id], levels.get(ticket_id)
        if level is not None:
            due_at = next_due(replace(swept[ticket_id], level=level), now, policy)
        else:
            due_at = None if plan.next_us is None else from_us(plan.next_us)
        if due_at != row.due_at or plan.state != row.sla_state or level is not None:
            change = {"id": ticket_id, "due_at": due_at, "sla_state": plan.state}
            if level is not None:
                change["escalation_level"] = level
            changes.append(change)
    if changes:
        # Core executemany by primary key: the ORM's bulk update would collect each row's parameters first
        by_id = {key: bindparam(f"new_{key}") for key in ("due_at", "sla_state", "escalation_level")}
        plain = [{f"new_{k}": v for k, v in c.items() if k != "id"} | {"ticket_id": c["id"]}
                 for c in changes if "escalation_level" not in c]  # fmt: skip
        levelled = [{f"new_{k}": v for k, v in c.items() if k != "id"} | {"ticket_id": c["id"]}
                    for c in changes if "escalation_level" in c]  # fmt: skip
        table = Ticket.__table__
        where = table.c.id == bindparam("ticket_id")
        if plain:
            values = {"due_at": by_id["due_at"], "sla_state": by_id["sla_state"]}
            session.execute(update(table).where(where).values(values), plain)
        if levelled:
            session.execute(update(table).where(where).values(by_id), levelled)


def sweep_step(runtime: Runtime) -> int:
    with runtime.write_sessions() as session, session.begin():
        return sweep_pass(session, clock.now())


class SlaSweeper(Leader):
    """The sweeper as a leader: one process sweeps at a time (PostgreSQL advisory lock)."""

    def __init__(self, runtime: Runtime, interval_seconds: float = 5.0, lock_key: int = LOCK_KEY) -> None:
        super().__init__(runtime, lock_key, sweep_step, interval_seconds, name="sla-sweeper")
