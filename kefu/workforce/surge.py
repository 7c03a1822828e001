"""Real-time planning: surge detection for the next interval and the intraday re-forecast (pure).

Surge (glossary `surge`): the load offered in the next interval exceeds 120 % of the capacity on the
schedule. Both sides are in erlangs so voice and chat compare alike: offered = volume × AHT / interval
length; capacity = agents on the floor × chat concurrency (each seat works one erlang at most).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kefu.workforce.errors import WorkforceInputError

SURGE_THRESHOLD = 1.2


@dataclass(frozen=True)
class SurgeEvidence:
    """What the decision was made from, so a supervisor (and the surge actions) can see why."""

    queue: str
    interval_start: datetime
    expected_volume: float
    aht_seconds: float
    offered_erlangs: float
    scheduled_agents: int
    capacity_erlangs: float
    load_ratio: float  # offered / capacity; inf when load meets an empty floor
    threshold: float


@dataclass(frozen=True)
class SurgeState:
    active: bool
    evidence: SurgeEvidence


def surge_state(
    queue: str,
    interval_start: datetime,
    *,
    expected_volume: float,
    aht_seconds: float,
    interval_seconds: float,
    scheduled_agents: int,
    concurrency: int = 1,
    threshold: float = SURGE_THRESHOLD,
) -> SurgeState:
    """Surge when the next interval's offered load is above `threshold` × scheduled capacity."""
    for field, value in (("expected_volume", expected_volume), ("scheduled_agents", scheduled_agents)):
        if not math.isfinite(value) or value < 0:
            raise WorkforceInputError(field, "must be finite and >= 0")
    for field, value in (
        ("aht_seconds", aht_seconds),
        ("interval_seconds", interval_seconds),
        ("threshold", threshold),
    ):
        if not math.isfinite(value) or value <= 0:
            raise WorkforceInputError(field, "must be finite and > 0")
    if concurrency < 1:
        raise WorkforceInputError("concurrency", "must be at least 1")
    offered = expected_volume * aht_seconds / interval_seconds
    capacity = float(scheduled_agents * concurrency)
    ratio = offered / capacity if capacity > 0 else (math.inf if offered > 0 else 0.0)
    evidence = SurgeEvidence(
        queue,
        interval_start,
        expected_volume,
        aht_seconds,
        offered,
        scheduled_agents,
        capacity,
        ratio,
        threshold,
    )
    return SurgeState(ratio > threshold, evidence)


@dataclass(frozen=True)
class IntradayReforecast:
    factor: float  # applied to the remaining intervals
    volumes: tuple[float, ...]  # actuals for elapsed intervals, re-forecast for the rest


def reforecast_intraday(
    forecast: Sequence[float], actual: Sequence[float], *, prior_volume: float = 50.0
) -> IntradayReforecast:
    """Scale the rest of today's forecast by how the day has run so far.

    The factor is actual / forecast over the elapsed intervals, shrunk towards 1 by `prior_volume`
    contacts of belief in the original forecast: after two quiet intervals one busy burst should not
    double the afternoon, after a whole morning it should. `actual` holds the elapsed intervals only;
    its length is "now", so no clock is read.
    """
    if len(actual) > len(forecast):
        raise WorkforceInputError("actual", "has more intervals than the forecast")
    if prior_volume < 0 or not math.isfinite(prior_volume):
        raise WorkforceInputError("prior_volume", "must be finite and >= 0")
    if any(not math.isfinite(v) or v < 0 for v in [*forecast, *actual]):
        raise WorkforceInputError("forecast", "volumes must be finite and >= 0")
    expected, seen = sum(forecast[: len(actual)]), sum(actual)
    factor = (seen + prior_volume) / (expected + prior_volume) if expected + prior_volume > 0 else 1.0
    rest = [v * factor for v in forecast[len(actual) :]]
    return IntradayReforecast(factor, tuple(float(v) for v in [*actual, *rest]))
