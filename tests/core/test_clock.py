from datetime import UTC, datetime, timedelta, timezone

import pytest

from kefu.core import clock


def test_now_is_aware_utc():
    assert clock.now().tzinfo is UTC


def test_frozen_clock_moves_only_when_told_and_is_restored():
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    real = clock.now()
    with clock.use_clock(clock.FrozenClock(start)) as frozen:
        assert clock.now() == start
        frozen.advance(minutes=90)
        assert clock.now() == start + timedelta(minutes=90)
    assert clock.now() >= real


def test_clock_is_restored_after_an_error():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError), clock.use_clock(clock.FrozenClock(start)):
        raise RuntimeError("boom")
    assert clock.now() != start


def test_frozen_clock_refuses_naive_and_converts_zones():
    with pytest.raises(ValueError, match="start"):
        clock.FrozenClock(datetime(2026, 1, 1))
    shanghai = timezone(timedelta(hours=8))
    assert clock.FrozenClock(datetime(2026, 1, 1, 9, tzinfo=shanghai))() == datetime(
        2026, 1, 1, 1, tzinfo=UTC
    )
