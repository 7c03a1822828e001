"""Property: however often the sweeper runs (and whatever it finds already recorded), nothing is lost and
nothing is recorded twice — compared with one late pass over the same ticket history."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kefu.core import clock
from kefu.tickets.models import SlaRecord, Ticket
from kefu.tickets.sweeper import sweep_pass

HORIZON_MINUTES = 3 * 24 * 60


def run(runtime, at):
    with runtime.write_sessions() as session, session.begin():
        sweep_pass(session, at)


def recorded(runtime, ticket_id):
    with runtime.sessions() as session:
        query = select(SlaRecord.kind, SlaRecord.subject, SlaRecord.cycle_us).where(
            SlaRecord.ticket_id == ticket_id
        )
        return [tuple(r) for r in session.execute(query)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    passes=st.lists(st.integers(0, HORIZON_MINUTES), min_size=1, max_size=12),
    pending_after=st.integers(0, 600),
    pending_for=st.integers(0, 2000),
)
def test_frequent_passes_lose_and_repeat_nothing(
    runtime, desk, frozen_clock, passes, pending_after, pending_for
):
    start = clock.now()
    often = desk.ticket(type="repair")["id"]  # 24×7: first response 4 h, resolution 48 h
    late = desk.ticket(type="repair")["id"]
    # the same pending period on both tickets
    frozen_clock.current = start + timedelta(minutes=pending_after)
    for tid in (often, late):
        desk.call("POST", f"/tickets/{tid}/status", json={"status": "pending"})
    frozen_clock.current += timedelta(minutes=pending_for)
    for tid in (often, late):
        desk.call("POST", f"/tickets/{tid}/status", json={"status": "open"})
    for minute in sorted(passes):
        at = start + timedelta(minutes=minute)
        if at >= frozen_clock.current:
            run(runtime, at)
    end = start + timedelta(minutes=HORIZON_MINUTES + 1)
    run(runtime, end)
    run(runtime, end)
    mine, reference = recorded(runtime, often), recorded(runtime, late)
    assert len(mine) == len(set(mine))
    # a late pass reports a breach without its warning; otherwise the two histories agree
    assert {r for r in mine if r[0] != "warning"} == {r for r in reference if r[0] != "warning"}
    assert {r for r in reference if r[0] == "warning"} <= {r for r in mine if r[0] == "warning"}
    with runtime.sessions() as session:
        levels = {session.get(Ticket, tid).escalation_level for tid in (often, late)}
    assert levels == {"supervisor"}
