"""Erlang A against a brute-force birth–death chain and against the published GMR (2002) identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from kefu.workforce import erlang
from kefu.workforce.erlang_a import erlang_a, required_agents_a
from kefu.workforce.errors import WorkforceInputError


def chain(n: int, lam: float, aht: float, patience: float, target: float, depth: int = 250):
    """Solve M/M/n+M numerically: stationary law of a truncated queue, then the tagged customer's chain.

    Returns (p_wait, abandon_rate, service_level, asa). The tagged customer who finds k waiting moves
    k → k−1 at n·μ + k·θ (service or abandonment ahead), is served from 0 at n·μ, and abandons at θ.
    """
    mu, theta = 1 / aht, 1 / patience
    size = n + depth
    births = np.full(size, lam)
    deaths = np.array([min(j, n) * mu + max(j - n, 0) * theta for j in range(1, size + 1)])
    log_pi = np.concatenate([[0.0], np.cumsum(np.log(births) - np.log(deaths))])
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    queued = pi[n : n + depth]  # arrival finds all agents busy and k = 0.. waiting (PASTA)
    # Tagged chain: transient states k = 0..depth−1, then served, abandoned.
    q = np.zeros((depth + 2, depth + 2))
    for k in range(depth):
        ahead = n * mu + k * theta
        if k == 0:
            q[0, depth] = n * mu
        else:
            q[k, k - 1] = ahead
        q[k, depth + 1] = theta
        q[k, k] = -(ahead + theta)
    served_by = expm(q * target)[:depth, depth]
    minus_q = -q[:depth, :depth]
    served_ever = np.linalg.solve(minus_q, q[:depth, depth])
    # E[wait · 1{served} | k] = h_k solves h = (−Q)⁻¹ s: each holding time is independent of where it jumps.
    served_wait = np.linalg.solve(minus_q, served_ever)
    served = pi[:n].sum() + queued @ served_ever
    return queued.sum(), 1 - served, pi[:n].sum() + queued @ served_by, queued @ served_wait / served


CASES = [
    # agents, arrivals/s, AHT, patience, target — under-, critically and over-loaded
    (10, 10 / 180, 180, 120, 20),
    (12, 0.05, 240, 60, 15),
    (5, 0.04, 200, 300, 30),
    (30, 0.1, 240, 180, 20),
    (3, 0.02, 100, 50, 0),
]


@pytest.mark.parametrize("case", CASES)
def test_matches_brute_force_chain(case):
    n, lam, aht, patience, target = case
    got = erlang_a(n, lam, aht, patience, target)
    p_wait, abandon, sl, asa_ = chain(n, lam, aht, patience, target)
    assert got.p_wait == pytest.approx(p_wait, rel=1e-8)
    assert got.abandon_rate == pytest.approx(abandon, rel=1e-8)
    assert got.service_level == pytest.approx(sl, rel=1e-8)
    assert got.asa_seconds == pytest.approx(asa_, rel=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_published_identities(case):
    """GMR (2002): P(Ab | W > 0) = 1/(ρA) + 1 − 1/ρ; P(W > 0) = AE/(1 + (A − 1)E); E[W] = P(Ab)/θ."""
    n, lam, aht, patience, target = case
    x, y, rho = n * patience / aht, lam * patience, lam * aht / n
    a_xy, term = 1.0, 1.0
    for j in range(1, 2000):  # the defining series, summed term by term
        term *= y / (x + j)
        a_xy += term
    e = erlang.erlang_b(n, lam * aht)
    got = erlang_a(n, lam, aht, patience, target)
    assert got.p_wait == pytest.approx(a_xy * e / (1 + (a_xy - 1) * e), rel=1e-10)
    assert got.abandon_rate / got.p_wait == pytest.approx(1 / (rho * a_xy) + 1 - 1 / rho, rel=1e-9)


def test_long_patience_tends_to_erlang_c():
    a = 48.0
    got = erlang_a(54, a / 240, 240, 1e7, 20)
    assert got.service_level == pytest.approx(erlang.service_level(54, a, 240, 20), abs=1e-5)
    assert got.asa_seconds == pytest.approx(erlang.asa(54, a, 240), rel=1e-4)
    assert got.abandon_rate < 1e-5


def test_hundreds_of_erlangs_and_overload_are_finite():
    big = erlang_a(600, 2.5, 240, 120, 20)  # 600 erlangs on 600 agents
    assert 0 < big.service_level < 1 and 0 < big.abandon_rate < 0.1
    over = erlang_a(40, 0.5, 240, 60, 20)  # 120 erlangs on 40 agents: most abandon
    assert over.abandon_rate == pytest.approx(1 - 40 / 120, abs=0.02)
    assert over.occupancy == pytest.approx(1.0, abs=1e-3)


def test_required_agents_is_the_exact_minimum():
    lam, aht, patience = 0.2, 240, 90
    best = required_agents_a(lam, aht, patience, target_sl=0.8, target_seconds=20)
    assert best.service_level >= 0.8
    assert erlang_a(best.agents - 1, lam, aht, patience, 20).service_level < 0.8
    # Abandonment relieves the queue: never more seats than Erlang C asks for.
    assert best.agents <= erlang.required_agents(lam * aht, aht, target_sl=0.8, target_seconds=20)
    asa_only = required_agents_a(lam, aht, patience, target_asa_seconds=10)
    assert asa_only.asa_seconds <= 10 < erlang_a(asa_only.agents - 1, lam, aht, patience, 0).asa_seconds


def test_zero_load_and_bad_input():
    assert required_agents_a(0.0, 200, 60, target_sl=0.8, target_seconds=20).agents == 0
    with pytest.raises(WorkforceInputError, match="patience_seconds"):
        erlang_a(3, 0.1, 200, 0, 20)
    with pytest.raises(WorkforceInputError, match="target_sl"):
        required_agents_a(0.1, 200, 60, target_sl=1.0, target_seconds=20)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 150),
    load=st.floats(0.1, 200),
    patience=st.floats(5, 1000),
    target=st.floats(0, 120),
)
def test_more_agents_never_lower_service_level(n, load, patience, target):
    aht = 200.0
    lam = load / aht
    now, more = erlang_a(n, lam, aht, patience, target), erlang_a(n + 1, lam, aht, patience, target)
    assert more.service_level >= now.service_level - 1e-9
    assert more.abandon_rate <= now.abandon_rate + 1e-9
    assert 0 <= now.service_level <= 1 and 0 <= now.abandon_rate <= 1


@settings(max_examples=25, deadline=None)
@given(lam=st.floats(0.001, 1.0), more=st.floats(0, 0.5), patience=st.floats(10, 600), sl=st.floats(0, 0.95))
def test_required_agents_grow_with_traffic(lam, more, patience, sl):
    low = required_agents_a(lam, 200, patience, target_sl=sl, target_seconds=20)
    high = required_agents_a(lam + more, 200, patience, target_sl=sl, target_seconds=20)
    assert high.agents >= low.agents
    assert low.service_level >= sl
    if low.agents > 1:
        assert erlang_a(low.agents - 1, lam, 200, patience, 20).service_level < sl


@pytest.mark.parametrize(("n", "lam"), [(1, 0.875), (2, 0.875), (2, 1.375)])
def test_tiny_service_levels_keep_relative_accuracy(n, lam):
    # 175–275 erlangs on one or two agents: SL ~1e-28..1e-43, far below double-precision cancellation.
    assert erlang_a(n, lam, 200, 89, 20).service_level == pytest.approx(
        chain(n, lam, 200, 89, 20)[2], rel=1e-6
    )
