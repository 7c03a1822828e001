"""The vocabulary of rosters: shift templates with break windows, agents, labour rules, assignments (pure).

Times are minutes. A template's `start_minute` is from midnight of its day and may run past midnight
(a night shift 22:00–06:00 is start 1320, length 480). Break windows are offsets from the shift's
start: a break of `length` minutes starts somewhere in [earliest, latest]. Windows of one template
must not overlap, so any choice of break starts is a valid day (the solver and the checker rely on it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kefu.workforce.errors import WorkforceInputError

DAY_MINUTES = 1440


@dataclass(frozen=True)
class BreakRule:
    name: str
    length: int
    earliest: int
    latest: int

    def starts(self, step: int) -> range:
        """Allowed start offsets on the planning grid."""
        return range(self.earliest, self.latest + 1, step)


@dataclass(frozen=True)
class ShiftTemplate:
    name: str
    start_minute: int
    length: int
    kind: str = "day"  # free label used by cannot-follow rules, e.g. early / day / late / night
    unpopular: bool = False
    breaks: tuple[BreakRule, ...] = ()

    def end_minute(self) -> int:
        return self.start_minute + self.length


@dataclass(frozen=True)
class Agent:
    """`available_days` are day indexes of the planning week; `templates` restricts shifts (empty = any)."""

    agent_id: str
    skills: frozenset[str]
    available_days: frozenset[int]
    templates: frozenset[str] = frozenset()
    prior_unpopular: int = 0  # unpopular shifts already worked in the rotation period, for fairness


@dataclass(frozen=True)
class LabourRules:
    max_days_per_week: int = 5
    min_rest_minutes: int = 11 * 60
    max_unpopular_per_agent: int = 3
    cannot_follow: frozenset[tuple[str, str]] = field(
        default_factory=lambda: frozenset({("night", "early"), ("night", "day")})
    )


@dataclass(frozen=True)
class Assignment:
    """One agent working one template on one day for one queue; breaks as (rule name, start offset)."""

    agent_id: str
    day: int
    template: str
    queue: str
    breaks: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class RosterProblem:
    """`required[queue]` is days × periods-per-day heads (scheduled heads, i.e. after shrinkage)."""

    required: Mapping[str, np.ndarray]
    agents: Sequence[Agent]
    templates: Sequence[ShiftTemplate]
    rules: LabourRules
    period_minutes: int = 30


def validate_templates(templates: list[ShiftTemplate], step: int) -> dict[str, ShiftTemplate]:
    """Templates by name, after checking they sit on the planning grid and their break windows are sane."""
    by_name: dict[str, ShiftTemplate] = {}
    for t in templates:
        where = f"template {t.name!r}"
        if t.name in by_name:
            raise WorkforceInputError(where, "duplicate name")
        if not 0 <= t.start_minute < DAY_MINUTES or t.length <= 0 or t.length > DAY_MINUTES:
            raise WorkforceInputError(where, "start must be within the day and length within (0, 1440]")
        if t.start_minute % step or t.length % step:
            raise WorkforceInputError(where, f"start and length must be multiples of {step} minutes")
        previous_end = 0
        for b in t.breaks:
            if b.length <= 0 or b.earliest % step or b.latest % step or b.length % step:
                raise WorkforceInputError(f"{where} break {b.name!r}", f"must lie on the {step}-minute grid")
            if b.earliest < previous_end or b.latest < b.earliest or b.latest + b.length > t.length:
                raise WorkforceInputError(
                    f"{where} break {b.name!r}",
                    "window must follow the previous one and end inside the shift",
                )
            previous_end = b.latest + b.length
        by_name[t.name] = t
    return by_name


def rest_between(first: ShiftTemplate, second: ShiftTemplate) -> int:
    """Minutes off between `first` on one day and `second` on the next day."""
    return DAY_MINUTES + second.start_minute - first.end_minute()


def default_templates() -> list[ShiftTemplate]:
    """Five 9-hour shifts on a 30-minute grid, each with a 30-minute rest break and a 1-hour lunch.

    The night shift (22:00–07:00) is the unpopular one; with the default rules it cannot be followed by
    an early or a day shift, and the 11-hour rest keeps it from being followed by mid or late shifts too.
    """
    breaks = (BreakRule("rest", 30, 90, 180), BreakRule("lunch", 60, 240, 360))
    return [
        ShiftTemplate("early", 6 * 60, 540, "early", False, breaks),
        ShiftTemplate("day", 9 * 60, 540, "day", False, breaks),
        ShiftTemplate("mid", 12 * 60, 540, "mid", False, breaks),
        ShiftTemplate("late", 15 * 60, 540, "late", False, breaks),
        ShiftTemplate("night", 22 * 60, 540, "night", True, breaks),
    ]
