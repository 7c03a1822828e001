"""Inputs shared by the workforce benchmark: staffing rows, head-count demand, the 100-agent roster."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from kefu.workforce.shifts import Agent, LabourRules, RosterProblem, ShiftTemplate, default_templates
from kefu.workforce.staffing import StaffingRequest, staff

QUEUES_96x20 = 20


def staffing_rows(seed: int = 7, queues: int = QUEUES_96x20, intervals: int = 96) -> list[StaffingRequest]:
    """A day of 15-minute intervals for many queues with mixed loads and targets, low ones included."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 3, 2)
    rows = []
    for q in range(queues):
        peak = rng.uniform(20, 400)
        for i in range(intervals):
            hour = i / 4
            shape = 0.15 + np.exp(-((hour - 11) ** 2) / 8) + 0.8 * np.exp(-((hour - 16) ** 2) / 6)
            rows.append(
                StaffingRequest(
                    interval_start=start + timedelta(minutes=15 * i),
                    queue=f"q{q:02d}",
                    interval_seconds=900,
                    volume=float(np.round(peak * shape * rng.uniform(0.85, 1.15))),
                    aht_seconds=float(rng.choice([180, 240, 300, 420])),
                    target_sl=float(rng.choice([0.2, 0.5, 0.8, 0.85, 0.9])),
                    target_seconds=float(rng.choice([15, 20, 30])),
                    shrinkage=0.3,
                )
            )
    return rows


def day_profile(level: float, rng: np.random.Generator, per_day: int = 48) -> np.ndarray:
    hours = np.arange(per_day) * 24 / per_day
    shape = 0.12 + np.exp(-((hours - 11) ** 2) / 10) + 0.8 * np.exp(-((hours - 16) ** 2) / 8)
    return np.round(level * shape * rng.uniform(0.9, 1.1, per_day))


def pooled_demand(seed: int = 11, days: int = 7) -> np.ndarray:
    """20 queues' heads pooled per half hour, for head-count planning (days × 48)."""
    rng = np.random.default_rng(seed)
    return np.array(
        [sum(day_profile(rng.uniform(3, 12), rng) for _ in range(20)) for _ in range(days)], dtype=int
    )


def shift_coverage_48() -> dict[str, list[int]]:
    """48 shift types: every half-hour start from 00:00 to 23:30, 8 hours long, clipped at midnight."""
    return {f"s{s:02d}": [1 if s <= p < s + 16 else 0 for p in range(48)] for s in range(48)}


def roster_problem(agents: int = 100, days: int = 7, seed: int = 5) -> RosterProblem:
    """Three queues staffed through Erlang C for a week, then rostered over named agents."""
    rng = np.random.default_rng(seed)
    queues = {"voice": 48.0, "chat": 35.0, "vip": 10.0}
    required = {}
    for q, peak in queues.items():
        rows = [
            StaffingRequest(
                datetime(2026, 3, 2) + timedelta(days=d, minutes=30 * p),
                q,
                1800,
                float(v),
                300,
                0.8,
                20,
                shrinkage=0.1,
            )
            for d in range(days)
            for p, v in enumerate(day_profile(peak * agents / 100 * (0.8 if d >= 5 else 1.0), rng))
        ]
        heads = np.array([r.scheduled_heads for r in staff(rows)]).reshape(days, 48)
        heads[0, :14] = 0  # Monday 00:00–07:00 is worked by last week's Sunday night shift (carry-in)
        required[q] = heads
    people = []
    for i in range(agents):
        skills = {"voice"} if i % 3 == 0 else {"chat"} if i % 3 == 1 else {"voice", "chat"}
        if i % 5 == 0:
            skills.add("vip")
        day_off_request = int(rng.integers(0, days))
        people.append(
            Agent(
                agent_id=f"agent{i:03d}",
                skills=frozenset(skills),
                available_days=frozenset(d for d in range(days) if d != day_off_request),
                templates=frozenset({"h08", "h09", "h10", "h11"}) if i % 8 == 0 else frozenset(),
                prior_unpopular=int(rng.integers(0, 3)),
            )
        )
    return RosterProblem(required, people, staggered_templates(), LabourRules())


def staggered_templates() -> list[ShiftTemplate]:
    """Hourly starts 06:00–14:00 plus the night shift: staggered starts let cover follow the curve."""
    breaks = default_templates()[0].breaks
    kinds = {
        6: "early",
        7: "early",
        8: "early",
        9: "day",
        10: "day",
        11: "day",
        12: "late",
        13: "late",
        14: "late",
    }
    day_shifts = [ShiftTemplate(f"h{h:02d}", h * 60, 540, kind, False, breaks) for h, kind in kinds.items()]
    return day_shifts + [t for t in default_templates() if t.name == "night"]
