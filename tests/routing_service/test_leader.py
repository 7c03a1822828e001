from datetime import timedelta

import pytest
from sqlalchemy import event, select

from kefu.core import clock
from kefu.routing import actions
from kefu.routing.leader import RoutingLeader, routing_round
from kefu.routing.models import AgentPresence, QueueEntry


def test_leader_round_assigns_waiting_contacts(runtime, centre):
    queue = centre.queue()
    agent = centre.agent()
    with runtime.sessions() as session, session.begin():
        actions.do_enqueue(
            session, contact_kind="conversation", contact_id=1, queue_code=queue, now=clock.now()
        )
    leader = RoutingLeader(runtime, interval_seconds=0.05)
    try:
        assert leader.step() == 1
        assert leader.is_leader
    finally:
        leader.stop()
    with runtime.sessions() as session:
        assert session.scalar(select(QueueEntry.agent_id)) == agent.id


def test_background_leader_routes_when_a_contact_queues(runtime, centre):
    import time

    queue = centre.queue()
    agent = centre.agent()
    leader = RoutingLeader(runtime, interval_seconds=30)  # only the queued event can wake it in time
    leader.start()
    try:
        time.sleep(0.1)  # the first (empty) round
        with runtime.write_sessions() as session, session.begin():
            actions.do_enqueue(
                session, contact_kind="conversation", contact_id=2, queue_code=queue, now=clock.now()
            )
        for _ in range(100):
            with runtime.sessions() as session:
                if session.scalar(select(QueueEntry.agent_id)) == agent.id:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the leader did not route the queued contact")
    finally:
        leader.stop()


def test_only_one_postgres_process_leads_and_a_standby_takes_over(runtime, request):
    if runtime.engine.dialect.name != "postgresql":
        assert RoutingLeader(runtime).try_lead()  # SQLite: every process may run (serialised) rounds
        return
    first, standby = RoutingLeader(runtime), RoutingLeader(runtime)
    try:
        assert first.try_lead()
        assert not standby.try_lead()
        assert standby.step() == 0
        first.stop()  # the leader goes away (its connection closes the same way when it dies)
        assert standby.try_lead()
    finally:
        first.stop()
        standby.stop()


def _writes(runtime):
    """Statements that take or use the write lock, as the leader's rounds issue them."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        verb = statement.lstrip().split()[0].upper()
        if verb in {"INSERT", "UPDATE", "DELETE"} or "IMMEDIATE" in statement:
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    return seen


def test_a_round_with_nothing_to_route_leaves_the_write_lock_alone(runtime, centre):
    queue = centre.queue()
    centre.agent(state="offline")  # nobody free: the contact waits
    with runtime.write_sessions() as session, session.begin():
        actions.do_enqueue(
            session, contact_kind="conversation", contact_id=3, queue_code=queue, now=clock.now()
        )
    writes = _writes(runtime)
    assert routing_round(runtime) == 0
    assert writes == []


def test_an_expired_after_contact_work_timer_is_still_written(runtime, centre):
    agent = centre.agent(state="after_contact_work")
    with runtime.write_sessions() as session, session.begin():
        presence = session.get(AgentPresence, agent.id)
        presence.acw_until = clock.now() - timedelta(seconds=5)
    writes = _writes(runtime)
    assert routing_round(runtime) == 0
    assert any("agent_presence" in statement for statement in writes)
    with runtime.sessions() as session:
        assert session.get(AgentPresence, agent.id).state == "available"
