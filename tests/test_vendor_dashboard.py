"""Vendor sources through the same screens: a telephony adapter and a ticket adapter, each
on its recorded payloads, feed the one dashboard as the simulator's Floor API does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import test_source_amazon_connect as aws
import test_source_genesys as gen
import test_source_rt as rt
import test_source_twilio as tw
import test_source_zendesk as zd
from fakes import wait_until

from floorview.alerts.rules import escalations
from floorview.analytics.outlook import OutlookSettings
from floorview.feed import Feed
from floorview.sources.base import Source, WithTickets
from floorview.ui.alert_table import EscalationTable
from floorview.ui.app import FloorApp
from floorview.ui.tables import AgentTable, QueueTable

#: The recorded tickets' SLA clocks run out around this time (2026-11-23 09:45–12:00 UTC).
TICKETS_NOW = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


async def _shows_floor_and_tickets(
    source: Source, name: str, *, due_expected: bool = True,
    outlook: OutlookSettings | None = None, plan_expected: bool = True,
) -> dict[str, Any]:
    """Run the dashboard on ``source`` and check every queue, agent and due ticket shows."""
    app = FloorApp([Feed(source, 60.0)], outlook=outlook)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied >= 1)
        feed = app.feeds[0]
        await wait_until(pilot, lambda: feed.tickets is not None or feed.tickets_error)
        floor = feed.latest
        assert floor is not None and floor.queues and floor.agents
        queues, agents = app.query_one(QueueTable), app.query_one(AgentTable)
        for q in floor.queues:
            assert queues.cells_of(f"{name}/{q.id}")["name"] == q.name
        for a in floor.agents:
            assert agents.get_row(f"{name}/{a.id}")[0].plain.endswith(a.name)
        assert feed.tickets_error is None, feed.tickets_error
        if plan_expected:
            # The vendor's plan (no forecast rows of its own) must go through the
            # re-forecast without an error; a frame with untyped columns once did not.
            await wait_until(pilot, lambda: feed.plan is not None or feed.plan_error)
            assert feed.plan_error is None, feed.plan_error
            app._apply(floor, feed)
            assert app.outlook_error is None, app.outlook_error
        due = escalations(feed.tickets or (), floor.as_of)
        assert feed.tickets
        assert bool(due) == due_expected
        await wait_until(pilot, lambda: app.query_one(EscalationTable).row_count == len(due))
        table = app.query_one(EscalationTable)
        for e in due:
            assert e.ticket.subject in table.get_row(f"{name}/{e.ticket.id}")[2].plain
        need = {q.id: queues.cells_of(f"{name}/{q.id}")["required"] for q in floor.queues}
        return {"queues": [q.name for q in floor.queues], "agents": len(floor.agents),
                "tickets": len(due), "need": need}


async def test_genesys_floor_with_zendesk_escalations_on_the_dashboard() -> None:
    telephony = gen.make_source(gen.FakeGenesys(), now=lambda: TICKETS_NOW)
    tickets = zd.source(zd.Recorder())
    tickets.name = telephony.name
    seen = await _shows_floor_and_tickets(WithTickets(telephony, tickets), "genesys")
    assert seen["agents"] >= 2


async def test_twilio_floor_with_rt_escalations_on_the_dashboard() -> None:
    telephony = tw.make(tw.FakeTwilio(tw.routes()), clock=tw.Clock(TICKETS_NOW))
    # Twilio keeps no interval history: the Need column comes from a forecast file alone.
    day = TICKETS_NOW.replace(hour=8)
    forecast = pd.DataFrame([
        {"queue": q, "start": day + timedelta(minutes=15 * i), "volume": 30.0,
         "aht_s": 300.0, "scheduled_agents": 8.0}
        for q in (tw.WQ1, tw.WQ2) for i in range(40)
    ])
    forecast["start"] = pd.to_datetime(forecast["start"], utc=True)
    seen = await _shows_floor_and_tickets(
        WithTickets(telephony, rt.source(rt.Recorder())), "twilio",
        outlook=OutlookSettings(forecast=forecast),
    )
    assert seen["agents"] >= 2
    # 30 calls of 300 s a quarter hour is 10 erlangs: more than 10 agents for 80/20.
    assert all(int(n) > 10 for n in seen["need"].values()), seen["need"]


async def test_amazon_connect_floor_with_zendesk_tickets_on_the_dashboard() -> None:
    connect = aws.Connect()
    aws.stub_first_poll(connect)
    # The recorded Connect floor is from May; the recorded tickets fall due in November, so
    # none is near its SLA on this floor and the escalation list is rightly empty.
    seen = await _shows_floor_and_tickets(
        WithTickets(connect.source, zd.source(zd.Recorder())), "connect", due_expected=False,
        plan_expected=False,  # the Stubber holds only the first poll's answers
    )
    assert seen["agents"] >= 2
