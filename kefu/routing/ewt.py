"""Estimated wait time (EWT) for a contact at a given position in a queue.

Estimator. A queue draws on `slots` concurrent places (each serving agent's channel capacity, shared
equally among the queues that agent serves on that channel), `busy` of which are in use. The first
`slots − busy` contacts in line are answered at once. Everyone else waits for places to free up: each
busy place frees on average once per AHT, so places free at a rate of busy / AHT and the contact at
position p needs (p − free) of them:

    EWT(p) = 0                              if p ≤ free
           = (p − free) · AHT / busy        otherwise  (busy replaced by slots when nothing is busy)

That is the classic "position × AHT / serving agents", corrected for occupancy: only busy places free
up, and free places serve the head of the line immediately. With no serving slots the wait is unknown
(None): the caller says so rather than inventing a number. AHT comes from `recent_aht`, an exponentially
weighted mean of recent handling times, so the estimate follows the current mix of work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kefu.routing.state import require


@dataclass(frozen=True, slots=True)
class QueueLoad:
    waiting: int
    slots: float
    busy: float

    def __post_init__(self) -> None:
        require(self.waiting >= 0, "queue_load.waiting", "must be >= 0")
        require(math.isfinite(self.slots) and self.slots >= 0, "queue_load.slots", "must be finite and >= 0")
        require(0 <= self.busy <= self.slots, "queue_load.busy", "must be within 0..slots")


def estimate_wait(position: int, load: QueueLoad, aht_seconds: float) -> float | None:
    """Seconds the contact at 1-based `position` can expect to wait; None when nobody serves the queue."""
    require(isinstance(position, int) and position >= 1, "position", "must be an int >= 1")
    require(math.isfinite(aht_seconds) and aht_seconds > 0, "aht_seconds", "must be finite and > 0")
    if load.slots <= 0:
        return None
    free = load.slots - load.busy
    if position <= free:
        return 0.0
    return (position - free) * aht_seconds / (load.busy or load.slots)


def recent_aht(durations: Sequence[float], half_life: float = 20.0) -> float:
    """Exponentially weighted mean handling time, newest last; one `half_life` contacts old weighs ½."""
    require(len(durations) > 0, "durations", "needs at least one handling time")
    require(half_life > 0, "half_life", "must be > 0")
    require(all(math.isfinite(d) and d > 0 for d in durations), "durations", "must be finite and > 0")
    decay = 0.5 ** (1.0 / half_life)
    weights = [decay ** (len(durations) - 1 - i) for i in range(len(durations))]
    return sum(w * d for w, d in zip(weights, durations, strict=True)) / sum(weights)
