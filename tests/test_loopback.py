"""The feed and the dashboard against the simulator over a real loopback socket."""

import asyncio

from floorview.feed import Feed, Health
from floorview.sim.server import RunningSim
from floorview.sources.rest import RestSource
from floorview.ui.app import FloorApp
from floorview.ui.tables import AgentTable, QueueTable


async def test_feed_reads_the_simulator_over_http(loopback_sim: RunningSim) -> None:
    feed = Feed(RestSource("sim", loopback_sim.url, timeout_s=5), 0.2)
    first = await feed.poll_once()
    await asyncio.sleep(0.3)
    second = await feed.poll_once()
    await feed.source.aclose()
    assert first is not None and second is not None
    assert feed.status().health is Health.OK
    assert len(first.queues) == 6 and len(first.agents) == 60
    # At 60x, 0.3 s of real time is ~18 s of floor time: the source clock moved on.
    assert 10 <= (second.as_of - first.as_of).total_seconds() <= 120
    for q in second.queues:
        t = q.today
        assert t.answered + t.abandoned + q.waiting == t.offered
        assert t.answered_within_sl <= t.answered
    assert any(a.name for a in second.agents if not a.name.isascii())  # Chinese names survive
    assert loopback_sim.app.state.requests["/v1/floor"] == 2


async def test_dashboard_shows_and_updates_a_live_floor(loopback_sim: RunningSim) -> None:
    app = FloorApp([Feed(RestSource("sim", loopback_sim.url), 0.2)])
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(300):
            if app.snapshots_applied >= 3:
                break
            await pilot.pause(0.02)
        assert app.snapshots_applied >= 3
        assert app.query_one(QueueTable).row_count == 6
        assert app.query_one(AgentTable).row_count == 60
        queues = app.query_one(QueueTable)
        # The plan arrives with the first poll: every queue shows a requirement.
        needs = [queues.cells_of(key)["required"] for key in queues.rows]
        assert all(n.strip(" ▲").isdigit() for n in needs), needs
        await pilot.press("q")


async def test_feed_reads_escalated_tickets_over_http(loopback_sim: RunningSim) -> None:
    feed = Feed(RestSource("sim", loopback_sim.url, timeout_s=5), 0.2, tickets_interval_s=3600)
    await feed.poll_once()
    await feed.poll_once()  # within the tickets interval: not fetched again
    await feed.source.aclose()
    assert feed.tickets_error is None and feed.tickets is not None
    assert loopback_sim.app.state.requests["/v1/tickets"] == 1
    assert feed.tickets, "the simulator carries escalated tickets over from before the day"
    sim = loopback_sim.app.state.sim  # its own records are the truth
    truth = {k.id: k for k in sim.tickets.created(sim.t)}
    for ticket in feed.tickets:
        record = truth[ticket.id]
        assert ticket.subject == record.subject and ticket.group == record.group
        assert record.escalated_at <= sim.t < record.solved_at
        assert (ticket.sla_due_at is None) == (record.sla_due_at is None)
