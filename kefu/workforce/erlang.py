"""Erlang B and Erlang C: the M/M/n queue without abandonment (pure, vectorised over rows).

Traffic is in erlangs (volume × AHT / interval length). Nothing here forms a factorial: the scalar
Erlang B runs the forward recurrence B(k) = A·B(k−1) / (k + A·B(k−1)), which is stable for any size,
and the vectorised path used by staffing writes B(n, A) = Poisson pmf / Poisson cdf in log space,
which is well conditioned for n > A (the only region where an Erlang C queue is stable).

Array functions accept scalars or arrays (broadcast together) and return numpy values; a scalar in
gives a numpy scalar out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, pdtr

from kefu.workforce.errors import WorkforceInputError

# A tolerance for "a/n <= cap" so that 48 erlangs at a 0.8 cap gives 60 agents, not 61.
_RATIO_TOLERANCE = 1e-12


def traffic_erlangs(volume: ArrayLike, aht_seconds: ArrayLike, interval_seconds: ArrayLike) -> NDArray:
    """Offered load in erlangs: the average number of contacts in service if nobody waited."""
    v = _finite_at_least("volume", volume, 0.0)
    h = _finite_above("aht_seconds", aht_seconds, 0.0)
    t = _finite_above("interval_seconds", interval_seconds, 0.0)
    return _out(v * h / t)


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of M/M/n/n by the forward recurrence (exact and stable, O(agents))."""
    if int(agents) != agents or agents < 0:
        raise WorkforceInputError("agents", f"must be a non-negative integer, got {agents!r}")
    a = float(_finite_at_least("traffic", traffic, 0.0))
    b = 1.0
    for k in range(1, int(agents) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: ArrayLike, traffic: ArrayLike) -> NDArray:
    """Probability that a contact waits at all; 1 when agents <= traffic (the queue grows without bound)."""
    n, a = _agents_traffic(agents, traffic)
    stable = n > a
    safe_n = np.where(stable, n, a + 1.0)
    b = _erlang_b_above(safe_n, a)
    c = b / (1.0 - (a / safe_n) * (1.0 - b))
    return _out(np.where(stable, c, 1.0))


def service_level(
    agents: ArrayLike, traffic: ArrayLike, aht_seconds: ArrayLike, target_seconds: ArrayLike
) -> NDArray:
    """P(wait <= target_seconds) = 1 − C(n, A)·exp(−(n − A)·T / AHT); 0 for an unstable queue."""
    n, a = _agents_traffic(agents, traffic)
    h = _finite_above("aht_seconds", aht_seconds, 0.0)
    t = _finite_at_least("target_seconds", target_seconds, 0.0)
    c = erlang_c(n, a)
    sl = 1.0 - c * np.exp(-np.maximum(n - a, 0.0) * t / h)
    return _out(np.where(n > a, np.clip(sl, 0.0, 1.0), 0.0))


def asa(agents: ArrayLike, traffic: ArrayLike, aht_seconds: ArrayLike) -> NDArray:
    """Average speed of answer in seconds, C·AHT / (n − A); infinite for an unstable queue."""
    n, a = _agents_traffic(agents, traffic)
    h = _finite_above("aht_seconds", aht_seconds, 0.0)
    stable = n > a
    gap = np.where(stable, n - a, 1.0)
    return _out(np.where(stable, erlang_c(n, a) * h / gap, np.inf))


def occupancy(agents: ArrayLike, traffic: ArrayLike) -> NDArray:
    """Share of agent time spent handling: A / n, capped at 1 (0 when there are no agents and no load)."""
    n, a = _agents_traffic(agents, traffic)
    return _out(np.where(n > 0, np.minimum(a / np.maximum(n, 1.0), 1.0), np.where(a > 0, 1.0, 0.0)))


def required_agents(
    traffic: ArrayLike,
    aht_seconds: ArrayLike,
    *,
    target_sl: ArrayLike | None = None,
    target_seconds: ArrayLike | None = None,
    target_asa_seconds: ArrayLike | None = None,
    max_occupancy: ArrayLike | None = None,
) -> NDArray:
    """The fewest agents meeting every given target (service level, ASA, occupancy cap) at once.

    The search starts at floor(A) + 1 — the smallest stable staffing — and at ceil(A / cap) when an
    occupancy cap is given, then steps up one agent at a time; every target is monotone in the number
    of agents, so the first staffing that meets them all is the exact minimum. Starting higher (e.g.
    at round(A + 1)) over-staffs by one whenever the target is already met at floor(A) + 1.
    Zero traffic needs zero agents.
    """
    if target_sl is None and target_asa_seconds is None:
        raise WorkforceInputError("target_sl", "give at least one of target_sl or target_asa_seconds")
    if target_sl is not None and target_seconds is None:
        raise WorkforceInputError("target_seconds", "is required with target_sl")
    given = {
        "traffic": _finite_at_least("traffic", traffic, 0.0),
        "aht_seconds": _finite_above("aht_seconds", aht_seconds, 0.0),
    }
    if target_sl is not None:
        given["target_sl"] = _fraction_below_one("target_sl", target_sl)
        given["target_seconds"] = _finite_at_least("target_seconds", target_seconds, 0.0)
    if target_asa_seconds is not None:
        given["target_asa_seconds"] = _finite_above("target_asa_seconds", target_asa_seconds, 0.0)
    if max_occupancy is not None:
        given["max_occupancy"] = _occupancy_cap(max_occupancy)
    shape = np.broadcast_shapes(*(x.shape for x in given.values()))
    rows = {k: np.broadcast_to(x, shape).reshape(-1) for k, x in given.items()}
    n = _first_meeting(_search_start(rows), _checks(rows))
    return _out(np.where(rows["traffic"] > 0, n, 0.0).astype(np.int64).reshape(shape))


