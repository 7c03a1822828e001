"""Rows of (interval, queue, volume, AHT, target) in, seats and scheduled heads out (pure).

Rows without patience use Erlang C, all of them in one vectorised search; rows with
`patience_seconds` use Erlang A one by one, memoised because a week of intervals repeats the same
inputs often (night hours, flat forecasts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np

from kefu.workforce import erlang
from kefu.workforce.erlang_a import ErlangAMetrics, required_agents_a
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.seats import agents_for_slots, scheduled_heads


@dataclass(frozen=True)
class StaffingRequest:
    """One interval of one queue. target_sl is a fraction (0.8 = 80 %); concurrency > 1 only for chat."""

    interval_start: datetime
    queue: str
    interval_seconds: float
    volume: float
    aht_seconds: float
    target_sl: float
    target_seconds: float
    patience_seconds: float | None = None
    shrinkage: float = 0.0
    concurrency: int = 1


@dataclass(frozen=True)
class StaffingResult:
    """The request plus the minimum seats and what they achieve; abandon_rate only for Erlang A rows."""

    request: StaffingRequest
    agents: int
    service_level: float
    asa_seconds: float
    occupancy: float
    abandon_rate: float | None
    scheduled_heads: int


_NUMERIC = (
    "interval_seconds",
    "volume",
    "aht_seconds",
    "target_sl",
    "target_seconds",
    "patience_seconds",
    "shrinkage",
    "concurrency",
)


def staff(requests: list[StaffingRequest]) -> list[StaffingResult]:
    """Minimum agents per row meeting its service-level target, in the order given."""
    cols = _columns(requests)
    _validate(cols, [r.queue for r in requests])
    # Columns: slots, service level, ASA, occupancy, abandon rate (NaN for Erlang C rows).
    measures = np.full((len(requests), 5), np.nan)
    is_c = np.isnan(cols["patience_seconds"])
    if is_c.any():
        measures[is_c] = _erlang_c_rows({k: v[is_c] for k, v in cols.items()})
    for i in np.flatnonzero(~is_c):
        r = requests[i]
        m = _erlang_a_cached(
            r.volume / r.interval_seconds, r.aht_seconds, r.patience_seconds, r.target_sl, r.target_seconds
        )
        measures[i] = (m.agents, m.service_level, m.asa_seconds, m.occupancy, m.abandon_rate)
    agents = agents_for_slots(measures[:, 0], cols["concurrency"])
    heads = scheduled_heads(agents, cols["shrinkage"])
    return [
        StaffingResult(
            request=r,
            agents=int(agents[i]),
            service_level=float(measures[i, 1]),
            asa_seconds=float(measures[i, 2]),
            occupancy=float(measures[i, 3]),
            abandon_rate=None if is_c[i] else float(measures[i, 4]),
            scheduled_heads=int(heads[i]),
        )
        for i, r in enumerate(requests)
    ]


def _columns(requests: list[StaffingRequest]) -> dict[str, np.ndarray]:
    """The numeric fields as float columns; a missing patience becomes NaN (= Erlang C)."""
    table = np.array(
        [
            (
                r.interval_seconds,
                r.volume,
                r.aht_seconds,
                r.target_sl,
                r.target_seconds,
                math.nan if r.patience_seconds is None else r.patience_seconds,
                r.shrinkage,
                r.concurrency,
            )
            for r in requests
        ],
        dtype=float,
    ).reshape(len(requests), len(_NUMERIC))
    return {name: table[:, k] for k, name in enumerate(_NUMERIC)}


def _erlang_c_rows(cols: dict[str, np.ndarray]) -> np.ndarray:
    """Measures of all Erlang C rows from one vectorised search; zero traffic needs no one, waits 0."""
    aht, secs = cols["aht_seconds"], cols["target_seconds"]
    traffic = cols["volume"] * aht / cols["interval_seconds"]
    n = erlang.required_agents(traffic, aht, target_sl=cols["target_sl"], target_seconds=secs)
    loaded = traffic > 0
    achieved = np.where(loaded, erlang.service_level(n, traffic, aht, secs), 1.0)
    wait = np.where(loaded, erlang.asa(np.maximum(n, 1), traffic, aht), 0.0)
    return np.column_stack([n, achieved, wait, erlang.occupancy(n, traffic), np.full(n.shape, np.nan)])


@lru_cache(maxsize=4096)
def _erlang_a_cached(
    arrivals_per_second: float, aht: float, patience: float, target_sl: float, target_seconds: float
) -> ErlangAMetrics:
    return required_agents_a(
        arrivals_per_second, aht, patience, target_sl=target_sl, target_seconds=target_seconds
    )


def _validate(cols: dict[str, np.ndarray], queues: list[str]) -> None:
    """Name the row and field of the first bad value, so an error in a 2,000-row CSV is findable."""
    patience = cols["patience_seconds"]
    ok = {
        "interval_seconds": cols["interval_seconds"] > 0,
        "volume": cols["volume"] >= 0,
        "aht_seconds": cols["aht_seconds"] > 0,
        "target_sl": (cols["target_sl"] >= 0) & (cols["target_sl"] < 1),
        "target_seconds": cols["target_seconds"] >= 0,
        "patience_seconds": np.isnan(patience) | (patience > 0),
        "shrinkage": (cols["shrinkage"] >= 0) & (cols["shrinkage"] < 1),
        "concurrency": (cols["concurrency"] >= 1) & (cols["concurrency"] == np.floor(cols["concurrency"])),
    }
    for field, good in ok.items():
        values = cols[field]
        bad = ~good | np.isinf(values) | (np.isnan(values) & (field != "patience_seconds"))
        if bad.any():
            row = int(np.argmax(bad))
            raise WorkforceInputError(f"row {row} {field}", f"invalid value {values[row]!r}")
    for row, queue in enumerate(queues):
        if not queue:
            raise WorkforceInputError(f"row {row} queue", "must not be empty")
