"""The one place kefu reads the time from, so tests can move it.

Every time-dependent piece of kefu calls `clock.now()`; pure modules take `now` as a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _source()


class FrozenClock:
    """A clock that stands still until moved; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start: must be timezone-aware")
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@contextmanager
def use_clock(source: Callable[[], datetime]) -> Iterator[Callable[[], datetime]]:
    """Replace the clock inside the block (and restore it afterwards, even on error)."""
    global _source
    previous, _source = _source, source
    try:
        yield source
    finally:
        _source = previous


def as_utc(value: datetime) -> datetime:
    """Databases without time zones (SQLite) return naive datetimes; kefu stores UTC, so restore it."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
