from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.core.holidays import CHINA
from kefu.tickets.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar, CalendarError, from_us, wall_to_us

SHANGHAI = BusinessCalendar.build("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, CHINA)
NEW_YORK = BusinessCalendar.build("America/New_York", {"mon-fri": ["09:00-17:00"]})
HOUR = 3600


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_overnight_continues_next_morning():
    # Tue 2025-03-04 17:00 Shanghai (09:00 UTC): 1 h left today, 1 h more from 09:00 Wednesday
    assert SHANGHAI.add_business_seconds(utc(2025, 3, 4, 9), 2 * HOUR) == utc(2025, 3, 5, 2)


def test_lunch_break_is_skipped():
    # 11:00 Shanghai + 2 h = 12:00, then 13:30–14:30
    assert SHANGHAI.add_business_seconds(utc(2025, 3, 4, 3), 2 * HOUR) == utc(2025, 3, 4, 6, 30)


def test_weekend_is_skipped():
    # Fri 2025-03-07 17:30 Shanghai + 1 h → Mon 09:30
    assert SHANGHAI.add_business_seconds(utc(2025, 3, 7, 9, 30), HOUR) == utc(2025, 3, 10, 1, 30)


def test_spring_festival_and_makeup_saturday():
    # Mon 2025-01-27 17:00 Shanghai, 4 h: 1 h that day, break Jan 28–Feb 4, then 3 h on Wed Feb 5
    assert SHANGHAI.add_business_seconds(utc(2025, 1, 27, 9), 4 * HOUR) == utc(2025, 2, 5, 4)
    # Fri 2025-02-07 17:00 Shanghai + 2 h: Saturday Feb 8 is a make-up day with Monday's hours
    assert SHANGHAI.add_business_seconds(utc(2025, 2, 7, 9), 2 * HOUR) == utc(2025, 2, 8, 2)
    # The Sunday make-up day before the festival is worked too
    assert SHANGHAI.is_open(utc(2025, 1, 26, 2))
    assert not SHANGHAI.is_open(utc(2025, 1, 29, 2))


def test_business_seconds_between_a_working_day_and_a_holiday():
    assert SHANGHAI.business_seconds_between(utc(2025, 3, 3, 0), utc(2025, 3, 4, 0)) == 7.5 * HOUR
    assert SHANGHAI.business_seconds_between(utc(2025, 10, 1, 0), utc(2025, 10, 2, 0)) == 0
    assert SHANGHAI.business_seconds_between(utc(2025, 3, 4, 0), utc(2025, 3, 3, 0)) == -7.5 * HOUR


def test_dst_spring_forward_in_new_york():
    # Fri 2025-03-07 16:00 EST (21:00 UTC) + 2 h → Mon 10:00 EDT, which is 14:00 UTC (not 15:00)
    assert NEW_YORK.add_business_seconds(utc(2025, 3, 7, 21), 2 * HOUR) == utc(2025, 3, 10, 14)
    # and in autumn, Mon 2025-11-03 09:00 EST is 14:00 UTC
    assert NEW_YORK.next_business_instant(utc(2025, 11, 1, 12)) == utc(2025, 11, 3, 14)


def test_london_night_ranges_across_dst():
    # spring 2025-03-30: at 01:00 GMT the clock leaps to 02:00 BST. "00:30-01:15" closes at the leap
    # (30 min) and "01:40-02:30" opens at it, 02:00 BST, until 02:30 BST (30 min)
    spring = LONDON_NIGHTS.business_seconds_between(utc(2025, 3, 30, 0), utc(2025, 3, 30, 12))
    assert spring == 60 * 60
    # autumn 2025-10-26: 01:00–02:00 is lived twice, ambiguous times mean the first time round:
    # 00:30–01:15 BST is 45 min, 01:40 BST → 02:30 GMT is 1 h 50 min
    autumn = LONDON_NIGHTS.business_seconds_between(utc(2025, 10, 25, 23), utc(2025, 10, 26, 12))
    assert autumn == 155 * 60


def test_dst_day_lengths_for_an_all_day_calendar():
    cal = BusinessCalendar.build("America/New_York", {"mon-sun": ["00:00-24:00"]})
    spring = cal.business_seconds_between(utc(2025, 3, 9, 5), utc(2025, 3, 10, 4))
    autumn = cal.business_seconds_between(utc(2025, 11, 2, 4), utc(2025, 11, 3, 5))
    assert (spring, autumn) == (23 * HOUR, 25 * HOUR)


def test_next_business_instant_and_is_open():
    assert SHANGHAI.next_business_instant(utc(2025, 3, 4, 2)) == utc(2025, 3, 4, 2)  # 10:00 open
    assert SHANGHAI.next_business_instant(utc(2025, 3, 4, 4, 15)) == utc(2025, 3, 4, 5, 30)  # lunch
    assert SHANGHAI.next_business_instant(utc(2025, 9, 30, 12)) == utc(2025, 10, 9, 1)  # National Day
    assert not SHANGHAI.is_open(utc(2025, 3, 4, 4, 15))


def test_24x7_is_plain_arithmetic():
    a = utc(2025, 10, 1, 3)
    assert TWENTY_FOUR_SEVEN.add_business_seconds(a, 30) == a + timedelta(seconds=30)
    assert TWENTY_FOUR_SEVEN.business_seconds_between(a, a + timedelta(days=2)) == 2 * 86400
    assert TWENTY_FOUR_SEVEN.is_open(a)


def test_instants_far_apart_widen_the_timeline():
    early, late = utc(2024, 1, 2, 2), utc(2027, 6, 1, 2)
    fresh = BusinessCalendar.build("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, CHINA)
    seconds = fresh.business_seconds_between(late - timedelta(days=1), late)
    assert fresh.business_seconds_between(early, late) == SHANGHAI.business_seconds_between(early, late)
    assert seconds == 7.5 * HOUR
    assert fresh.add_business_seconds(early, 1_000 * 7.5 * HOUR) > utc(2027, 12, 1)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": ["18:00-09:00"]}, r"hours\['mon'\]: '18:00-09:00' ends before it starts"),
        ({"mon": ["9-18"]}, "is not a range"),
        ({"mon": ["09:00-24:30"]}, "is not a time of day"),
        ({"mon": ["09:00-12:00", "11:00-13:00"]}, "ranges overlap"),
        ({"funday": ["09:00-12:00"]}, "'funday' is not a weekday"),
        ({"mon": "09:00-12:00"}, "expected a list of ranges"),
        ({}, "no opening hours"),
    ],
)
def test_bad_hours_are_refused(hours, message):
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.build("Asia/Shanghai", hours)


