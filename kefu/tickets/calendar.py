"""Business-hours calendars: how much *working* time lies between two instants (pure).

Instants go in and come out as timezone-aware datetimes in UTC; opening hours are wall-clock times in
the centre's own zone, so a DST change moves the opening instants, not the opening hours.

Speed matters: the SLA sweeper asks these questions for 100,000 tickets per pass. So a calendar turns
its rules into a *timeline* once — sorted UTC opening intervals in integer microseconds with the
cumulative open time before each — and every question becomes a binary search plus arithmetic, whatever
the distance (a 9-day Spring Festival costs the same as a lunch break). The timeline covers a window of
whole years and is rebuilt wider when an instant outside it is asked about.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.core.holidays import NO_HOLIDAYS, HolidayCalendar

DAY_SECONDS = 86_400
US = 1_000_000  # microseconds per second: the timeline is in integer microseconds so sums are exact
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SEARCH_YEARS = 20  # a calendar with no opening in 20 years is misconfigured, not slow

DayHours = tuple[tuple[int, int], ...]  # (start, end) seconds after local midnight, sorted, disjoint

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


class CalendarError(ValueError):
    """Bad calendar configuration or argument; the message names the field and the reason."""


def to_us(instant: datetime, field_name: str = "instant") -> int:
    """Microseconds since the epoch of an aware datetime (naive ones are ambiguous: refused)."""
    if instant.__class__ is datetime and instant.tzinfo is UTC:  # the common case, checked cheaply
        return (instant - EPOCH) // ONE_US
    if not isinstance(instant, datetime):
        raise CalendarError(f"{field_name}: expected a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(f"{field_name}: naive datetime, give a timezone-aware one (UTC)")
    return (instant - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _parse_range(text: str, where: str) -> tuple[int, int]:
    """'09:00-12:00' → (32400, 43200); '24:00' is allowed as an end, meaning midnight after."""
    m = _RANGE.match(text) if isinstance(text, str) else None
    if m is None:
        raise CalendarError(f"{where}: {text!r} is not a range like '09:00-18:00'")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if m1 > 59 or m2 > 59 or start >= DAY_SECONDS or end > DAY_SECONDS:
        raise CalendarError(f"{where}: {text!r} is not a time of day")
    if end <= start:
        raise CalendarError(f"{where}: {text!r} ends before it starts (split a range that crosses midnight)")
    return start, end


def _weekday_keys(key: str | int) -> list[int]:
    """'mon', 'mon-fri', 0..6 → weekday indexes (0 = Monday)."""
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return [key]
    if isinstance(key, str):
        parts = key.lower().split("-")
        if all(p in WEEKDAYS for p in parts) and len(parts) in (1, 2):
            first, last = WEEKDAYS.index(parts[0]), WEEKDAYS.index(parts[-1])
            if first <= last:
                return list(range(first, last + 1))
    raise CalendarError(f"hours: {key!r} is not a weekday ('mon'…'sun', 'mon-fri' or 0–6)")


def parse_weekly_hours(hours: Mapping[str | int, Iterable[str]]) -> tuple[DayHours, ...]:
    """{'mon-fri': ['09:00-12:00', '13:30-18:00'], 'sat': ['10:00-16:00']} → seven sorted day tuples."""
    if not isinstance(hours, Mapping):
        raise CalendarError("hours: expected a mapping of weekday → list of 'HH:MM-HH:MM' ranges")
    days: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for key, ranges in hours.items():
        if isinstance(ranges, str):
            raise CalendarError(f"hours[{key!r}]: expected a list of ranges, got a single string")
        for day in _weekday_keys(key):
            days[day].extend(_parse_range(r, f"hours[{key!r}]") for r in ranges)
    for day, ranges in enumerate(days):
        ranges.sort()
        for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
            if start < end:
                raise CalendarError(f"hours[{WEEKDAYS[day]!r}]: ranges overlap")
    if not any(days):
        raise CalendarError("hours: no opening hours on any weekday")
    return tuple(tuple(r) for r in days)


@dataclass(slots=True)
class _Timeline:
    """Opening intervals [starts[i], ends[i]) in UTC µs for local dates first..last, with cumulative open
    time: before[i] = open µs in the window before starts[i]; through[i] = before[i] + interval length."""

    first: date
    last: date
    lo: int
    hi: int
    starts: list[int]
    ends: list[int]
    before: list[int]
    through: list[int]


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """Weekly opening hours in a zone, with holidays (closed all day) and make-up working days (open
    with the hours of `makeup_weekday`, Monday unless configured). `always_open` is the 24×7 calendar."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    weekly: tuple[DayHours, ...] = ((),) * 7
    holidays: HolidayCalendar = NO_HOLIDAYS
    makeup_weekday: int = 0
    always_open: bool = False
    _cache: list[_Timeline] = field(default_factory=list, init=False, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        zone: str,
        hours: Mapping[str | int, Iterable[str]],
        holidays: HolidayCalendar = NO_HOLIDAYS,
        makeup_weekday: str | int = "mon",
    ) -> BusinessCalendar:
        """A calendar from configuration values (zone name, weekday → 'HH:MM-HH:MM' ranges)."""
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise CalendarError(f"zone: {zone!r} is not a known IANA time zone") from exc
        if not isinstance(holidays, HolidayCalendar):
            raise CalendarError("holidays: expected a HolidayCalendar")
        makeup = _weekday_keys(makeup_weekday)
        weekly = parse_weekly_hours(hours)
        if len(makeup) != 1 or not weekly[makeup[0]]:
            raise CalendarError(f"makeup_weekday: {makeup_weekday!r} must be one weekday that has hours")
        return cls(tz, weekly, holidays, makeup[0])

    @classmethod
    def twenty_four_seven(cls) -> BusinessCalendar:
        return cls(always_open=True)

    def hours_on(self, day: date) -> DayHours:
        """Local opening ranges of one date: none on a holiday, the make-up weekday's on a make-up day."""
        if self.holidays.is_holiday(day):
            return ()
        if self.holidays.is_makeup_workday(day):
            return self.weekly[self.makeup_weekday]
        return self.weekly[day.weekday()]

    # --- public questions, UTC datetimes in and out -------------------------------------------------

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant by which `seconds` of opening time have elapsed after `start`."""
        return from_us(self.add_us(to_us(start, "start"), _seconds_to_us(seconds)))

    def business_seconds_between(self, a: datetime, b: datetime) -> float:
        """Opening time between two instants, in seconds (negative when b is before a)."""
        return self.between_us(to_us(a, "a"), to_us(b, "b")) / US

    def next_business_instant(self, instant: datetime) -> datetime:
        """`instant` itself if open then, else the next opening."""
        return from_us(self.next_open_us(to_us(instant)))

    def is_open(self, instant: datetime) -> bool:
        t = to_us(instant)
        return self.next_open_us(t) == t

    # --- the same in integer microseconds, for callers that loop over many tickets -------------------

    def add_us(self, t: int, n: int) -> int:
        if n < 0:
            raise CalendarError(f"seconds: must not be negative, got {n / US}")
        if self.always_open or n == 0:
            return t + n
        tl = self._timeline(t)
        target = _open_before(tl, t) + n
        j = bisect_left(tl.through, target)
        while j == len(tl.through):  # past the window: widen it forward and ask again
            tl = self._timeline(tl.hi + 366 * DAY_SECONDS * US, check_limit=t)
            target = _open_before(tl, t) + n
            j = bisect_left(tl.through, target)
        return tl.starts[j] + (target - tl.before[j])

    def add_many_us(self, t: int, needs: Sequence[int]) -> list[int]:
        """`[add_us(t, n) for n in needs]` with one timeline lookup for the start: a ticket's deadlines and
        warnings mostly start from one instant (its creation), and the sweep asks for all of them."""
        if self.always_open:
            return [t + n if n >= 0 else self.add_us(t, n) for n in needs]
        tl = self._timeline(t)
        base = _open_before(tl, t)
        through, starts, before, last = tl.through, tl.starts, tl.before, len(tl.through)
        out = []
        for n in needs:
            target = base + n
            j = bisect_left(through, target)
            # nothing to add (the instant itself, even when closed) or past the window: the long way
            out.append(starts[j] + target - before[j] if n > 0 and j != last else self.add_us(t, n))
        return out

    def between_us(self, a: int, b: int) -> int:
        if self.always_open:
            return b - a
        self._timeline(a)
        tl = self._timeline(b)
        return _open_before(tl, b) - _open_before(tl, a)

    def next_open_us(self, t: int) -> int:
        if self.always_open:
            return t
        tl = self._timeline(t)
        i = bisect_right(tl.starts, t) - 1
        if i >= 0 and t < tl.ends[i]:
            return t
        while i + 1 == len(tl.starts):
            tl = self._timeline(tl.hi + 366 * DAY_SECONDS * US, check_limit=t)
            i = bisect_right(tl.starts, t) - 1
        return tl.starts[i + 1]

    # --- timeline building --------------------------------------------------------------------------

    def _timeline(self, t: int, check_limit: int | None = None) -> _Timeline:
        """The cached timeline, widened (by whole years, with a year of margin) to contain `t`."""
        tl = self._cache[0] if self._cache else None
        if tl is not None and tl.lo <= t < tl.hi:
            return tl
        if check_limit is not None and t - check_limit > MAX_SEARCH_YEARS * 366 * DAY_SECONDS * US:
            raise CalendarError(f"calendar: no opening hours within {MAX_SEARCH_YEARS} years")
        year = from_us(t).year
        first = date(year - 1, 1, 1) if tl is None else min(tl.first, date(year - 1, 1, 1))
        last = date(year + 1, 12, 31) if tl is None else max(tl.last, date(year + 1, 12, 31))
        tl = self._build(first, last)
        self._cache[:] = [tl]
        return tl

    def _local_us(self, day: date, second: int) -> int:
        """UTC µs of a wall-clock time on a local date (second may be 86400: the next midnight)."""
        return wall_to_us(self.zone, datetime.combine(day, time()) + timedelta(seconds=second))

    def _build(self, first: date, last: date) -> _Timeline:
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day <= last:
            for start, end in self.hours_on(day):
                s, e = self._local_us(day, start), self._local_us(day, end)
                if starts and s <= ends[-1]:  # touching ranges (e.g. 24-hour days) merge into one
                    ends[-1] = max(ends[-1], e)
                elif s < e:  # a range inside a DST gap can vanish
                    starts.append(s)
                    ends.append(e)
            day += timedelta(days=1)
        before, through, total = [], [], 0
        for s, e in zip(starts, ends, strict=True):
            before.append(total)
            total += e - s
            through.append(total)
        lo, hi = self._local_us(first, 0), self._local_us(last, DAY_SECONDS)
        return _Timeline(first, last, lo, hi, starts, ends, before, through)


def wall_to_us(zone: ZoneInfo, wall: datetime) -> int:
    """UTC µs of a naive wall-clock time in `zone`. A time lived twice (autumn) means its first
    occurrence; a time that never happens (skipped by a spring jump) means the instant of the jump, so
    "open until 02:30" on a night the clock leaps from 02:00 to 03:00 closes at the leap."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return to_us(instant)
    # in a gap: fold=1 gives an instant before the jump, fold=0 one after; bisect whole seconds
    lo, hi = to_us(wall.replace(tzinfo=zone, fold=1)) // US, to_us(first) // US
    offset_before = from_us(lo * US).astimezone(zone).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if from_us(mid * US).astimezone(zone).utcoffset() == offset_before:
            lo = mid
        else:
            hi = mid
    return hi * US


def _open_before(tl: _Timeline, t: int) -> int:
    """Open µs in the timeline's window before instant t (t inside the window)."""
    i = bisect_right(tl.starts, t) - 1
    if i < 0:
        return 0
    return tl.before[i] + min(t, tl.ends[i]) - tl.starts[i]


def _seconds_to_us(seconds: float) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise CalendarError(f"seconds: expected a number, got {type(seconds).__name__}")
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise CalendarError(f"seconds: must be finite, got {seconds}")
    return round(seconds * US)


TWENTY_FOUR_SEVEN = BusinessCalendar.twenty_four_seven()
