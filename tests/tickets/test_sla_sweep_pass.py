"""The scheduler's pass over many tickets (SQLite and PostgreSQL): what it records and stores is what the pure
sweep says, its instants read back to the microsecond, and a catch-up announces warnings and breaches once
per kind and recipients while escalations stay one event per ticket."""

import gc
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update

from kefu.customers.models import Customer
from kefu.tickets.models import SlaRecord, Ticket
from kefu.tickets.policies import sla_setup
from kefu.tickets.sweep import collector_paused, next_due, sweep
from kefu.tickets.sweep_rows import recorded_keys
from kefu.tickets.sweeper import sweep_pass
from kefu.tickets.timing import sweep_ticket_of

KEY_COLUMNS = (SlaRecord.ticket_id, SlaRecord.kind, SlaRecord.subject, SlaRecord.cycle_us)
NOW = datetime(2026, 3, 4, 2, 0, 0, 123456, tzinfo=UTC)  # Wednesday 10:00 in Shanghai, odd microseconds


def seed(runtime, count):
    """Open e-mail tickets created over the last three days (office hours), one pending since yesterday."""
    with runtime.write_sessions() as session, session.begin():
        customer = Customer(
            name="c", tier="active", lifetime_value=0, tags=[], language="zh_CN", created_at=NOW
        )
        session.add(customer)
        session.flush()
        rows = []
        for i in range(count):
            created = NOW - timedelta(hours=3 + 7 * i, microseconds=i)
            pending = i == 0
            rows.append(
                {
                    "public_id": f"T{i:05d}", "type": "inquiry", "channel": "email", "sla_policy": "email",
                    "priority": "normal", "subject": "s", "description": "", "custom_fields": {}, "tags": [],
                    "escalation_level": "agent", "sla_state": "ok", "reopen_count": 0,
                    "customer_id": customer.id, "created_at": created, "updated_at": created,
                    "status": "pending" if pending else "open",
                    "sla_pauses": [["pending", int((NOW - timedelta(days=1)).timestamp() * 10**6), None]]
                    if pending
                    else [],
                }
            )  # fmt: skip
        session.execute(insert(Ticket), rows)


def full_pass(runtime, now):
    with runtime.write_sessions() as session, session.begin():
        return sweep_pass(session, now, full=True)


def test_a_catch_up_pass_records_what_the_pure_sweep_finds_and_stores_exact_next_instants(runtime):
    seed(runtime, 12)
    with runtime.sessions() as session:
        setup = sla_setup(session)
        tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        expected = sweep([sweep_ticket_of(t, setup) for t in tickets], NOW, set(), setup.escalation)
    assert full_pass(runtime, NOW) == len(expected) > 12
    assert full_pass(runtime, NOW) == 0  # every event once
    with runtime.sessions() as session:
        records = session.scalars(select(SlaRecord)).all()
        stored = {(r.ticket_id, r.kind, r.subject, r.cycle_us): r.due_at for r in records}
        assert stored == {e.key: e.due_at for e in expected}  # due instants to the microsecond
        for ticket in session.scalars(select(Ticket)):
            swept = sweep_ticket_of(ticket, setup)
            assert ticket.due_at == next_due(swept, NOW, setup.escalation)  # to the microsecond
        assert session.scalar(select(func.count()).where(Ticket.escalation_level == "supervisor")) > 0


def test_breaches_go_out_once_per_recipients_and_escalations_once_per_ticket(runtime):
    seed(runtime, 8)
    heard = []
    runtime.bus.subscribe(heard.append)
    recorded = full_pass(runtime, NOW)
    breaches = [e for e in heard if e.type == "ticket.sla_breach"]
    assert len(breaches) == 1 and breaches[0].recipients == ()  # no owner, no team: nobody's console
    with runtime.sessions() as session:
        breached = session.scalars(select(SlaRecord.ticket_id).where(SlaRecord.kind == "breach")).all()
        escalations = session.scalar(select(func.count()).where(SlaRecord.kind == "escalation"))
    assert breaches[0].payload["tickets"] == sorted(set(breached))
    assert len([e for e in heard if e.type == "ticket.escalated"]) == escalations
    assert recorded == len(breached) + escalations + len([e for e in heard if e.type == "ticket.sla_warning"])


def test_the_collector_is_paused_during_a_pass_and_left_as_it_was():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # someone else's pause is theirs to end
    finally:
        gc.enable()


def test_the_recorded_keys_read_leave_out_only_levels_the_tickets_have_reached(runtime):
    seed(runtime, 10)
    full_pass(runtime, NOW)
    later = NOW + timedelta(days=2)
    with runtime.write_sessions() as session, session.begin():  # as if a chain edit put one back at agent
        session.execute(update(Ticket).where(Ticket.public_id == "T00005").values(escalation_level="agent"))
    with runtime.sessions() as session:
        setup = sla_setup(session)
        read = recorded_keys(session, Ticket.__table__.c.id > 0, setup.escalation)
        every = {tuple(r) for r in session.execute(select(*KEY_COLUMNS))}
        tickets = [sweep_ticket_of(t, setup) for t in session.scalars(select(Ticket).order_by(Ticket.id))]
    assert read < every  # escalations to the levels reached are left out
    assert {k for k in every - read if k[1] != "escalation"} == set()
    assert {k[2] for k in read if k[1] == "escalation"} == {"team_lead", "supervisor"}  # the one put back
    assert sweep(tickets, later, read, setup.escalation) == sweep(tickets, later, every, setup.escalation)


def test_a_ticket_that_breaches_two_clocks_is_listed_once(runtime):
    seed(runtime, 8)
    heard = []
    runtime.bus.subscribe(heard.append)
    full_pass(runtime, NOW + timedelta(days=30))  # first response and resolution both long past
    with runtime.sessions() as session:
        breached = session.scalars(select(SlaRecord.ticket_id).where(SlaRecord.kind == "breach")).all()
    assert len(breached) > len(set(breached))  # some ticket breached twice
    (breaches,) = [e for e in heard if e.type == "ticket.sla_breach"]
    assert breaches.payload["tickets"] == sorted(set(breached))