def test_bad_zone_makeup_and_arguments_are_refused():
    with pytest.raises(CalendarError, match="zone: 'Mars/Base' is not a known"):
        BusinessCalendar.build("Mars/Base", {"mon": ["09:00-12:00"]})
    with pytest.raises(CalendarError, match="makeup_weekday"):
        BusinessCalendar.build("UTC", {"mon": ["09:00-12:00"]}, makeup_weekday="tue")
    with pytest.raises(CalendarError, match="start: naive datetime"):
        SHANGHAI.add_business_seconds(datetime(2025, 1, 1), 10)
    with pytest.raises(CalendarError, match="seconds: must not be negative"):
        SHANGHAI.add_business_seconds(utc(2025, 1, 1), -1)
    with pytest.raises(CalendarError, match="seconds: must be finite"):
        SHANGHAI.add_business_seconds(utc(2025, 1, 1), float("nan"))


def test_a_calendar_closed_forever_is_an_error_not_a_hang():
    closed = BusinessCalendar(weekly=((),) * 7)
    with pytest.raises(CalendarError, match="no opening hours within"):
        closed.add_business_seconds(utc(2025, 1, 1), 1)


instants = st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
amounts = st.integers(min_value=0, max_value=200 * HOUR)
# ranges around London's 01:00 DST changes: a gap in spring, an hour lived twice in autumn
LONDON_NIGHTS = BusinessCalendar.build(
    "Europe/London", {"mon-sun": ["00:30-01:15", "01:40-02:30", "22:00-24:00"], "sat": ["09:00-12:00"]}
)
calendars = st.sampled_from([SHANGHAI, NEW_YORK, TWENTY_FOUR_SEVEN, LONDON_NIGHTS])


