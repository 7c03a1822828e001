"""Shift plans with OR-Tools CP-SAT: head counts per shift type, and named-agent rosters.

Both minimise under-staffing first and over-staffing second: the objective weighs one missing
agent-interval above every possible surplus, so no trade of cover for tidiness is ever made.
Missing cover is a soft penalty, never a hard constraint, so every model is feasible (an empty
roster is always a solution) and a time limit returns the best roster found so far.

In the roster, agents on the same template, day and queue are interchangeable for breaks, so the
model places breaks as counts per start time (a few thousand integers instead of a Boolean per agent
per break start); after solving, the counts are dealt out to the named agents. Because a template's
break windows do not overlap (checked in `shifts`), every dealt combination is a legal day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
from ortools.sat.python import cp_model

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.roster_greedy import greedy_roster
from kefu.workforce.shifts import (
    DAY_MINUTES,
    Agent,
    Assignment,
    LabourRules,
    ShiftTemplate,
    rest_between,
    validate_templates,
)

ProgressCallback = Callable[[float, float], None]  # (wall seconds, objective) on each better solution


@dataclass(frozen=True)
class HeadcountPlan:
    """Heads per day and shift type, with the cover they give against the requirement."""

    status: str
    heads: np.ndarray  # days × shift types
    coverage: np.ndarray  # days × periods
    under: int
    over: int
    wall_seconds: float


@dataclass(frozen=True)
class RosterProblem:
    """`required[queue]` is days × periods-per-day heads (scheduled heads, i.e. after shrinkage)."""

    required: Mapping[str, np.ndarray]
    agents: Sequence[Agent]
    templates: Sequence[ShiftTemplate]
    rules: LabourRules
    period_minutes: int = 30


@dataclass(frozen=True)
class Roster:
    status: str
    assignments: list[Assignment]
    coverage: dict[str, np.ndarray]  # days × periods, breaks taken out
    under: int
    over: int
    required_total: int
    wall_seconds: float


def plan_headcount(
    required: np.ndarray,
    shifts_coverage: Mapping[str, Sequence[int]],
    *,
    max_per_shift: int,
    time_limit_seconds: float = 30.0,
    workers: int = 2,
    balanced: bool = False,
) -> HeadcountPlan:
    """Heads per shift type per day (a shift covers the periods marked 1 in its coverage row).

    By default under-staffing is minimised first. `balanced=True` minimises the total absolute gap
    |cover − required| first (the criterion of pyworkforce's MinAbsDifference) and, among plans with
    that least gap, takes the one with least under-staffing.
    """
    need = np.asarray(required, dtype=np.int64)
    cover = np.array([list(v) for v in shifts_coverage.values()], dtype=np.int64)
    if need.ndim != 2 or np.any(need < 0):
        raise WorkforceInputError("required", "must be a days × periods array of non-negative heads")
    if cover.ndim != 2 or cover.shape[1] != need.shape[1] or not np.isin(cover, (0, 1)).all():
        raise WorkforceInputError("shifts_coverage", f"each shift needs {need.shape[1]} zeros and ones")
    if max_per_shift < 1:
        raise WorkforceInputError("max_per_shift", "must be at least 1")
    model = cp_model.CpModel()
    heads = [
        [model.new_int_var(0, max_per_shift, f"h{d}_{s}") for s in range(len(cover))]
        for d in range(need.shape[0])
    ]
    cells = {
        (d, p): sum(heads[d][s] for s in np.flatnonzero(cover[:, p]))
        for d, p in product(range(need.shape[0]), range(need.shape[1]))
    }
    under, over = _penalties(model, cells, {k: int(need[k]) for k in cells}, max_per_shift * len(cover))
    if balanced:
        model.minimize((len(cells) * int(need.max(initial=0)) + 1) * (sum(under) + sum(over)) + sum(under))
    else:
        _lexicographic(model, under, over, len(cells) * max_per_shift * len(cover))
    solver, status = _solve(model, time_limit_seconds, workers, None)
    values = np.array([[solver.value(v) for v in row] for row in heads], dtype=np.int64)
    return HeadcountPlan(
        status=status,
        heads=values,
        coverage=values @ cover,
        under=int(np.maximum(need - values @ cover, 0).sum()),
        over=int(np.maximum(values @ cover - need, 0).sum()),
        wall_seconds=solver.wall_time,
    )


def build_roster(
    problem: RosterProblem,
    *,
    time_limit_seconds: float = 30.0,
    workers: int = 2,
    progress: ProgressCallback | None = None,
) -> Roster:
    """Named shifts and breaks for every agent over the plan's days, obeying every labour rule."""
    step = problem.period_minutes
    templates = validate_templates(list(problem.templates), step)
    days, per_day = _plan_shape(problem.required, step)
    model = cp_model.CpModel()
    x = _shift_vars(model, problem, templates, days)
    _agent_rules(model, x, problem, templates, days)
    cells, group_heads, breaks = _cover(model, x, problem, templates, days, per_day)
    need = {(q, p): int(problem.required[q].reshape(-1)[p]) for q, p in cells}
    under, over = _penalties(model, cells, need, len(problem.agents))
    fairness = _fairness(model, x, problem, templates)
    _lexicographic(model, under, over, len(cells) * len(problem.agents), fairness)
    _warm_start(model, x, (group_heads, breaks), problem, templates, (need, under, over, fairness[0]))
    solver, status = _solve(model, time_limit_seconds, workers, progress)
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


def _warm_start(
    model: cp_model.CpModel,
    x: dict[Key, cp_model.IntVar],
    groups: tuple[Heads, BreakCounts],
    problem: RosterProblem,
    templates: dict[str, ShiftTemplate],
    objective_parts: tuple[dict[tuple[str, int], int], list, list, cp_model.IntVar],
) -> None:
    """Hint every variable from the greedy roster, each break placed where cover is most in surplus.

    A complete hint is a solution CP-SAT accepts at once, so its whole time limit goes to improving it;
    a hint on the shifts alone left it still repairing breaks when a short limit ran out.
    """
    need, under, over, worst = objective_parts
    group_heads, breaks = groups
    step = problem.period_minutes
    start = greedy_roster(problem.required, problem.agents, templates, problem.rules, step)
    heads: dict[tuple[int, str, str], int] = defaultdict(int)
    for (a, d, t, q), v in x.items():
        on = start.get((a, d)) == (t, q)
        model.add_hint(v, on)
        heads[d, t, q] += on
    for key, v in group_heads.items():
        model.add_hint(v, heads[key])
    cover = dict.fromkeys(need, 0)
    horizon = len(need) // len(problem.required)
    for (d, t, q), n in heads.items():
        first = (d * DAY_MINUTES + templates[t].start_minute) // step
        for p in range(first, min(first + templates[t].length // step, horizon)):
            cover[q, p] += n
    for (d, t, q), n in sorted(heads.items()):
        _hint_breaks(
            model, (d, t, q, n), breaks.get((d, t, q), {}), templates[t], (cover, need), (step, horizon)
        )
    for key, u, o in zip(need, under, over, strict=True):
        model.add_hint(u, max(need[key] - cover[key], 0))
        model.add_hint(o, max(cover[key] - need[key], 0))
    given = defaultdict(int)
    for (a, _), (t, _) in start.items():
        given[a] += templates[t].unpopular
    model.add_hint(worst, max((a.prior_unpopular + given[a.agent_id] for a in problem.agents), default=0))


def _hint_breaks(
    model: cp_model.CpModel,
    group: tuple[int, str, str, int],
    counts: dict[str, list[tuple[int, cp_model.IntVar]]],
    tpl: ShiftTemplate,
    cover_need: tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]],
    grid: tuple[int, int],
) -> None:
    """Give each of the group's agents, break by break, the start whose span has the most spare cover."""
    d, _, q, n = group
    cover, need = cover_need
    step, horizon = grid
    first = (d * DAY_MINUTES + tpl.start_minute) // step
    lengths = {b.name: b.length for b in tpl.breaks}
    for name, options in counts.items():

        def periods(off: int, name: str = name) -> range:
            return range(first + off // step, min(first + (off + lengths[name]) // step, horizon))

        taken = dict.fromkeys((off for off, _ in options), 0)
        for _ in range(n):
            off = max(taken, key=lambda o: min((cover[q, p] - need[q, p] for p in periods(o)), default=0))
            taken[off] += 1
            for p in periods(off):
                cover[q, p] -= 1
        for off, m in options:
            model.add_hint(m, taken[off])


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


Key = tuple[str, int, str, str]  # agent, day, template, queue


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


# Per (day, template, queue): per break name, (start offset, how many agents start it then).
BreakCounts = dict[tuple[int, str, str], dict[str, list[tuple[int, cp_model.IntVar]]]]
Heads = dict[tuple[int, str, str], cp_model.IntVar]  # agents on (day, template, queue)


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


def _penalties(
    model: cp_model.CpModel,
    cells: Mapping,
    need: Mapping,
    bound: int,
) -> tuple[list[cp_model.IntVar], list[cp_model.IntVar]]:
    """under ≥ need − cover and over ≥ cover − need, both ≥ 0; minimising makes them exact."""
    under, over = [], []
    for key, cover in cells.items():
        u = model.new_int_var(0, max(need[key], 0), f"u{key}")
        o = model.new_int_var(0, bound, f"o{key}")
        model.add(cover + u - o == need[key])
        under.append(u)
        over.append(o)
    return under, over


def _lexicographic(
    model: cp_model.CpModel,
    under: list[cp_model.IntVar],
    over: list[cp_model.IntVar],
    max_over: int,
    fairness: tuple[cp_model.IntVar, int] | None = None,
) -> None:
    """Weights so that one unit of under-staffing outweighs all over-staffing, which outweighs fairness."""
    fair_weight = 1 if fairness else 0
    over_weight = (fairness[1] + 1) if fairness else 1
    under_weight = over_weight * (max_over + 1)
    objective = under_weight * sum(under) + over_weight * sum(over)
    if fairness:
        objective += fair_weight * fairness[0]
    model.minimize(objective)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: ProgressCallback) -> None:
        super().__init__()
        self._report = report

    def on_solution_callback(self) -> None:
        self._report(self.wall_time, self.objective_value)


def _solve(
    model: cp_model.CpModel, time_limit: float, workers: int, progress: ProgressCallback | None
) -> tuple[cp_model.CpSolver, str]:
    if time_limit <= 0:
        raise WorkforceInputError("time_limit_seconds", "must be positive")
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = max(1, workers)
    status = solver.solve(model, _Progress(progress) if progress else None)
    return solver, solver.status_name(status)


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
