"""Erlang B, Erlang C and Erlang A (M/M/N+M): queue metrics and exact minimum staffing.

Everything here is a pure function over NumPy arrays: inputs broadcast against each other
(queues x intervals grids are the usual shape) and a 0-d result comes back as a NumPy scalar
(``np.float64`` is a ``float``). Nothing reads a clock or does I/O.

Units and definitions
---------------------
* ``erlangs`` is the offered load A = arrival rate x AHT (see :func:`traffic_erlangs`).
* ``agents`` is N, the agents taking contacts (after shrinkage). Fractional N is accepted by
  every metric function and evaluated through the continuous extension of Erlang B,
  B(N, A) = A^N e^-A / Gamma(N + 1, A), which equals the textbook value at integers and
  moves smoothly between them; interval averages such as ``staffed_avg = 7.6`` can be
  compared with the model without rounding. The solvers return whole agents.
* Service level is P(answered within the threshold) over *all* arrivals, which in steady
  state is floorview's ``answered_within_T / (answered + abandoned)``: a contact that
  abandons, before or after the threshold, is a miss. In Erlang C nobody abandons, so it is
  also P(wait <= T).
* ASA is the mean wait of *answered* contacts, counting those answered at once as 0 s
  (total answered wait / answered, as an ACD reports it). In Erlang C that is the mean wait
  of every arrival.
* Occupancy is the carried load per agent: A / N in Erlang C (capped at 1: an overloaded
  Erlang C queue is unstable and its agents are simply always busy) and A (1 - P(abandon)) / N
  in Erlang A, where abandoned contacts never reach an agent.

Conventions at the edges (chosen on purpose, see the tests)
-----------------------------------------------------------
* Zero load: no contact waits, SL 1, ASA 0, occupancy 0 and 0 agents required.
* Erlang C with N <= A: the queue grows without bound, so P(wait) = 1, SL = 0, ASA = inf.
* Erlang A is finite for every N >= 0 (abandonment keeps the queue stable); with N = 0 every
  contact abandons: P(wait) = P(abandon) = 1, SL = 0, ASA = inf (nobody is answered).
* ``patience_s = inf`` in Erlang A gives the Erlang C figures.

Numerics
--------
No factorials and no ``A**k / k!`` sums: those overflow past ~170 agents or ~710 Erlangs.
Erlang B comes from the incomplete gamma function: with X ~ Poisson(A),

    1 / B(N, A) = e^A Gamma(N + 1, A) / A^N = P(X <= N) / P(X = N)
                = gammaincc(N + 1, A) / exp(N log A - A - lgamma(N + 1)),

taken in log space with Loader's saddle-point form of the Poisson term, so that loads of
10^6 Erlangs keep ~13 digits; far below the load, where P(X <= N) underflows, Legendre's
continued fraction for Gamma(N + 1, A) takes over. The tests hold both to the recursion and
to 40-digit mpmath.

The Erlang C solver checks every candidate N from floor(A) + 1 (the first stable N) upward,
all cells at once, carrying B per cell with the forward recursion
B(n+1) = A B(n) / (n + 1 + A B(n)), which is stable (errors shrink at each step); a cell
leaves the loop at its first N meeting the target. B at the first candidate comes from the
same recursion run up from B(0) = 1 when that candidate is small, else from the closed form.
Above a few hundred Erlangs the walk from floor(A) + 1 would be ~sqrt(A) steps, so it starts
instead at a Halfin-Whitt estimate less a margin, and only where N - 1 there is shown to miss
the target; the answer stays the exact minimum. The Erlang A solver doubles N to a passing
value and bisects, which is exact because its service level rises and its occupancy falls
with N (both checked in the tests).

Erlang A uses the Palm / Garnett-Mandelbaum-Reiman formulas (Mandelbaum & Zeltyn, "The
M/M/n+G queue: summary of performance measures") with x = lambda / theta, a = N mu / theta and

    J(a, x) = sum_k x^k / ((a+1)(a+2)...(a+k)) = a e^x x^-a gamma(a, x) = 1F1(1; a+1; x),

computed as P(a, x) / (e^-x x^a / Gamma(a+1)) in log space, or by its continued fraction
when x is well below a (long patience, where P(a, x) underflows). Then

    P(wait)            = B J / (1 - B + B J)
    P(abandon | wait)  = 1 - (a / x) (1 - 1 / J)
    P(answered <= T | answered, waited) = 1 - e^phi(theta T) J(a+1, x e^-theta T) / J(a+1, x),
        phi(s) = -(a + 1) s + x (1 - e^-s)

where e^phi(theta t) is (up to a constant) the density of the wait of a contact that waits
and is answered; its mean, needed for ASA, has no closed form and is integrated by
Gauss-Legendre on the window where the (log-concave) density is non-negligible.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "ErlangA",
    "asa_c",
    "erlang_a",
    "erlang_b",
    "estimate_patience_s",
    "occupancy",
    "occupancy_a",
    "prob_wait_c",
    "required_agents_a",
    "required_agents_c",
    "scheduled_agents",
    "service_level_c",
    "traffic_erlangs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: What the metric functions return: an array, or a NumPy scalar for scalar inputs.
FloatResult = FloatArray | np.float64
IntResult = IntArray | np.int64

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Where the continued fractions take over from the incomplete gamma ratios: this many
# standard deviations below the mean the ratios lose precision, then underflow, while the
# fractions need well under 100 terms there (measured up to 10^8).
_CF_SIGMAS = 3.0
_CF_MAX_TERMS = 10_000
# Two units in the last place: a factor can sit one ulp off 1 for ever, so 1e-16 might
# never be met and the loop would run to _CF_MAX_TERMS.
_CF_TOL = 2.0**-51
# Above this load the Erlang C solver starts near the answer (Halfin-Whitt) instead of at
# ceil(A): stepping from ceil(A) costs ~sqrt(A) steps, ~1000 at 10^6 Erlangs.
_SEED_MIN_ERLANGS = 400.0
# Up to this many agents the Erlang C solver reaches its first candidate by the recursion
# from B(0) = 1, which is cheaper there than one incomplete gamma evaluation per cell.
_RECURSION_MAX_AGENTS = 48
# Gauss-Legendre nodes per panel for the ASA integral, and how far (in log units) below its
# peak the integrand is cut off: e^-46 ~ 1e-20 of the peak.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_TAIL_LOG_DROP = 46.0
# Whole-number tolerance for staffing after shrinkage: 14 / (1 - 0.3) is 20.000000000000004
# in floating point and must give 20 scheduled agents, not 21.
_SHRINKAGE_RTOL = 1e-9


# --- small helpers ---------------------------------------------------------------------------


def _arr(value: npt.ArrayLike, name: str) -> FloatArray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None


def _result(out: FloatArray) -> FloatResult:
    # 0-d arrays become NumPy scalars so scalar callers get a float back.
    res: FloatResult = out[()]
    return res


def _require(ok: npt.NDArray[np.bool_] | bool, message: str) -> None:
    if not np.all(ok):
        raise ValueError(message)


def _check_nonneg(arr: FloatArray, name: str) -> None:
    # NaN passes on purpose: it propagates to NaN results instead of raising mid-grid.
    _require(~(arr < 0), f"{name} must be >= 0")


def _check_positive(arr: FloatArray, name: str) -> None:
    _require(~(arr <= 0), f"{name} must be > 0")


def _xlogy_direct(n: FloatArray, lam: FloatArray) -> FloatArray:
    out: FloatArray = special.xlogy(n, lam) - lam - special.gammaln(n + 1.0)
    return out


def _stirlerr(n: FloatArray) -> FloatArray:
    """log(n!) - log(sqrt(2 pi n) (n/e)^n) for n >= 1 (Loader 2000)."""
    out = np.empty_like(n)
    big = n > 15.0
    nb = n[big]
    nn = nb * nb
    out[big] = (
        1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - 1.0 / (1188 * nn)) / nn) / nn) / nn
    ) / nb
    ns = n[~big]
    out[~big] = special.gammaln(ns + 1.0) - (ns + 0.5) * np.log(ns) + ns - _LOG_SQRT_2PI
    return out


def _bd0(n: FloatArray, lam: FloatArray) -> FloatArray:
    """n log(n / lam) + lam - n without the cancellation when n ~ lam (Loader 2000)."""
    out = np.empty_like(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        near = np.abs(n - lam) < 0.1 * (n + lam)
        far = ~near
        nf, lf = n[far], lam[far]
        out[far] = nf * np.log(nf / lf) + lf - nf
        nn, ln = n[near], lam[near]
        v = (nn - ln) / (nn + ln)
        s = (nn - ln) * v
        ej = 2.0 * nn * v
        v2 = v * v
        # |v| < 0.1, so twelve terms of the odd series reach v^25 < 1e-25.
        for j in range(1, 13):
            ej = ej * v2
            s = s + ej / (2 * j + 1)
        out[near] = s
    return out


def _log_poisson_term(n: FloatArray, lam: FloatArray) -> FloatArray:
    """log(e^-lam lam^n / Gamma(n + 1)) for real n >= 0, lam >= 0, accurate at large n, lam.

    The direct form n log(lam) - lam - lgamma(n+1) subtracts numbers of size ~n log n and
    keeps only ~1e-9 relative accuracy at 10^6; the saddle-point form keeps ~1e-13.
    """
    out = np.empty_like(n)
    small = n < 10.0
    out[small] = _xlogy_direct(n[small], lam[small])
    nb, lb = n[~small], lam[~small]
    with np.errstate(divide="ignore"):
        out[~small] = -_stirlerr(nb) - _bd0(nb, lb) - _LOG_SQRT_2PI - 0.5 * np.log(nb)
    return out


_TINY = 1e-300


def _lentz(
    b0: FloatArray, term: Callable[[int], tuple[FloatArray | float, FloatArray | float]]
) -> FloatArray:
    """b0 + a1/(b1 + a2/(b2 + ...)) per cell by the modified Lentz method; ``term(i)`` gives
    (a_i, b_i). Cells stop updating once their factor is within _CF_TOL of 1."""
    f = b0.copy()
    c = f.copy()
    d = np.zeros_like(f)
    active = np.ones(f.shape, dtype=bool)
    for i in range(1, _CF_MAX_TERMS):
        ai, bi = term(i)
        d = bi + ai * d
        d = np.where(d == 0.0, _TINY, d)
        c = bi + ai / c
        c = np.where(c == 0.0, _TINY, c)
        d = 1.0 / d
        delta = c * d
        f = np.where(active, f * delta, f)
        active &= np.abs(delta - 1.0) > _CF_TOL
        if not active.any():
            break
    return f


# --- Erlang B --------------------------------------------------------------------------------


def _inv_erlang_b_cf(n: FloatArray, lam: FloatArray) -> FloatArray:
    """1 / B(n, lam) for n well below lam, by Legendre's continued fraction for Gamma(n+1, lam).

    1/B = lam / (b0 + a1/(b1 + a2/(b2 + ...))), b_i = lam - n + 2i, a_i = i (n + 1 - i),
    evaluated with the modified Lentz method. It ends exactly for integer n (a_{n+1} = 0).
    """
    b0 = lam - n
    f = _lentz(
        np.where(b0 == 0.0, _TINY, b0),
        lambda i: (i * (n + 1.0 - i), lam - n + 2.0 * i),
    )
    out: FloatArray = lam / f
    return out


def _log_erlang_b(erlangs: FloatArray, agents: FloatArray) -> FloatArray:
    """log B(N, A), elementwise, for A >= 0 and real N >= 0 (1-d arrays of one shape)."""
    out = np.full(erlangs.shape, np.nan)
    zero = erlangs == 0.0
    out[zero & (agents == 0.0)] = 0.0
    out[zero & (agents > 0.0)] = -np.inf
    live = (erlangs > 0.0) & (agents >= 0.0)
    # Far below the load P(X <= N) underflows; there B ~ 1 - N/A and the fraction is quick.
    cf = live & (agents < erlangs - _CF_SIGMAS * np.sqrt(erlangs))
    gi = live & ~cf
    n, lam = agents[gi], erlangs[gi]
    with np.errstate(divide="ignore"):
        out[gi] = _log_poisson_term(n, lam) - np.log(special.gammaincc(n + 1.0, lam))
    if cf.any():
        out[cf] = -np.log(_inv_erlang_b_cf(agents[cf], erlangs[cf]))
    return out


def erlang_b(erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatResult:
    """Blocking probability of an M/M/N/N loss system with offered load A (Erlang B).

    B(0, A) = 1; B(N, 0) = 0 for N > 0. Fractional N uses the incomplete-gamma extension.
    """
    a, n = np.broadcast_arrays(_arr(erlangs, "erlangs"), _arr(agents, "agents"))
    _check_nonneg(a, "erlangs")
    _check_nonneg(n, "agents")
    with np.errstate(under="ignore"):
        out = np.exp(_log_erlang_b(a.ravel(), n.ravel()))
    return _result(out.reshape(a.shape))


# --- Erlang C metrics ------------------------------------------------------------------------


def _erlang_c_from_b(a: FloatArray, n: FloatArray, b: FloatArray) -> FloatArray:
    # N B / (N - A (1 - B)), with the denominator rearranged so that N close to A does not
    # cancel: N - A + A B.
    out: FloatArray = n * b / ((n - a) + a * b)
    return out


def _prob_wait_c_flat(a: FloatArray, n: FloatArray) -> FloatArray:
    out = np.full(a.shape, np.nan)
    out[a == 0.0] = 0.0
    out[(a > 0.0) & (n <= a)] = 1.0
    ok = (a > 0.0) & (n > a)
    with np.errstate(under="ignore"):
        b = np.exp(_log_erlang_b(a[ok], n[ok]))
    out[ok] = _erlang_c_from_b(a[ok], n[ok], b)
    return out


def prob_wait_c(erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatResult:
    """P(an arrival waits) in M/M/N (Erlang C). 1 when N <= A (unstable), 0 at zero load."""
    a, n = np.broadcast_arrays(_arr(erlangs, "erlangs"), _arr(agents, "agents"))
    _check_nonneg(a, "erlangs")
    _check_nonneg(n, "agents")
    return _result(_prob_wait_c_flat(a.ravel(), n.ravel()).reshape(a.shape))


def service_level_c(
    erlangs: npt.ArrayLike,
    agents: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    threshold_s: npt.ArrayLike,
) -> FloatResult:
    """P(wait <= threshold) in M/M/N: 1 - C e^{-(N - A) T / AHT}; 0 when N <= A, 1 at zero load."""
    a, n, aht, t = np.broadcast_arrays(
        _arr(erlangs, "erlangs"),
        _arr(agents, "agents"),
        _arr(aht_s, "aht_s"),
        _arr(threshold_s, "threshold_s"),
    )
    shape = a.shape
    _check_nonneg(a, "erlangs")
    _check_nonneg(n, "agents")
    _check_positive(aht, "aht_s")
    _check_nonneg(t, "threshold_s")
    a, n, aht, t = a.ravel(), n.ravel(), aht.ravel(), t.ravel()
    pw = _prob_wait_c_flat(a, n)
    with np.errstate(invalid="ignore", over="ignore"):
        decay = np.exp(-(n - a) * t / aht)
        sl = np.where(n > a, 1.0 - pw * decay, 0.0)
    sl = np.where(a == 0.0, 1.0, sl)
    sl = np.where(np.isnan(pw), np.nan, sl)
    return _result(sl.reshape(shape))


def asa_c(erlangs: npt.ArrayLike, agents: npt.ArrayLike, aht_s: npt.ArrayLike) -> FloatResult:
    """Mean wait (s) of all arrivals in M/M/N: C AHT / (N - A); inf when N <= A, 0 at zero load."""
    a, n, aht = np.broadcast_arrays(
        _arr(erlangs, "erlangs"), _arr(agents, "agents"), _arr(aht_s, "aht_s")
    )
    shape = a.shape
    _check_nonneg(a, "erlangs")
    _check_nonneg(n, "agents")
    _check_positive(aht, "aht_s")
    a, n, aht = a.ravel(), n.ravel(), aht.ravel()
    pw = _prob_wait_c_flat(a, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(n > a, pw * aht / (n - a), np.inf)
    asa = np.where(a == 0.0, 0.0, asa)
    asa = np.where(np.isnan(pw), np.nan, asa)
    return _result(asa.reshape(shape))


def occupancy(erlangs: npt.ArrayLike, agents: npt.ArrayLike) -> FloatResult:
    """Erlang C occupancy min(A / N, 1); 0 at zero load (also with N = 0), 1 when N = 0 < A."""
    a, n = np.broadcast_arrays(_arr(erlangs, "erlangs"), _arr(agents, "agents"))
    _check_nonneg(a, "erlangs")
    _check_nonneg(n, "agents")
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.minimum(a / n, 1.0)
    occ = np.where(a == 0.0, 0.0, occ)
    occ = np.where(np.isnan(a) | np.isnan(n), np.nan, occ)
    return _result(np.asarray(occ, dtype=np.float64))


def traffic_erlangs(
    calls: npt.ArrayLike, interval_s: npt.ArrayLike, aht_s: npt.ArrayLike
) -> FloatResult:
    """Offered load in Erlangs: calls x AHT / interval length."""
    c, iv, aht = np.broadcast_arrays(
        _arr(calls, "calls"), _arr(interval_s, "interval_s"), _arr(aht_s, "aht_s")
    )
    _check_nonneg(c, "calls")
    _check_positive(iv, "interval_s")
    _check_nonneg(aht, "aht_s")
    return _result(np.asarray(c * aht / iv, dtype=np.float64))


def estimate_patience_s(wait_time_s: float, abandoned: int) -> float | None:
    """Mean patience (s) from a day's counters: total queue time / abandoned contacts.

    With exponential patience this is the maximum-likelihood estimate: every contact that
    left the queue, answered or abandoned, was exposed to abandoning for its whole wait, so
    the rate is abandons per second of queue time. ``wait_time_s`` must therefore be the
    queue time of *every* contact that left the queue (the Floor API's ``wait_time_s``).
    None when nobody abandoned yet (the data says nothing about patience, only that it is
    long); the caller then falls back to a configured patience or to Erlang C.
    """
    if not math.isfinite(wait_time_s) or wait_time_s < 0:
        raise ValueError(f"wait_time_s must be a finite number >= 0, got {wait_time_s!r}")
    if abandoned < 0:
        raise ValueError(f"abandoned must be >= 0, got {abandoned!r}")
    if abandoned == 0:
        return None
    return float(wait_time_s) / float(abandoned)


# --- Erlang C staffing -----------------------------------------------------------------------


def _sl_c_from_b(a: FloatArray, n: FloatArray, b: FloatArray, tau: FloatArray) -> FloatArray:
    """Erlang C service level for n > a, given B(n, a); tau = threshold / AHT."""
    out: FloatArray = 1.0 - _erlang_c_from_b(a, n, b) * np.exp(-(n - a) * tau)
    return out


def _halfin_whitt_agents(a: FloatArray, tau: FloatArray, target: FloatArray) -> FloatArray:
    """Approximate staffing A + beta sqrt(A) from the Halfin-Whitt limit of Erlang C.

    Only a starting point for the exact search, which verifies it, so a rough beta is fine.
    """
    root = np.sqrt(a)
    lo = np.zeros_like(a)
    hi = np.full_like(a, 12.0)
    for _ in range(40):
        beta = 0.5 * (lo + hi)
        # C ~ 1 / (1 + beta Phi(beta) / phi(beta)); phi/Phi via log_ndtr keeps it finite.
        log_ratio = np.log(beta) + special.log_ndtr(beta) + 0.5 * beta * beta + _LOG_SQRT_2PI
        c = special.expit(-log_ratio)
        sl = 1.0 - c * np.exp(-beta * root * tau)
        ok = sl >= target
        hi = np.where(ok, beta, hi)
        lo = np.where(ok, lo, beta)
    out: FloatArray = a + hi * root
    return out


def _erlang_b_by_recursion(a: FloatArray, n: FloatArray) -> FloatArray:
    """B(n, a) for integer n by the forward recursion from B(0) = 1, all cells at once.

    Cheaper than the closed form for small n. Cells are sorted by n, largest first, so
    that at step k the cells still climbing are a prefix and each step is a slice.
    """
    steps = n.astype(np.int64)
    # A stable sort of small integers is a radix sort: ~20x quicker than sorting floats.
    order = np.argsort((steps.max(initial=0) - steps).astype(np.uint16), kind="stable")
    a_sorted = a[order]
    climbing = np.cumsum(np.bincount(steps)[::-1])[::-1]
    b = np.ones_like(a_sorted)
    for k in range(1, climbing.size):
        m = int(climbing[k])
        ab = a_sorted[:m] * b[:m]
        b[:m] = ab / (k + ab)
    out = np.empty_like(b)
    out[order] = b
    return out


def _min_agents_sl_c(a: FloatArray, tau: FloatArray, target: FloatArray) -> IntArray:
    """Smallest integer N > A with Erlang C SL >= target, for 1-d arrays with A > 0.

    SL is increasing in N for N > A, so the first passing candidate is the minimum; every
    candidate from floor(A) + 1 (the first stable N) upward is checked, unless a verified
    lower bound lets the search start higher.
    """
    start = np.floor(a) + 1.0
    n = start.copy()
    big = np.flatnonzero(a > _SEED_MIN_ERLANGS)
    if big.size:
        ab, tb, gb = a[big], tau[big], target[big]
        margin = 3.0 + np.ceil(0.01 * np.sqrt(ab))
        seed = np.maximum(start[big], np.floor(_halfin_whitt_agents(ab, tb, gb)) - margin)
        # The seed is used only if seed - 1 provably misses; otherwise start from the bottom.
        above = np.flatnonzero(seed > start[big])
        below = seed[above] - 1.0
        with np.errstate(under="ignore"):
            b_below = np.exp(_log_erlang_b(ab[above], below))
        misses = _sl_c_from_b(ab[above], below, b_below, tb[above]) < gb[above]
        n[big[above[misses]]] = seed[above[misses]]
    b = np.empty_like(a)
    small = n <= _RECURSION_MAX_AGENTS
    b[small] = _erlang_b_by_recursion(a[small], n[small])
    with np.errstate(under="ignore"):
        b[~small] = np.exp(_log_erlang_b(a[~small], n[~small]))

    result = np.empty(a.shape, dtype=np.int64)
    idx = np.arange(a.size)
    with np.errstate(under="ignore"):
        while idx.size:
            ok = _sl_c_from_b(a, n, b, tau) >= target
            if ok.any():
                result[idx[ok]] = n[ok].astype(np.int64)
                keep = ~ok
                idx, a, n, b = idx[keep], a[keep], n[keep], b[keep]
                tau, target = tau[keep], target[keep]
            ab = a * b
            b = ab / (n + 1.0 + ab)
            n = n + 1.0
    return result


def _min_agents_occupancy(a: FloatArray, max_occupancy: FloatArray) -> FloatArray:
    """Smallest integer N with A / N <= max_occupancy (as :func:`occupancy` computes it)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.ceil(a / max_occupancy)
        # One step each way absorbs the rounding of a / max_occupancy: 8 / 0.8 is
        # 10.000000000000002, and 10 agents do meet 80%.
        n = np.where((n > 1.0) & (a / (n - 1.0) <= max_occupancy), n - 1.0, n)
        n = np.where(a / n > max_occupancy, n + 1.0, n)
    out: FloatArray = np.where(a == 0.0, 0.0, n)
    return out


def _scheduled(raw: IntArray, shrinkage: FloatArray) -> IntArray:
    q = raw / (1.0 - shrinkage)
    out: IntArray = np.ceil(q * (1.0 - _SHRINKAGE_RTOL)).astype(np.int64)
    return out


def scheduled_agents(agents: npt.ArrayLike, shrinkage: npt.ArrayLike) -> IntResult:
    """Agents to schedule so that ``agents`` remain on contacts: ceil(agents / (1 - shrinkage)).

    Quotients within 1e-9 (relative) of a whole number count as that number, so that
    14 agents at 30% shrinkage is 20 scheduled, although 14 / 0.7 = 20.000000000000004.
    """
    n, shr = np.broadcast_arrays(_arr(agents, "agents"), _arr(shrinkage, "shrinkage"))
    _require(np.isfinite(n) & (n >= 0.0), "agents must be finite and >= 0")
    _require((shr >= 0.0) & (shr < 1.0), "shrinkage must be in [0, 1)")
    out: IntResult = _scheduled(np.asarray(n), shr).reshape(n.shape)[()]
    return out


def _staffing_inputs(
    target_sl: npt.ArrayLike,
    max_occupancy: npt.ArrayLike | None,
    shrinkage: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    target = _arr(target_sl, "target_sl")
    _require((target > 0.0) & (target < 1.0), "target_sl must be between 0 and 1 (exclusive)")
    occ = _arr(1.0 if max_occupancy is None else max_occupancy, "max_occupancy")
    _require((occ > 0.0) & (occ <= 1.0), "max_occupancy must be in (0, 1]")
    shr = _arr(shrinkage, "shrinkage")
    _require((shr >= 0.0) & (shr < 1.0), "shrinkage must be in [0, 1)")
    return target, occ, shr


def required_agents_c(
    erlangs: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    threshold_s: npt.ArrayLike,
    target_sl: npt.ArrayLike,
    max_occupancy: npt.ArrayLike | None = None,
    shrinkage: npt.ArrayLike = 0.0,
) -> IntResult:
    """Exact minimum agents for an Erlang C service-level target, per cell.

    The raw requirement is the smallest integer N > A with ``service_level_c >= target_sl``
    and, when given, ``occupancy <= max_occupancy``; the result is the agents to schedule,
    ``ceil(raw / (1 - shrinkage))`` (see :func:`scheduled_agents`). Zero load needs 0 agents.
    """
    target, occ, shr = _staffing_inputs(target_sl, max_occupancy, shrinkage)
    a, aht, t = _arr(erlangs, "erlangs"), _arr(aht_s, "aht_s"), _arr(threshold_s, "threshold_s")
    # Checked before broadcasting: a per-queue AHT column is checked once, not per interval.
    _require(np.isfinite(a) & (a >= 0.0), "erlangs must be finite and >= 0")
    _require(np.isfinite(aht) & (aht > 0.0), "aht_s must be finite and > 0")
    _require(~np.isnan(t) & (t >= 0.0), "threshold_s must be >= 0")
    shape = np.broadcast_shapes(a.shape, aht.shape, t.shape, target.shape, occ.shape, shr.shape)

    def cells(x: FloatArray) -> FloatArray:
        return np.broadcast_to(x, shape).ravel()

    a_flat = cells(a)
    raw = np.zeros(a_flat.shape, dtype=np.int64)
    live = np.flatnonzero(a_flat > 0.0)
    every = live.size == a_flat.size

    def pick(x: FloatArray) -> FloatArray:
        flat = cells(x)
        return flat if every else flat[live]

    if live.size:
        al = pick(a)
        need = _min_agents_sl_c(al, pick(t / aht), pick(target))
        if max_occupancy is not None and np.any(occ < 1.0):
            need = np.maximum(need, _min_agents_occupancy(al, pick(occ)).astype(np.int64))
        raw[live] = need
    if np.any(shr > 0.0):
        raw = _scheduled(raw, cells(shr))
    out: IntResult = raw.reshape(shape)[()]
    return out


# --- Erlang A --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErlangA:
    """Erlang A (M/M/N+M) figures, each an array shaped like the broadcast inputs.

    ``service_level`` is answered within the threshold over all arrivals (abandons are
    misses); ``asa_s`` is the mean wait of answered contacts; see the module docstring.
    """

    prob_wait: FloatResult
    prob_abandon: FloatResult
    service_level: FloatResult
    asa_s: FloatResult


def _j_tail_cf(b: FloatArray, x: FloatArray) -> FloatArray:
    """T(b, x) = D - b where J(b, x) = D / (D - x), by the continued fraction (DLMF 8.9.2)

        T = 1 + x/(b+2 - (b+1)x/(b+3 + 2x/(b+4 - (b+2)x/(b+5 + 3x/(...)))))

    Converges in a few dozen terms when x is a few sqrt(b) below b. Evaluating T rather
    than J gives P(abandon | wait) = T / (b + T) without the cancellation of 1 - (b/x)(1-1/J).
    """
    def term(i: int) -> tuple[FloatArray, FloatArray]:
        m = (i + 1) // 2
        return (m * x if i % 2 else -(b + m) * x), b + 1.0 + i

    # Lentz started from the leading 1 (b0 = 1) rather than from b0 = 0 and a tiny seed,
    # which would overflow in a1 / tiny once x passes ~1e8 (patience of years).
    return _lentz(np.ones_like(b), term)


def _j_cf_region(b: FloatArray, x: FloatArray) -> npt.NDArray[np.bool_]:
    # Well below b (or below b/2 for small b) the incomplete gamma ratio loses digits and
    # eventually underflows, while the continued fraction converges fast.
    out: npt.NDArray[np.bool_] = (x < b - _CF_SIGMAS * np.sqrt(b)) | (x < 0.5 * b)
    return out


def _log_j(b: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """log J(b, x) and P(abandon | wait) = 1 - (b/x)(1 - 1/J(b, x)), for b > 0, x >= 0."""
    log_j = np.empty_like(b)
    p_ab = np.empty_like(b)
    cf = _j_cf_region(b, x)
    if cf.any():
        bc, xc = b[cf], x[cf]
        tail = _j_tail_cf(bc, xc)
        log_j[cf] = np.log(bc + tail) - np.log(bc + tail - xc)
        p_ab[cf] = tail / (bc + tail)
    gi = ~cf
    if gi.any():
        bg, xg = b[gi], x[gi]
        with np.errstate(divide="ignore", under="ignore"):
            lj = np.log(special.gammainc(bg, xg)) - _log_poisson_term(bg, xg)
            log_j[gi] = lj
            p_ab[gi] = np.clip(1.0 - (bg / xg) * -np.expm1(-lj), 0.0, 1.0)
    return log_j, p_ab


def _phi(s: FloatArray, a: FloatArray, x: FloatArray) -> FloatArray:
    """log of the (unnormalised) density, in s = theta t, of the wait of an answered waiter."""
    out: FloatArray = -(a + 1.0) * s - x * np.expm1(-s)
    return out


def _phi_slope(s: FloatArray, a: FloatArray, x: FloatArray) -> FloatArray:
    out: FloatArray = -(a + 1.0) + x * np.exp(-s)
    return out


def _mean_answered_wait(a: FloatArray, x: FloatArray) -> FloatArray:
    """Mean of s >= 0 under the density proportional to exp(phi(s)), by Gauss-Legendre.

    phi is concave (phi'' = -x e^-s), so the density is unimodal with its mode at
    s* = max(0, log(x / (a+1))); Newton's method on the concave phi finds, from the outside,
    where it has dropped by _TAIL_LOG_DROP on each side, and one panel each side of the mode
    integrates a smooth, well-scaled bump.
    """
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        mode = np.maximum(0.0, np.log(x) - np.log1p(a))
        peak = _phi(mode, a, x)
        floor_ = peak - _TAIL_LOG_DROP
        # Right end: from the tangent at mode + one curvature width (the +1 keeps it finite
        # at x = 0), which lies above the concave phi, so its crossing of `floor_` is to
        # the right of the true crossing and Newton walks back to it monotonically.
        curvature = x * np.exp(-mode)
        s1 = mode + 1.0 / np.sqrt(curvature + 1.0)
        slope1 = _phi_slope(s1, a, x)
        hi = s1 + (_phi(s1, a, x) - floor_) / -slope1
        for _ in range(60):
            hi = hi - (_phi(hi, a, x) - floor_) / _phi_slope(hi, a, x)
        # Left end: 0 unless phi(0) = 0 is already below the cut; then Newton from 0.
        lo = np.zeros_like(a)
        cut = floor_ > 0.0
        if cut.any():
            lc, ac, xc, fc = lo[cut], a[cut], x[cut], floor_[cut]
            for _ in range(60):
                lc = lc - (_phi(lc, ac, xc) - fc) / _phi_slope(lc, ac, xc)
            lo[cut] = np.minimum(lc, mode[cut])
        total = np.zeros_like(a)
        first = np.zeros_like(a)
        for left, right in ((lo, mode), (mode, hi)):
            half = 0.5 * (right - left)
            nodes = (left + half)[:, None] + half[:, None] * _GL_NODES[None, :]
            w = half[:, None] * _GL_WEIGHTS[None, :]
            dens = np.exp(_phi(nodes, a[:, None], x[:, None]) - peak[:, None]) * w
            total += dens.sum(axis=1)
            first += (dens * nodes).sum(axis=1)
        out: FloatArray = first / total
    return out


def _erlang_a_flat(
    a_erl: FloatArray,
    n: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    t: FloatArray,
    want_asa: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    size = a_erl.shape
    pw = np.full(size, np.nan)
    pab = np.full(size, np.nan)
    sl = np.full(size, np.nan)
    asa = np.full(size, np.nan)

    zero = a_erl == 0.0
    pw[zero], pab[zero], sl[zero], asa[zero] = 0.0, 0.0, 1.0, 0.0

    # Infinite patience is Erlang C.
    ec = (a_erl > 0.0) & np.isinf(patience)
    if ec.any():
        ae, ne, he, te = a_erl[ec], n[ec], aht[ec], t[ec]
        pw_c = _prob_wait_c_flat(ae, ne)
        stable = ne > ae
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            pw[ec] = pw_c
            pab[ec] = 0.0
            sl[ec] = np.where(stable, 1.0 - pw_c * np.exp(-(ne - ae) * te / he), 0.0)
            asa[ec] = np.where(stable, pw_c * he / (ne - ae), np.inf)

    empty = (a_erl > 0.0) & (n == 0.0) & ~ec
    pw[empty], pab[empty], sl[empty], asa[empty] = 1.0, 1.0, 0.0, np.inf

    live = (a_erl > 0.0) & (n > 0.0) & np.isfinite(patience) & (patience > 0.0)
    if not live.any():
        return pw, pab, sl, asa
    al, nl, hl, pl, tl = a_erl[live], n[live], aht[live], patience[live], t[live]
    ratio = pl / hl  # mu / theta
    x = al * ratio
    a = nl * ratio
    theta_t = tl / pl

    with np.errstate(under="ignore", over="ignore", divide="ignore", invalid="ignore"):
        log_b = _log_erlang_b(al, nl)
        log_j, p_ab_w = _log_j(a, x)
        # P(wait) = B J / (1 - B + B J), with B J possibly past the float range.
        p_wait = 1.0 / (1.0 + -np.expm1(log_b) * np.exp(-(log_b + log_j)))
        p_served_w = 1.0 - p_ab_w
        # P(answered within T | answered after waiting) = 1 - e^phi(theta T) J(a+1, y) / J(a+1, x)
        log_j1, _ = _log_j(a + 1.0, x)
        y = x * np.exp(-theta_t)
        log_j2, _ = _log_j(a + 1.0, y)
        late_log = np.where(np.isinf(theta_t), -np.inf, _phi(theta_t, a, x)) + log_j2 - log_j1
        within = -np.expm1(np.minimum(late_log, 0.0))
        p_answered = 1.0 - p_wait * p_ab_w

    pw[live] = p_wait
    pab[live] = p_wait * p_ab_w
    sl[live] = (1.0 - p_wait) + p_wait * p_served_w * within
    if want_asa:
        with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
            mean_s = _mean_answered_wait(a, x)
            asa[live] = p_wait * p_served_w * mean_s * pl / p_answered
    return pw, pab, sl, asa


def _erlang_a_inputs(
    erlangs: npt.ArrayLike,
    agents: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    patience_s: npt.ArrayLike,
    threshold_s: npt.ArrayLike,
) -> list[FloatArray]:
    arrays = np.broadcast_arrays(
        _arr(erlangs, "erlangs"),
        _arr(agents, "agents"),
        _arr(aht_s, "aht_s"),
        _arr(patience_s, "patience_s"),
        _arr(threshold_s, "threshold_s"),
    )
    a, n, aht, pat, t = arrays
    _check_nonneg(a, "erlangs")
    _check_nonneg(n, "agents")
    _check_positive(aht, "aht_s")
    _check_positive(pat, "patience_s")
    _check_nonneg(t, "threshold_s")
    return list(arrays)


def erlang_a(
    erlangs: npt.ArrayLike,
    agents: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    patience_s: npt.ArrayLike,
    threshold_s: npt.ArrayLike,
) -> ErlangA:
    """Erlang A (M/M/N+M, exponential patience with mean ``patience_s``) figures.

    Finite for every N >= 0, including overload (N <= A). ``patience_s = inf`` gives
    Erlang C.
    """
    a, n, aht, pat, t = _erlang_a_inputs(erlangs, agents, aht_s, patience_s, threshold_s)
    shape = a.shape
    flat = (x.ravel() for x in (a, n, aht, pat, t))
    pw, pab, sl, asa = _erlang_a_flat(*flat, want_asa=True)
    return ErlangA(
        prob_wait=_result(pw.reshape(shape)),
        prob_abandon=_result(pab.reshape(shape)),
        service_level=_result(sl.reshape(shape)),
        asa_s=_result(asa.reshape(shape)),
    )


def occupancy_a(
    erlangs: npt.ArrayLike,
    agents: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    patience_s: npt.ArrayLike,
) -> FloatResult:
    """Erlang A occupancy: carried load A (1 - P(abandon)) / N; 0 at zero load or N = 0."""
    a, n, aht, pat, t = _erlang_a_inputs(erlangs, agents, aht_s, patience_s, 0.0)
    shape = a.shape
    a, n, aht, pat, t = (x.ravel() for x in (a, n, aht, pat, t))
    _, pab, _, _ = _erlang_a_flat(a, n, aht, pat, t, want_asa=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.minimum(a * (1.0 - pab) / n, 1.0)
    occ = np.where((a == 0.0) | (n == 0.0), 0.0, occ)
    occ = np.where(np.isnan(a) | np.isnan(n) | np.isnan(pab), np.nan, occ)
    return _result(occ.reshape(shape))


def _min_agents_a(
    a: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    t: FloatArray,
    target: FloatArray,
    max_occ: FloatArray,
) -> IntArray:
    """Smallest integer N with Erlang A SL >= target and occupancy <= max_occ (A > 0).

    Both constraints only get easier as N grows (SL rises, the carried load per agent
    falls; the tests check both), so the minimum is found by doubling from ceil(A) to a
    passing N and bisecting between the last failure and it. N = 0 always fails: with
    no agents nobody is answered.
    """

    def passes(idx: IntArray, n: FloatArray) -> npt.NDArray[np.bool_]:
        _, pab, sl, _ = _erlang_a_flat(a[idx], n, aht[idx], patience[idx], t[idx], False)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Capped as occupancy_a caps it: when every agent is busy, rounding can put
            # the carried load a hair above N, and max_occupancy = 1 must still pass.
            occ = np.minimum(a[idx] * (1.0 - pab) / n, 1.0)
        ok: npt.NDArray[np.bool_] = (sl >= target[idx]) & (occ <= max_occ[idx])
        return ok

    lo = np.zeros(a.shape)  # known to fail
    hi = np.full(a.shape, np.nan)  # known to pass
    probe = np.maximum(1.0, np.ceil(a))
    todo = np.arange(a.size)
    while todo.size:
        ok = passes(todo, probe[todo])
        hi[todo[ok]] = probe[todo[ok]]
        lo[todo[~ok]] = probe[todo[~ok]]
        todo = todo[~ok]
        probe[todo] = 2.0 * probe[todo]
    todo = np.flatnonzero(hi - lo > 1.0)
    while todo.size:
        mid = np.floor(0.5 * (lo[todo] + hi[todo]))
        ok = passes(todo, mid)
        hi[todo[ok]] = mid[ok]
        lo[todo[~ok]] = mid[~ok]
        todo = todo[hi[todo] - lo[todo] > 1.0]
    return hi.astype(np.int64)


def required_agents_a(
    erlangs: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    patience_s: npt.ArrayLike,
    threshold_s: npt.ArrayLike,
    target_sl: npt.ArrayLike,
    max_occupancy: npt.ArrayLike | None = None,
    shrinkage: npt.ArrayLike = 0.0,
) -> IntResult:
    """Exact minimum agents for an Erlang A service-level target, per cell.

    The raw requirement is the smallest integer N >= 0 whose Erlang A service level (answered
    within the threshold over all arrivals) reaches ``target_sl`` and, when given, whose
    occupancy (:func:`occupancy_a`) is at most ``max_occupancy``; the result is
    ``ceil(raw / (1 - shrinkage))``. Zero load needs 0 agents; infinite patience is Erlang C.
    """
    target, occ, shr = _staffing_inputs(target_sl, max_occupancy, shrinkage)
    a, aht, pat, t, target, occ, shr = np.broadcast_arrays(
        _arr(erlangs, "erlangs"),
        _arr(aht_s, "aht_s"),
        _arr(patience_s, "patience_s"),
        _arr(threshold_s, "threshold_s"),
        target,
        occ,
        shr,
    )
    shape = a.shape
    _require(np.isfinite(a) & (a >= 0.0), "erlangs must be finite and >= 0")
    _require(np.isfinite(aht) & (aht > 0.0), "aht_s must be finite and > 0")
    _require(~np.isnan(pat) & (pat > 0.0), "patience_s must be > 0 (inf for Erlang C)")
    _require(~np.isnan(t) & (t >= 0.0), "threshold_s must be >= 0")
    a, aht, pat, t, target, occ, shr = (x.ravel() for x in (a, aht, pat, t, target, occ, shr))
    raw = np.zeros(a.shape, dtype=np.int64)
    c_cells = np.flatnonzero((a > 0.0) & np.isinf(pat))
    if c_cells.size:
        raw[c_cells] = required_agents_c(
            a[c_cells], aht[c_cells], t[c_cells], target[c_cells], occ[c_cells]
        )
    a_cells = np.flatnonzero((a > 0.0) & np.isfinite(pat))
    if a_cells.size:
        i = a_cells
        raw[i] = _min_agents_a(a[i], aht[i], pat[i], t[i], target[i], occ[i])
    out: IntResult = _scheduled(raw, shr).reshape(shape)[()]
    return out
