"""Group commit (kefu.core.writer): concurrent units of work share a transaction on SQLite, with no
SAVEPOINT while none fails; a failing one is undone alone (the others run again, each in a SAVEPOINT);
nobody is answered before the COMMIT that holds their work."""

from __future__ import annotations

import asyncio
import fcntl
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from kefu.core.errors import InvalidInput
from kefu.core.events import Event, send_event_on_commit
from kefu.core.runtime import Runtime
from kefu.customers.models import Customer

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _add(name: str, fail: bool = False):
    def job(session: Session) -> int:
        customer = Customer(
            name=name, tier="new", lifetime_value=0, tags=[], language="zh_CN", created_at=NOW
        )
        session.add(customer)
        session.flush()
        send_event_on_commit(session, Event("test.customer", {"name": name}))
        if fail:
            raise InvalidInput("name: refused", field="name")
        return customer.id

    return job


def _names(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return sorted(session.scalars(select(Customer.name)))


async def _run_all(runtime: Runtime, jobs: list) -> list:
    return await asyncio.gather(*(runtime.writer.run(job) for job in jobs), return_exceptions=True)


def test_concurrent_jobs_commit_together_and_each_gets_its_result(runtime: Runtime) -> None:
    published: list[Event] = []
    runtime.bus.subscribe(published.append)
    results = asyncio.run(_run_all(runtime, [_add(f"c{i:02d}") for i in range(20)]))
    assert all(isinstance(r, int) for r in results) and len(set(results)) == 20
    assert _names(runtime) == [f"c{i:02d}" for i in range(20)]
    assert sorted(e.payload["name"] for e in published) == [f"c{i:02d}" for i in range(20)]
    assert runtime.writer.jobs == 20
    if runtime.engine.dialect.name == "sqlite":
        assert runtime.writer.batches <= 2  # queued while the first ran: one shared transaction


def test_a_failing_job_is_undone_alone_and_its_caller_gets_the_error(runtime: Runtime) -> None:
    published: list[Event] = []
    runtime.bus.subscribe(published.append)
    jobs = [_add("a"), _add("refused", fail=True), _add("b")]
    results = asyncio.run(_run_all(runtime, jobs))
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert isinstance(results[1], InvalidInput) and results[1].field == "name"
    assert _names(runtime) == ["a", "b"]
    assert sorted(e.payload["name"] for e in published) == ["a", "b"]  # the undone job's event is dropped


def _savepoints_during(runtime: Runtime, jobs: list) -> tuple[list, int]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", seen)
    try:
        results = asyncio.run(_run_all(runtime, jobs))
    finally:
        event.remove(runtime.engine, "before_cursor_execute", seen)
    return results, sum(s.startswith("SAVEPOINT") for s in statements)


def test_a_batch_where_nothing_fails_takes_no_savepoint(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("batches are SQLite's; elsewhere each job has its own transaction")
    results, savepoints = _savepoints_during(runtime, [_add(f"s{i}") for i in range(10)])
    assert all(isinstance(r, int) for r in results)
    assert savepoints == 0
    assert _names(runtime) == [f"s{i}" for i in range(10)]


def test_after_a_failure_the_others_run_again_each_in_a_savepoint(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("batches are SQLite's; elsewhere each job has its own transaction")
    jobs = [_add("p"), _add("q"), _add("refused", fail=True), _add("r")]
    results, savepoints = _savepoints_during(runtime, jobs)
    assert isinstance(results[2], InvalidInput)
    assert [isinstance(r, int) for r in results] == [True, True, False, True]
    assert _names(runtime) == ["p", "q", "r"]  # p and q ran twice, stored once
    assert savepoints <= 3 + 1  # the three others (and at most one job queued after them)


def test_a_row_a_job_leaves_pending_fails_that_job_not_the_next(runtime: Runtime) -> None:
    """A job whose row breaks a constraint only when flushed is still the one that fails."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("batches are SQLite's; elsewhere each job has its own transaction")

    def duplicate(session: Session) -> int:
        session.add(Customer(id=1, name="dup", tier="new", lifetime_value=0, tags=[], language="zh_CN",
                             created_at=NOW))  # fmt: skip
        return 0

    results = asyncio.run(_run_all(runtime, [_add("first"), duplicate, _add("third")]))
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert isinstance(results[1], Exception)
    assert _names(runtime) == ["first", "third"]


def test_a_batch_waits_its_turn_while_another_server_process_writes(runtime: Runtime) -> None:
    """Another process's batch holds the lock file next to the database: this one waits (asleep, not
    polling) and runs the moment that lock goes."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("batches are SQLite's; elsewhere each job has its own transaction")

    async def scenario() -> None:
        with open(f"{runtime.engine.url.database}.writer-lock", "a") as other_process:
            fcntl.flock(other_process, fcntl.LOCK_EX)
            waiting = asyncio.ensure_future(runtime.writer.run(_add("after")))
            await asyncio.sleep(0.3)
            assert not waiting.done() and _names(runtime) == []
        assert isinstance(await asyncio.wait_for(waiting, 10), int)

    asyncio.run(scenario())
    assert _names(runtime) == ["after"]


def test_a_failed_commit_fails_every_job_of_the_batch_and_keeps_nothing(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("batches are SQLite's; elsewhere each job has its own transaction")

    def refuse_commit(session: Session) -> None:
        if session.info.get("refuse"):
            raise RuntimeError("disk full")

    def marked(session: Session) -> int:
        session.info["refuse"] = True
        return _add("x")(session)

    event.listen(Session, "before_commit", refuse_commit)
    try:
        results = asyncio.run(_run_all(runtime, [_add("y"), marked, _add("z")]))
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert all(isinstance(r, RuntimeError) for r in results)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(Customer.id))) == 0


def test_an_answer_comes_only_after_its_commit(runtime: Runtime) -> None:
    async def scenario() -> None:
        customer_id = await runtime.writer.run(_add("seen"))
        with runtime.sessions() as other:  # another connection sees it the moment the caller is answered
            assert other.get(Customer, customer_id) is not None

    asyncio.run(scenario())


def test_the_writer_serves_one_event_loop_after_another(runtime: Runtime) -> None:
    """Each test client (and each server process) has its own loop; the writer keeps no loop's state."""
    for name in ("first", "second"):
        asyncio.run(_run_all(runtime, [_add(name)]))
    assert _names(runtime) == ["first", "second"]
