"""Head counts per shift type and day, without names (like pyworkforce's MinAbsDifference), by CP-SAT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
from ortools.sat.python import cp_model

from kefu.workforce.cpsat import gap_penalties, minimise_lexicographic, solve
from kefu.workforce.errors import WorkforceInputError


@dataclass(frozen=True)
class HeadcountPlan:
    """Heads per day and shift type, with the cover they give against the requirement."""

    status: str
    heads: np.ndarray  # days × shift types
    coverage: np.ndarray  # days × periods
    under: int
    over: int
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
    under, over = gap_penalties(model, cells, {k: int(need[k]) for k in cells}, max_per_shift * len(cover))
    if balanced:
        model.minimize((len(cells) * int(need.max(initial=0)) + 1) * (sum(under) + sum(over)) + sum(under))
    else:
        minimise_lexicographic(model, under, over, len(cells) * max_per_shift * len(cover))
    solver, status = solve(model, time_limit_seconds, workers, None)
    if status not in ("OPTIMAL", "FEASIBLE"):
        raise WorkforceInputError("time_limit_seconds", f"no plan found ({status}); allow more time")
    values = np.array([[solver.value(v) for v in row] for row in heads], dtype=np.int64)
    return HeadcountPlan(
        status=status,
        heads=values,
        coverage=values @ cover,
        under=int(np.maximum(need - values @ cover, 0).sum()),
        over=int(np.maximum(values @ cover - need, 0).sum()),
        wall_seconds=solver.wall_time,
    )
