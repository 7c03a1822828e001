"""Erlang B/C against exact rational brute force, worked examples, and monotonicity properties."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.workforce import erlang
from kefu.workforce.errors import WorkforceInputError


def brute_erlang_c(n: int, a: Fraction) -> Fraction:
    """Erlang C straight from its definition with exact rationals (factorials and all)."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    bottom = sum(a**k / math.factorial(k) for k in range(n)) + top
    return top / bottom


def brute_service_level(n: int, a: Fraction, aht: float, t: float) -> float:
    return 1.0 - float(brute_erlang_c(n, a)) * math.exp(-(n - float(a)) * t / aht)


def brute_required(a: Fraction, aht: float, sl: float, t: float) -> int:
    """Scan every staffing from one agent upwards: no clever start, so it cannot skip the minimum."""
    n = 1
    while n <= a or brute_service_level(n, a, aht, t) < sl:
        n += 1
    return n


def test_classic_360_calls_in_30_minutes():
    # 360 calls / 1800 s × 240 s = 48 erlangs. Exact brute force: 54 agents give 81.7 % within 20 s,
    # 53 give 75.2 %; 55 agents (86.7 %) is the answer only for an 85 % target.
    a = erlang.traffic_erlangs(360, 240, 1800)
    assert a == pytest.approx(48.0)
    assert erlang.required_agents(a, 240, target_sl=0.8, target_seconds=20) == 54
    assert erlang.required_agents(a, 240, target_sl=0.85, target_seconds=20) == 55
    assert erlang.service_level(54, a, 240, 20) == pytest.approx(
        brute_service_level(54, Fraction(48), 240, 20), rel=1e-12
    )
    assert erlang.service_level(54, a, 240, 20) == pytest.approx(0.8172, abs=1e-4)


