"""A fast, rule-abiding greedy roster, used as the CP-SAT warm start (pure).

CP-SAT alone spends most of a short time limit finding its first good roster for 100 agents; starting
from this one it spends the time improving. Over the whole week at once (day by day would use up
agents' working days early in the week), it repeatedly gives the (day, template, queue) shift that
covers the most still-uncovered demand to the eligible agent who has worked least, never breaking a
labour rule. Breaks are left to the solver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kefu.workforce.shifts import DAY_MINUTES, Agent, LabourRules, ShiftTemplate, rest_between

# Stop adding shifts to a day once the best one would cover less than this share of its periods:
# beyond that point a shift mostly adds over-staffing and uses up a working day needed later.
_MIN_USEFUL_SHARE = 0.4


def greedy_roster(
    required: Mapping[str, np.ndarray],
    agents: Sequence[Agent],
    templates: Mapping[str, ShiftTemplate],
    rules: LabourRules,
    period_minutes: int,
) -> dict[tuple[str, int], tuple[str, str]]:
    """(agent, day) → (template, queue) for the shifts chosen."""
    days, per_day = next(iter(required.values())).shape
    horizon = days * per_day
    # Breaks take agents off the floor, so ask for that much more cover than the seats required.
    floor_share = np.mean([1 - sum(b.length for b in t.breaks) / t.length for t in templates.values()])
    gap = {q: np.asarray(r, dtype=float).reshape(-1) / floor_share for q, r in required.items()}
    spans = {
        (t, d): _span(tpl, d, per_day, period_minutes, horizon)
        for t, tpl in templates.items()
        for d in range(days)
    }
    state = _State(agents, templates, rules)
    while True:
        gains = sorted(
            (
                (float(np.clip(g[spans[t, d]], 0, 1).sum()), d, t, q)
                for (t, d) in spans
                for q, g in gap.items()
            ),
            reverse=True,
        )
        pick = next(
            (
                (a, d, t, q)
                for gain, d, t, q in gains
                if gain >= _MIN_USEFUL_SHARE * (spans[t, d].stop - spans[t, d].start)
                for a in [state.best_agent(d, t, q)]
                if a is not None
            ),
            None,
        )
        if pick is None:
            return state.chosen
        a, d, t, q = pick
        state.give(a, d, t, q)
        gap[q][spans[t, d]] -= 1


def _span(tpl: ShiftTemplate, day: int, per_day: int, step: int, horizon: int) -> slice:
    first = day * per_day + tpl.start_minute // step
    return slice(first, min(first + tpl.length // step, horizon))


class _State:
    """Shifts given so far and the per-agent counters the labour rules need."""

    def __init__(
        self, agents: Sequence[Agent], templates: Mapping[str, ShiftTemplate], rules: LabourRules
    ) -> None:
        self.agents = agents
        self.templates = templates
        self.rules = rules
        self.chosen: dict[tuple[str, int], tuple[str, str]] = {}
        self.worked = {a.agent_id: 0 for a in agents}
        self.unpopular = {a.agent_id: 0 for a in agents}

    def give(self, a: Agent, d: int, t: str, q: str) -> None:
        self.chosen[a.agent_id, d] = (t, q)
        self.worked[a.agent_id] += 1
        self.unpopular[a.agent_id] += self.templates[t].unpopular

    def best_agent(self, d: int, t: str, q: str) -> Agent | None:
        """The eligible agent who has worked least (and, for unpopular shifts, had fewest of them)."""
        tpl = self.templates[t]
        eligible = [a for a in self.agents if q in a.skills and self._may_work(a, d, t, tpl)]
        if not eligible:
            return None
        return min(
            eligible,
            key=lambda a: (
                self.worked[a.agent_id],
                (a.prior_unpopular + self.unpopular[a.agent_id]) * tpl.unpopular,
                len(a.skills),
                a.agent_id,
            ),
        )

    def _may_work(self, a: Agent, d: int, t: str, tpl: ShiftTemplate) -> bool:
        rules = self.rules
        if (
            (a.agent_id, d) in self.chosen
            or d not in a.available_days
            or (a.templates and t not in a.templates)
        ):
            return False
        if self.worked[a.agent_id] >= rules.max_days_per_week:
            return False
        if tpl.unpopular and self.unpopular[a.agent_id] >= rules.max_unpopular_per_agent:
            return False
        for gap in (1, 2):
            before = self.chosen.get((a.agent_id, d - gap))
            after = self.chosen.get((a.agent_id, d + gap))
            if before and not self._may_follow(self.templates[before[0]], tpl, gap):
                return False
            if after and not self._may_follow(tpl, self.templates[after[0]], gap):
                return False
        return True

    def _may_follow(self, first: ShiftTemplate, second: ShiftTemplate, gap: int) -> bool:
        if rest_between(first, second) + (gap - 1) * DAY_MINUTES < self.rules.min_rest_minutes:
            return False
        return not (gap == 1 and (first.kind, second.kind) in self.rules.cannot_follow)
