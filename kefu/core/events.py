"""Domain events, published only after the transaction that caused them commits.

Actions call `send_event_on_commit(session, event)`; the session hooks below hand the events to the bus
after COMMIT and drop them on ROLLBACK, so a rolled-back change never announces itself.
The bus is in-process by default, or Redis pub/sub so that several server processes see each other's events.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

PENDING_KEY = "kefu_pending_events"
BUS_KEY = "kefu_event_bus"
REDIS_CHANNEL = "kefu:events"


@dataclass(frozen=True)
class Event:
    """What happened (`type`, e.g. `ticket.created`), its data, and who must hear of it.

    `recipients` are user ids; None means every subscriber.
    """

    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    recipients: tuple[int, ...] | None = None

    def to_json(self) -> str:
        return json.dumps({"type": self.type, "payload": self.payload, "recipients": self.recipients})

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        data = json.loads(raw)
        recipients = data.get("recipients")
        return cls(data["type"], data.get("payload") or {}, None if recipients is None else tuple(recipients))


Handler = Callable[[Event], None]


class EventBus(Protocol):
    def publish(self, event: Event) -> None: ...
    def subscribe(self, handler: Handler) -> None: ...
    def close(self) -> None: ...


class InProcessBus:
    """Delivers each event to this process's handlers, synchronously, in subscription order."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, event: Event) -> None:
        _deliver(self._handlers, event)

    def close(self) -> None:
        self._handlers.clear()


class RedisBus:
    """Publishes to a Redis channel; a listener thread delivers every process's events to local handlers.

    Local events are delivered when they come back from Redis, so every process sees the same order.
    """

    def __init__(self, url: str, channel: str = REDIS_CHANNEL) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._client.ping()  # fail at start-up, not at the first event
        self._channel = channel
        self._handlers: list[Handler] = []
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(channel)
        self._thread = threading.Thread(target=self._listen, name="kefu-redis-bus", daemon=True)
        self._stopping = threading.Event()
        self._thread.start()

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, event: Event) -> None:
        self._client.publish(self._channel, event.to_json())

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self._pubsub.get_message(timeout=0.2)
            except Exception:  # noqa: BLE001 - a closed connection ends the loop on shutdown
                if self._stopping.is_set():
                    return
                log.exception("redis event bus: receive failed")
                continue
            if message and message.get("type") == "message":
                _deliver(self._handlers, Event.from_json(message["data"]))

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)
        self._pubsub.close()
        self._client.close()


def _deliver(handlers: list[Handler], event: Event) -> None:
    for handler in list(handlers):
        try:
            handler(event)
        except Exception:  # noqa: BLE001 - one failing listener must not silence the others
            log.exception("event handler failed for %s", event.type)


def make_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else InProcessBus()


def _levels(session: Session) -> list[list[Event]]:
    """Pending events per transaction level: the outer transaction first, then one list per SAVEPOINT."""
    return session.info.setdefault(PENDING_KEY, [[]])


def send_event_on_commit(session: Session, event: Event) -> None:
    """Queue an event to be published when (and only if) this session's transaction commits.

    Inside a SAVEPOINT the event belongs to it: dropped if the savepoint rolls back, kept for the outer
    COMMIT if it is released.
    """
    _levels(session)[-1].append(event)


@sa_event.listens_for(Session, "after_transaction_create")
def _open_level(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        _levels(session).append([])


# SQLAlchemy fires after_commit / after_rollback for SAVEPOINTs too (RELEASE / ROLLBACK TO), while the
# session is still inside the savepoint; only the outermost COMMIT publishes.
@sa_event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    levels = _levels(session)
    if session.in_nested_transaction():
        if len(levels) > 1:
            released = levels.pop()
            levels[-1].extend(released)
        return
    pending = [event for level in session.info.pop(PENDING_KEY, [[]]) for event in level]
    bus: EventBus | None = session.info.get(BUS_KEY)
    if bus is None:
        if pending:
            log.warning("%d events dropped: session has no bus (pid %s)", len(pending), os.getpid())
        return
    for event in pending:
        bus.publish(event)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    levels = session.info.get(PENDING_KEY)
    if session.in_nested_transaction() and levels and len(levels) > 1:
        levels.pop()  # only what the rolled-back savepoint queued
    else:
        session.info.pop(PENDING_KEY, None)
