import os
from datetime import UTC, datetime

from sqlalchemy import func, select

from kefu.core.runtime import open_runtime
from kefu.tickets import sweeper
from kefu.tickets.models import SlaRecord, Ticket
from kefu.tickets.sweeper import SlaSweeper, sweep_pass

OWN_LOCK_KEY = 0x6B65_6675_7E57_0000


def at(hour, minute=0, day=2):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def run_pass(runtime):
    from kefu.core import clock

    with runtime.write_sessions() as session, session.begin():
        return sweep_pass(session, clock.now())


def records(runtime, ticket_id):
    with runtime.sessions() as session:
        query = select(SlaRecord.kind, SlaRecord.subject).where(SlaRecord.ticket_id == ticket_id)
        return sorted(tuple(r) for r in session.execute(query.order_by(SlaRecord.id)))


def stored(runtime, ticket_id):
    with runtime.sessions() as session:
        return session.get(Ticket, ticket_id)


def test_warning_and_team_lead_escalation_fire_once_at_the_warning_instant(runtime, desk, frozen_clock):
    ticket = desk.ticket()
    frozen_clock.current = at(3, 59)  # 11:59 Shanghai: nothing yet
    assert run_pass(runtime) == 0
    frozen_clock.current = at(4)  # 12:00: one hour before the 4-business-hour first response
    assert run_pass(runtime) == 2
    assert records(runtime, ticket["id"]) == [("escalation", "team_lead"), ("warning", "first_response")]
    assert run_pass(runtime) == 0  # idempotent
    row = stored(runtime, ticket["id"])
    assert row.escalation_level == "team_lead" and row.sla_state == "at_risk"
    assert row.due_at == at(5)  # next: the breach
    warning = desk.of_type("ticket.sla_warning")
    assert len(warning) == 1 and warning[0].recipients == tuple(sorted((desk.agent.id, desk.lead.id)))
    assert [e.recipients for e in desk.of_type("ticket.escalated")] == [(desk.lead.id,)]
    listed = desk.call("GET", "/tickets?sla_state=at_risk", desk.supervisor).json()
    assert [t["id"] for t in listed] == [ticket["id"]]


def test_a_restart_in_the_middle_loses_and_duplicates_nothing(runtime, desk, frozen_clock):
    ticket = desk.ticket()
    frozen_clock.current = at(4)
    run_pass(runtime)
    runtime.close()  # the server stops; time passes beyond the breach while it is down
    frozen_clock.current = at(2, day=3)
    again = open_runtime(runtime.settings, run_migrations=False)
    try:
        assert run_pass(again) == 2
        assert run_pass(again) == 0
        kinds = records(again, ticket["id"])
        assert kinds == [
            ("breach", "first_response"), ("escalation", "supervisor"),
            ("escalation", "team_lead"), ("warning", "first_response"),
        ]  # fmt: skip
        with again.sessions() as session:
            breach = session.scalar(select(SlaRecord).where(SlaRecord.kind == "breach"))
            assert breach.due_at == at(5)  # its original due instant, not the time of the late pass
            assert session.get(Ticket, ticket["id"]).escalation_level == "supervisor"
    finally:
        again.close()


def test_a_second_sweeper_racing_records_each_event_once(runtime, desk, frozen_clock, monkeypatch):
    ticket = desk.ticket()
    frozen_clock.current = at(4)
    run_pass(runtime)
    # the other sweeper read the recorded keys before ours committed: it believes nothing is recorded
    monkeypatch.setattr(sweeper, "_recorded", lambda session, due: set())
    frozen_clock.current = at(5)
    assert run_pass(runtime) == 2  # the breach and the supervisor; team_lead refused by the unique key
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(SlaRecord.id))) == 4
    assert [e.payload["level"] for e in desk.of_type("ticket.escalated")] == ["team_lead", "supervisor"]
    assert records(runtime, ticket["id"]).count(("escalation", "team_lead")) == 1


def test_pending_ticket_is_not_due_and_resumes_with_its_time(runtime, desk, frozen_clock):
    ticket = desk.ticket()
    frozen_clock.current = at(2)  # 10:00 Shanghai, one business hour used
    paused = desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "pending"}).json()
    assert paused["due_at"] is None
    frozen_clock.current = at(2, day=4)  # two days later
    assert run_pass(runtime) == 0
    resumed = desk.call("POST", f"/tickets/{ticket['id']}/customer-messages", json={"body": "back"}).json()
    first = next(c for c in resumed["sla"] if c["metric"] == "first_response")
    assert first["deadline"].startswith("2026-03-04T05:00:00")  # 3 business hours left from 10:00


def test_the_leader_sweeps_on_its_steps(runtime, desk, frozen_clock):
    ticket = desk.ticket()
    frozen_clock.current = at(5)
    # a key of this test's own: advisory locks are per database, and other test processes share it
    key = OWN_LOCK_KEY + os.getpid()
    leader, standby = SlaSweeper(runtime, 0.05, lock_key=key), SlaSweeper(runtime, 0.05, lock_key=key)
    try:
        assert leader.step() == 3  # the breach (a late pass skips the warning), team_lead, supervisor
        assert leader.is_leader
        if runtime.engine.dialect.name == "postgresql":
            assert standby.step() == 0 and not standby.is_leader  # one sweeper at a time
            leader.stop()
            assert standby.try_lead()
    finally:
        leader.stop()
        standby.stop()
    assert ("breach", "first_response") in records(runtime, ticket["id"])


def test_a_ticket_solved_after_its_deadline_before_the_sweep_still_gets_its_breach(
    runtime, desk, frozen_clock
):
    ticket = desk.ticket(channel="webchat")  # chat: first response 30 s
    frozen_clock.advance(seconds=40)
    desk.call("POST", f"/tickets/{ticket['id']}/status", json={"status": "solved"})
    assert run_pass(runtime) >= 1
    assert ("breach", "first_response") in records(runtime, ticket["id"])
    assert stored(runtime, ticket["id"]).due_at is None  # nothing more ahead
    assert run_pass(runtime) == 0
