"""Erlang C staffing: floorview's vectorised solver against pyworkforce's ErlangC, one run.

    python benchmarks/bench_erlang.py [--repeat-ours 31] [--repeat-pyworkforce 3]

Two grids, both seeded:

* 200 queues x 96 quarter-hour intervals: per-queue daily volume, AHT and service-level
  goal (voice 80/20, 90/30, 70/30; chat 80/60; back office 90% in 1 h), an intraday
  profile with morning and afternoon peaks, Poisson noise, at least one contact a cell
  (pyworkforce rejects zero volume);
* 48 half-hour intervals x 50 load levels (10 to 500 contacts, AHT following the day), 80/20.

For each grid it prints the median time of each solver, the ratio, how many cells agree and,
for every cell where they differ, whether floorview's answer is the exact minimum (N - 1
misses the target, N meets it) by an independent 50-digit computation. It also checks every
cell of floorview's answer the same way: an independent float64 check, and 50 digits where
that check is within 1e-9 of the target.

A script that prints figures, not a timed test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mpmath
import numpy as np
import numpy.typing as npt
import scipy

# Runnable from a plain checkout too, without `pip install -e .`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from floorview.analytics.erlang import required_agents_a, required_agents_c

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SEED = 20261123
# (target, threshold_s, AHT range s, share of queues): a contact centre's usual mix.
GOALS = (
    (0.80, 20.0, (150.0, 420.0), 0.40),  # voice 80/20
    (0.90, 30.0, (180.0, 480.0), 0.20),  # voice 90/30
    (0.70, 30.0, (240.0, 600.0), 0.15),  # sales 70/30
    (0.80, 60.0, (300.0, 900.0), 0.15),  # chat 80/60
    (0.90, 3600.0, (300.0, 900.0), 0.10),  # back office, 90% within the hour
)


@dataclass(frozen=True, slots=True)
class Grid:
    name: str
    calls: FloatArray
    interval_s: FloatArray
    aht_s: FloatArray
    threshold_s: FloatArray
    target: FloatArray

    @property
    def erlangs(self) -> FloatArray:
        out: FloatArray = self.calls * self.aht_s / self.interval_s
        return out


def intraday_profile(intervals: int) -> FloatArray:
    hours = (np.arange(intervals) + 0.5) * 24.0 / intervals
    shape = (
        0.04
        + np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2)
        + 0.8 * np.exp(-0.5 * ((hours - 15.0) / 2.0) ** 2)
    )
    out: FloatArray = shape / shape.sum()
    return out


def queues_by_intervals(rng: np.random.Generator, queues: int = 200, intervals: int = 96) -> Grid:
    kinds = rng.choice(len(GOALS), size=queues, p=[g[3] for g in GOALS])
    target = np.array([GOALS[k][0] for k in kinds])
    threshold = np.array([GOALS[k][1] for k in kinds])
    aht = np.array([rng.uniform(*GOALS[k][2]) for k in kinds])
    daily = np.exp(rng.uniform(math.log(300.0), math.log(12_000.0), size=queues))
    profile = intraday_profile(intervals)
    # Each queue's day is shifted a little so the peaks do not all line up.
    shifted = np.stack([np.roll(profile, int(s)) for s in rng.integers(-4, 5, size=queues)])
    calls = np.maximum(1.0, rng.poisson(daily[:, None] * shifted)).astype(np.float64)
    shape = calls.shape
    return Grid(
        name=f"{queues} queues x {intervals} intervals (15 min)",
        calls=calls,
        interval_s=np.full(shape, 900.0),
        aht_s=np.broadcast_to(aht[:, None], shape).copy(),
        threshold_s=np.broadcast_to(threshold[:, None], shape).copy(),
        target=np.broadcast_to(target[:, None], shape).copy(),
    )


def intervals_by_loads(intervals: int = 48, loads: int = 50) -> Grid:
    hours = (np.arange(intervals) + 0.5) * 24.0 / intervals
    aht = 200.0 + 60.0 * np.sin(2.0 * np.pi * (hours - 9.0) / 24.0)  # longer calls by day
    calls = np.linspace(10.0, 500.0, loads)
    shape = (intervals, loads)
    return Grid(
        name=f"{intervals} intervals (30 min) x {loads} load levels",
        calls=np.broadcast_to(calls[None, :], shape).copy(),
        interval_s=np.full(shape, 1800.0),
        aht_s=np.broadcast_to(aht[:, None], shape).copy(),
        threshold_s=np.full(shape, 20.0),
        target=np.full(shape, 0.8),
    )


# --- solvers -----------------------------------------------------------------------------


def ours(grid: Grid) -> IntArray:
    out: IntArray = np.asarray(
        required_agents_c(grid.erlangs, grid.aht_s, grid.threshold_s, grid.target)
    )
    return out


def load_pyworkforce() -> tuple[Callable[[Grid], IntArray] | None, str]:
    try:
        from importlib.metadata import version

        from pyworkforce.queuing import ErlangC
    except Exception as exc:  # any import failure: report it and time ours alone
        return None, f"pyworkforce unavailable ({type(exc).__name__}: {exc})"

    def solve(grid: Grid) -> IntArray:
        out = np.empty(grid.calls.size, dtype=np.int64)
        columns = zip(
            grid.calls.ravel(),
            grid.interval_s.ravel(),
            grid.aht_s.ravel(),
            grid.threshold_s.ravel(),
            grid.target.ravel(),
            strict=True,
        )
        for i, (calls, interval, aht, threshold, target) in enumerate(columns):
            # Seconds throughout: pyworkforce only needs consistent units ("asa" is the
            # service-level threshold).
            erlang = ErlangC(transactions=calls, aht=aht, asa=threshold, interval=interval)
            out[i] = erlang.required_positions(service_level=target)["raw_positions"]
        return out.reshape(grid.calls.shape)

    return solve, f"pyworkforce {version('pyworkforce')}"


def median_time(
    solve: Callable[[Grid], IntArray], grid: Grid, repeat: int
) -> tuple[float, IntArray]:
    times = []
    result = solve(grid)  # warm-up, and the answer to compare
    for _ in range(repeat):
        start = time.perf_counter()
        solve(grid)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# --- independent checks ------------------------------------------------------------------


def sl_float(erlangs: float, agents: int, aht: float, threshold: float) -> float:
    """Erlang C service level by the textbook recursion in plain floats (not floorview's code)."""
    if agents <= erlangs:
        return 0.0
    b = 1.0
    for k in range(1, agents + 1):
        b = erlangs * b / (k + erlangs * b)
    c = agents * b / (agents - erlangs * (1.0 - b))
    return 1.0 - c * math.exp(-(agents - erlangs) * threshold / aht)


def sl_mp(erlangs: float, agents: int, aht: float, threshold: float) -> mpmath.mpf:
    """The same at 50 significant digits."""
    with mpmath.workdps(50):
        a = mpmath.mpf(erlangs)
        if agents <= a:
            return mpmath.mpf(0)
        b = mpmath.mpf(1)
        for k in range(1, agents + 1):
            b = a * b / (k + a * b)
        c = agents * b / (agents - a * (1 - b))
        return 1 - c * mpmath.exp(-(agents - a) * mpmath.mpf(threshold) / mpmath.mpf(aht))


def is_exact_minimum(
    erlangs: float, agents: int, aht: float, threshold: float, target: float
) -> bool:
    passes = sl_mp(erlangs, agents, aht, threshold) >= target
    below_fails = agents == 0 or sl_mp(erlangs, agents - 1, aht, threshold) < target
    return bool(passes and below_fails)


def verify_all(grid: Grid, answer: IntArray) -> tuple[int, int]:
    """Cells where floorview's answer is the exact minimum, and how many needed 50 digits."""
    exact = 0
    close_calls = 0
    columns = zip(
        grid.erlangs.ravel(),
        answer.ravel(),
        grid.aht_s.ravel(),
        grid.threshold_s.ravel(),
        grid.target.ravel(),
        strict=True,
    )
    for erl, n, aht, threshold, target in columns:
        n = int(n)
        here = sl_float(erl, n, aht, threshold)
        below = sl_float(erl, n - 1, aht, threshold) if n > 0 else -1.0
        if abs(here - target) < 1e-9 or abs(below - target) < 1e-9:
            close_calls += 1
            exact += is_exact_minimum(erl, n, aht, threshold, target)
        else:
            exact += here >= target > below
    return exact, close_calls


# --- report ------------------------------------------------------------------------------


def report(
    grid: Grid, pyworkforce: Callable[[Grid], IntArray] | None, args: argparse.Namespace
) -> None:
    cells = grid.calls.size
    a = grid.erlangs
    print(f"\n== {grid.name}: {cells} cells, load {a.min():.2f} to {a.max():.1f} Erlangs")
    ours_s, our_answer = median_time(ours, grid, args.repeat_ours)
    print(f"floorview   median {ours_s * 1e3:9.2f} ms  ({args.repeat_ours} runs)")
    exact, close_calls = verify_all(grid, our_answer)
    print(
        f"floorview exact minimum in {exact}/{cells} cells "
        f"(independent check; {close_calls} within 1e-9 of the target re-checked at 50 digits)"
    )
    patience = np.random.default_rng(SEED).uniform(30.0, 600.0, size=grid.calls.shape)
    erlang_a_s, _ = median_time(
        lambda g: np.asarray(
            required_agents_a(g.erlangs, g.aht_s, patience, g.threshold_s, g.target)
        ),
        grid,
        max(3, args.repeat_ours // 4),
    )
    print(f"floorview   median {erlang_a_s * 1e3:9.2f} ms  for Erlang A (patience 30-600 s)")
    if pyworkforce is None:
        return
    theirs_s, their_answer = median_time(pyworkforce, grid, args.repeat_pyworkforce)
    print(f"pyworkforce median {theirs_s * 1e3:9.2f} ms  ({args.repeat_pyworkforce} runs)")
    print(f"speed-up    {theirs_s / ours_s:9.1f}x")
    differ = np.flatnonzero(our_answer.ravel() != their_answer.ravel())
    print(f"agree       {cells - differ.size}/{cells} cells")
    if differ.size == 0:
        return
    flat = {
        "erlangs": a.ravel(),
        "aht": grid.aht_s.ravel(),
        "threshold": grid.threshold_s.ravel(),
        "target": grid.target.ravel(),
    }
    ours_exact = 0
    theirs_exact = 0
    deltas: dict[int, int] = {}
    for i in differ:
        args_i = (flat["erlangs"][i], flat["aht"][i], flat["threshold"][i])
        target = flat["target"][i]
        ours_exact += is_exact_minimum(*args_i[:1], int(our_answer.flat[i]), *args_i[1:], target)
        theirs_exact += is_exact_minimum(
            *args_i[:1], int(their_answer.flat[i]), *args_i[1:], target
        )
        delta = int(their_answer.flat[i]) - int(our_answer.flat[i])
        deltas[delta] = deltas.get(delta, 0) + 1
    spread = ", ".join(f"{d:+d} agent(s) in {n} cells" for d, n in sorted(deltas.items()))
    print(
        f"differ      {differ.size} cells: pyworkforce {spread}; at 50 digits floorview is the "
        f"exact minimum in {ours_exact}/{differ.size}, pyworkforce in {theirs_exact}/{differ.size}"
    )
    # One example per service-level goal, so a repeated interval does not fill the list.
    goals = np.stack([flat["target"][differ], flat["threshold"][differ]], axis=1)
    _, first = np.unique(goals, axis=0, return_index=True)
    for i in differ[np.sort(first)]:
        count = int(np.sum((goals == goals[np.searchsorted(differ, i)]).all(axis=1)))
        print(
            f"  e.g. A = {flat['erlangs'][i]:.4f} E, AHT {flat['aht'][i]:.0f} s, "
            f"{flat['target'][i]:.0%} in {flat['threshold'][i]:.0f} s: "
            f"floorview {our_answer.flat[i]}, pyworkforce {their_answer.flat[i]} "
            f"(round(A + 1) = {round(flat['erlangs'][i] + 1)}); {count} such cells"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat-ours", type=int, default=31)
    parser.add_argument("--repeat-pyworkforce", type=int, default=3)
    args = parser.parse_args()

    pyworkforce, label = load_pyworkforce()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"{label}; {platform.machine()}"
    )
    rng = np.random.default_rng(SEED)
    for grid in (queues_by_intervals(rng), intervals_by_loads()):
        report(grid, pyworkforce, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
