from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.analytics import measures as m

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)


def contact(wait=None, talk=60, abandoned=False, queued=True, hold=0, acw=0, transferred=False):
    queued_at = T0 if queued else None
    answered_at = T0 + timedelta(seconds=wait) if wait is not None and queued else None
    ended = (answered_at or T0) + timedelta(seconds=talk)
    return m.ContactRecord(queued_at, answered_at, ended, abandoned, hold, acw, transferred)


def test_glossary_definitions_on_a_worked_example():
    contacts = [
        contact(wait=5),
        contact(wait=10, hold=30, acw=20, transferred=True),
        contact(wait=40),
        contact(abandoned=True),
        contact(queued=False),  # contained by the bot: never offered to a queue
    ]
    assert m.offered(contacts) == 4
    assert m.answered(contacts) == 3
    assert m.abandoned(contacts) == 1
    assert m.answer_rate(contacts) == pytest.approx(3 / 4)
    assert m.service_level(contacts, 15) == pytest.approx(2 / 4)  # abandoned counts against it
    assert m.asa(contacts) == pytest.approx((5 + 10 + 40) / 3)
    assert m.aht(contacts) == pytest.approx((60 + 60 + 30 + 20 + 60) / 3)
    assert m.transfer_rate(contacts) == pytest.approx(1 / 3)


def test_empty_periods_give_none_not_zero():
    assert m.answer_rate([]) is None and m.service_level([], 20) is None and m.asa([]) is None
    assert m.csat([]).csat is None


def test_csat_share_and_dimension_means():
    summary = m.csat([m.SurveyAnswer(5, 5, 5), m.SurveyAnswer(4, 4, 3), m.SurveyAnswer(2, 3, 3)])
    assert summary.csat == pytest.approx(1 / 3)  # (4+4+3)/3 = 3.67 is below 4
    assert summary.attitude == pytest.approx(11 / 3) and summary.answers == 3


def test_repeat_complainant_window():
    assert m.is_repeat_complainant([T0, T0 + timedelta(days=29)])
    assert not m.is_repeat_complainant([T0, T0 + timedelta(days=30)])
    assert not m.is_repeat_complainant([T0])


def test_occupancy_retention_and_longest_wait():
    assert m.occupancy(45 * 60, 15 * 60) == pytest.approx(0.75)
    assert m.retention({1, 2, 3, 4}, {2, 4, 9}) == pytest.approx(0.5)
    assert m.longest_wait([T0, T0 + timedelta(seconds=30)], T0 + timedelta(seconds=90)) == 90
    assert m.longest_wait([], T0) == 0


@given(
    st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 600)), st.booleans()), max_size=40),
    st.integers(0, 600),
    st.integers(0, 600),
)
def test_service_level_is_monotone_in_threshold_and_bounded(rows, a, b):
    contacts = [contact(wait=w, abandoned=w is None and ab) for w, ab in rows]
    low, high = sorted((a, b))
    sl_low, sl_high = m.service_level(contacts, low), m.service_level(contacts, high)
    if contacts:
        assert 0 <= sl_low <= sl_high <= m.answer_rate(contacts) <= 1
