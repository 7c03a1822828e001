"""An independent labour-rule checker for rosters (pure).

It reads only the roster, the agents, the templates and the rules — never the solver's model — so a
test that runs it over a solver's output proves the roster legal rather than the model consistent
with itself. An empty list means no rule is broken.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kefu.workforce.shifts import DAY_MINUTES, Agent, Assignment, LabourRules, ShiftTemplate


@dataclass(frozen=True)
class Violation:
    rule: str
    agent_id: str
    day: int | None
    detail: str


def check_roster(
    roster: list[Assignment],
    agents: list[Agent],
    templates: list[ShiftTemplate],
    rules: LabourRules,
    days: int,
) -> list[Violation]:
    """Every broken rule in `roster`, in a stable order."""
    by_agent = {a.agent_id: a for a in agents}
    by_template = {t.name: t for t in templates}
    found: list[Violation] = []
    mine: dict[str, list[Assignment]] = defaultdict(list)
    for s in roster:
        problem = _unknown(s, by_agent, by_template, days)
        if problem:
            found.append(Violation("unknown", s.agent_id, s.day, problem))
            continue
        mine[s.agent_id].append(s)
        found += _per_shift(s, by_agent[s.agent_id], by_template[s.template])
    for agent_id, shifts in sorted(mine.items()):
        found += _per_agent(agent_id, sorted(shifts, key=lambda s: s.day), by_template, rules)
    return found


def _unknown(s: Assignment, agents: dict[str, Agent], templates: dict[str, ShiftTemplate], days: int) -> str:
    if s.agent_id not in agents:
        return "no such agent"
    if s.template not in templates:
        return f"no such template {s.template!r}"
    if not 0 <= s.day < days:
        return f"day {s.day} outside the {days}-day plan"
    return ""


def _per_shift(s: Assignment, agent: Agent, t: ShiftTemplate) -> list[Violation]:
    found = []
    if s.day not in agent.available_days:
        found.append(Violation("availability", s.agent_id, s.day, "agent is not available that day"))
    if agent.templates and s.template not in agent.templates:
        found.append(Violation("availability", s.agent_id, s.day, f"agent does not work {s.template!r}"))
    if s.queue not in agent.skills:
        found.append(Violation("skill", s.agent_id, s.day, f"agent lacks skill {s.queue!r}"))
    taken = dict(s.breaks)
    if sorted(taken) != sorted(b.name for b in t.breaks) or len(taken) != len(s.breaks):
        found.append(
            Violation("breaks", s.agent_id, s.day, f"breaks {sorted(taken)} do not match {t.name!r}")
        )
        return found
    spans = []
    for b in t.breaks:
        start = taken[b.name]
        if not b.earliest <= start <= b.latest:
            found.append(
                Violation("breaks", s.agent_id, s.day, f"{b.name} at +{start} min is outside its window")
            )
        spans.append((start, start + b.length))
    spans.sort()
    if any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)):
        found.append(Violation("breaks", s.agent_id, s.day, "breaks overlap"))
    return found


def _per_agent(
    agent_id: str, shifts: list[Assignment], templates: dict[str, ShiftTemplate], rules: LabourRules
) -> list[Violation]:
    found = []
    days = [s.day for s in shifts]
    if len(set(days)) != len(days):
        found.append(Violation("one_shift_per_day", agent_id, None, f"several shifts on days {days}"))
    if len(set(days)) > rules.max_days_per_week:
        found.append(Violation("max_days", agent_id, None, f"works {len(set(days))} days"))
    unpopular = sum(templates[s.template].unpopular for s in shifts)
    if unpopular > rules.max_unpopular_per_agent:
        found.append(Violation("fair_rotation", agent_id, None, f"{unpopular} unpopular shifts"))
    for i, first in enumerate(shifts):
        for second in shifts[i + 1 :]:
            found += _between(agent_id, first, second, templates, rules)
    return found


def _between(
    agent_id: str,
    first: Assignment,
    second: Assignment,
    templates: dict[str, ShiftTemplate],
    rules: LabourRules,
) -> list[Violation]:
    a, b = templates[first.template], templates[second.template]
    found = []
    rest = (second.day - first.day) * DAY_MINUTES + b.start_minute - a.end_minute()
    if first.day != second.day and rest < rules.min_rest_minutes:
        found.append(
            Violation("min_rest", agent_id, second.day, f"{rest} min rest after {a.name} on day {first.day}")
        )
    if second.day == first.day + 1 and (a.kind, b.kind) in rules.cannot_follow:
        found.append(Violation("cannot_follow", agent_id, second.day, f"{b.kind} after {a.kind}"))
    return found