@settings(max_examples=300, deadline=None)
@given(calendars, instants, amounts)
def test_between_a_and_add_a_n_is_n(cal, a, n):
    assert cal.business_seconds_between(a, cal.add_business_seconds(a, n)) == n


@settings(max_examples=200, deadline=None)
@given(calendars, instants, amounts, amounts)
def test_add_is_monotonic_in_amount(cal, a, n, m):
    low, high = sorted((n, m))
    assert cal.add_business_seconds(a, low) <= cal.add_business_seconds(a, high)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, st.integers(min_value=1, max_value=50 * HOUR))
def test_add_is_monotonic_in_start_and_between_is_additive(cal, a, b, n):
    a, b = sorted((a, b))
    assert cal.add_business_seconds(a, n) <= cal.add_business_seconds(b, n)
    mid = a + (b - a) / 2
    total = cal.business_seconds_between(a, mid) + cal.business_seconds_between(mid, b)
    assert total == pytest.approx(cal.business_seconds_between(a, b), abs=1e-6)
    assert cal.business_seconds_between(a, b) <= (b - a).total_seconds()


@settings(max_examples=200, deadline=None)
@given(calendars, instants)
def test_next_business_instant_is_open_and_nothing_open_before_it(cal, a):
    nxt = cal.next_business_instant(a)
    assert nxt >= a
    assert cal.is_open(nxt)
    assert cal.business_seconds_between(a, nxt) == 0


def test_wall_times_in_a_dst_gap_mean_the_jump():
    zone = ZoneInfo("America/New_York")
    # 2025-03-09 02:30 never happens in New York: the clock leaps from 02:00 EST (07:00 UTC) to 03:00 EDT
    assert from_us(wall_to_us(zone, datetime(2025, 3, 9, 2, 30))) == utc(2025, 3, 9, 7)
    # 2025-11-02 01:30 happens twice: the first time, in EDT
    assert from_us(wall_to_us(zone, datetime(2025, 11, 2, 1, 30))) == utc(2025, 11, 2, 5, 30)


def test_weekend_hours_holidays_and_the_makeup_weekday():
    hours = {"mon-fri": ["09:00-18:00"], "sat": ["10:00-16:00"]}
    cal = BusinessCalendar.build("Asia/Shanghai", hours, CHINA)
    assert cal.hours_on(datetime(2025, 3, 8).date()) == ((36000, 57600),)  # an ordinary Saturday
    assert cal.hours_on(datetime(2025, 10, 4).date()) == ()  # a Saturday inside National Day
    assert cal.hours_on(datetime(2025, 9, 28).date()) == ((32400, 64800),)  # make-up Sunday: Monday's hours
    saturday_like = BusinessCalendar.build("Asia/Shanghai", hours, CHINA, makeup_weekday="sat")
    assert saturday_like.hours_on(datetime(2025, 9, 28).date()) == ((36000, 57600),)


def test_boundaries():
    noon = utc(2025, 3, 4, 4)  # 12:00 Shanghai, lunch starts
    assert SHANGHAI.add_business_seconds(noon, 0) == noon
    assert SHANGHAI.add_business_seconds(noon, 1) == utc(2025, 3, 4, 5, 30, 1)
    assert SHANGHAI.add_business_seconds(utc(2025, 3, 4, 1), 3 * HOUR) == noon  # ends at the close, not after
    assert SHANGHAI.business_seconds_between(noon, noon) == 0
    assert SHANGHAI.next_business_instant(utc(2025, 3, 4, 10)) == utc(2025, 3, 5, 1)  # 18:00 → 09:00
    assert not SHANGHAI.is_open(utc(2025, 3, 4, 10))
    assert SHANGHAI.is_open(utc(2025, 3, 4, 1))  # 09:00 sharp is open
