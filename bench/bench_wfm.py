"""Workforce planning against pyworkforce (run side by side from its own venv) and against the textbook."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import replace

import numpy as np

from bench.report import Row
from bench.wfm_cases import pooled_demand, roster_problem, shift_coverage_48, staffing_rows
from bench.wfm_env import peer_version, run_peer
from kefu.workforce.headcount import plan_headcount
from kefu.workforce.rules import check_roster
from kefu.workforce.scheduling import Roster, RosterProblem, build_roster
from kefu.workforce.staffing import staff


def textbook_agents(volume: float, aht: float, interval: float, sl: float, t: float) -> int:
    """Scan every staffing from one agent with the plain Erlang C formulas: the definition of the answer."""
    a = volume * aht / interval
    if a == 0:
        return 0
    b, n = 1.0, 0
    while True:
        n += 1
        b = a * b / (n + a * b)
        if n > a:
            c = b / (1 - (a / n) * (1 - b))
            if 1 - c * math.exp(-(n - a) * t / aht) >= sl:
                return n


def staffing_rows_figures(quick: bool) -> list[Row]:
    rows = staffing_rows(queues=2 if quick else 20)
    repeats = 3 if quick else 15
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ours = staff(rows)
        times.append(time.perf_counter() - start)
    task = [
        {
            "volume": r.volume,
            "aht": r.aht_seconds,
            "interval": r.interval_seconds,
            "target_sl": r.target_sl,
            "target_seconds": r.target_seconds,
        }
        for r in rows
        if r.volume > 0  # pyworkforce refuses zero volume
    ]
    peer = run_peer({"kind": "erlang", "rows": task, "repeats": repeats})
    truth = [
        textbook_agents(t["volume"], t["aht"], t["interval"], t["target_sl"], t["target_seconds"])
        for t in task
    ]
    mine = [r.agents for r in ours if r.request.volume > 0]
    peer_wrong = sum(p != x for p, x in zip(peer["agents"], truth, strict=True))
    peer_over = sum(p > x for p, x in zip(peer["agents"], truth, strict=True))
    ours_wrong = sum(m != x for m, x in zip(mine, truth, strict=True))
    kefu_s = statistics.median(times)
    size = f"{len(rows) // 96}×96"
    return [
        Row(
            f"staffing {size} intervals (Erlang C, whole batch)",
            kefu_s,
            "s",
            f"pyworkforce {peer_version()}: {peer['seconds']:.4f} s",
            kefu_s / peer["seconds"],
            "≤ 1.00×",
            f"median of {repeats}; pyworkforce timed inside its own venv",
        ),
        Row(
            "rows where kefu ≠ textbook minimum",
            ours_wrong,
            "rows",
            "",
            None,
            "0",
            f"of {len(task)}; textbook = exhaustive scan from 1 agent",
        ),
        Row(
            "rows where pyworkforce ≠ textbook minimum",
            peer_wrong,
            "rows",
            "",
            None,
            "",
            f"{peer_over} over-staffed (search starts at round(A + 1))",
        ),
    ]


def erlang_a_figure(quick: bool) -> list[Row]:
    """Erlang A rows (no pyworkforce counterpart): the same inputs with 90 s mean patience."""
    rows = [replace(r, patience_seconds=90.0) for r in staffing_rows(queues=2 if quick else 20)]
    start = time.perf_counter()
    out = staff(rows)
    seconds = time.perf_counter() - start
    abandon = sum(r.abandon_rate * r.request.volume for r in out) / sum(r.request.volume for r in out)
    return [
        Row(
            f"staffing {len(rows) // 96}×96 intervals, Erlang A (90 s patience)",
            seconds,
            "s",
            "",
            None,
            "",
            f"one cold run; volume-weighted abandonment at the minimum staffing {abandon:.1%}",
        ),
    ]


def headcount_figures(quick: bool) -> list[Row]:
    days = 2 if quick else 7
    need = pooled_demand(days=days)
    cover = shift_coverage_48()
    limit = 10.0 if quick else 60.0
    peer = run_peer({"kind": "shifts", "required": need.tolist(), "coverage": cover, "time_limit": limit})
    got = np.asarray(peer["heads"]) @ np.array(list(cover.values()))
    peer_under = int(np.maximum(need - got, 0).sum())
    peer_over = int(np.maximum(got - need, 0).sum())
    rows = []
    for balanced, label in (
        (False, "under-staffing first"),
        (True, "balanced (least total gap, then least under)"),
    ):
        start = time.perf_counter()
        plan = plan_headcount(
            need, cover, max_per_shift=int(need.max()) * 2 + 10, time_limit_seconds=limit, balanced=balanced
        )
        kefu_s = time.perf_counter() - start
        rows += [
            Row(
                f"head-count plan, {label}: under-staffing",
                plan.under,
                "agent-intervals",
                f"MinAbsDifference: {peer_under}",
                None,
                "≤ reference",
                f"{days} days × 48 periods, 48 shift types, {int(need.sum())} required; {plan.status}",
            ),
            Row(
                f"head-count plan, {label}: over-staffing",
                plan.over,
                "agent-intervals",
                f"MinAbsDifference: {peer_over}",
                None,
                "≤ reference" if balanced else "",
                "" if balanced else "the price of zero under-staffing",
            ),
            Row(
                f"head-count plan, {label}: solve time",
                kefu_s,
                "s",
                f"MinAbsDifference: {peer['seconds']:.2f} s ({peer['status']})",
                kefu_s / peer["seconds"],
                "≤ 2.00×",
                f"same {limit:.0f} s limit, 2 workers",
            ),
        ]
    return rows


def roster_figures(quick: bool) -> tuple[list[Row], RosterProblem, Roster]:
    agents, days, limit = (24, 7, 8.0) if quick else (100, 7, 50.0)
    problem = roster_problem(agents=agents, days=days)
    start = time.perf_counter()
    roster = build_roster(problem, time_limit_seconds=limit)
    wall = time.perf_counter() - start
    broken = check_roster(
        roster.assignments, list(problem.agents), list(problem.templates), problem.rules, days
    )
    share = roster.under / roster.required_total
    rows = [
        Row(
            f"roster {agents} named agents × {days} days: wall time",
            wall,
            "s",
            "no pyworkforce equivalent",
            None,
            "< 60 s",
            f"CP-SAT limit {limit:.0f} s incl. model build; {roster.status}",
        ),
        Row(
            "roster under-staffing",
            100 * share,
            "% of required agent-intervals",
            "",
            None,
            "≤ 3 %",
            f"{roster.under} of {roster.required_total}; breaks, skills, availability, rest, fair rotation",
        ),
        Row(
            "roster over-staffing", 100 * roster.over / roster.required_total, "% of required agent-intervals"
        ),
        Row(
            "roster labour-rule violations (independent checker)",
            len(broken),
            "violations",
            "",
            None,
            "0",
            f"{len(roster.assignments)} shifts checked; night has two cannot-follow rules",
        ),
    ]
    return rows, problem, roster


def peer_roster_figures(problem: RosterProblem, roster: Roster) -> list[Row]:
    """pyworkforce's MinHoursRoster on the same agents, asked only for the per-shift head counts kefu met.

    Its cannot-follow constraint multiplies the earlier shift by the number of banned successors, so a
    shift with two or more of them can never be worked: the model turns infeasible.
    """
    days = next(iter(problem.required.values())).shape[0]
    names = [t.name for t in problem.templates]
    heads = {t: [0] * days for t in names}
    for s in roster.assignments:
        heads[s.template][s.day] += 1
    kinds = {t.name: t.kind for t in problem.templates}
    banned_after_night = [n for n in names if ("night", kinds[n]) in problem.rules.cannot_follow]
    task = {
        "kind": "roster",
        "days": days,
        "resources": [a.agent_id for a in problem.agents],
        "shifts": names,
        "shifts_hours": [t.length // 60 for t in problem.templates],
        "required": heads,
        "banned_shifts": [
            {"resource": a.agent_id, "shift": n, "day": d}
            for a in problem.agents
            for d in range(days)
            for n in names
            if d not in a.available_days
        ],
        "max_resting": days - problem.rules.max_days_per_week,
        "time_limit": 20.0,
    }
    rows = []
    for rules in (banned_after_night, banned_after_night[:1]):
        peer = run_peer(
            {**task, "non_sequential_shifts": [{"origin": "night", "destination": n} for n in rules]}
        )
        rows.append(
            Row(
                f"pyworkforce MinHoursRoster, night with {len(rules)} cannot-follow rule(s)",
                peer["seconds"],
                "s",
                "",
                None,
                "",
                f"{peer['status']}; same agents, day-off requests and kefu's achieved head counts",
            )
        )
    return rows


def run(quick: bool) -> list[Row]:
    figures = staffing_rows_figures(quick) + erlang_a_figure(quick) + headcount_figures(quick)
    rows, problem, roster = roster_figures(quick)
    return figures + rows + peer_roster_figures(problem, roster)
