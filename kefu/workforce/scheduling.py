"""Named-agent rosters with OR-Tools CP-SAT (head counts without names are in `headcount`).

Under-staffing is minimised first, over-staffing second, fairness third: the objective weighs one
missing agent-interval above every possible surplus, so no trade of cover for tidiness is ever made.
Missing cover is a soft penalty, never a hard constraint, so every model is feasible (an empty
roster is always a solution) and a time limit returns the best roster found so far.

In the roster, agents on the same template, day and queue are interchangeable for breaks, so the
model places breaks as counts per start time (a few thousand integers instead of a Boolean per agent
per break start); after solving, the counts are dealt out to the named agents. Because a template's
break windows do not overlap (checked in `shifts`), every dealt combination is a legal day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product

import numpy as np
from ortools.sat.python import cp_model

from kefu.workforce.cpsat import ProgressCallback, gap_penalties, minimise_lexicographic, solve
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.roster_hints import BreakCounts, Heads, Key, warm_start
from kefu.workforce.shifts import (
    DAY_MINUTES,
    Assignment,
    LabourRules,
    RosterProblem,
    ShiftTemplate,
    rest_between,
    validate_templates,
)

__all__ = ["Roster", "RosterProblem", "build_roster"]


@dataclass(frozen=True)
class Roster:
    status: str
    assignments: list[Assignment]
    coverage: dict[str, np.ndarray]  # days × periods, breaks taken out
    under: int
    over: int
    required_total: int
    wall_seconds: float


def build_roster(
    problem: RosterProblem,
    *,
    time_limit_seconds: float = 30.0,
    workers: int = 2,
    progress: ProgressCallback | None = None,
) -> Roster:
    """Named shifts and breaks for every agent over the plan's days, obeying every labour rule."""
    step = problem.period_minutes
    days, per_day = _plan_shape(problem.required, step)
    templates = validate_templates(list(problem.templates), step)
    model = cp_model.CpModel()
    x = _shift_vars(model, problem, templates, days)
    _agent_rules(model, x, problem, templates, days)
    cells, group_heads, breaks = _cover(model, x, problem, templates, days, per_day)
    flat = {q: np.asarray(r, dtype=np.int64).reshape(-1) for q, r in problem.required.items()}
    need = {(q, p): int(flat[q][p]) for q, p in cells}
    under, over = gap_penalties(model, cells, need, len(problem.agents))
    fairness = _fairness(model, x, problem, templates)
    minimise_lexicographic(model, under, over, len(cells) * len(problem.agents), fairness)
    warm_start(model, x, (group_heads, breaks), problem, templates, (need, under, over, fairness[0]))
    solver, status = solve(model, time_limit_seconds, workers, progress)
    if status not in ("OPTIMAL", "FEASIBLE"):
        raise WorkforceInputError("time_limit_seconds", f"no roster found ({status}); allow more time")
    assignments = _deal_breaks(solver, x, breaks)
    coverage = {q: np.zeros(days * per_day, dtype=np.int64) for q in problem.required}
    for (q, p), expr in cells.items():
        coverage[q][p] = solver.value(expr)
    return Roster(
        status=status,
        assignments=assignments,
        coverage={q: c.reshape(days, per_day) for q, c in coverage.items()},
        # From the cover itself: a stopped search may leave both slack variables of a cell positive.
        under=sum(max(need[k] - solver.value(e), 0) for k, e in cells.items()),
        over=sum(max(solver.value(e) - need[k], 0) for k, e in cells.items()),
        required_total=int(sum(need.values())),
        wall_seconds=solver.wall_time,
    )


def _plan_shape(required: Mapping[str, np.ndarray], step: int) -> tuple[int, int]:
    if DAY_MINUTES % step:
        raise WorkforceInputError("period_minutes", "must divide a day")
    shapes = {np.shape(r) for r in required.values()}
    per_day = DAY_MINUTES // step
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or next(iter(shapes))[1] != per_day:
        raise WorkforceInputError("required", f"every queue needs the same days × {per_day} array")
    if any(np.any(np.asarray(r) < 0) for r in required.values()):
        raise WorkforceInputError("required", "heads must be non-negative")
    return next(iter(shapes))[0], per_day


def _shift_vars(
    model: cp_model.CpModel, problem: RosterProblem, templates: dict[str, ShiftTemplate], days: int
) -> dict[Key, cp_model.IntVar]:
    """One Boolean per agent, available day, allowed template and skill the plan has demand for."""
    x = {}
    for a in problem.agents:
        allowed = [t for t in templates if not a.templates or t in a.templates]
        for d, t, q in product(sorted(a.available_days & set(range(days))), allowed, sorted(a.skills)):
            if q in problem.required:
                x[a.agent_id, d, t, q] = model.new_bool_var(f"x_{a.agent_id}_{d}_{t}_{q}")
    return x


