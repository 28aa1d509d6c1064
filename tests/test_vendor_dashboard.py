"""Vendor sources through the same screens: a telephony adapter and a ticket adapter, each
on its recorded payloads, feed the one dashboard as the simulator's Floor API does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import test_source_amazon_connect as aws
import test_source_genesys as gen
import test_source_rt as rt
import test_source_twilio as tw
import test_source_zendesk as zd
from fakes import wait_until

from floorview.alerts.rules import escalations
from floorview.feed import Feed
from floorview.sources.base import Source, WithTickets
from floorview.ui.alert_table import EscalationTable
from floorview.ui.app import FloorApp
from floorview.ui.tables import AgentTable, QueueTable

#: The recorded tickets' SLA clocks run out around this time (2026-11-23 09:45–12:00 UTC).
TICKETS_NOW = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


async def _shows_floor_and_tickets(
    source: Source, name: str, *, due_expected: bool = True
) -> dict[str, Any]:
    """Run the dashboard on ``source`` and check every queue, agent and due ticket shows."""
    app = FloorApp([Feed(source, 60.0)])
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
        due = escalations(feed.tickets or (), floor.as_of)
        assert feed.tickets
        assert bool(due) == due_expected
        await wait_until(pilot, lambda: app.query_one(EscalationTable).row_count == len(due))
        table = app.query_one(EscalationTable)
        for e in due:
            assert e.ticket.subject in table.get_row(f"{name}/{e.ticket.id}")[2].plain
        return {"queues": [q.name for q in floor.queues], "agents": len(floor.agents),
                "tickets": len(due)}


async def test_genesys_floor_with_zendesk_escalations_on_the_dashboard() -> None:
    telephony = gen.make_source(gen.FakeGenesys(), now=lambda: TICKETS_NOW)
    tickets = zd.source(zd.Recorder())
    tickets.name = telephony.name
    seen = await _shows_floor_and_tickets(WithTickets(telephony, tickets), "genesys")
    assert seen["agents"] >= 2


async def test_twilio_floor_with_rt_escalations_on_the_dashboard() -> None:
    telephony = tw.make(tw.FakeTwilio(tw.routes()), clock=tw.Clock(TICKETS_NOW))
    seen = await _shows_floor_and_tickets(WithTickets(telephony, rt.source(rt.Recorder())),
                                          "twilio")
    assert seen["agents"] >= 2


async def test_amazon_connect_floor_with_zendesk_tickets_on_the_dashboard() -> None:
    connect = aws.Connect()
    aws.stub_first_poll(connect)
    # The recorded Connect floor is from May; the recorded tickets fall due in November, so
    # none is near its SLA on this floor and the escalation list is rightly empty.
    seen = await _shows_floor_and_tickets(
        WithTickets(connect.source, zd.source(zd.Recorder())), "connect", due_expected=False
    )
    assert seen["agents"] >= 2
