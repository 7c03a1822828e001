"""A leader thread: exactly one process at a time runs a periodic `step`; any other waits as a standby.

Leadership is a PostgreSQL session advisory lock (`lock_key`) held on a dedicated connection: if the
leader dies, its connection closes, the lock is released and a standby takes over on its next attempt.
Steps keep nothing in memory between runs (each reads the database), so the new leader continues where the
old one stopped. On SQLite there is a single writer and every process may run steps: BEGIN IMMEDIATE
serialises them. A step runs every `interval_seconds`, and at once when an event in `wake_on` arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from sqlalchemy import Connection

from kefu.core.dialect import release_advisory_lock, try_advisory_lock
from kefu.core.events import Event
from kefu.core.runtime import Runtime

log = logging.getLogger(__name__)


class Leader:
    def __init__(
        self,
        runtime: Runtime,
        lock_key: int,
        step: Callable[[Runtime], int],
        interval_seconds: float,
        wake_on: Iterable[str] = (),
        name: str = "leader",
    ) -> None:
        self.runtime = runtime
        self.lock_key = lock_key
        self.interval = interval_seconds
        self.name = name
        self._step = step
        self._wake_on = frozenset(wake_on)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_connection: Connection | None = None
        if self._wake_on:
            runtime.bus.subscribe(self._on_event)

    @property
    def is_leader(self) -> bool:
        return self._lock_connection is not None

    def _on_event(self, event: Event) -> None:
        if event.type in self._wake_on:
            self._wake.set()

    def try_lead(self) -> bool:
        """Take leadership if nobody holds it; keeps the lock's connection open while leading."""
        if self._lock_connection is not None:
            return True
        connection = self.runtime.engine.connect()
        if try_advisory_lock(connection, self.lock_key):
            self._lock_connection = connection
            log.info("%s: this process leads", self.name)
            return True
        connection.close()
        return False

    def step(self) -> int:
        """One step if leading (0 otherwise); returns what the step reports (e.g. rows handled)."""
        if not self.try_lead():
            return 0
        return self._step(self.runtime)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a failed step is logged and retried on the next tick
                log.exception("%s: step failed", self.name)
            self._wake.wait(self.interval)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"kefu-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._lock_connection is not None:
            release_advisory_lock(self._lock_connection, self.lock_key)
            self._lock_connection.close()
            self._lock_connection = None
