"""The board's re-forecast figures, from the simulator's own forecast and actuals."""

from datetime import time

import httpx
import pandas as pd

from floorview.analytics import erlang
from floorview.analytics.outlook import current_outlook
from floorview.analytics.reforecast import queue_ratios
from floorview.model import FloorSnapshot
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.base import DayPlan
from floorview.sources.rest import RestSource


async def floor_and_plan() -> tuple[FloorSnapshot, DayPlan]:
    """The seeded simulator at 11:20, read through the rest source as the dashboard reads it."""
    sim = Simulator(SimConfig(seed=3, start=time(11, 20)))
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: 0.0))
    source = RestSource("sim", "http://sim.test", transport=transport)
    snap = await source.fetch_floor()
    plan = await source.fetch_plan(snap.as_of.date())
    await source.aclose()
    assert plan is not None
    return snap, plan


async def test_outlook_matches_the_maths_on_the_simulators_plan() -> None:
    snap, plan = await floor_and_plan()
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
        assert o.staffed == snap.effective_on(q.id) <= snap.staffed_on(q.id)
        assert o.gap == o.required - o.staffed
        assert o.scheduled == row["scheduled_agents"]
        assert 0.0 <= (o.sl_projected or 0.0) <= 1.0


async def test_settings_from_config_reach_the_outlook(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from floorview.cli import outlook_settings
    from floorview.config import parse_config

    snap, plan = await floor_and_plan()
    base = current_outlook(snap, plan)
    queue = snap.queues[0].id
    config = parse_config(
        f'[[sources]]\nname = "s"\nkind = "rest"\nurl = "http://x"\n'
        f'[reforecast]\npatience_s = 86400\n[reforecast.volume_override]\n{queue} = 2.0\n',
        tmp_path / "f.toml",
    )
    tuned = current_outlook(snap, plan, outlook_settings(config))
    assert tuned[queue].volume_ratio == 2.0
    assert tuned[queue].required > base[queue].required
    # Near-infinite patience: Erlang A meets Erlang C's requirement for the other queues.
    other = snap.queues[1]
    row = plan.forecast[(plan.forecast["queue"] == other.id) & (plan.forecast["start"] == pd.Timestamp(tuned[other.id].interval_start))].iloc[0]
    r = queue_ratios(plan.forecast, plan.actuals, snap.as_of)[other.id]
    a = erlang.traffic_erlangs(row["volume"] * r.volume, 900, row["aht_s"] * r.aht)
    assert tuned[other.id].required == int(erlang.required_agents_c(a, row["aht_s"] * r.aht, other.sl_threshold_s, other.sl_target))


async def test_cached_ratios_give_the_same_outlook() -> None:
    from floorview.analytics.outlook import OutlookCache, rest_of_day

    snap, plan = await floor_and_plan()
    cache = OutlookCache()
    first = current_outlook(snap, plan, cache=cache)
    assert current_outlook(snap, plan, cache=cache) == first == current_outlook(snap, plan)
    # The full rest-of-day table agrees with the one-interval fast path.
    table = rest_of_day(snap, plan)
    now = table[table["start"] == pd.Timestamp(snap.as_of).floor("15min")]
    assert sorted(now["queue"]) == sorted(first)
    for row in now.itertuples():
        assert first[row.queue].required == row.required_a
