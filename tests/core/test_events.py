import os
import subprocess
import sys
import textwrap
import threading

import pytest

from kefu.access.models import Team
from kefu.core.events import Event, InProcessBus, RedisBus, send_event_on_commit

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL")


def test_events_are_published_after_commit_in_order(runtime):
    received: list[Event] = []
    runtime.bus.subscribe(received.append)
    with runtime.sessions() as session, session.begin():
        session.add(Team(code="t1", name="T1"))
        send_event_on_commit(session, Event("team.created", {"code": "t1"}))
        send_event_on_commit(session, Event("team.updated", {"code": "t1"}, recipients=(1, 2)))
        assert received == []  # nothing before COMMIT
    assert [e.type for e in received] == ["team.created", "team.updated"]
    assert received[1].recipients == (1, 2)


def test_rolled_back_change_emits_nothing(runtime):
    received: list[Event] = []
    runtime.bus.subscribe(received.append)
    with pytest.raises(RuntimeError), runtime.sessions() as session, session.begin():
        session.add(Team(code="t2", name="T2"))
        send_event_on_commit(session, Event("team.created"))
        raise RuntimeError("abort")
    with runtime.sessions() as session, session.begin():
        send_event_on_commit(session, Event("later"))
    assert [e.type for e in received] == ["later"]  # the aborted event did not leak into the next commit


def test_a_failing_handler_does_not_silence_others():
    bus = InProcessBus()
    seen: list[str] = []

    def broken(_event: Event) -> None:
        raise ValueError("listener bug")

    bus.subscribe(broken)
    bus.subscribe(lambda e: seen.append(e.type))
    bus.publish(Event("x"))
    assert seen == ["x"]


def test_event_json_round_trip():
    event = Event("ticket.created", {"id": 7, "subject": "退款"}, recipients=(3,))
    assert Event.from_json(event.to_json()) == event


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="KEFU_TEST_REDIS_URL not set")
def test_redis_bus_reaches_another_process():
    channel = f"kefu:test:{os.getpid()}"
    listener = textwrap.dedent(f"""
        import sys, threading
        from kefu.core.events import RedisBus
        bus = RedisBus({REDIS_URL!r}, channel={channel!r})
        got = threading.Event()
        bus.subscribe(lambda e: (print(e.type, e.payload["n"], flush=True), got.set()))
        print("ready", flush=True)
        got.wait(10)
        bus.close()
    """)
    child = subprocess.Popen([sys.executable, "-c", listener], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        bus = RedisBus(REDIS_URL, channel=channel)
        local: list[Event] = []
        done = threading.Event()
        bus.subscribe(lambda e: (local.append(e), done.set()))
        bus.publish(Event("order.shipped", {"n": 42}))
        assert child.stdout.readline().strip() == "order.shipped 42"
        assert done.wait(5) and local[0].payload == {"n": 42}  # the publisher's own process hears it too
        bus.close()
    finally:
        child.wait(10)


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="KEFU_TEST_REDIS_URL not set")
def test_commit_publishes_through_redis(tmp_path, sqlite_template):
    import shutil

    from kefu.core.config import Settings
    from kefu.core.runtime import open_runtime

    shutil.copy(sqlite_template, tmp_path / "kefu.db")
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'kefu.db'}",
        redis_url=REDIS_URL,
        secret_key="x",
        auto_migrate=False,
    )
    runtime = open_runtime(settings, run_migrations=False)
    try:
        assert isinstance(runtime.bus, RedisBus)
        got = threading.Event()
        seen: list[Event] = []
        runtime.bus.subscribe(lambda e: (seen.append(e), got.set()))
        with runtime.sessions() as session, session.begin():
            session.add(Team(code="r1", name="R1"))
            send_event_on_commit(session, Event("team.created", {"code": "r1"}))
        assert got.wait(5)
        assert seen[0].type == "team.created"
    finally:
        runtime.close()


def test_savepoints_keep_their_events_until_the_outer_commit(runtime):
    received: list[str] = []
    runtime.bus.subscribe(lambda e: received.append(e.type))
    with runtime.sessions() as session, session.begin():
        send_event_on_commit(session, Event("before"))
        with session.begin_nested():
            send_event_on_commit(session, Event("released"))
        assert received == []  # RELEASE SAVEPOINT is not the commit
        with pytest.raises(RuntimeError), session.begin_nested():
            send_event_on_commit(session, Event("rolled_back"))
            raise RuntimeError("undo this savepoint only")
        with session.begin_nested(), session.begin_nested():
            send_event_on_commit(session, Event("deeper"))
        send_event_on_commit(session, Event("after"))
    assert received == ["before", "released", "deeper", "after"]
