"""CP-SAT plumbing shared by head-count plans and rosters: gap penalties, objective weights, solving."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ortools.sat.python import cp_model

from kefu.workforce.errors import WorkforceInputError

ProgressCallback = Callable[[float, float], None]  # (wall seconds, objective) on each better solution


def gap_penalties(
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


def minimise_lexicographic(
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


def solve(
    model: cp_model.CpModel, time_limit: float, workers: int, progress: ProgressCallback | None
) -> tuple[cp_model.CpSolver, str]:
    if time_limit <= 0:
        raise WorkforceInputError("time_limit_seconds", "must be positive")
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = max(1, workers)
    status = solver.solve(model, _Progress(progress) if progress else None)
    return solver, solver.status_name(status)
