"""Group commit for live channels: many customers' messages, one transaction, then every sender's ack.

A chat message is acknowledged only after it is committed. Committing each one alone would cap a SQLite
installation at its single-row commit rate; instead one writer thread takes everything that arrived while
the previous batch was committing and commits it together. Each message still runs in its own SAVEPOINT
(inside `do_ingest_message`), so one bad message fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.actions import Inbound, check_inbound, do_ingest_message
from kefu.channels.append_actions import Appended, do_append_messages
from kefu.core.errors import KefuError
from kefu.customers.tiers import TierRules

log = logging.getLogger(__name__)
MAX_BATCH = 500


class IntakeWriter:
    """Owned by one event loop; `submit` returns once the message is committed (or raises why not)."""

    def __init__(self, sessions: sessionmaker[Session], rules: TierRules) -> None:
        self._sessions = sessions
        self._rules = rules
        self._queue: asyncio.Queue[tuple[Inbound, int | None, asyncio.Future[Appended]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, inbound: Inbound, conversation_id: int | None = None) -> Appended:
        """`conversation_id`: where this sender's last message went, if known (enables the fast path)."""
        return await self.enqueue(inbound, conversation_id)

    def enqueue(self, inbound: Inbound, conversation_id: int | None = None) -> asyncio.Future[Appended]:
        """The same without a coroutine per message: the future resolves when the batch has committed."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="kefu-intake-writer")
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((inbound, conversation_id, future))
        return future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await asyncio.to_thread(self._write, [(i, c) for i, c, _ in batch])
            except Exception as exc:  # noqa: BLE001 - the commit (or a bug) failed: nothing is stored, none acked
                log.exception("intake batch of %d not committed", len(batch))
                outcomes = [exc] * len(batch)
            for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _write(self, batch: list[tuple[Inbound, int | None]]) -> list[Appended | Exception]:
        outcomes: list[Appended | Exception | None] = [None] * len(batch)
        known: list[int] = []
        for index, (inbound, conversation_id) in enumerate(batch):
            try:
                check_inbound(inbound)
            except KefuError as exc:
                outcomes[index] = exc
                continue
            if conversation_id is not None:
                known.append(index)
        with self._sessions() as session, session.begin():
            appended = do_append_messages(session, [(batch[i][0], batch[i][1] or 0) for i in known])
            for index, outcome in zip(known, appended, strict=True):
                outcomes[index] = outcome
            for index, outcome in enumerate(outcomes):
                if outcome is None:
                    outcomes[index] = self._ingest_one(session, batch[index][0])
        return cast(list[Appended | Exception], outcomes)  # every slot is decided by now

    def _ingest_one(self, session: Session, inbound: Inbound) -> Appended | Exception:
        """A first contact, or anything the fast path left undecided: the full ingestion action."""
        try:
            result = do_ingest_message(session, inbound, rules=self._rules)
        except (KefuError, SQLAlchemyError) as exc:
            return exc
        conversation = result.conversation
        return Appended(result.message.id, conversation.id, conversation.public_id, result.duplicate)
