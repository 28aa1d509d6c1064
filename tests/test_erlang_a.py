"""Erlang A (M/M/N+M) against a brute-force continuous-time Markov chain, against Erlang C
in the long-patience limit, and the Erlang A staffing solver."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm, solve

from floorview.analytics.erlang import (
    ErlangA,
    asa_c,
    erlang_a,
    occupancy_a,
    prob_wait_c,
    required_agents_a,
    required_agents_c,
    service_level_c,
)


def chain(
    erlangs: float, agents: int, aht: float, patience: float, threshold: float
) -> tuple[float, float, float, float]:
    """P(wait), P(abandon), SL (answered within T / arrivals) and ASA (mean wait of answered)
    from the birth-death chain 0..N+K (rates lambda up, min(n,N) mu + max(n-N,0) theta down)
    and, for the waiting time, a tagged contact's absorbing chain solved by linear algebra
    and a matrix exponential. Shares nothing with floorview's incomplete-gamma formulas."""
    lam, mu, theta = erlangs / aht, 1 / aht, 1 / patience
    x, a = lam / theta, agents * mu / theta
    k_max = int(max(0.0, x - a) + 14 * math.sqrt(x + 1) + 80)
    # Stationary distribution by detailed balance, in logs so long chains do not overflow.
    log_p = np.zeros(agents + k_max + 1)
    for n in range(1, log_p.size):
        down = min(n, agents) * mu + max(n - agents, 0) * theta
        log_p[n] = log_p[n - 1] + math.log(lam / down)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    # Tagged contact with j contacts ahead: j -> j-1 at N mu + j theta, answered from j = 0
    # at N mu, abandons at theta from any j.
    size = k_max + 1
    q = np.zeros((size, size))
    answered_rate = np.zeros(size)
    for j in range(size):
        q[j, j] = -(agents * mu + j * theta + theta)
        if j:
            q[j, j - 1] = agents * mu + j * theta
    answered_rate[0] = agents * mu
    answered = solve(-q, answered_rate)  # P(answered | j ahead)
    answered_wait = solve(-q, answered)  # E[wait; answered | j ahead]
    answered_by_t = solve(q, (expm(q * threshold) - np.eye(size)) @ answered_rate)
    ahead = p[agents : agents + size]
    no_wait = p[:agents].sum()
    p_answered = no_wait + ahead @ answered
    return (
        float(p[agents:].sum()),
        float(ahead @ (1 - answered)),
        float(no_wait + ahead @ answered_by_t),
        float(ahead @ answered_wait / p_answered),
    )


CASES = [
    # erlangs, agents, aht_s, patience_s, threshold_s
    (10.0, 14, 180.0, 120.0, 20.0),
    (48.0, 55, 240.0, 300.0, 20.0),
    (20.0, 15, 300.0, 60.0, 30.0),  # overloaded: N < A
    (30.0, 30, 300.0, 600.0, 20.0),  # N = A
    (5.0, 1, 200.0, 100.0, 10.0),
    (80.0, 60, 400.0, 30.0, 60.0),  # impatient callers, long threshold
    (50.0, 60, 300.0, 1e4, 20.0),  # patient: close to Erlang C
    (0.01, 1, 300.0, 100.0, 20.0),  # tiny load
    (200.0, 150, 300.0, 200.0, 20.0),
    (10.0, 12, 180.0, 5.0, 20.0),  # patience far below the threshold
    (10.0, 12, 180.0, 120.0, 0.0),  # threshold 0: answered at once
    (400.0, 420, 240.0, 180.0, 15.0),
]


@pytest.mark.parametrize("case", CASES)
def test_matches_the_markov_chain(case: tuple[float, int, float, float, float]) -> None:
    got = erlang_a(*case)
    ref = chain(*case)
    values = (got.prob_wait, got.prob_abandon, got.service_level, got.asa_s)
    for name, value, expected in zip(
        ("P(wait)", "P(abandon)", "SL", "ASA"), values, ref, strict=True
    ):
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-13), name


def test_matches_the_markov_chain_on_random_cases() -> None:
    rng = np.random.default_rng(21)
    for _ in range(25):
        erlangs = float(10 ** rng.uniform(-1, 2.3))
        agents = int(max(1, round(erlangs * rng.uniform(0.5, 1.6))))
        aht = float(rng.uniform(60, 600))
        patience = float(10 ** rng.uniform(0.7, 3.3))
        threshold = float(rng.choice([0.0, 10.0, 20.0, 60.0, 300.0]))
        got = erlang_a(erlangs, agents, aht, patience, threshold)
        ref = chain(erlangs, agents, aht, patience, threshold)
        values = (got.prob_wait, got.prob_abandon, got.service_level, got.asa_s)
        assert values == pytest.approx(ref, rel=1e-8, abs=1e-12), (
            erlangs,
            agents,
            aht,
            patience,
            threshold,
        )