def test_call_centre_helper_example_ten_erlangs():
    # 100 calls in 30 min with 180 s AHT = 10 erlangs; 80/20 needs 14 agents (SL 88.8 %, ASA 7.8 s);
    # 13 agents give 79.6 %, just short.
    a = erlang.traffic_erlangs(100, 180, 1800)
    assert erlang.required_agents(a, 180, target_sl=0.8, target_seconds=20) == 14
    assert erlang.erlang_c(14, a) == pytest.approx(float(brute_erlang_c(14, Fraction(10))), rel=1e-12)
    assert erlang.service_level(13, a, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert erlang.service_level(14, a, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert erlang.asa(14, a, 180) == pytest.approx(7.84, abs=0.01)


@pytest.mark.parametrize("n", [1, 2, 5, 17, 40])
@pytest.mark.parametrize("a", [Fraction(1, 3), Fraction(7, 2), Fraction(15)])
def test_erlang_b_and_c_match_exact_rationals(n, a):
    b_exact = (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))
    assert erlang.erlang_b(n, float(a)) == pytest.approx(float(b_exact), rel=1e-12)
    if n > a:
        assert erlang.erlang_c(n, float(a)) == pytest.approx(float(brute_erlang_c(n, a)), rel=1e-11)
    else:
        assert erlang.erlang_c(n, float(a)) == 1.0
        assert erlang.service_level(n, float(a), 200, 20) == 0.0
        assert erlang.asa(n, float(a), 200) == math.inf


@pytest.mark.parametrize("a", [Fraction(3, 4), Fraction(48, 10), Fraction(107, 10), Fraction(209, 10)])
@pytest.mark.parametrize("target", [0.05, 0.2, 0.5, 0.8, 0.95])
def test_required_agents_equals_brute_force_scan(a, target):
    assert erlang.required_agents(float(a), 240, target_sl=target, target_seconds=20) == brute_required(
        a, 240, target, 20
    )


def test_low_target_is_met_at_the_first_stable_staffing():
    # 10.7 erlangs: 11 agents already meet a 10 % target; a search starting at round(A + 1) = 12 would not.
    assert erlang.service_level(11, 10.7, 180, 20) >= 0.1
    assert erlang.required_agents(10.7, 180, target_sl=0.1, target_seconds=20) == 11


def test_hundreds_of_erlangs_do_not_overflow():
    a = 800.0
    n = erlang.required_agents(a, 240, target_sl=0.8, target_seconds=20)
    assert 800 < n < 840
    assert erlang.service_level(n - 1, a, 240, 20) < 0.8 <= erlang.service_level(n, a, 240, 20)
    c, rho = erlang.erlang_c(n, a), a / n
    # The two Erlang B paths (recurrence, log-space Poisson) agree through B = C(1 − ρ) / (1 − ρC).
    assert erlang.erlang_b(int(n), a) == pytest.approx(c * (1 - rho) / (1 - rho * c), rel=1e-9)


def test_asa_and_occupancy_targets():
    a = 48.0
    n = erlang.required_agents(a, 240, target_asa_seconds=15)
    assert erlang.asa(n, a, 240) <= 15 < erlang.asa(n - 1, a, 240)
    # 48 / 0.8 = 60 exactly: the cap is met at 60, not pushed to 61 by rounding noise.
    assert erlang.required_agents(a, 240, target_sl=0.5, target_seconds=20, max_occupancy=0.8) == 60
    assert erlang.occupancy(60, a) == pytest.approx(0.8)
    both = erlang.required_agents(a, 240, target_sl=0.8, target_seconds=20, target_asa_seconds=5)
    assert both == max(n_ for n_ in (54, erlang.required_agents(a, 240, target_asa_seconds=5)))


def test_vectorised_rows_match_scalar_calls():
    traffic = np.array([[0.0, 2.5, 48.0], [10.7, 150.0, 333.3]])
    sl = np.array([[0.8, 0.8, 0.8], [0.2, 0.9, 0.85]])
    got = erlang.required_agents(traffic, 200, target_sl=sl, target_seconds=15)
    for idx in np.ndindex(traffic.shape):
        one = erlang.required_agents(traffic[idx], 200, target_sl=sl[idx], target_seconds=15)
        assert got[idx] == one
    assert got[0, 0] == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_sl": 1.0, "target_seconds": 20}, "target_sl"),
        ({"target_sl": -0.1, "target_seconds": 20}, "target_sl"),
        ({"target_sl": 0.8}, "target_seconds"),
        ({}, "target_sl"),
        ({"target_asa_seconds": 0}, "target_asa_seconds"),
        ({"target_sl": 0.8, "target_seconds": 20, "max_occupancy": 1.2}, "max_occupancy"),
    ],
)
def test_bad_targets_name_the_field(kwargs, field):
    with pytest.raises(WorkforceInputError) as err:
        erlang.required_agents(10.0, 180, **kwargs)
    assert err.value.field == field


def test_bad_traffic_names_the_field():
    with pytest.raises(WorkforceInputError, match="traffic"):
        erlang.erlang_c(3, float("nan"))
    with pytest.raises(WorkforceInputError, match="agents"):
        erlang.service_level(2.5, 1.0, 100, 10)
    with pytest.raises(WorkforceInputError, match="aht_seconds"):
        erlang.traffic_erlangs(10, 0, 1800)


traffic_st = st.floats(min_value=0.01, max_value=400.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(a=traffic_st, extra=st.integers(0, 60), t=st.floats(0, 120), aht=st.floats(10, 900))
def test_more_agents_never_lower_service_level(a, extra, t, aht):
    n = math.floor(a) + 1 + extra
    assert erlang.service_level(n + 1, a, aht, t) >= erlang.service_level(n, a, aht, t) - 1e-12
    assert erlang.asa(n + 1, a, aht) <= erlang.asa(n, a, aht) + 1e-9


@settings(max_examples=60, deadline=None)
@given(a=traffic_st, more=st.floats(0, 50), sl=st.floats(0, 0.99), t=st.floats(0, 60))
def test_required_agents_grow_with_traffic(a, more, sl, t):
    low = erlang.required_agents(a, 240, target_sl=sl, target_seconds=t)
    high = erlang.required_agents(a + more, 240, target_sl=sl, target_seconds=t)
    assert high >= low
    assert erlang.service_level(low, a, 240, t) >= sl
    assert low == math.floor(a) + 1 or erlang.service_level(low - 1, a, 240, t) < sl
