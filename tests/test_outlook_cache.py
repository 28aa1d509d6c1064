"""The outlook cache: the interval's requirement solved once, staffed and SL on every poll."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import time, timedelta

import httpx
import msgspec
import numpy as np

from floorview.analytics.outlook import (
    OutlookCache,
    OutlookSettings,
    QueueOutlook,
    current_outlook,
)
from floorview.model import AgentState, FloorSnapshot
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.base import DayPlan
from floorview.sources.rest import RestSource

# Set by hand, so the cached figures must equal the full re-forecast's on every poll (an
# estimated patience is held for the interval on purpose, see OutlookCache).
FIXED_PATIENCE = OutlookSettings(patience_s=90.0)


async def polls(offsets_s: list[float]) -> tuple[list[FloorSnapshot], DayPlan]:
    """The seeded simulator from 11:20, read through the rest source at each offset (sim
    seconds, speed 1), and the day's plan as read at the first."""
    sim = Simulator(SimConfig(seed=3, start=time(11, 20)))
    clock = [0.0]
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: clock[0]))
    source = RestSource("sim", "http://sim.test", transport=transport)
    snapshots = []
    for offset in offsets_s:
        clock[0] = offset
        snapshots.append(await source.fetch_floor())
    plan = await source.fetch_plan(snapshots[0].as_of.date())
    await source.aclose()
    assert plan is not None
    return snapshots, plan


def staffing(outlook: dict[str, QueueOutlook]) -> dict[str, int]:
    return {q: o.staffed for q, o in outlook.items()}


async def test_cached_outlook_equals_the_full_reforecast_through_an_interval() -> None:
    snapshots, plan = await polls([0, 120, 240, 360, 480, 590])
    assert {s.as_of.minute // 15 for s in snapshots} == {1}  # all in 11:15-11:30
    cache = OutlookCache()
    seen = []
    for snap in snapshots:
        cached = current_outlook(snap, plan, FIXED_PATIENCE, cache)
        assert cached == current_outlook(snap, plan, FIXED_PATIENCE)
        assert set(cached) == {q.id for q in snap.queues}
        seen.append(staffing(cached))
    # The floor moved between polls, so the per-poll path was really exercised.
    assert len({tuple(sorted(s.items())) for s in seen}) > 1


async def test_estimated_patience_is_held_for_the_interval() -> None:
    snapshots, plan = await polls([0, 300])
    cache = OutlookCache()
    first = current_outlook(snapshots[0], plan, cache=cache)
    assert first == current_outlook(snapshots[0], plan)
    later = current_outlook(snapshots[1], plan, cache=cache)
    # Requirement frozen at the first poll; staffed read from the later snapshot.
    assert {q: o.required for q, o in later.items()} == {q: o.required for q, o in first.items()}
    assert staffing(later) == {q.id: snapshots[1].effective_on(q.id) for q in snapshots[1].queues}
    assert current_outlook(snapshots[0], plan, cache=cache) == first


async def test_cache_recomputes_when_the_interval_changes() -> None:
    snapshots, plan = await polls([0, 660])  # 11:20 and 11:31
    cache = OutlookCache()
    before = current_outlook(snapshots[0], plan, cache=cache)
    after = current_outlook(snapshots[1], plan, cache=cache)
    assert {o.interval_start.minute for o in before.values()} == {15}
    assert {o.interval_start.minute for o in after.values()} == {30}
    assert after == current_outlook(snapshots[1], plan)


async def test_cache_recomputes_when_the_plan_changes() -> None:
    snapshots, plan = await polls([0])
    snap = snapshots[0]
    cache = OutlookCache()
    before = current_outlook(snap, plan, FIXED_PATIENCE, cache)
    busier = plan.forecast.assign(volume=plan.forecast["volume"] * 3)
    new_plan = dataclasses.replace(plan, forecast=busier)
    after = current_outlook(snap, new_plan, FIXED_PATIENCE, cache)
    assert after == current_outlook(snap, new_plan, FIXED_PATIENCE)
    assert any(after[q].required > before[q].required for q in before)
    # And back: the first plan object is not mistaken for the one cached last.
    assert current_outlook(snap, plan, FIXED_PATIENCE, cache) == before


async def test_cache_recomputes_when_a_queue_target_changes() -> None:
    snapshots, plan = await polls([0])
    snap = snapshots[0]
    cache = OutlookCache()
    before = current_outlook(snap, plan, FIXED_PATIENCE, cache)
    first = snap.queues[0]
    stricter = msgspec.structs.replace(first, sl_target=0.99, sl_threshold_s=5.0)
    changed = FloorSnapshot(
        snap.source, snap.as_of, snap.site, (stricter, *snap.queues[1:]), snap.agents
    )
    after = current_outlook(changed, plan, FIXED_PATIENCE, cache)
    assert after == current_outlook(changed, plan, FIXED_PATIENCE)
    assert after[first.id].required > before[first.id].required


def with_extra_agents(snap: FloorSnapshot, queue_id: str, count: int) -> FloorSnapshot:
    """``snap`` with ``count`` agents who were not staffed made available on one queue."""
    idle = [a for a in snap.agents if a.state in (AgentState.OFFLINE, AgentState.AUX)][:count]
    assert len(idle) == count
    moved = {
        a.id: msgspec.structs.replace(
            a, state=AgentState.AVAILABLE, aux_reason=None, queue_ids=(queue_id,), contact=None
        )
        for a in idle
    }
    agents = tuple(moved.get(a.id, a) for a in snap.agents)
    return FloorSnapshot(snap.source, snap.as_of + timedelta(seconds=1), snap.site,
                         snap.queues, agents)


async def test_more_agents_now_means_smaller_gap_and_no_lower_service_level() -> None:
    snapshots, plan = await polls([0])
    snap = snapshots[0]
    cache = OutlookCache()
    before = current_outlook(snap, plan, cache=cache)
    queue = max(before.values(), key=lambda o: o.gap).queue_id
    after = current_outlook(with_extra_agents(snap, queue, 3), plan, cache=cache)
    assert after[queue].staffed == before[queue].staffed + 3
    assert after[queue].gap == before[queue].gap - 3
    assert after[queue].required == before[queue].required
    assert (after[queue].sl_projected or 0.0) >= (before[queue].sl_projected or 0.0)
    others = set(before) - {queue}
    assert {q: after[q] for q in others} == {q: before[q] for q in others}
    # Every queue, SL never falls as agents are added: in Erlang A (patience known, as on
    # this floor) and in Erlang C (patience unknown).
    interval = cache.interval
    assert interval is not None
    erlang_c = dataclasses.replace(interval, patience_s=np.full(len(interval.queues), np.nan))
    staffed = np.array([float(before[q].staffed) for q in interval.queues])
    for model in (interval, erlang_c):
        levels = [model.service_level(staffed + k) for k in range(4)]
        assert all(np.all(hi >= lo - 1e-12) for lo, hi in itertools.pairwise(levels))
    assert not np.array_equal(interval.service_level(staffed), erlang_c.service_level(staffed))
