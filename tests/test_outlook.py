"""The board's re-forecast figures, from the simulator's own forecast and actuals."""

from datetime import time

import httpx
import pandas as pd

from floorview.analytics import erlang
from floorview.analytics.outlook import current_outlook
from floorview.analytics.reforecast import queue_ratios
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import RestSource


async def test_outlook_matches_the_maths_on_the_simulators_plan() -> None:
    sim = Simulator(SimConfig(seed=3, start=time(11, 20)))
    source = RestSource("sim", "http://sim.test", transport=httpx.ASGITransport(app=create_app(sim, clock=lambda: 0.0)))
    snap = await source.fetch_floor()
    plan = await source.fetch_plan(snap.as_of.date())
    await source.aclose()
    assert plan is not None
    outlook = current_outlook(snap, plan)
    assert set(outlook) == {q.id for q in snap.queues}
    ratios = queue_ratios(plan.forecast, plan.actuals, snap.as_of)
    for q in snap.queues:
        o = outlook[q.id]
        assert o.interval_start.hour == 11 and o.interval_start.minute == 15
        row = plan.forecast[(plan.forecast["queue"] == q.id) & (plan.forecast["start"] == pd.Timestamp(o.interval_start))].iloc[0]
        r = ratios[q.id]
        a = erlang.traffic_erlangs(row["volume"] * r.volume, 900, row["aht_s"] * r.aht)
        patience = erlang.estimate_patience_s(q.today.wait_time_s, q.today.abandoned)
        assert patience is not None  # the simulated floor has abandons by 11:20
        expected = erlang.required_agents_a(a, row["aht_s"] * r.aht, patience, q.sl_threshold_s, q.sl_target)
        assert o.required == int(expected)
        assert o.staffed == snap.staffed_on(q.id)
        assert o.gap == o.required - o.staffed
        assert o.scheduled == row["scheduled_agents"]
        assert 0.0 <= (o.sl_projected or 0.0) <= 1.0
