"""What the collector serves reads back, through the Floor API readers, as what it polled."""

import dataclasses
import json
from datetime import date, time

import msgspec
import pandas as pd

from floorview.sim import wire
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.base import DayPlan
from floorview.sources.floor_encode import floor_doc, forecast_doc, intervals_doc, tickets_doc
from floorview.sources.intervals import parse_actuals, parse_forecast
from floorview.sources.rest import parse_floor, parse_floor_body, parse_tickets


def test_a_floor_round_trips_field_for_field() -> None:
    sim = Simulator(SimConfig(seed=5, start=time(14, 10)))
    snapshot = parse_floor(wire.floor(sim), "sim")
    again = parse_floor(floor_doc(snapshot), "sim")
    assert again.as_of == snapshot.as_of and again.site == snapshot.site
    assert again.queues == snapshot.queues
    assert again.agents == snapshot.agents
    assert any(a.contact is not None for a in again.agents)


def test_the_plan_and_tickets_round_trip() -> None:
    sim = Simulator(SimConfig(seed=5, start=time(14, 10)))
    day = sim.config.date
    forecast = parse_forecast(wire.forecast(sim, day))
    actuals = parse_actuals(wire.intervals(sim, day))
    plan = DayPlan(day, sim.origin, forecast, actuals)
    pd.testing.assert_frame_equal(parse_forecast(forecast_doc(plan)), forecast)
    pd.testing.assert_frame_equal(parse_actuals(intervals_doc(plan)), actuals)
    tickets = parse_tickets(wire.tickets(sim, escalated_only=True))
    assert tickets and parse_tickets(tickets_doc(tickets, sim.origin)) == tickets
    assert isinstance(day, date)


def test_a_vendor_presence_reaches_a_collector_viewer() -> None:
    """Genesys's presence, served by a collector, reads back through both Floor API
    readers (the fast msgspec one and the strict one), literally."""
    sim = Simulator(SimConfig(seed=5, start=time(14, 10)))
    snapshot = parse_floor(wire.floor(sim), "sim")
    first = msgspec.structs.replace(snapshot.agents[0], presence="[b]On Queue[/b]")
    vendor = dataclasses.replace(snapshot, agents=(first, *snapshot.agents[1:]))
    doc = floor_doc(vendor)
    assert doc["agents"][0]["presence"] == "[b]On Queue[/b]"
    assert "presence" not in doc["agents"][1]  # optional: absent, not null, when unknown
    fast = parse_floor_body(json.dumps(doc).encode(), "sim")
    strict = parse_floor(doc, "sim")
    assert fast.agents == strict.agents == vendor.agents
