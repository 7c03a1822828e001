"""Public holidays and make-up working days (调休上班日), as data (pure: no I/O, no clock).

China moves working days around its public holidays: a holiday break of several days is paid for by
working on a weekend day before or after it. So "is this a working day?" is not "is it Mon–Fri": it is
"weekday and not a holiday, or a declared make-up day". A `HolidayCalendar` is a small immutable value
built from two lists of dates, so a centre's own calendar can later be stored in the database as rows
and rebuilt with `HolidayCalendar.from_dates`.

The China data below follows the State Council General Office's annual notices (国务院办公厅关于
部分节假日安排的通知) for 2024, 2025 and 2026. The 2027 notice was not known when this was written: 2027
is PROVISIONAL (see `_PROVISIONAL_2027`), built only from the statutory festival dates; centres should
override it with the published notice (`HolidayCalendar.with_changes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


class HolidayCalendarError(ValueError):
    """A holiday calendar was built from bad input; the message names the field and the reason."""


def _as_date(value: date | str, field: str) -> date:
    """Accept a `date` or an ISO string ("2025-01-28"), the two forms a configuration row can hold."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise HolidayCalendarError(f"{field}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc
    if type(value) is not date:  # a datetime is a date subclass, but its time part would be silently lost
        raise HolidayCalendarError(f"{field}: expected a date, got {type(value).__name__}")
    return value


def _date_set(values: Iterable[date | str], field: str) -> frozenset[date]:
    if isinstance(values, str | date):
        raise HolidayCalendarError(f"{field}: expected a list of dates, got a single {type(values).__name__}")
    return frozenset(_as_date(v, field) for v in values)


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Which days are off and which weekend days are worked, for one centre.

    `holidays` may include weekend days inside a holiday break (they are off either way); a day cannot
    be both a holiday and a make-up working day.
    """

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    name: str = ""

    def __post_init__(self) -> None:
        clash = self.holidays & self.makeup_workdays
        if clash:
            days = ", ".join(sorted(d.isoformat() for d in clash))
            raise HolidayCalendarError(f"makeup_workdays: {days} also declared as holidays")

    @classmethod
    def from_dates(
        cls,
        holidays: Iterable[date | str] = (),
        makeup_workdays: Iterable[date | str] = (),
        name: str = "",
    ) -> HolidayCalendar:
        """Build a calendar from plain lists (dates or ISO strings), e.g. rows read from the database."""
        return cls(_date_set(holidays, "holidays"), _date_set(makeup_workdays, "makeup_workdays"), name)

    def with_changes(
        self,
        add_holidays: Iterable[date | str] = (),
        add_makeup_workdays: Iterable[date | str] = (),
        remove: Iterable[date | str] = (),
        name: str | None = None,
    ) -> HolidayCalendar:
        """A copy with a centre's own days: `remove` first drops dates from both sets, then the additions
        apply (so a published notice that differs from the provisional data can replace it day by day)."""
        dropped = _date_set(remove, "remove")
        return HolidayCalendar(
            (self.holidays - dropped) | _date_set(add_holidays, "add_holidays"),
            (self.makeup_workdays - dropped) | _date_set(add_makeup_workdays, "add_makeup_workdays"),
            self.name if name is None else name,
        )

    def is_holiday(self, d: date) -> bool:
        return d in self.holidays

    def is_makeup_workday(self, d: date) -> bool:
        return d in self.makeup_workdays

    def is_working_day(self, d: date) -> bool:
        """Mon–Fri and not a holiday, or a declared make-up working day."""
        if d in self.makeup_workdays:
            return True
        return d.weekday() not in WEEKEND and d not in self.holidays


def _span(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# (first day off, last day off) of each break, and the make-up working days, per the annual notices.
_CHINA_BREAKS: dict[int, list[tuple[str, str]]] = {
    2024: [
        ("2024-01-01", "2024-01-01"),  # 元旦
        (
            "2024-02-10",
            "2024-02-17",
        ),  # 春节 (除夕 Feb 9 only "encouraged" off: working here)
        ("2024-04-04", "2024-04-06"),  # 清明节
        ("2024-05-01", "2024-05-05"),  # 劳动节
        ("2024-06-10", "2024-06-10"),  # 端午节
        ("2024-09-15", "2024-09-17"),  # 中秋节
        ("2024-10-01", "2024-10-07"),  # 国庆节
    ],
    2025: [
        ("2025-01-01", "2025-01-01"),
        ("2025-01-28", "2025-02-04"),  # 春节, 除夕 is a statutory day from 2025 on
        ("2025-04-04", "2025-04-06"),
        ("2025-05-01", "2025-05-05"),
        ("2025-05-31", "2025-06-02"),
        ("2025-10-01", "2025-10-08"),  # 国庆节 and 中秋节 together
    ],
    2026: [
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ],
}

_CHINA_MAKEUP: dict[int, list[str]] = {
    2024: [
        *("2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28"),
        *("2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"),
    ],
    2025: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    2026: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
}

# PROVISIONAL: the 2027 notice was not available. These are only the statutory days off of the
# 全国年节及纪念日放假办法 (2025 revision) on their 2027 dates (lunar dates converted: 除夕 Feb 5, 春节
# Feb 6, 端午 Jun 9, 中秋 Sep 15; 清明 Apr 5), plus the rule that a statutory day falling on a weekend is
# given back on the next working day. The real notice will add bridge days and make-up working days.
_PROVISIONAL_2027 = [
    ("2027-01-01", "2027-01-01"),
    ("2027-02-05", "2027-02-10"),  # 除夕–初三 (Feb 5–8), Sat Feb 6 and Sun Feb 7 given back Feb 9–10
    ("2027-04-05", "2027-04-05"),
    ("2027-05-01", "2027-05-04"),  # May 1–2 fall on Sat/Sun, given back May 3–4
    ("2027-06-09", "2027-06-09"),
    ("2027-09-15", "2027-09-15"),
    ("2027-10-01", "2027-10-05"),  # Oct 2–3 fall on Sat/Sun, given back Oct 4–5
]

CHINA_CONFIRMED_YEARS = frozenset(_CHINA_BREAKS)
CHINA_PROVISIONAL_YEARS = frozenset({2027})


def china_calendar() -> HolidayCalendar:
    """The mainland China public-holiday calendar 2024–2027 (2027 provisional, see module docstring)."""
    breaks = [b for year in sorted(_CHINA_BREAKS) for b in _CHINA_BREAKS[year]] + _PROVISIONAL_2027
    return HolidayCalendar.from_dates(
        holidays=[d for first, last in breaks for d in _span(first, last)],
        makeup_workdays=[d for year in sorted(_CHINA_MAKEUP) for d in _CHINA_MAKEUP[year]],
        name="china",
    )


CHINA = china_calendar()
NO_HOLIDAYS = HolidayCalendar(name="none")
