"""Contact-volume and AHT forecasts per queue and interval for the coming days (pure).

15- or 30-minute data has two seasons, daily (48 or 96 intervals) and weekly (336 or 672). Fitting
Holt-Winters with a 672-long season is slow and noisy, so the forecast is split the way planners do
it by hand: a *daily total* carrying the weekly season and trend, times an *intraday profile* (each
interval's share of its day). Methods differ only in the daily total:

- `seasonal_naive`: the last week repeated;
- `seasonal_mean`: the mean of the last four same weekdays;
- `holt_winters`: statsmodels exponential smoothing, damped additive trend, additive weekly season.

Holidays (from a `HolidayCalendar`, by default mainland China's): before fitting, holidays and make-up
working days are replaced in the daily series by the mean of nearby ordinary same weekdays, so one
Golden Week does not teach the model a false season. Forecast holidays get the ordinary forecast times
the holiday factor learned from history (median actual / ordinary estimate) and a holiday intraday
profile; a make-up working day gets the mean ordinary forecast of the working weekdays around it and
the workday profile. The method is chosen by back-test: the last `holdout_days` are forecast from the
days before them, and the lowest interval-level WAPE wins (MAPE is reported alongside).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from kefu.core.holidays import CHINA, HolidayCalendar
from kefu.workforce.errors import WorkforceInputError

WEEK = 7
MIN_HISTORY_DAYS = 14
HOLT_WINTERS_MIN_DAYS = 2 * WEEK


@dataclass(frozen=True)
class HistoryPoint:
    """Observed contacts of one queue in one interval (intervals with no row count as zero volume)."""

    interval_start: datetime
    queue: str
    volume: float
    aht_seconds: float


@dataclass(frozen=True)
class ForecastPoint:
    interval_start: datetime
    queue: str
    volume: float
    aht_seconds: float


@dataclass(frozen=True)
class Accuracy:
    """Back-test errors at interval level: WAPE = Σ|error| / Σactual; MAPE over intervals with actual > 0."""

    method: str
    wape: float
    mape: float


@dataclass(frozen=True)
class QueueForecast:
    queue: str
    method: str
    holiday_factor: float
    accuracy: tuple[Accuracy, ...]
    points: tuple[ForecastPoint, ...]


@dataclass(frozen=True)
class _History:
    """One queue's history as a days × intervals grid."""

    first_day: date
    volume: np.ndarray
    aht: np.ndarray

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.volume.shape[0])]


def forecast(
    history: list[HistoryPoint],
    days: int,
    *,
    interval_minutes: int = 30,
    calendar: HolidayCalendar = CHINA,
    holdout_days: int = WEEK,
    methods: tuple[str, ...] | None = None,
) -> list[QueueForecast]:
    """Forecast every queue in `history` for `days` days starting the day after its last observation."""
    if days < 1:
        raise WorkforceInputError("days", "must be at least 1")
    if interval_minutes <= 0 or 1440 % interval_minutes:
        raise WorkforceInputError("interval_minutes", "must divide a day (e.g. 15 or 30)")
    chosen = tuple(METHODS) if methods is None else methods
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        raise WorkforceInputError("methods", f"choose from {', '.join(METHODS)}; got {unknown or 'none'}")
    queues = sorted({p.queue for p in history})
    if not queues:
        raise WorkforceInputError("history", "is empty")
    return [
        _forecast_queue(q, _grid(history, q, interval_minutes), days, calendar, holdout_days, chosen)
        for q in queues
    ]


