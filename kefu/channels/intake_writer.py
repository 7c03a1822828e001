"""Group commit for live channels: many customers' messages, one transaction, then every sender's ack.

A chat message is acknowledged only after it is committed. Committing each one alone would cap a SQLite
installation at its single-row commit rate; instead the writer takes everything that arrived while the
previous batch was committing and commits it together.

Where the database and the event bus are both in this process (SQLite, no Redis), the fast path — messages
into a conversation the connection already knows, `do_append_messages` — runs on the event loop itself:
SQLite's work is this process's CPU either way, and handing each batch to a worker thread only made the
two threads take turns on the GIL, the writer waiting up to a switch interval (5 ms) after every SQLite
call while the loop parsed frames (measured: 90 % of a batch's time spent waiting, acks seconds late).
A batch is a few statements (check open, find duplicates, one executemany, touch customers), so the loop
is held for about a millisecond per batch. First contacts (customer resolution, a new conversation,
routing) take many more statements and still run in a worker thread, in their own transaction after the
fast path's commit. Elsewhere (PostgreSQL, or a Redis bus whose publish is a network round trip) the
whole batch runs in one worker-thread transaction, as the database work then waits on the network.
Each first contact runs in its own SAVEPOINT (inside `do_ingest_message`), so one bad message fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import cast

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.actions import Inbound, check_inbound, do_ingest_message
from kefu.channels.append_actions import Appended, do_append_messages
from kefu.core.dialect import in_process_database
from kefu.core.errors import KefuError
from kefu.core.events import BUS_KEY, InProcessBus
from kefu.customers.tiers import TierRules

log = logging.getLogger(__name__)
MAX_BATCH = 500
# How long the first message of a batch waits for company. A batch costs ~0.3 ms of fixed CPU (BEGIN, five
# statements, COMMIT) whatever its size, and messages of one batch share index pages SQLite writes once,
# so waiting divides that cost by the messages gathered; the loop keeps reading frames meanwhile. At 5,000
# messages a second, 8 ms gathers ~45 (3 ms gathered ~20: ~10 µs more CPU per message); a chat line
# acknowledged 8 ms later is not noticed.
COMMIT_WINDOW = 0.008
Item = tuple[Inbound, int | None]
Outcome = Appended | Exception
Done = Callable[[Outcome], None]


class IntakeWriter:
    """Owned by one event loop; `submit` returns once the message is committed (or raises why not)."""

    def __init__(
        self, sessions: sessionmaker[Session], rules: TierRules, *, inline: bool | None = None
    ) -> None:
        self._sessions = sessions
        self._rules = rules
        # A plain list and one wake-up future: cheaper per message than an asyncio.Queue.
        self._pending: list[tuple[Inbound, int | None, Done]] = []
        self._wake: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        if inline is None:
            bind = sessions.kw.get("bind")
            bus = sessions.kw.get("info", {}).get(BUS_KEY)
            inline = (
                bind is not None
                and in_process_database(bind)
                and (bus is None or isinstance(bus, InProcessBus))
            )
        self.inline = inline
        self.batches = 0  # transactions of the fast path, for tests and the benchmark

    async def submit(self, inbound: Inbound, conversation_id: int | None = None) -> Appended:
        """`conversation_id`: where this sender's last message went, if known (enables the fast path)."""
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self.enqueue(inbound, conversation_id, partial(_resolve, future))
        return await future

    def enqueue(self, inbound: Inbound, conversation_id: int | None, done: Done) -> None:
        """The same without a coroutine or a future per message: `done(outcome)` is called on the loop once
        the batch has committed (or failed), with the stored message or the exception saying why not."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="kefu-intake-writer")
        self._pending.append((inbound, conversation_id, done))
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                self._wake = loop.create_future()
                await self._wake
            # Frames received meanwhile join this commit (and the loop breathes between batches).
            await asyncio.sleep(COMMIT_WINDOW if self.inline and len(self._pending) < MAX_BATCH else 0)
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            items = [(inbound, conversation_id) for inbound, conversation_id, _ in batch]
            callbacks = [done for _, _, done in batch]
            if not self.inline:
                outcomes = await self._attempt(asyncio.to_thread(self._write, items), len(items))
                _settle(callbacks, outcomes)
                continue
            try:
                fast = self._write_fast(items)
            except Exception as exc:  # noqa: BLE001 - the commit (or a bug) failed: nothing is stored, none acked
                log.exception("intake batch of %d not committed", len(batch))
                fast = [exc] * len(batch)
            decided = [index for index, outcome in enumerate(fast) if outcome is not None]
            slow = [index for index, outcome in enumerate(fast) if outcome is None]
            _settle([callbacks[i] for i in decided], [cast(Outcome, fast[i]) for i in decided])
            if slow:
                first_contacts = [items[i][0] for i in slow]
                outcomes = await self._attempt(asyncio.to_thread(self._write_slow, first_contacts), len(slow))
                _settle([callbacks[i] for i in slow], outcomes)

    async def _attempt(self, work: object, size: int) -> list[Outcome]:
        try:
            return await work  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - the commit (or a bug) failed: nothing is stored, none acked
            log.exception("intake batch of %d not committed", size)
            return [exc] * size

    def _write(self, batch: list[Item]) -> list[Outcome]:
        """Both paths in one transaction (in a worker thread)."""
        with self._sessions() as session, session.begin():
            outcomes = self._fast(session, batch, savepoint=True)
            for index, outcome in enumerate(outcomes):
                if outcome is None:
                    outcomes[index] = self._ingest_one(session, batch[index][0])
        return cast(list[Outcome], outcomes)  # every slot is decided by now

    def _write_fast(self, batch: list[Item]) -> list[Outcome | None]:
        """The fast path in its own transaction (so without a SAVEPOINT: on SQLite the duplicate check and
        the insert share one write lock, and should another writer still win, the whole batch goes to the
        slow path); None where the slow path must decide."""
        try:
            with self._sessions() as session, session.begin():
                outcomes = self._fast(session, batch, savepoint=False)
        except IntegrityError:
            return [_invalid(inbound) for inbound, _ in batch]
        self.batches += 1
        return outcomes

    def _write_slow(self, inbounds: list[Inbound]) -> list[Outcome]:
        with self._sessions() as session, session.begin():
            return [self._ingest_one(session, inbound) for inbound in inbounds]

    def _fast(self, session: Session, batch: list[Item], *, savepoint: bool) -> list[Outcome | None]:
        outcomes: list[Outcome | None] = [None] * len(batch)
        known: list[int] = []
        for index, (inbound, conversation_id) in enumerate(batch):
            try:
                check_inbound(inbound)
            except KefuError as exc:
                outcomes[index] = exc
                continue
            if conversation_id is not None:
                known.append(index)
        if known:
            appended = do_append_messages(
                session, [(batch[i][0], batch[i][1] or 0) for i in known], savepoint=savepoint
            )
            for index, outcome in zip(known, appended, strict=True):
                outcomes[index] = outcome
        return outcomes

    def _ingest_one(self, session: Session, inbound: Inbound) -> Outcome:
        """A first contact, or anything the fast path left undecided: the full ingestion action."""
        try:
            result = do_ingest_message(session, inbound, rules=self._rules)
        except (KefuError, SQLAlchemyError) as exc:
            return exc
        conversation = result.conversation
        return Appended(result.message.id, conversation.id, conversation.public_id, result.duplicate)


def _invalid(inbound: Inbound) -> Outcome | None:
    """The validation error of a message, or None (valid: the slow path stores it)."""
    try:
        check_inbound(inbound)
    except KefuError as exc:
        return exc
    return None


def _settle(callbacks: list[Done], outcomes: list[Outcome]) -> None:
    for done, outcome in zip(callbacks, outcomes, strict=True):
        try:
            done(outcome)
        except Exception:  # noqa: BLE001 - one sender's failing callback must not keep the others waiting
            log.exception("intake callback failed")


def _resolve(future: asyncio.Future[Appended], outcome: Outcome) -> None:
    if future.done():
        return  # the caller stopped waiting
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
