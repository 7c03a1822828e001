"""Staffing rows: Erlang C and A rows side by side, concurrency, shrinkage, bad rows named."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from kefu.workforce import erlang
from kefu.workforce.erlang_a import erlang_a
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.seats import agents_for_slots, scheduled_heads
from kefu.workforce.staffing import StaffingRequest, staff

T0 = datetime(2026, 11, 26, 9, 0)
VOICE = StaffingRequest(T0, "voice", 1800, 360, 240, 0.8, 20)


def test_erlang_c_row_matches_the_formula():
    (row,) = staff([replace(VOICE, shrinkage=0.3)])
    assert row.agents == 54
    assert row.service_level == pytest.approx(erlang.service_level(54, 48.0, 240, 20))
    assert row.asa_seconds == pytest.approx(erlang.asa(54, 48.0, 240))
    assert row.occupancy == pytest.approx(48 / 54)
    assert row.abandon_rate is None
    assert row.scheduled_heads == 78  # ceil(54 / 0.7) = ceil(77.14)


def test_patience_switches_the_row_to_erlang_a():
    chat = replace(VOICE, queue="chat", patience_seconds=60)
    c_row, a_row = staff([VOICE, chat])
    assert a_row.abandon_rate is not None and 0 < a_row.abandon_rate < 0.2
    assert a_row.agents <= c_row.agents
    below = erlang_a(a_row.agents - 1, 0.2, 240, 60, 20)
    assert below.service_level < 0.8 <= a_row.service_level


def test_order_is_kept_and_zero_volume_needs_nobody():
    rows = [replace(VOICE, volume=v, queue=f"q{v}") for v in (0, 50, 0, 700)]
    out = staff(rows)
    assert [r.request.queue for r in out] == ["q0", "q50", "q0", "q700"]
    assert out[0].agents == 0 and out[0].scheduled_heads == 0 and out[0].service_level == 1.0
    assert out[3].agents > out[1].agents > 0


def test_chat_concurrency_divides_slots():
    (single,) = staff([replace(VOICE, queue="chat")])
    (triple,) = staff([replace(VOICE, queue="chat", concurrency=3)])
    assert triple.agents == -(-single.agents // 3)
    assert agents_for_slots(7, 3) == 3 and agents_for_slots(6, 3) == 2


def test_shrinkage_rounding_is_not_fooled_by_binary_fractions():
    assert scheduled_heads(7, 0.3) == 10
    assert scheduled_heads(0, 0.5) == 0
    with pytest.raises(WorkforceInputError, match="shrinkage"):
        scheduled_heads(5, 1.0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume": -1}, "row 1 volume"),
        ({"aht_seconds": 0}, "row 1 aht_seconds"),
        ({"target_sl": 1.0}, "row 1 target_sl"),
        ({"shrinkage": 1.0}, "row 1 shrinkage"),
        ({"patience_seconds": 0}, "row 1 patience_seconds"),
        ({"volume": float("nan")}, "row 1 volume"),
        ({"concurrency": 0}, "row 1 concurrency"),
        ({"queue": ""}, "row 1 queue"),
    ],
)
def test_bad_rows_are_named(change, field):
    with pytest.raises(WorkforceInputError) as err:
        staff([VOICE, replace(VOICE, **change)])
    assert err.value.field == field


def test_empty_input_gives_empty_output():
    assert staff([]) == []


def test_many_identical_erlang_a_rows_agree():
    chat = replace(VOICE, queue="chat", patience_seconds=45, volume=120)
    rows = staff([replace(chat, interval_start=T0 + timedelta(minutes=30 * i)) for i in range(48)])
    assert len({(r.agents, r.service_level, r.abandon_rate) for r in rows}) == 1
