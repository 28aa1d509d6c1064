"""The simulator against queueing theory: at one constant arrival rate, with exponential
handle times, no abandonment and N agents always on, the floor is an M/M/N queue and its
service level must match Erlang C."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from floorview.sim import wire
from floorview.sim.config import QueueSpec, SimConfig
from floorview.sim.engine import Simulator


def erlang_c_service_level(agents: int, erlangs: float, threshold_s: float, aht_s: float) -> float:
    """P(wait <= T) for M/M/N, via the stable Erlang B recursion."""
    b = 1.0
    for k in range(1, agents + 1):
        b = erlangs * b / (k + erlangs * b)
    c = agents * b / (agents - erlangs * (1 - b))
    return 1 - c * math.exp(-(agents - erlangs) * threshold_s / aht_s)


def test_erlang_c_reference_values() -> None:
    # The textbook case: 100 calls per 30 min at 180 s AHT is 10 Erlangs; with a 20 s
    # threshold, 11 agents answer 39.0% in time (68.2% wait) and 14 agents 88.8%.
    # Checked against the direct factorial formula.
    assert erlang_c_service_level(11, 10.0, 20, 180) == pytest.approx(0.3896, abs=1e-4)
    assert erlang_c_service_level(14, 10.0, 20, 180) == pytest.approx(0.8884, abs=1e-4)


# Ten agents at 8 Erlangs. The handle time is short (5 s, threshold 5/3 s: the same
# T/AHT as 60 s and 20 s) so one simulated day holds ~140,000 contacts: over 20 seeds the
# realised service level had a standard deviation of 0.7 points around Erlang C, so a
# tolerance of 3 points is more than 4 standard deviations wide.
AGENTS, ERLANGS, AHT_S, THRESHOLD_S = 10, 8.0, 5.0, 5.0 / 3.0
TOLERANCE = 0.03


def test_service_level_matches_erlang_c() -> None:
    queue = QueueSpec(
        "q-mmn", "M/M/N", "voice", THRESHOLD_S, AHT_S,
        daily_volume=ERLANGS / AHT_S * 86_400, patience_s=math.inf,
    )
    config = SimConfig(
        seed=1, start=dt.time(0), n_agents=AGENTS, queues=(queue,), profile="flat",
        staffing="always_on", handle_times="exponential",
    )
    sim = Simulator(config)
    sim.advance_to(config.day_start + dt.timedelta(days=1))
    # The first and last hour are left out: the floor starts empty, and contacts offered
    # just before the cut are still waiting.
    rows = wire.intervals(sim, config.date)["intervals"][4:-4]
    answered = sum(r["answered"] for r in rows)
    realised = sum(r["answered_within_sl"] for r in rows) / answered
    expected = erlang_c_service_level(AGENTS, ERLANGS, THRESHOLD_S, AHT_S)
    assert answered > 100_000
    assert sum(r["abandoned"] for r in rows) == 0
    assert realised == pytest.approx(expected, abs=TOLERANCE)
    # Offered load and handle time are the ones asked for.
    handled = sum(r["handled"] for r in rows)
    assert sum(r["handle_time_s"] for r in rows) / handled == pytest.approx(AHT_S, rel=0.02)
