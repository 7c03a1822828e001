"""Group commit for live channels: many customers' messages, one transaction, then every sender's ack.

A chat message is acknowledged only after it is committed. Committing each one alone would cap a SQLite
installation at its single-row commit rate; instead one writer thread takes everything that arrived while
the previous batch was committing and commits it together. Each message still runs in its own SAVEPOINT
(inside `do_ingest_message`), so one bad message fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.actions import Inbound, do_ingest_message
from kefu.core.errors import KefuError
from kefu.customers.tiers import TierRules

log = logging.getLogger(__name__)
MAX_BATCH = 500


@dataclass(frozen=True)
class Receipt:
    message_id: int
    conversation_id: int
    conversation_public_id: str
    duplicate: bool


class IntakeWriter:
    """Owned by one event loop; `submit` returns once the message is committed (or raises why not)."""

    def __init__(self, sessions: sessionmaker[Session], rules: TierRules) -> None:
        self._sessions = sessions
        self._rules = rules
        self._queue: asyncio.Queue[tuple[Inbound, asyncio.Future[Receipt]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, inbound: Inbound) -> Receipt:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="kefu-intake-writer")
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        await self._queue.put((inbound, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await asyncio.to_thread(self._write, [inbound for inbound, _ in batch])
            except SQLAlchemyError as exc:  # the commit itself failed: nothing in the batch is stored
                log.exception("intake batch of %d not committed", len(batch))
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _write(self, batch: list[Inbound]) -> list[Receipt | Exception]:
        outcomes: list[Receipt | Exception] = []
        with self._sessions() as session, session.begin():
            for inbound in batch:
                try:
                    result = do_ingest_message(session, inbound, rules=self._rules)
                except (KefuError, SQLAlchemyError) as exc:
                    outcomes.append(exc)
                    continue
                outcomes.append(
                    Receipt(
                        result.message.id,
                        result.conversation.id,
                        result.conversation.public_id,
                        result.duplicate,
                    )
                )
        return outcomes

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
