"""The sweep's fast paths answer exactly as the plain ones: a ticket's deadlines and warnings from one
calendar lookup, and the cheap check of UTC instants."""

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kefu.core.holidays import CHINA
from kefu.tickets.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar, CalendarError, to_us

HOUR_US = 3600 * 10**6


@pytest.mark.parametrize(
    "cal",
    [
        BusinessCalendar.build("Asia/Shanghai", {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, CHINA),
        BusinessCalendar.build("Asia/Shanghai", {"mon-sun": ["00:00-24:00"]}, CHINA),
        TWENTY_FOUR_SEVEN,
    ],
)
def test_add_many_us_equals_one_add_us_each(cal):
    rng = random.Random(7)
    start = datetime(2024, 12, 20, tzinfo=UTC)  # across New Year, Spring Festival and its make-up days
    for _ in range(3000):
        t = to_us(start + timedelta(seconds=rng.uniform(0, 90 * 86400)))
        n = rng.choice([0, 30 * 10**6, 4 * HOUR_US, 40 * HOUR_US, 72 * HOUR_US, 900 * HOUR_US])
        m = rng.choice([0, n // 2, max(n - HOUR_US, 0)])
        assert cal.add_many_us(t, (n, m, 1)) == [cal.add_us(t, n), cal.add_us(t, m), cal.add_us(t, 1)]


def test_to_us_takes_any_aware_instant_and_refuses_naive_ones():
    utc = datetime(2025, 3, 4, 1, 2, 3, 456789, tzinfo=UTC)
    shanghai = utc.astimezone(timezone(timedelta(hours=8)))
    assert to_us(utc) == to_us(shanghai) == 1741050123456789
    with pytest.raises(CalendarError, match="naive"):
        to_us(datetime(2025, 3, 4))
    with pytest.raises(CalendarError, match="expected a datetime"):
        to_us(utc.date())
