from datetime import date, datetime

import pytest

from kefu.core.holidays import (
    CHINA,
    CHINA_CONFIRMED_YEARS,
    CHINA_PROVISIONAL_YEARS,
    NO_HOLIDAYS,
    HolidayCalendar,
    HolidayCalendarError,
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-01-26", True),  # Sunday make-up day before Spring Festival 2025
        ("2025-01-27", True),
        ("2025-01-28", False),  # 除夕, first day of the break
        ("2025-02-04", False),  # last day of the break (a Tuesday)
        ("2025-02-05", True),
        ("2025-02-08", True),  # Saturday make-up day
        ("2025-02-09", False),  # ordinary Sunday
        ("2024-02-09", True),  # 2024: 除夕 was only "encouraged" off
        ("2024-05-11", True),
        ("2025-10-08", False),
        ("2025-10-11", True),
        ("2026-02-14", True),
        ("2026-02-23", False),
        ("2026-02-28", True),
        ("2026-01-05", True),  # ordinary Monday
    ],
)
def test_china_working_days(day, working):
    assert CHINA.is_working_day(date.fromisoformat(day)) is working


def test_holiday_and_makeup_flags():
    assert CHINA.is_holiday(date(2025, 10, 1))
    assert not CHINA.is_holiday(date(2025, 9, 28))
    assert CHINA.is_makeup_workday(date(2025, 9, 28))
    assert not CHINA.is_makeup_workday(date(2025, 9, 27))


def test_provisional_2027_has_statutory_days():
    assert CHINA_CONFIRMED_YEARS == {2024, 2025, 2026} and CHINA_PROVISIONAL_YEARS == {2027}
    assert not CHINA.is_working_day(date(2027, 2, 5))  # 除夕
    assert not CHINA.is_working_day(date(2027, 10, 1))
    assert CHINA.is_working_day(date(2027, 3, 1))


def test_no_holidays_is_plain_weekdays():
    assert NO_HOLIDAYS.is_working_day(date(2025, 10, 1))
    assert not NO_HOLIDAYS.is_working_day(date(2025, 9, 28))


def test_centre_calendar_from_iso_strings_and_changes():
    own = HolidayCalendar.from_dates(["2025-03-03"], ["2025-03-08"], name="shanghai")
    assert not own.is_working_day(date(2025, 3, 3))
    assert own.is_working_day(date(2025, 3, 8))
    changed = CHINA.with_changes(add_holidays=["2025-03-03"], remove=["2025-02-08"])
    assert not changed.is_working_day(date(2025, 3, 3))
    assert not changed.is_working_day(date(2025, 2, 8))  # make-up day removed: plain Saturday again
    assert CHINA.is_working_day(date(2025, 2, 8))  # the original is unchanged


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holidays": ["2025-13-01"]}, "holidays: '2025-13-01' is not an ISO date"),
        ({"holidays": "2025-01-01"}, "holidays: expected a list"),
        ({"makeup_workdays": [datetime(2025, 1, 1)]}, "makeup_workdays: expected a date"),
        ({"holidays": ["2025-01-01"], "makeup_workdays": ["2025-01-01"]}, "also declared as holidays"),
    ],
)
def test_bad_input_names_the_field(kwargs, message):
    with pytest.raises(HolidayCalendarError, match=message):
        HolidayCalendar.from_dates(**kwargs)
