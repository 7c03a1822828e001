"""Group commit: concurrent requests' units of work share one write transaction (SQLite).

SQLite has a single writer. With one transaction per request, concurrent requests queue on the database
lock inside worker threads (busy-wait with back-off, unfair: a request can starve for seconds) and every
request pays BEGIN IMMEDIATE and COMMIT. Here each unit of work is queued on the event loop instead (first
come, first served) and a batch of them runs in ONE thread hop and ONE transaction. A job that fails is
undone alone and its caller gets its error; the others commit together. Jobs rarely fail, so a batch
first runs them one after the other with no SAVEPOINT (a SAVEPOINT per job, with the flush SQLAlchemy
does around each, cost a quarter of a ticket creation); what a job leaves pending is flushed right after
it, so that a failing row fails its own job. If a job fails, that whole attempt is rolled back, the
failed job's caller gets its error, and the other jobs run again, this time each in its own SAVEPOINT.
Every caller is answered only after the COMMIT that holds its work (durability as before); if the
COMMIT itself fails, every job of the batch gets that error and nothing of it is kept.

Several server processes on one SQLite file (`kefu serve --workers 2`) take turns at the write lock. Left
to SQLite, the one that finds it taken sleeps in its busy handler and polls (sleeps of up to 100 ms, far
longer than a batch holds the lock). So each batch first takes an exclusive `flock` on a file next to the
database, and only then BEGINs: the waiting process sleeps in the kernel and wakes the moment the other
one's batch has committed.

Nothing here belongs to a thread: the batch's session is opened, used and closed inside the one thread
call that runs it; the queue lives on the event loop that awaits it. On other databases (PostgreSQL,
many writers) each job simply runs in its own transaction in a worker thread, concurrently.

Events queued by a job (`send_event_on_commit`) are published after the batch's COMMIT; a rolled-back
attempt drops all it queued, and in the SAVEPOINT run a job's events follow its SAVEPOINT
(kefu.core.events). Per-session memos in `session.info` (the SLA
setup, the automation rules) are read once per batch.
"""

from __future__ import annotations

import asyncio
import fcntl
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
Job = Callable[[Session], Any]

# Enough to amortise a transaction, small enough that one batch keeps latency low.
MAX_BATCH = 64


@dataclass
class _Queue:
    jobs: deque[tuple[Job, asyncio.Future[Any]]] = field(default_factory=deque)
    draining: bool = False
    task: asyncio.Task[None] | None = None  # held: the loop keeps only a weak reference to its tasks


class GroupWriter:
    """Runs units of work `job(session) -> result` for the event loop that awaits them."""

    def __init__(self, factory: sessionmaker[Session], *, batch: bool | None = None) -> None:
        self._factory = factory
        bind = factory.kw.get("bind")
        dialect = getattr(bind, "dialect", None)
        self._batch = (getattr(dialect, "name", "") == "sqlite") if batch is None else batch
        database = getattr(getattr(bind, "url", None), "database", None)
        on_file = self._batch and database not in (None, "", ":memory:")
        self._lock_path = f"{database}.writer-lock" if on_file else None
        # One queue per event loop (uvicorn has one per process; each test client has its own).
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )
        self.batches = 0  # how many transactions ran, for tests and the benchmark
        self.jobs = 0

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run `job` in a write transaction; return its result once that transaction has committed."""
        if not self._batch:
            return await to_thread.run_sync(self._run_alone, job)
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[T] = loop.create_future()
        queue.jobs.append((job, future))
        if not queue.draining:
            queue.draining = True
            queue.task = loop.create_task(self._drain(queue))
        return await future

    def _run_alone(self, job: Callable[[Session], T]) -> T:
        with self._factory() as session, session.begin():
            result = job(session)
        self.batches += 1
        self.jobs += 1
        return result

    async def _drain(self, queue: _Queue) -> None:
        try:
            while queue.jobs:
                batch = [queue.jobs.popleft() for _ in range(min(MAX_BATCH, len(queue.jobs)))]
                try:
                    outcomes = await to_thread.run_sync(self._run_batch, [job for job, _ in batch])
                except Exception as exc:  # noqa: BLE001 - the commit failed: every caller of the batch hears it
                    outcomes = [(False, exc)] * len(batch)
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    _settle(future, ok, value)
        finally:
            queue.draining = False

    def _run_batch(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        with _turn(self._lock_path):
            try:
                outcomes = self._run_together(jobs)
            except _JobFailed as failed:  # rolled back: the others again, each in a SAVEPOINT of its own
                rest = jobs[: failed.index] + jobs[failed.index + 1 :]
                outcomes = self._run_in_savepoints(rest) if rest else []
                outcomes.insert(failed.index, (False, failed.error))
        self.batches += 1
        self.jobs += len(jobs)
        return outcomes

    def _run_together(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        with self._factory() as session:
            with session.begin():
                for index, job in enumerate(jobs):
                    try:
                        result = job(session)
                        session.flush()  # what it left pending fails now, as its own error (not the next's)
                    except Exception as exc:
                        raise _JobFailed(index, exc) from exc
                    outcomes.append((True, result))
            # COMMIT done (an exception from it propagates to _drain: nobody is told "created")
        return outcomes

    def _run_in_savepoints(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        with self._factory() as session:
            with session.begin():
                for job in jobs:
                    try:
                        with session.begin_nested():
                            outcomes.append((True, job(session)))
                    except Exception as exc:  # noqa: BLE001 - this job's error, for its caller only
                        outcomes.append((False, exc))
        return outcomes


@contextmanager
def _turn(lock_path: str | None) -> Iterator[None]:
    """This process's turn at the database among the server processes (see the module docstring); the
    lock goes with the file's closing, also if the process dies."""
    if lock_path is None:
        yield
        return
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # blocks this worker thread only (the GIL is released)
        yield


class _JobFailed(Exception):
    """Job `index` of an attempt without SAVEPOINTs raised `error` (the attempt is rolled back)."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller went away (request cancelled); its work is committed or not as said
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
