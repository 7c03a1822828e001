"""The lockout rule, checked against a direct simulation of sign-in attempts (property test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.access.throttle import LIMIT, LOCK, WINDOW, lock_end

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def simulate(gaps_seconds: list[int]) -> list[tuple[datetime, bool, bool]]:
    """Attempts (all wrong) at the given gaps; returns (time, refused, counted) per attempt.

    The model: an attempt is refused while some run of LIMIT counted failures spanning at most WINDOW
    ended less than LOCK ago; refused attempts are not counted.
    """
    counted: list[datetime] = []
    out = []
    now = T0
    for gap in gaps_seconds:
        now += timedelta(seconds=gap)
        locked = any(
            counted[i + LIMIT - 1] - counted[i] <= WINDOW and now < counted[i + LIMIT - 1] + LOCK
            for i in range(len(counted) - LIMIT + 1)
        )
        if not locked:
            counted.append(now)
        out.append((now, locked, not locked))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=40))
def test_lock_end_agrees_with_the_simulation(gaps):
    counted: list[datetime] = []
    for now, refused, _ in simulate(gaps):
        recent = sorted((t for t in counted if t > now - WINDOW - LOCK), reverse=True)[:LIMIT]
        assert (lock_end(recent, now) is not None) == refused
        if not refused:
            counted.append(now)


def test_ten_quick_failures_lock_for_fifteen_minutes_from_the_tenth():
    failures = [T0 + timedelta(seconds=10 * i) for i in range(LIMIT)][::-1]
    tenth = failures[0]
    assert lock_end(failures, tenth) == tenth + LOCK
    assert lock_end(failures, tenth + LOCK) is None
    assert lock_end(failures[:-1], tenth) is None


def test_failures_spread_wider_than_the_window_do_not_lock():
    failures = [T0 + timedelta(minutes=2 * i) for i in range(LIMIT)][::-1]  # 18 minutes apart end to end
    assert lock_end(failures, failures[0]) is None
