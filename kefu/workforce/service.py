"""The centre's plan for the coming week and its live surge check, from kefu's own contact history.

The plan (forecast from the last four weeks, Erlang staffing, a CP-SAT head-count plan) takes seconds,
so it is computed once per centre day and kept in the process; the surge check re-forecasts today from
the volume so far and compares the next interval with what the plan schedules.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.history import contact_history
from kefu.workforce.planning import DEFAULT_TARGETS, WeekPlan, week_plan
from kefu.workforce.surge import SurgeState, reforecast_intraday, surge_state

HISTORY_DAYS = 28
INTERVAL_MINUTES = 30
_plans: dict[date, WeekPlan | None] = {}
_channels: dict[date, dict[str, str]] = {}
_lock = threading.Lock()


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def plan_for(session: Session, today: date, timezone: str) -> WeekPlan | None:
    """The plan from `today` on, from history up to yesterday; None while there is too little history."""
    with _lock:
        if today not in _plans:
            history, channels = contact_history(
                session, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1), timezone
            )
            _plans.clear()
            _channels.clear()
            try:
                _plans[today] = week_plan(history, channels) if history else None
            except WorkforceInputError:
                _plans[today] = None  # too little history for a forecast
            _channels[today] = channels
        return _plans[today]


def planned(today: date) -> WeekPlan | None:
    """The plan already computed for `today`, without computing one (for pages that must stay fast)."""
    with _lock:
        return _plans.get(today)


def warm_plan(sessions: sessionmaker[Session], now: datetime, timezone: str) -> None:
    """Compute today's plan ahead of its first reader (run in a background thread at start-up)."""
    with sessions() as session:
        plan_for(session, local_today(now, timezone), timezone)


def forget_plans() -> None:
    with _lock:
        _plans.clear()
        _channels.clear()


def surge_now(session: Session, now: datetime, timezone: str, *, compute: bool = True) -> list[SurgeState]:
    """Per queue: is the next interval's offered load above 120 % of the scheduled capacity?

    With `compute=False` only an already computed plan is used (nothing is reported until there is one).
    """
    today = local_today(now, timezone)
    plan = plan_for(session, today, timezone) if compute else planned(today)
    if plan is None or not 0 <= (today - plan.first_day).days < plan.days:
        return []
    day = (today - plan.first_day).days
    local = now.astimezone(ZoneInfo(timezone))
    elapsed = (local.hour * 60 + local.minute) // INTERVAL_MINUTES
    periods = 1440 // INTERVAL_MINUTES
    if elapsed + 1 >= periods:
        return []  # the next interval is tomorrow's, planned tomorrow
    actual, _ = contact_history(session, today, today, timezone, INTERVAL_MINUTES)
    states = []
    for queue_forecast in plan.forecasts:
        queue = queue_forecast.queue
        points = queue_forecast.points[day * periods : (day + 1) * periods]
        so_far = [0.0] * elapsed
        for point in actual:
            slot = (point.interval_start.hour * 60 + point.interval_start.minute) // INTERVAL_MINUTES
            if point.queue == queue and slot < elapsed:
                so_far[slot] += point.volume
        expected = reforecast_intraday([p.volume for p in points], so_far).volumes[elapsed + 1]
        target = DEFAULT_TARGETS.get(_channels.get(today, {}).get(queue, ""), DEFAULT_TARGETS["webchat"])
        states.append(surge_state(
            queue, points[elapsed + 1].interval_start, expected_volume=expected,
            aht_seconds=points[elapsed + 1].aht_seconds or 300.0, interval_seconds=INTERVAL_MINUTES * 60,
            scheduled_agents=int(plan.heat_map.scheduled[queue][day][elapsed + 1]),
            concurrency=target.concurrency,
        ))  # fmt: skip
    return states
