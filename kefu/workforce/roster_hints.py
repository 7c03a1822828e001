"""The complete CP-SAT warm start for rosters: greedy shifts, breaks where cover is in surplus."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from kefu.workforce.roster_greedy import greedy_roster
from kefu.workforce.shifts import DAY_MINUTES, RosterProblem, ShiftTemplate

Key = tuple[str, int, str, str]  # agent, day, template, queue
# Per (day, template, queue): per break name, (start offset, how many agents start it then).
BreakCounts = dict[tuple[int, str, str], dict[str, list[tuple[int, cp_model.IntVar]]]]
Heads = dict[tuple[int, str, str], cp_model.IntVar]  # agents on (day, template, queue)


def warm_start(
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
