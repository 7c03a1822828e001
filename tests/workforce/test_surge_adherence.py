"""Surge detection, intraday re-forecast and adherence."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.workforce.adherence import StateSpan, adherence, scheduled_spans
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.shifts import Assignment, default_templates
from kefu.workforce.surge import reforecast_intraday, surge_state

NEXT = datetime(2026, 3, 2, 10, 30)


def test_surge_starts_just_above_120_percent():
    # 10 agents = 10 erlangs of capacity; 12 erlangs is exactly 120 %: not yet a surge.
    at = surge_state(
        "voice", NEXT, expected_volume=90, aht_seconds=240, interval_seconds=1800, scheduled_agents=10
    )
    assert not at.active and at.evidence.load_ratio == pytest.approx(1.2)
    above = surge_state(
        "voice", NEXT, expected_volume=91, aht_seconds=240, interval_seconds=1800, scheduled_agents=10
    )
    assert above.active
    ev = above.evidence
    assert (ev.queue, ev.interval_start, ev.scheduled_agents, ev.threshold) == ("voice", NEXT, 10, 1.2)
    assert ev.offered_erlangs == pytest.approx(91 * 240 / 1800) and ev.capacity_erlangs == 10


def test_chat_concurrency_and_empty_floor():
    chat = surge_state(
        "chat",
        NEXT,
        expected_volume=200,
        aht_seconds=300,
        interval_seconds=1800,
        scheduled_agents=12,
        concurrency=3,
    )
    assert not chat.active  # 33.3 erlangs on 36 chat slots
    empty = surge_state(
        "chat", NEXT, expected_volume=1, aht_seconds=300, interval_seconds=1800, scheduled_agents=0
    )
    assert empty.active and math.isinf(empty.evidence.load_ratio)
    quiet = surge_state(
        "chat", NEXT, expected_volume=0, aht_seconds=300, interval_seconds=1800, scheduled_agents=0
    )
    assert not quiet.active
    with pytest.raises(WorkforceInputError, match="aht_seconds"):
        surge_state("chat", NEXT, expected_volume=1, aht_seconds=0, interval_seconds=1800, scheduled_agents=1)


def test_intraday_reforecast_follows_a_busy_morning():
    plan = [100.0] * 8
    early = reforecast_intraday(plan, [150.0])  # one busy interval: trust the plan a lot still
    late = reforecast_intraday(plan, [150.0] * 6)
    assert 1 < early.factor < late.factor < 1.5
    assert late.volumes[:6] == (150.0,) * 6
    assert late.volumes[6] == pytest.approx(100 * late.factor)
    assert reforecast_intraday(plan, []).volumes == tuple(plan)
    with pytest.raises(WorkforceInputError, match="actual"):
        reforecast_intraday([1.0], [1.0, 2.0])


@given(st.lists(st.floats(0, 500), min_size=1, max_size=20), st.floats(0, 3))
def test_reforecast_keeps_length_and_sign(plan, scale):
    done = [v * scale for v in plan[: len(plan) // 2]]
    out = reforecast_intraday(plan, done)
    assert len(out.volumes) == len(plan) and all(v >= 0 for v in out.volumes)


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 3, 2, h, m)


def test_adherence_counts_time_in_the_scheduled_state():
    shift = Assignment("ann", 0, "day", "voice", (("rest", 90), ("lunch", 240)))
    plan = scheduled_spans(shift, next(t for t in default_templates() if t.name == "day"), date(2026, 3, 2))
    assert [(s.start.strftime("%H:%M"), s.state) for s in plan] == [
        ("09:00", "work"),
        ("10:30", "break"),
        ("11:00", "work"),
        ("13:00", "break"),
        ("14:00", "work"),
    ]
    actual = [
        StateSpan(at(9, 10), at(10, 45), "work"),  # 10 min late, 15 min into the break
        StateSpan(at(10, 45), at(11, 0), "break"),
        StateSpan(at(11, 0), at(18, 0), "work"),  # skipped lunch: 1 h out of adherence
    ]
    result = adherence(plan, actual)
    assert result.scheduled_seconds == 9 * 3600
    assert result.adherent_seconds == pytest.approx((9 * 60 - 10 - 15 - 60) * 60)
    assert result.adherence == pytest.approx((540 - 85) / 540)
    assert adherence([], actual).adherence == 1.0


def test_adherence_rejects_overlapping_or_backward_spans():
    with pytest.raises(WorkforceInputError, match="actual"):
        adherence([], [StateSpan(at(9), at(11), "work"), StateSpan(at(10), at(12), "work")])
    with pytest.raises(WorkforceInputError, match="scheduled"):
        adherence([StateSpan(at(9), at(8), "work")], [])
    assert adherence([StateSpan(at(9), at(9) + timedelta(hours=1), "work")], []).adherence == 0.0