def _agent_rules(
    model: cp_model.CpModel,
    x: dict[Key, cp_model.IntVar],
    problem: RosterProblem,
    templates: dict[str, ShiftTemplate],
    days: int,
) -> None:
    """One shift a day, max days, rest and cannot-follow between days, the unpopular-shift cap."""
    works: dict[tuple[str, int, str], list[cp_model.IntVar]] = defaultdict(list)
    for (a, d, t, _), v in x.items():
        works[a, d, t].append(v)
    rules = problem.rules
    forbidden = _forbidden_sequences(templates, rules)
    for agent in problem.agents:
        a = agent.agent_id
        day_shifts = {d: [v for t in templates for v in works.get((a, d, t), [])] for d in range(days)}
        for vs in day_shifts.values():
            model.add_at_most_one(vs)
        model.add(sum(v for vs in day_shifts.values() for v in vs) <= rules.max_days_per_week)
        unpopular = [v for (b, _, t, _), v in x.items() if b == a and templates[t].unpopular]
        model.add(sum(unpopular) <= rules.max_unpopular_per_agent)
        for d, gap in product(range(days), (1, 2)):
            for t, banned in forbidden[gap].items():
                later = [v for u in banned for v in works.get((a, d + gap, u), [])]
                if later and works.get((a, d, t)):
                    model.add(sum(works[a, d, t]) + sum(later) <= 1)


def _forbidden_sequences(
    templates: dict[str, ShiftTemplate], rules: LabourRules
) -> dict[int, dict[str, list[str]]]:
    """For day gaps 1 and 2: which templates may not follow each template (short rest or banned kinds)."""
    out: dict[int, dict[str, list[str]]] = {1: {}, 2: {}}
    for gap, (a, first), (b, second) in product((1, 2), templates.items(), templates.items()):
        rest = rest_between(first, second) + (gap - 1) * DAY_MINUTES
        banned_kind = gap == 1 and (first.kind, second.kind) in rules.cannot_follow
        if rest < rules.min_rest_minutes or banned_kind:
            out[gap].setdefault(a, []).append(b)
    return out


def _cover(
    model: cp_model.CpModel,
    x: dict[Key, cp_model.IntVar],
    problem: RosterProblem,
    templates: dict[str, ShiftTemplate],
    days: int,
    per_day: int,
) -> tuple[dict[tuple[str, int], cp_model.LinearExpr], Heads, BreakCounts]:
    """Heads on the floor per queue and period: agents on shift minus those on a break then."""
    step = problem.period_minutes
    groups: dict[tuple[int, str, str], list[cp_model.IntVar]] = defaultdict(list)
    for (_, d, t, q), v in x.items():
        groups[d, t, q].append(v)
    terms: dict[tuple[str, int], list] = defaultdict(list)
    breaks: BreakCounts = defaultdict(dict)
    group_heads: Heads = {}
    horizon = days * per_day
    for (d, t, q), vs in groups.items():
        # One head count per group keeps each cover sum to a few terms instead of one per agent.
        heads = model.new_int_var(0, len(vs), f"n_{d}_{t}_{q}")
        model.add(heads == sum(vs))
        group_heads[d, t, q] = heads
        tpl = templates[t]
        first = (d * DAY_MINUTES + tpl.start_minute) // step
        for p in range(first, min(first + tpl.length // step, horizon)):
            terms[q, p].append(heads)
        for rule in tpl.breaks:
            counts = [
                (off, model.new_int_var(0, len(vs), f"b_{d}_{t}_{q}_{rule.name}_{off}"))
                for off in rule.starts(step)
            ]
            breaks[d, t, q][rule.name] = counts
            for off, m in counts:
                start = first + off // step
                for p in range(start, min(start + rule.length // step, horizon)):
                    terms[q, p].append(-m)
            model.add(sum(m for _, m in counts) == heads)
    cells = {(q, p): sum(terms.get((q, p), [])) for q in problem.required for p in range(horizon)}
    return cells, group_heads, breaks


def _fairness(
    model: cp_model.CpModel,
    x: dict[Key, cp_model.IntVar],
    problem: RosterProblem,
    templates: dict[str, ShiftTemplate],
) -> tuple[cp_model.IntVar, int]:
    """The largest rotation count of unpopular shifts (prior + this plan), to be kept small."""
    top = max((a.prior_unpopular for a in problem.agents), default=0) + problem.rules.max_unpopular_per_agent
    worst = model.new_int_var(0, top, "worst_unpopular")
    for a in problem.agents:
        mine = [v for (b, _, t, _), v in x.items() if b == a.agent_id and templates[t].unpopular]
        model.add(worst >= a.prior_unpopular + sum(mine))
    return worst, top


def _deal_breaks(
    solver: cp_model.CpSolver, x: dict[Key, cp_model.IntVar], breaks: BreakCounts
) -> list[Assignment]:
    """Turn chosen shifts and per-start break counts into named assignments with their breaks."""
    chosen: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for (a, d, t, q), v in x.items():
        if solver.boolean_value(v):
            chosen[d, t, q].append(a)
    out = []
    for group, names in chosen.items():
        dealt = {
            name: [off for off, m in counts for _ in range(solver.value(m))]
            for name, counts in breaks.get(group, {}).items()
        }
        d, t, q = group
        for i, a in enumerate(sorted(names)):
            out.append(Assignment(a, d, t, q, tuple((name, offs[i]) for name, offs in dealt.items())))
    return sorted(out, key=lambda s: (s.agent_id, s.day))
