"""Every field the simulator puts on the wire lands in the model with the same value."""

from datetime import datetime, time

from floorview.sim import wire
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.intervals import parse_actuals, parse_forecast
from floorview.sources.rest import parse_floor


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_floor_round_trips_through_the_parser() -> None:
    sim = Simulator(SimConfig(seed=5, start=time(14, 10)))
    data = wire.floor(sim)
    snap = parse_floor(data, "sim")
    assert snap.as_of == ts(data["as_of"]) and snap.site == data["site"]
    assert len(snap.queues) == len(data["queues"]) and len(snap.agents) == len(data["agents"])
    for raw, q in zip(data["queues"], snap.queues, strict=True):
        assert (q.id, q.name, q.channel.value) == (raw["id"], raw["name"], raw["channel"])
        assert (q.sl_threshold_s, q.sl_target) == (raw["sl_threshold_s"], raw["sl_target"])
        assert (q.waiting, q.oldest_wait_s) == (raw["waiting"], raw["oldest_wait_s"])
        for key, value in raw["today"].items():
            assert getattr(q.today, key) == value, key
    with_contact = 0
    for raw, a in zip(data["agents"], snap.agents, strict=True):
        assert (a.id, a.name, a.team, a.state.value) == (raw["id"], raw["name"], raw["team"], raw["state"])
        assert a.aux_reason == raw["aux_reason"]
        assert a.state_since == ts(raw["state_since"])
        assert list(a.queue_ids) == raw["queues"] and a.version == raw["version"]
        if raw["contact"] is None:
            assert a.contact is None
        else:
            with_contact += 1
            assert a.contact is not None
            assert a.contact.queue_id == raw["contact"]["queue"]
            assert a.contact.started_at == ts(raw["contact"]["started_at"])
            assert a.contact.sentiment == raw["contact"]["sentiment"]
        assert a.today is not None
        for key, value in raw["today"].items():
            assert getattr(a.today, key) == value, key
    assert with_contact > 10  # mid-afternoon: plenty of contacts in hand


def test_interval_tables_round_trip() -> None:
    sim = Simulator(SimConfig(seed=5, start=time(14, 10)))
    day = sim.config.date
    raw_actuals = wire.intervals(sim, day)
    actuals = parse_actuals(raw_actuals)
    assert len(actuals) == len(raw_actuals["intervals"]) > 0
    first = raw_actuals["intervals"][0]
    row = actuals.iloc[0]
    assert row["queue"] == first["queue"] and row["start"] == ts(first["start"])
    for key in ("offered", "answered", "answered_within_sl", "abandoned", "handled", "handle_time_s", "wait_time_s", "staffed_avg", "agents_effective"):
        assert row[key] == first[key], key
    raw_forecast = wire.forecast(sim, day)
    forecast = parse_forecast(raw_forecast)
    assert len(forecast) == len(raw_forecast["intervals"])
    assert list(forecast["volume"]) == [r["volume"] for r in raw_forecast["intervals"]]
    assert list(forecast["scheduled_agents"]) == [r["scheduled_agents"] for r in raw_forecast["intervals"]]
