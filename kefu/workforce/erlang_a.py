"""Erlang A: the M/M/n+M queue — Poisson arrivals, exponential service and exponential patience (pure).

Formulas follow Garnett, Mandelbaum & Reiman (2002), "Designing a call center with impatient
customers", written with x = n·μ/θ and y = λ/θ (μ = 1/AHT, θ = 1/mean patience) and their function

    A(x, y) = x·e^y·y^(−x)·γ(x, y) = Σ_{j>=0} y^j / Π_{k=1..j} (x + k),

γ being the lower incomplete gamma function. From it:

    P(wait > 0)            = A·E / (1 + (A − 1)·E)          E = Erlang B(n, λ/μ)
    P(served | wait > 0)   = x/(x+1) · A(x+1, y) / A(x, y)   (= 1/ρ − 1/(ρA), ρ = λ/(nμ))
    P(V > t | wait > 0)    = γ(x, y·e^(−θt)) / γ(x, y)       V: the wait of an infinitely patient customer

A customer is answered within T when V <= T and their patience outlasts V, so integrating the density
of V against e^(−θv) over [0, T] gives the service level (answered within T / offered, as in the glossary)

    SL = 1 − P(wait > 0) + P(wait > 0)·[γ(x+1, y) − γ(x+1, y·e^(−θT))] / (y·γ(x, y)).

ASA (wait of answered contacts) sums over the queue length k an arrival finds: it is served with
probability x/(x+k+1) after an expected (ψ(x+k+2) − ψ(x+1))/θ of waiting.

Everything is computed in log space: the series for A when y < x (it then converges in O(√x) terms)
and the regularised incomplete gamma when y >= x (where it cannot underflow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammainc, gammaincc, gammaln

from kefu.workforce.errors import WorkforceInputError


@dataclass(frozen=True)
class ErlangAMetrics:
    """Steady-state measures for one staffing level; rates are fractions of offered contacts."""

    agents: int
    p_wait: float
    abandon_rate: float
    service_level: float
    asa_seconds: float
    occupancy: float


def erlang_a(
    agents: int,
    arrivals_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> ErlangAMetrics:
    """All Erlang A measures for `agents` seats; valid for any load, overloaded or not."""
    _check(agents, arrivals_per_second, aht_seconds, patience_seconds, target_seconds)
    load = arrivals_per_second * aht_seconds
    if load == 0:
        return ErlangAMetrics(agents, 0.0, 0.0, 1.0, 0.0, 0.0)
    if agents == 0:
        return ErlangAMetrics(0, 1.0, 1.0, 0.0, math.inf, 0.0)
    theta = 1.0 / patience_seconds
    x, y = agents * patience_seconds / aht_seconds, arrivals_per_second * patience_seconds
    log_a = _log_gmr_a(x, y)
    odds = _log_wait_odds(agents, load, log_a)
    p_wait, no_wait = float(expit(odds)), float(expit(-odds))
    # ln P(served | wait) and ln of the share of those served after T; every measure below is then a
    # sum of positive terms, so service levels far below 1e-16 keep their relative accuracy.
    log_served_if_wait = math.log(x / (x + 1)) + _log_gmr_a(x + 1, y) - log_a
    z = y * math.exp(-theta * target_seconds)
    served_if_wait = math.exp(log_served_if_wait)
    served = no_wait + p_wait * served_if_wait
    return ErlangAMetrics(
        agents=agents,
        p_wait=p_wait,
        abandon_rate=p_wait * -math.expm1(log_served_if_wait),
        service_level=min(1.0, no_wait + p_wait * served_if_wait * _early_share(x + 1, y, z)),
        asa_seconds=p_wait * _served_wait_if_wait(x, y, theta) / served,
        occupancy=min(1.0, load * served / agents),
    )


def required_agents_a(
    arrivals_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    *,
    target_sl: float | None = None,
    target_seconds: float = 0.0,
    target_asa_seconds: float | None = None,
    max_occupancy: float | None = None,
) -> ErlangAMetrics:
    """Fewest agents meeting every given target, with the measures at that staffing.

    Answered contacts are at most n/load of the offered (throughput cannot exceed n·μ), so
    n >= target_sl × load is a safe lower bound. From there a galloping search finds a staffing that
    meets the targets and a bisection narrows to the exact minimum (all targets are monotone in n).
    """
    if target_sl is None and target_asa_seconds is None:
        raise WorkforceInputError("target_sl", "give at least one of target_sl or target_asa_seconds")
    if target_sl is not None and not 0.0 <= target_sl < 1.0:
        raise WorkforceInputError("target_sl", "must be a fraction in [0, 1), e.g. 0.8 for 80 %")
    if target_asa_seconds is not None and not target_asa_seconds > 0:
        raise WorkforceInputError("target_asa_seconds", "must be > 0")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise WorkforceInputError("max_occupancy", "must be in (0, 1]")

    def measure(n: int) -> ErlangAMetrics:
        return erlang_a(n, arrivals_per_second, aht_seconds, patience_seconds, target_seconds)

    def meets(m: ErlangAMetrics) -> bool:
        return (
            (target_sl is None or m.service_level >= target_sl)
            and (target_asa_seconds is None or m.asa_seconds <= target_asa_seconds)
            and (max_occupancy is None or m.occupancy <= max_occupancy * (1 + 1e-12))
        )

    load = arrivals_per_second * aht_seconds
    if load == 0:
        return measure(0)
    low = max(1, math.ceil(load * (target_sl or 0.0)) - 1)  # low is known not to meet, or is 1
    if meets(first := measure(low)):
        return first
    step = 1
    while not meets(measure(low + step)):
        low, step = low + step, step * 2
    high = low + step
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if meets(measure(mid)) else (mid, high)
    return measure(high)


def _log_wait_odds(agents: int, load: float, log_a: float) -> float:
    """ln(P(wait) / P(no wait)): P(wait) = A·E/(1 + (A − 1)·E) = 1/(1 + (1/E − 1)/A), with
    ln(1/E − 1) from the Erlang B recurrence 1/B(k) = 1 + (k/load)/B(k − 1) kept in log space."""
    log_inv_b = 0.0  # ln(1/B(0))
    for k in range(1, agents):
        step = math.log(k / load) + log_inv_b
        log_inv_b = step + math.log1p(math.exp(-step)) if step > 0 else math.log1p(math.exp(step))
    return log_a - (math.log(agents / load) + log_inv_b)


def _early_share(a: float, y: float, z: float) -> float:
    """[γ(a, y) − γ(a, z)] / γ(a, y) for z <= y: of those served after waiting, the share within T.

    Past the mode of t^(a−1)·e^(−t) both γ are nearly Γ(a) and their difference is all in the upper
    tails, so it is taken from the regularised upper incomplete gamma Q, exact there; below the mode
    the ratio γ(a, z)/γ(a, y) is well away from 1 and comes from the series in log space.
    """
    if z > a:
        return max(0.0, float(gammaincc(a, z) - gammaincc(a, y)) / float(gammainc(a, y)))
    log_ratio = a * math.log(z / y) + (y - z) + _log_gmr_a(a, z) - _log_gmr_a(a, y)
    return max(0.0, -math.expm1(log_ratio))


def _log_gmr_a(x: float, y: float) -> float:
    """ln A(x, y) of Garnett–Mandelbaum–Reiman; A(x, 0) = 1."""
    if y <= 0:
        return 0.0
    if y >= x:
        return math.log(x) + y - x * math.log(y) + float(gammaln(x)) + math.log(float(gammainc(x, y)))
    return float(_logsumexp(_log_series_terms(x, y, int(10 * math.sqrt(x)) + 40)))


def _logsumexp(v: np.ndarray) -> float:
    """ln Σ e^v without overflow (scipy's version costs more than the rest of a staffing search)."""
    top = float(v.max())
    return top + math.log(float(np.exp(v - top).sum()))


def _log_series_terms(x: float, y: float, count: int) -> np.ndarray:
    """ln of y^j / Π_{k=1..j}(x + k) for j = 0 .. count−1: the weight of an arrival finding j waiting."""
    j = np.arange(count, dtype=float)
    return j * math.log(y) - (gammaln(x + j + 1.0) - gammaln(x + 1.0))


def _served_wait_if_wait(x: float, y: float, theta: float) -> float:
    """E[wait · 1{served} | wait > 0]: sums the queue length k found on arrival over its weights."""
    count = int(max(0.0, y - x) + 10 * math.sqrt(max(x, y)) + 40)
    log_w = _log_series_terms(x, y, count)
    k = np.arange(count, dtype=float)
    served = x / (x + k + 1.0)
    waited = (digamma(x + k + 2.0) - digamma(x + 1.0)) / theta
    return float(np.sum(np.exp(log_w - _logsumexp(log_w)) * served * waited))


def _check(agents: int, arrivals: float, aht: float, patience: float, target: float) -> None:
    if int(agents) != agents or agents < 0:
        raise WorkforceInputError("agents", f"must be a non-negative integer, got {agents!r}")
    for field, value, positive in (
        ("arrivals_per_second", arrivals, False),
        ("aht_seconds", aht, True),
        ("patience_seconds", patience, True),
        ("target_seconds", target, False),
    ):
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise WorkforceInputError(field, "must be finite and " + ("> 0" if positive else ">= 0"))