def _search_start(rows: dict[str, NDArray]) -> NDArray:
    """The smallest staffing worth testing: stable (n > A) and, with a cap, n >= A / cap."""
    a = rows["traffic"]
    start = np.floor(a) + 1.0
    if "max_occupancy" in rows:
        start = np.maximum(start, np.ceil(a / rows["max_occupancy"] * (1.0 - _RATIO_TOLERANCE)))
    return start


def _checks(rows: dict[str, NDArray]) -> list[Callable[[NDArray, NDArray], NDArray]]:
    """One predicate per given target; each takes candidate agents and the flat row indices they serve."""
    a, h = rows["traffic"], rows["aht_seconds"]
    checks: list[Callable[[NDArray, NDArray], NDArray]] = []
    if "target_sl" in rows:
        sl, secs = rows["target_sl"], rows["target_seconds"]
        checks.append(lambda n, i: service_level(n, a[i], h[i], secs[i]) >= sl[i])
    if "target_asa_seconds" in rows:
        goal = rows["target_asa_seconds"]
        checks.append(lambda n, i: asa(n, a[i], h[i]) <= goal[i])
    if "max_occupancy" in rows:
        cap = rows["max_occupancy"]
        checks.append(lambda n, i: a[i] <= cap[i] * n * (1.0 + _RATIO_TOLERANCE))
    return checks


def _first_meeting(start: NDArray, checks: list[Callable[[NDArray, NDArray], NDArray]]) -> NDArray:
    """Step every row up from its start until all checks pass; only unfinished rows are re-evaluated."""
    n = start.astype(float).copy()
    todo = np.arange(n.size)
    while todo.size:
        ok = np.ones(todo.size, dtype=bool)
        for check in checks:
            ok &= check(n[todo], todo)
        todo = todo[~ok]
        n[todo] += 1.0
    return n


def _erlang_b_above(agents: NDArray, traffic: NDArray) -> NDArray:
    """Erlang B as Poisson pmf / cdf in log space; accurate where agents > traffic (cdf >= about 1/2)."""
    with np.errstate(divide="ignore"):
        log_pmf = agents * np.log(traffic) - traffic - gammaln(agents + 1.0)
    log_pmf = np.where(traffic > 0, log_pmf, np.where(agents == 0, 0.0, -np.inf))
    return np.exp(log_pmf) / pdtr(agents, traffic)


def _agents_traffic(agents: ArrayLike, traffic: ArrayLike) -> tuple[NDArray, NDArray]:
    n = _finite_at_least("agents", agents, 0.0)
    if np.any(n != np.floor(n)):
        raise WorkforceInputError("agents", "must be whole numbers")
    return n, _finite_at_least("traffic", traffic, 0.0)


def _occupancy_cap(value: ArrayLike) -> NDArray:
    cap = _finite_above("max_occupancy", value, 0.0)
    if np.any(cap > 1.0):
        raise WorkforceInputError("max_occupancy", "must be in (0, 1]")
    return cap


def _fraction_below_one(field: str, value: ArrayLike) -> NDArray:
    """Service-level targets live in [0, 1): a queue with any load never answers 100 % within T."""
    x = _finite_at_least(field, value, 0.0)
    if np.any(x >= 1.0):
        raise WorkforceInputError(field, "must be a fraction in [0, 1), e.g. 0.8 for 80 %")
    return x


def _finite_at_least(field: str, value: ArrayLike, low: float) -> NDArray:
    x = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(x)) or np.any(x < low):
        raise WorkforceInputError(field, f"must be finite and >= {low:g}")
    return x


def _finite_above(field: str, value: ArrayLike, low: float) -> NDArray:
    x = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(x)) or np.any(x <= low):
        raise WorkforceInputError(field, f"must be finite and > {low:g}")
    return x


def _out(x: NDArray) -> NDArray:
    """0-d arrays become numpy scalars so scalar callers get plain numbers."""
    return x[()] if np.ndim(x) == 0 else x
