"""Call timings from events (pure): wait, talk, hold, after-call work, transfers, abandonment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.channels.voice import CallEvent, CallEventRefused, CallTimes, apply_call_event

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _run(*steps: tuple[CallEvent, int]) -> CallTimes:
    times = CallTimes(queued_at=T0)
    for event, second in steps:
        times = apply_call_event(times, event, T0 + timedelta(seconds=second))
    return times


def test_answered_call_with_holds_transfer_and_wrap_up() -> None:
    t = _run(
        (CallEvent.answered, 12),
        (CallEvent.held, 60),
        (CallEvent.resumed, 90),
        (CallEvent.transferred, 100),
        (CallEvent.held, 200),
        (CallEvent.ended, 212),  # ends while on hold: the hold stops with the call
        (CallEvent.wrap_up_done, 272),
    )
    assert t.wait_seconds == 12
    assert t.hold_seconds == 42
    assert t.talk_seconds == 200 - 42
    assert t.after_contact_seconds == 60
    assert t.transfer_count == 1 and not t.abandoned


def test_abandoned_call_waits_until_the_caller_hangs_up() -> None:
    t = _run((CallEvent.abandoned, 45))
    assert t.abandoned and t.wait_seconds == 45 and t.talk_seconds is None and t.answered_at is None


@pytest.mark.parametrize(
    "steps",
    [
        [(CallEvent.ended, 5)],  # never answered
        [(CallEvent.answered, 5), (CallEvent.abandoned, 9)],
        [(CallEvent.answered, 5), (CallEvent.answered, 6)],
        [(CallEvent.held, 5)],
        [(CallEvent.answered, 5), (CallEvent.resumed, 6)],
        [(CallEvent.abandoned, 5), (CallEvent.wrap_up_done, 9)],
        [(CallEvent.answered, 5), (CallEvent.ended, 4)],  # time runs backwards
        [(CallEvent.offered, 5)],
    ],
)
def test_impossible_sequences_are_refused(steps: list[tuple[CallEvent, int]]) -> None:
    with pytest.raises(CallEventRefused):
        _run(*steps)


def test_event_before_the_offer_names_the_field() -> None:
    with pytest.raises(CallEventRefused) as caught:
        _run((CallEvent.answered, -1))
    assert caught.value.field == "at"


@given(
    st.lists(
        st.tuples(st.sampled_from(list(CallEvent)), st.integers(min_value=0, max_value=600)), max_size=12
    )
)
def test_any_event_sequence_keeps_the_timings_consistent(steps: list[tuple[CallEvent, int]]) -> None:
    """Whatever the platform sends, accepted events leave times that add up; refused ones change nothing."""
    times, clock_second = CallTimes(queued_at=T0), 0
    for event, gap in steps:
        clock_second += gap
        try:
            times = apply_call_event(times, event, T0 + timedelta(seconds=clock_second))
        except CallEventRefused:
            continue
    assert times.hold_seconds >= 0 and times.after_contact_seconds >= 0 and times.transfer_count >= 0
    if times.wait_seconds is not None:
        assert times.wait_seconds >= 0
    if times.abandoned:
        assert times.answered_at is None and times.ended_at is not None
    if times.answered_at and times.ended_at:
        assert times.talk_seconds + times.hold_seconds == (times.ended_at - times.answered_at).total_seconds()
        assert times.held_since is None  # the call stopped holding when it ended
