"""The week plan the console shows: forecast → staffing → head-count plan → required vs scheduled (pure).

Coverage approximation: a shift template covers the periods from its start for its length, wrapping
past midnight into the same day's early periods (a weekly pattern: last night's shift covers this
morning). Breaks are ignored at this level; the named roster (kefu.workforce.scheduling) places them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from kefu.workforce.forecast import ForecastPoint, HistoryPoint, QueueForecast, forecast
from kefu.workforce.headcount import plan_headcount
from kefu.workforce.roster_export import HeatMap, heat_map
from kefu.workforce.shifts import ShiftTemplate, default_templates
from kefu.workforce.staffing import StaffingRequest, staff

FALLBACK_AHT_SECONDS = 300.0


@dataclass(frozen=True)
class ServiceTarget:
    """X % answered within T seconds; chat agents take `concurrency` contacts at once."""

    service_level: float
    seconds: float
    concurrency: int = 1


# The glossary's examples: 15-second answer rate of at least 85 % on the phone, chat within 30 s.
DEFAULT_TARGETS: Mapping[str, ServiceTarget] = {
    "voice": ServiceTarget(0.85, 15),
    "webchat": ServiceTarget(0.80, 30, concurrency=3),
    "app": ServiceTarget(0.80, 30, concurrency=3),
    "social": ServiceTarget(0.80, 60, concurrency=3),
    "email": ServiceTarget(0.80, 3600, concurrency=5),
}


@dataclass(frozen=True)
class WeekPlan:
    first_day: date
    days: int
    heat_map: HeatMap
    forecasts: tuple[QueueForecast, ...]
    under: dict[str, int] = field(default_factory=dict)  # agent-intervals short, per queue
    over: dict[str, int] = field(default_factory=dict)


def coverage_rows(templates: Sequence[ShiftTemplate], interval_minutes: int) -> dict[str, list[int]]:
    periods = 1440 // interval_minutes
    rows = {}
    for template in templates:
        first = template.start_minute // interval_minutes
        covered = {(first + k) % periods for k in range(template.length // interval_minutes)}
        rows[template.name] = [int(p in covered) for p in range(periods)]
    return rows


def week_plan(
    history: list[HistoryPoint],
    queue_channels: Mapping[str, str],
    *,
    days: int = 7,
    interval_minutes: int = 30,
    shrinkage: float = 0.3,
    targets: Mapping[str, ServiceTarget] = DEFAULT_TARGETS,
    templates: Sequence[ShiftTemplate] | None = None,
    time_limit_seconds: float = 10.0,
) -> WeekPlan:
    forecasts = forecast(history, days, interval_minutes=interval_minutes)
    periods = 1440 // interval_minutes
    required: dict[str, np.ndarray] = {}
    for queue_forecast in forecasts:
        target = targets.get(queue_channels.get(queue_forecast.queue, ""), DEFAULT_TARGETS["webchat"])
        results = staff([_request(p, target, interval_minutes, shrinkage) for p in queue_forecast.points])
        heads = np.array([r.scheduled_heads if r.request.volume > 0 else 0 for r in results], dtype=np.int64)
        required[queue_forecast.queue] = heads.reshape(days, periods)
    cover = coverage_rows(templates or default_templates(), interval_minutes)
    scheduled, under, over = {}, {}, {}
    for queue, need in required.items():
        plan = plan_headcount(
            need, cover, max_per_shift=int(need.max(initial=0)) + 1, time_limit_seconds=time_limit_seconds
        )
        scheduled[queue], under[queue], over[queue] = plan.coverage, plan.under, plan.over
    first_day = forecasts[0].points[0].interval_start.date()
    return WeekPlan(
        first_day, days, heat_map(required, scheduled, interval_minutes), tuple(forecasts), under, over
    )


def _request(
    point: ForecastPoint, target: ServiceTarget, interval_minutes: int, shrinkage: float
) -> StaffingRequest:
    aht = point.aht_seconds if point.aht_seconds and point.aht_seconds > 0 else FALLBACK_AHT_SECONDS
    return StaffingRequest(
        interval_start=point.interval_start,
        queue=point.queue,
        interval_seconds=interval_minutes * 60,
        volume=max(point.volume, 0.0),
        aht_seconds=aht,
        target_sl=target.service_level,
        target_seconds=target.seconds,
        shrinkage=shrinkage,
        concurrency=target.concurrency,
    )
