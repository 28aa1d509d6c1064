"""Ground truth: the simulator, changed as previewed, moves its SL the way the preview
predicted. Two runs of one seeded floor, with and without the move, over the next 30 min."""

from __future__ import annotations

import json
from datetime import time, timedelta

from test_outlook_cache import FIXED_PATIENCE, polls

from floorview.analytics.outlook import OutlookCache, current_outlook
from floorview.analytics.whatif import new_memberships, preview
from floorview.model import FloorSnapshot
from floorview.sim import wire
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import parse_floor


def _floor(sim: Simulator) -> FloorSnapshot:
    return parse_floor(json.loads(json.dumps(wire.floor(sim))), "sim")


def _sl_between(before: FloorSnapshot, after: FloorSnapshot, queue_id: str) -> float:
    a, b = before.queue_by_id[queue_id].today, after.queue_by_id[queue_id].today
    closed = (b.answered + b.abandoned) - (a.answered + a.abandoned)
    return (b.answered_within_sl - a.answered_within_sl) / closed


async def test_the_simulator_moves_sl_the_way_the_preview_said() -> None:
    (snap,), plan = await polls([0.0])  # seed 3 at 11:20, as tests/test_outlook_cache.py
    cache = OutlookCache()
    board = current_outlook(snap, plan, FIXED_PATIENCE, cache)
    # Take agents away from the queue projected worst: the preview says its SL falls.
    ranked = sorted(board.values(), key=lambda o: o.sl_projected or 0.0)
    short, other = ranked[0].queue_id, ranked[-1].queue_id
    # Leave it three agents: on this multi-skilled floor a few fewer agents on a queue are
    # absorbed by the others (the simulator answered every sales contact within threshold
    # whether or not three left), so the move must be big enough to show.
    takers = [a for a in snap.agents if short in a.queue_ids]
    donors = takers[3:]
    assert len(donors) >= 10
    changes = new_memberships(snap, [a.id for a in donors], remove=[short], add=[other])
    effect = {e.queue_id: e for e in preview(snap, cache.interval, changes)}[short]
    assert effect.sl_after is not None and effect.sl_before is not None
    assert effect.sl_after < effect.sl_before

    runs = {}
    for moved in (False, True):
        sim = Simulator(SimConfig(seed=3, start=time(11, 20)))
        start = _floor(sim)
        if moved:
            for a in donors:
                sim.set_agent_queues(a.id, list(changes[a.id]), a.version)
        sim.advance_to(sim.now + timedelta(minutes=30))
        runs[moved] = _sl_between(start, _floor(sim), short)
    print(f"\n{short}: preview SL {effect.sl_before:.3f} -> {effect.sl_after:.3f}; "
          f"simulator 11:20-11:50 SL {runs[False]:.3f} without, {runs[True]:.3f} with the move")
    # The same arrivals, handle times and patience in both runs: only the move differs.
    assert runs[True] < runs[False], runs
