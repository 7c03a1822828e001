"""Forecasts: methods, back-test choice, holidays and make-up working days, AHT, bad input."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from kefu.core.holidays import NO_HOLIDAYS, HolidayCalendar
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.forecast import HistoryPoint, forecast

WEEKDAY_LEVEL = [100, 110, 105, 100, 120, 60, 40]  # Mon..Sun daily totals
SHAPE = np.array([0.0] * 16 + [1, 2, 4, 6, 8, 8, 7, 6, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2] + [1] * 10 + [0.0] * 4)
SHAPE = SHAPE / SHAPE.sum()  # 48 half hours


def history(first: date, days: int, level=lambda d, i: WEEKDAY_LEVEL[d.weekday()], queue="voice", aht=240.0):
    points = []
    for i in range(days):
        d = first + timedelta(days=i)
        total = level(d, i)
        for slot, share in enumerate(SHAPE):
            start = datetime.combine(d, datetime.min.time()) + timedelta(minutes=30 * slot)
            points.append(HistoryPoint(start, queue, total * share, aht + slot))
    return points


def daily_totals(result):
    by_day: dict[date, float] = {}
    for p in result.points:
        by_day[p.interval_start.date()] = by_day.get(p.interval_start.date(), 0.0) + p.volume
    return by_day


def test_repeating_week_is_forecast_exactly():
    (result,) = forecast(history(date(2025, 3, 3), 28), 7, calendar=NO_HOLIDAYS)
    assert {a.method for a in result.accuracy} == {"seasonal_naive", "seasonal_mean", "holt_winters"}
    best = min(result.accuracy, key=lambda a: a.wape)
    assert best.wape == pytest.approx(0, abs=1e-6)
    totals = daily_totals(result)
    assert list(totals)[0] == date(2025, 3, 31)
    assert [round(totals[d]) for d in sorted(totals)] == WEEKDAY_LEVEL
    first_day = [p for p in result.points if p.interval_start.date() == date(2025, 3, 31)]
    assert len(first_day) == 48
    assert [p.volume for p in first_day] == pytest.approx(list(100 * SHAPE))
    assert first_day[20].aht_seconds == pytest.approx(260.0)


def test_trend_is_caught_by_holt_winters():
    grow = lambda d, i: WEEKDAY_LEVEL[d.weekday()] + 3.0 * i  # noqa: E731
    (result,) = forecast(history(date(2025, 3, 3), 42), 7, calendar=NO_HOLIDAYS)
    (trended,) = forecast(history(date(2025, 3, 3), 42, grow), 7, calendar=NO_HOLIDAYS)
    assert trended.method == "holt_winters"
    errors = {a.method: a for a in trended.accuracy}
    assert errors["holt_winters"].wape < errors["seasonal_naive"].wape
    assert errors["seasonal_naive"].mape > 0
    assert result.method in {"seasonal_naive", "seasonal_mean", "holt_winters"}


def test_holidays_learned_and_make_up_days_worked():
    # Invented calendar: two past holidays at half volume; a future holiday and a future make-up Sunday.
    cal = HolidayCalendar.from_dates(
        holidays=["2025-03-12", "2025-03-20", "2025-04-02"], makeup_workdays=["2025-04-06"]
    )
    half = lambda d, i: WEEKDAY_LEVEL[d.weekday()] * (0.5 if cal.is_holiday(d) else 1.0)  # noqa: E731
    (result,) = forecast(history(date(2025, 3, 3), 28, half), 7, calendar=cal)
    assert result.holiday_factor == pytest.approx(0.5)
    totals = daily_totals(result)
    assert totals[date(2025, 4, 2)] == pytest.approx(0.5 * WEEKDAY_LEVEL[2], rel=1e-6)  # a Wednesday holiday
    # The make-up Sunday gets the working weekdays' level (Thu, Fri; Wed is a holiday), not Sunday's 40.
    assert totals[date(2025, 4, 6)] == pytest.approx((100 + 120) / 2, rel=1e-6)


def test_default_calendar_is_china_golden_week():
    # 2025: Oct 1–8 off; Sep 28 (Sun) and Oct 11 (Sat) are make-up working days.
    (result,) = forecast(history(date(2025, 8, 25), 35), 21)
    totals = daily_totals(result)
    # The make-up Saturday Oct 11 takes the level of the ordinary weekdays around it (Thu, Fri, Mon, Tue).
    assert totals[date(2025, 10, 11)] == pytest.approx((100 + 120 + 100 + 110) / 4, rel=1e-6)
    assert totals[date(2025, 10, 12)] == pytest.approx(WEEKDAY_LEVEL[6], rel=1e-6)


def test_several_queues_and_missing_intervals():
    points = history(date(2025, 3, 3), 21) + history(date(2025, 3, 3), 21, queue="chat")
    sparse = [p for p in points if not (p.queue == "chat" and p.interval_start.hour == 12)]
    chat, voice = forecast(sparse, 2, calendar=NO_HOLIDAYS)
    assert (chat.queue, voice.queue) == ("chat", "voice")
    assert all(p.volume == 0 for p in chat.points if p.interval_start.hour == 12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 7, "interval_minutes": 7}, "interval_minutes"),
        ({"days": 7, "methods": ("arima",)}, "methods"),
        ({"days": 7, "holdout_days": 0}, "holdout_days"),
        ({"days": 7, "holdout_days": 8}, "holdout_days"),
    ],
)
def test_bad_arguments(kwargs, field):
    with pytest.raises(WorkforceInputError) as err:
        forecast(history(date(2025, 3, 3), 14), **kwargs)
    assert err.value.field == field


def test_bad_history():
    with pytest.raises(WorkforceInputError, match="history"):
        forecast(history(date(2025, 3, 3), 10), 7)
    with pytest.raises(WorkforceInputError, match="history"):
        forecast([], 7)
    bad = history(date(2025, 3, 3), 14)
    bad[5] = HistoryPoint(bad[5].interval_start, "voice", -1.0, 200.0)
    with pytest.raises(WorkforceInputError, match="volume"):
        forecast(bad, 7)
    off_grid = history(date(2025, 3, 3), 14)
    off_grid[5] = HistoryPoint(off_grid[5].interval_start + timedelta(minutes=10), "voice", 1.0, 200.0)
    with pytest.raises(WorkforceInputError, match="interval_start"):
        forecast(off_grid, 7)


def test_quarter_hour_data_keeps_its_grid():
    points = []
    for p in history(date(2025, 3, 3), 14):
        for k in (0, 15):  # split each half hour into two quarter hours
            points.append(
                HistoryPoint(p.interval_start + timedelta(minutes=k), p.queue, p.volume / 2, p.aht_seconds)
            )
    (result,) = forecast(points, 1, interval_minutes=15, calendar=NO_HOLIDAYS, methods=("seasonal_naive",))
    assert len(result.points) == 96
    assert result.points[1].interval_start == datetime(2025, 3, 17, 0, 15)
    assert sum(p.volume for p in result.points) == pytest.approx(WEEKDAY_LEVEL[0])
    assert [a.method for a in result.accuracy] == ["seasonal_naive"]
