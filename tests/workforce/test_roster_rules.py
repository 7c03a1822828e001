"""Rosters from CP-SAT, proved legal by the independent checker; the checker catches each broken rule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.headcount import plan_headcount
from kefu.workforce.rules import check_roster
from kefu.workforce.scheduling import RosterProblem, build_roster
from kefu.workforce.shifts import Agent, Assignment, BreakRule, LabourRules, ShiftTemplate, default_templates

DAYS = 7
TEMPLATES = default_templates()
RULES = LabourRules()


def demand(level: float, rng: np.random.Generator) -> np.ndarray:
    """Heads per half hour: a day hump from 08:00 to 22:00 and a thin night."""
    hours = np.arange(48) / 2
    shape = np.where((hours >= 8) & (hours < 22), 1.0 + np.sin((hours - 8) / 14 * np.pi), 0.25)
    return np.array([np.round(level * shape * rng.uniform(0.8, 1.2)) for _ in range(DAYS)], dtype=np.int64)


def small_problem(seed: int = 3) -> RosterProblem:
    rng = np.random.default_rng(seed)
    agents = [
        Agent(
            f"a{i:02d}",
            frozenset({"voice", "chat"} if i % 3 == 0 else {"voice"} if i % 3 == 1 else {"chat"}),
            frozenset(d for d in range(DAYS) if (i + d) % 9 != 0),
            frozenset({"early", "day"}) if i % 7 == 0 else frozenset(),
            prior_unpopular=i % 2,
        )
        for i in range(24)
    ]
    required = {"voice": demand(3, rng), "chat": demand(2, rng)}
    for need in required.values():
        need[0, :14] = 0  # Monday before 07:00 belongs to last week's night shift
    return RosterProblem(required, agents, TEMPLATES, RULES)


@pytest.fixture(scope="module")
def solved():
    problem = small_problem()
    seen = []
    roster = build_roster(problem, time_limit_seconds=5, progress=lambda t, obj: seen.append(obj))
    return problem, roster, seen


def test_roster_breaks_no_labour_rule(solved):
    problem, roster, seen = solved
    assert roster.status in ("OPTIMAL", "FEASIBLE")
    assert roster.assignments
    assert check_roster(roster.assignments, list(problem.agents), TEMPLATES, RULES, DAYS) == []
    assert seen and seen == sorted(seen, reverse=True)  # progress reports improving objectives


def test_roster_cover_is_what_the_assignments_give(solved):
    problem, roster, _ = solved
    recount = {q: np.zeros(DAYS * 48, dtype=int) for q in problem.required}
    by_name = {t.name: t for t in TEMPLATES}
    for s in roster.assignments:
        t = by_name[s.template]
        first = s.day * 48 + t.start_minute // 30
        on = np.zeros(DAYS * 48 + 48, dtype=int)
        on[first : first + t.length // 30] = 1
        for name, off in s.breaks:
            length = next(b.length for b in t.breaks if b.name == name)
            on[first + off // 30 : first + (off + length) // 30] = 0
        recount[s.queue] += on[: DAYS * 48]
    under = 0
    for q, need in problem.required.items():
        assert np.array_equal(recount[q].reshape(DAYS, 48), roster.coverage[q])
        under += int(np.maximum(need.reshape(-1) - recount[q], 0).sum())
    assert under == roster.under
    assert roster.under <= 0.15 * roster.required_total


def test_unpopular_shifts_are_spread(solved):
    problem, roster, _ = solved
    nights: dict[str, int] = {}
    for s in roster.assignments:
        if s.template == "night":
            nights[s.agent_id] = nights.get(s.agent_id, 0) + 1
    priors = {a.agent_id: a.prior_unpopular for a in problem.agents}
    totals = [priors[a] + n for a, n in nights.items()]
    assert max(totals, default=0) <= 2 + 1  # 7 nights of ~1 head over ~12 eligible agents


def test_two_cannot_follow_rules_on_one_shift_stay_feasible():
    # night may follow neither early nor day, and late may not follow night either: still a roster.
    rules = replace(RULES, cannot_follow=frozenset({("night", "early"), ("night", "day"), ("night", "late")}))
    problem = replace(small_problem(5), rules=rules)
    roster = build_roster(problem, time_limit_seconds=2)
    assert roster.assignments
    assert check_roster(roster.assignments, list(problem.agents), TEMPLATES, rules, DAYS) == []


def test_checker_catches_each_rule():
    t = {x.name: x for x in TEMPLATES}
    agent = Agent(
        "ann", frozenset({"voice"}), frozenset({0, 1, 2, 3, 4, 5}), frozenset({"early", "night", "day"})
    )
    ok = (("rest", 90), ("lunch", 240))
    roster = [
        Assignment("ann", 0, "night", "voice", ok),
        Assignment("ann", 1, "early", "voice", ok),  # rest 23h→06h is -60 min, and night → early is banned
        Assignment("ann", 2, "day", "chat", ok),  # no chat skill
        Assignment("ann", 3, "late", "voice", ok),  # template not allowed for ann
        Assignment("ann", 4, "day", "voice", (("rest", 60), ("lunch", 240))),  # rest before its window
        Assignment("ann", 6, "day", "voice", (("lunch", 240),)),  # unavailable day 6, missing rest break
        Assignment("bob", 0, "day", "voice", ok),
    ]
    tight = LabourRules(max_days_per_week=5, max_unpopular_per_agent=0)
    found = {(v.rule, v.day) for v in check_roster(roster, [agent], list(t.values()), tight, DAYS)}
    assert {
        ("min_rest", 1),
        ("cannot_follow", 1),
        ("skill", 2),
        ("availability", 3),
        ("breaks", 4),
        ("availability", 6),
        ("breaks", 6),
        ("max_days", None),
        ("fair_rotation", None),
        ("unknown", 0),
    } <= found
    twice = [Assignment("ann", 0, "day", "voice", ok), Assignment("ann", 0, "day", "voice", ok)]
    assert {v.rule for v in check_roster(twice, [agent], TEMPLATES, RULES, DAYS)} >= {"one_shift_per_day"}


def test_overlapping_break_windows_are_refused():
    bad = ShiftTemplate("x", 540, 540, breaks=(BreakRule("a", 60, 120, 240), BreakRule("b", 30, 200, 300)))
    problem = replace(small_problem(), templates=[bad])
    with pytest.raises(WorkforceInputError, match="break 'b'"):
        build_roster(problem, time_limit_seconds=1)


def test_headcount_plan_meets_flat_demand_exactly():
    need = np.zeros((2, 48), dtype=int)
    need[:, 16:34] = 4  # 08:00–17:00
    cover = {
        "d": [1 if 16 <= p < 34 else 0 for p in range(48)],
        "e": [1 if 12 <= p < 30 else 0 for p in range(48)],
    }
    plan = plan_headcount(need, cover, max_per_shift=10, time_limit_seconds=5)
    assert plan.under == 0 and plan.over == 0
    assert plan.heads.tolist() == [[4, 0], [4, 0]]
    with pytest.raises(WorkforceInputError, match="shifts_coverage"):
        plan_headcount(need, {"d": [1, 0]}, max_per_shift=3)


def test_balanced_plan_trades_under_for_least_total_gap():
    need = np.array([[0, 3, 3, 1, 0, 0]])
    cover = {"a": [0, 1, 1, 1, 0, 0], "b": [0, 0, 1, 1, 1, 0]}
    strict = plan_headcount(need, cover, max_per_shift=5, time_limit_seconds=5)
    balanced = plan_headcount(need, cover, max_per_shift=5, time_limit_seconds=5, balanced=True)
    assert (strict.under, strict.over) == (0, 2)  # 3 × a: period 3 gets 3 for a need of 1
    assert balanced.under + balanced.over <= strict.under + strict.over
    assert balanced.under + balanced.over == 2


def test_bad_roster_problems_name_the_field():
    problem = small_problem()
    ragged = {"voice": np.zeros((7, 48), dtype=int), "chat": np.zeros((6, 48), dtype=int)}
    with pytest.raises(WorkforceInputError, match="required"):
        build_roster(replace(problem, required=ragged), time_limit_seconds=1)
    with pytest.raises(WorkforceInputError, match="period_minutes"):
        build_roster(replace(problem, period_minutes=7), time_limit_seconds=1)
    with pytest.raises(WorkforceInputError, match="time_limit_seconds"):
        build_roster(problem, time_limit_seconds=0)


def test_no_demand_means_no_shifts():
    problem = small_problem()
    idle = replace(problem, required={q: np.zeros_like(r) for q, r in problem.required.items()})
    roster = build_roster(idle, time_limit_seconds=2)
    assert roster.assignments == [] and roster.under == 0 and roster.over == 0