def _forecast_queue(
    queue: str, h: _History, days: int, cal: HolidayCalendar, holdout: int, methods: tuple[str, ...]
) -> QueueForecast:
    n_days = h.volume.shape[0]
    if n_days < MIN_HISTORY_DAYS:
        raise WorkforceInputError("history", f"queue {queue!r} has {n_days} days; at least 14 are needed")
    if not 1 <= holdout <= n_days - WEEK:
        raise WorkforceInputError("holdout_days", f"must leave at least a week of {n_days} days to fit on")
    usable = [m for m in methods if m != "holt_winters" or n_days - holdout >= HOLT_WINTERS_MIN_DAYS]
    past = _History(h.first_day, h.volume[:-holdout], h.aht[:-holdout])
    actual = h.volume[-holdout:]
    accuracy = tuple(
        _accuracy(m, _volume_forecast(past, holdout, cal, METHODS[m])[0], actual) for m in usable
    )
    best = min(accuracy, key=lambda a: (a.wape, a.method)).method
    volume, factor = _volume_forecast(h, days, cal, METHODS[best])
    aht = _aht_forecast(h, days, cal)
    start = datetime.combine(h.first_day + timedelta(days=n_days), time())
    slot = timedelta(minutes=1440 // h.volume.shape[1])
    points = tuple(
        ForecastPoint(start + i * slot, queue, float(v), float(a))
        for i, (v, a) in enumerate(zip(volume.reshape(-1), aht.reshape(-1), strict=True))
    )
    return QueueForecast(queue, best, factor, accuracy, points)


def _grid(history: list[HistoryPoint], queue: str, interval_minutes: int) -> _History:
    rows = [p for p in history if p.queue == queue]
    for p in rows:
        if not (math.isfinite(p.volume) and p.volume >= 0):
            raise WorkforceInputError("volume", f"{p.volume!r} at {p.interval_start} in queue {queue!r}")
        if not (math.isfinite(p.aht_seconds) and p.aht_seconds >= 0):
            raise WorkforceInputError("aht_seconds", f"{p.aht_seconds!r} at {p.interval_start}")
        minute = p.interval_start.hour * 60 + p.interval_start.minute
        if minute % interval_minutes or p.interval_start.second or p.interval_start.microsecond:
            raise WorkforceInputError(
                "interval_start", f"{p.interval_start} is not on a {interval_minutes}-minute boundary"
            )
    first = min(p.interval_start.date() for p in rows)
    last = max(p.interval_start.date() for p in rows)
    shape = ((last - first).days + 1, 1440 // interval_minutes)
    volume, handled = np.zeros(shape), np.zeros(shape)
    for p in rows:
        day = (p.interval_start.date() - first).days
        slot = (p.interval_start.hour * 60 + p.interval_start.minute) // interval_minutes
        volume[day, slot] += p.volume
        handled[day, slot] += p.volume * p.aht_seconds
    aht = np.divide(handled, volume, out=np.full(shape, np.nan), where=volume > 0)
    return _History(first, volume, aht)


def _day_kind(d: date, cal: HolidayCalendar) -> str:
    if cal.is_holiday(d):
        return "holiday"
    if cal.is_makeup_workday(d):
        return "makeup"
    return "ordinary"


def _ordinary_daily(totals: np.ndarray, days: list[date], cal: HolidayCalendar) -> np.ndarray:
    """Daily totals with holidays and make-up days replaced by nearby ordinary same weekdays."""
    kinds = [_day_kind(d, cal) for d in days]
    ordinary = np.array([k == "ordinary" for k in kinds])
    out = totals.astype(float).copy()
    for i, kind in enumerate(kinds):
        if kind == "ordinary":
            continue
        same = [j for j in range(i % WEEK, len(days), WEEK) if ordinary[j]]
        near = sorted(same, key=lambda j: abs(j - i))[:4]
        out[i] = (
            float(np.mean(totals[near]))
            if near
            else float(np.mean(totals[ordinary] if ordinary.any() else totals))
        )
    return out


def _volume_forecast(
    h: _History, days: int, cal: HolidayCalendar, method: Callable[[np.ndarray, int], np.ndarray]
) -> tuple[np.ndarray, float]:
    """Interval volumes for the next `days` days, and the holiday factor used."""
    past_days = h.days()
    totals = h.volume.sum(axis=1)
    ordinary = _ordinary_daily(totals, past_days, cal)
    holiday_days = [i for i, d in enumerate(past_days) if cal.is_holiday(d)]
    ratios = [totals[i] / ordinary[i] for i in holiday_days if ordinary[i] > 0]
    factor = float(np.median(ratios)) if ratios else 1.0
    future = [h.first_day + timedelta(days=len(past_days) + i) for i in range(days)]
    daily = np.maximum(method(ordinary, days), 0.0)
    adjusted = daily.copy()
    for i, d in enumerate(future):
        if cal.is_holiday(d):
            adjusted[i] = daily[i] * factor
        elif cal.is_makeup_workday(d):
            window = [j for j in range(max(0, i - 3), min(days, i + 4)) if future[j].weekday() < 5]
            window = [j for j in window if _day_kind(future[j], cal) == "ordinary"]
            adjusted[i] = float(np.mean(daily[window])) if window else daily[i]
    profiles = _profiles(h, cal)
    return np.vstack([adjusted[i] * profiles[_profile_key(d, cal)] for i, d in enumerate(future)]), factor


def _profile_key(d: date, cal: HolidayCalendar) -> str:
    kind = _day_kind(d, cal)
    return {"holiday": "holiday", "makeup": "workday"}.get(kind, f"weekday{d.weekday()}")


def _profiles(h: _History, cal: HolidayCalendar) -> dict[str, np.ndarray]:
    """Each day kind's intraday shape: the interval shares of the summed volume of its days.

    Summing before dividing weights busy days more and survives days with no contacts at all; a kind
    never seen falls back to the workday shape (make-up days) or the Sunday shape (holidays).
    """
    slots = h.volume.shape[1]
    sums: dict[str, np.ndarray] = {}
    for i, d in enumerate(h.days()):
        key = _profile_key(d, cal)
        sums[key] = sums.get(key, np.zeros(slots)) + h.volume[i]
    flat = np.full(slots, 1.0 / slots)
    shares = {k: v / v.sum() if v.sum() > 0 else flat for k, v in sums.items()}
    weekdays = [shares[f"weekday{w}"] for w in range(5) if f"weekday{w}" in shares]
    shares.setdefault("workday", np.mean(weekdays, axis=0) if weekdays else flat)
    for w in range(WEEK):
        shares.setdefault(f"weekday{w}", shares["workday"])
    shares.setdefault("holiday", shares["weekday6"])
    return shares


def _aht_forecast(h: _History, days: int, cal: HolidayCalendar) -> np.ndarray:
    """Per profile key and interval, the volume-weighted mean AHT of the last four weeks of history.

    AHT moves slowly and mostly by time of day, so a recent weighted mean beats a fitted model;
    intervals never seen take the queue's overall mean.
    """
    recent = slice(max(0, h.volume.shape[0] - 4 * WEEK), None)
    vol, aht = h.volume[recent], np.nan_to_num(h.aht[recent])
    keys = [_profile_key(d, cal) for d in h.days()[recent]]
    overall = float((vol * aht).sum() / vol.sum()) if vol.sum() > 0 else 0.0
    by_key: dict[str, np.ndarray] = {}
    for key in set(keys):
        rows = [i for i, k in enumerate(keys) if k == key]
        v = vol[rows].sum(axis=0)
        by_key[key] = np.where(v > 0, (vol[rows] * aht[rows]).sum(axis=0) / np.maximum(v, 1e-12), overall)
    start = h.first_day + timedelta(days=h.volume.shape[0])
    fallback = np.full(h.volume.shape[1], overall)
    return np.vstack(
        [by_key.get(_profile_key(start + timedelta(days=i), cal), fallback) for i in range(days)]
    )


def _accuracy(method: str, predicted: np.ndarray, actual: np.ndarray) -> Accuracy:
    error = np.abs(predicted - actual)
    total = actual.sum()
    wape = float(error.sum() / total) if total > 0 else math.inf
    seen = actual > 0
    mape = float(np.mean(error[seen] / actual[seen])) if seen.any() else math.inf
    return Accuracy(method, wape, mape)


def _seasonal_naive(daily: np.ndarray, days: int) -> np.ndarray:
    last_week = daily[-WEEK:]
    return np.array([last_week[i % WEEK] for i in range(days)])


def _seasonal_mean(daily: np.ndarray, days: int) -> np.ndarray:
    """Mean of the four most recent past days on the same weekday as each forecast day."""
    n = len(daily)
    latest = [n - WEEK + i % WEEK for i in range(days)]
    return np.array([daily[[p - WEEK * k for k in range(4) if p - WEEK * k >= 0]].mean() for p in latest])


def _holt_winters(daily: np.ndarray, days: int) -> np.ndarray:
    model = ExponentialSmoothing(
        daily,
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=WEEK,
        initialization_method="estimated",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short, flat series; the back-test judges
        return np.asarray(model.fit().forecast(days))


METHODS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "seasonal_naive": _seasonal_naive,
    "seasonal_mean": _seasonal_mean,
    "holt_winters": _holt_winters,
}