def test_service_level_counts_abandons_as_misses() -> None:
    # floorview's SL = answered within T / (answered + abandoned): every abandon is a miss,
    # so SL can never exceed 1 - P(abandon).
    got = erlang_a(20.0, 18, 300, 60, 20)
    assert got.service_level <= 1 - got.prob_abandon
    assert erlang_a(20.0, 18, 300, 60, 1e9).service_level == pytest.approx(1 - got.prob_abandon)


def test_infinite_patience_is_erlang_c() -> None:
    got = erlang_a([10.0, 48.0], [14, 55], [180, 240], math.inf, 20)
    assert got.prob_wait.tolist() == pytest.approx(prob_wait_c([10.0, 48.0], [14, 55]).tolist())
    assert got.service_level.tolist() == pytest.approx(
        service_level_c([10.0, 48.0], [14, 55], [180, 240], 20).tolist()
    )
    assert got.asa_s.tolist() == pytest.approx(asa_c([10.0, 48.0], [14, 55], [180, 240]).tolist())
    assert got.prob_abandon.tolist() == [0.0, 0.0]


@settings(max_examples=120, deadline=None)
@given(
    erlangs=st.floats(0.05, 2000),
    headroom=st.floats(0.3, 4),
    aht=st.floats(30, 900),
    threshold=st.floats(0, 120),
)
def test_tends_to_erlang_c_as_patience_grows(
    erlangs: float, headroom: float, aht: float, threshold: float
) -> None:
    agents = math.floor(erlangs + headroom * math.sqrt(erlangs)) + 1
    c = (
        prob_wait_c(erlangs, agents),
        service_level_c(erlangs, agents, aht, threshold),
        asa_c(erlangs, agents, aht),
    )
    gaps = []
    for patience in (1e2 * aht, 1e4 * aht, 1e6 * aht):
        got = erlang_a(erlangs, agents, aht, patience, threshold)
        gaps.append(abs(got.service_level - c[1]))
        assert got.prob_abandon < 10 * aht / patience
    far = erlang_a(erlangs, agents, aht, 1e9 * aht, threshold)
    assert far.prob_wait == pytest.approx(c[0], rel=1e-6, abs=1e-12)
    assert far.service_level == pytest.approx(c[1], rel=1e-6, abs=1e-12)
    assert far.asa_s == pytest.approx(c[2], rel=1e-6, abs=1e-12)
    assert gaps[2] <= gaps[0] + 1e-12


@settings(max_examples=120, deadline=None)
@given(
    erlangs=st.floats(0.05, 500),
    aht=st.floats(30, 900),
    patience=st.floats(3, 5000),
    threshold=st.floats(0, 300),
)
def test_service_level_rises_and_occupancy_falls_with_agents(
    erlangs: float, aht: float, patience: float, threshold: float
) -> None:
    n = np.arange(0, int(erlangs * 1.5) + 12)
    got = erlang_a(erlangs, n, aht, patience, threshold)
    # Rounding noise on values that are 0 to 1e-12 is allowed, nothing more.
    assert np.all(np.diff(got.service_level) >= -1e-9)
    assert np.all(np.diff(got.prob_wait) <= 1e-9)
    assert np.all(np.diff(got.prob_abandon) <= 1e-9)
    occ = occupancy_a(erlangs, n[1:], aht, patience)
    assert np.all(np.diff(occ) <= 1e-9)
    for field in (got.prob_wait, got.prob_abandon, got.service_level):
        assert np.all((field >= 0) & (field <= 1))
    assert np.all(got.asa_s[1:] >= 0) and np.all(np.isfinite(got.asa_s[1:]))


def test_edges() -> None:
    zero = erlang_a(0.0, [0, 3], 180, 60, 20)
    assert zero.prob_wait.tolist() == [0.0, 0.0] and zero.service_level.tolist() == [1.0, 1.0]
    assert zero.asa_s.tolist() == [0.0, 0.0] and zero.prob_abandon.tolist() == [0.0, 0.0]
    nobody = erlang_a(5.0, 0, 180, 60, 20)
    assert (nobody.prob_wait, nobody.prob_abandon, nobody.service_level) == (1.0, 1.0, 0.0)
    assert math.isinf(nobody.asa_s)
    # Overloaded, still finite: in the fluid limit the N/A answered wait w with
    # P(patience > w) = N / A, so P(abandon) ~ 1 - N/A and ASA ~ patience * log(A / N).
    over = erlang_a(1e6, 9e5, 300, 120, 20)
    assert over.prob_abandon == pytest.approx(0.1, rel=1e-3)
    assert over.asa_s == pytest.approx(120 * math.log(1 / 0.9), rel=1e-2)
    assert isinstance(erlang_a(10.0, 12, 180, 60, 20), ErlangA)
    assert isinstance(erlang_a(10.0, 12, 180, 60, 20).service_level, float)


