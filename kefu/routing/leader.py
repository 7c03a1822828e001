"""The routing leader: exactly one process at a time runs routing rounds; any other waits as a standby.

Leadership is a PostgreSQL session advisory lock held on a dedicated connection: if the leader dies, its
connection closes, the lock is released and a standby takes over on its next attempt. Nothing is kept in
memory between rounds (each round reads the database), so the new leader continues where the old one
stopped. On SQLite there is a single writer and every process may run rounds: BEGIN IMMEDIATE serialises
them and rows are claimed only while still waiting.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection

from kefu.core import clock
from kefu.core.dialect import release_advisory_lock, try_advisory_lock
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.routing.actions import route_waiting

log = logging.getLogger(__name__)

LOCK_KEY = 0x6B65_6675_0001  # "kefu" + 1: the routing leader
WAKE_ON = {"routing.queued", "routing.presence", "routing.released", "routing.queue_changed"}


class RoutingLeader:
    def __init__(self, runtime: Runtime, interval_seconds: float = 1.0) -> None:
        self.runtime = runtime
        self.interval = interval_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_connection: Connection | None = None
        runtime.bus.subscribe(self._on_event)

    @property
    def is_leader(self) -> bool:
        return self._lock_connection is not None

    def _on_event(self, event: Event) -> None:
        if event.type in WAKE_ON:
            self._wake.set()

    def try_lead(self) -> bool:
        """Take leadership if nobody holds it; keeps the lock's connection open while leading."""
        if self._lock_connection is not None:
            return True
        connection = self.runtime.engine.connect()
        if try_advisory_lock(connection, LOCK_KEY):
            self._lock_connection = connection
            log.info("routing leader: this process leads")
            return True
        connection.close()
        return False

    def step(self) -> int:
        """One round if leading; returns how many contacts were assigned or offered."""
        if not self.try_lead():
            return 0
        with self.runtime.write_sessions() as session, session.begin():
            return len(route_waiting(session, clock.now()))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a failed round is logged and retried on the next tick
                log.exception("routing round failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kefu-routing-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._lock_connection is not None:
            release_advisory_lock(self._lock_connection, LOCK_KEY)
            self._lock_connection.close()
            self._lock_connection = None