def test_huge_loads_and_patience_extremes_stay_finite() -> None:
    erlangs = np.array([1e6, 1e6, 1e6, 1e6, 5e5, 50.0, 50.0])
    agents = np.array([1e6 + 900, 5e5, 2e6, 1e6, 1.0, 55.0, 55.0])
    patience = np.array([1.0, 1e5, 60.0, 1e9, 1e-3, 1e15, 1e-2])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = erlang_a(erlangs, agents, 300, patience, 20)
        need = required_agents_a(1e6, 300, [1.0, 60.0, 600.0, 1e6], 20, 0.8)
    for field in (got.prob_wait, got.prob_abandon, got.service_level, got.asa_s):
        assert np.all(np.isfinite(field))
    assert got.prob_wait[2] == 0.0 and got.service_level[2] == 1.0
    # Carried load A (1 - P(abandon)) <= N bounds SL by N / A, so 80% needs 0.8 A at least;
    # with patience short against the threshold, overloaded staffing at ~0.8 A meets it.
    assert need[0] >= 799_999 and np.all(np.diff(need) >= 0)


def test_fractional_agents_lie_between_their_neighbours() -> None:
    got = erlang_a(10.0, [11, 11.5, 12], 180, 120, 20)
    assert got.service_level[0] < got.service_level[1] < got.service_level[2]
    assert got.prob_abandon[0] > got.prob_abandon[1] > got.prob_abandon[2]


def test_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="patience_s"):
        erlang_a(10.0, 12, 180, 0.0, 20)
    with pytest.raises(ValueError, match="agents"):
        erlang_a(10.0, -1, 180, 60, 20)
    with pytest.raises(ValueError, match="target_sl"):
        required_agents_a(10.0, 180, 60, 20, 1.5)


# --- staffing ------------------------------------------------------------------------------


def linear_minimum(
    erlangs: float,
    aht: float,
    patience: float,
    threshold: float,
    target: float,
    max_occ: float = 1.0,
) -> int:
    n = np.arange(0, int(3 * erlangs) + 50)
    got = erlang_a(erlangs, n, aht, patience, threshold)
    occ = occupancy_a(erlangs, n, aht, patience)
    ok = (got.service_level >= target) & (occ <= max_occ)
    return int(np.flatnonzero(ok)[0])


def test_solver_returns_the_exact_minimum() -> None:
    rng = np.random.default_rng(31)
    size = 150
    erlangs = 10 ** rng.uniform(-1.5, 2.3, size)
    aht = rng.uniform(60, 600, size)
    patience = 10 ** rng.uniform(0.5, 4, size)
    threshold = rng.choice([0.0, 10.0, 20.0, 60.0, 300.0], size)
    target = rng.uniform(0.05, 0.98, size)
    max_occ = np.where(rng.random(size) < 0.3, rng.uniform(0.6, 1.0, size), 1.0)
    need = required_agents_a(erlangs, aht, patience, threshold, target, max_occ)
    for i in range(size):
        args = (erlangs[i], aht[i], patience[i], threshold[i], target[i], max_occ[i])
        assert need[i] == linear_minimum(*args), args


def test_solver_against_the_markov_chain() -> None:
    # 10 Erlangs, 2-minute patience, 80/20: the chain agrees that 12 is the minimum.
    need = int(required_agents_a(10.0, 180, 120, 20, 0.8))
    assert need == 12
    assert chain(10.0, need, 180, 120, 20)[2] >= 0.8 > chain(10.0, need - 1, 180, 120, 20)[2]


def test_solver_zero_volume_shrinkage_and_erlang_c_cells() -> None:
    assert required_agents_a(0.0, 180, 120, 20, 0.8) == 0
    assert required_agents_a(10.0, 180, 120, 20, 0.8, shrinkage=0.25) == 16  # 12 / 0.75
    mixed = required_agents_a([10.0, 10.0], 180, [math.inf, 120], 20, 0.8)
    assert mixed.tolist() == [int(required_agents_c(10.0, 180, 20, 0.8)), 12]
    # Abandonment relieves the queue: never more agents than Erlang C for the same SL
    # when patience is long against the threshold.
    assert required_agents_a(48.0, 240, 600, 20, 0.8) <= required_agents_c(48.0, 240, 20, 0.8)
    assert required_agents_a(np.full((4, 3), 10.0), 180, 120, 20, 0.8).shape == (4, 3)
