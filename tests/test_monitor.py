"""The monitor on a simulated floor: alerts fire, acks travel through a shared journal file,
a stale source freezes alerts without resolving them, and timelines survive a restart."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import httpx
import pytest

from floorview.actions import READ_ONLY, ActionRefused, Permissions, acknowledge
from floorview.alerts import Alert, AlertRules, AlertState
from floorview.feed import FeedStatus, Health
from floorview.identity import Actor
from floorview.journal import Journal
from floorview.model import FloorSnapshot, Ticket
from floorview.monitor import Monitor
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import RestSource

MARIA = Actor("maria", "maria", "203.0.113.9", "floor-host")
OK = Health.OK
# Short timers so a few simulated minutes show a whole lifecycle.
RULES = AlertRules(for_s=30.0, hold_s=60.0)


async def floor_polls(
    offsets_s: list[float], start: time = time(11, 0)
) -> list[tuple[FloorSnapshot, tuple[Ticket, ...]]]:
    """The seeded simulator read through the rest source at each offset (sim seconds)."""
    sim = Simulator(SimConfig(seed=5, start=start))
    clock = [0.0]
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: clock[0]))
    source = RestSource("sim", "http://sim.test", transport=transport)
    out = []
    for offset in offsets_s:
        clock[0] = offset
        out.append((await source.fetch_floor(), await source.fetch_tickets()))
    await source.aclose()
    return out


def status(health: Health = OK, age_s: float = 0.0, error: str | None = None) -> FeedStatus:
    return FeedStatus("sim", health, age_s, error, 0 if health is OK else 1)


def firing(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.state is AlertState.FIRING]


async def test_alerts_fire_after_their_for_time_with_reasons() -> None:
    monitor = Monitor(RULES)
    polls = await floor_polls([0, 10, 40])
    snap, tickets = polls[0]
    monitor.observe(snap, tickets=tickets)
    assert firing(monitor.tick([status()])) == []  # breaching, but not for 30 s yet
    for snap, tickets in polls[1:]:
        monitor.observe(snap, tickets=tickets)
    alerts = firing(monitor.tick([status()]))
    assert alerts, "a late-morning simulated floor has overdue escalated tickets at least"
    for alert in alerts:
        assert alert.fingerprint.startswith("sim/") and alert.reason
    tickets_overdue = [a for a in alerts if a.rule == "ticket.sla"]
    assert tickets_overdue and all("overdue" in a.title for a in tickets_overdue)
    # Each is announced once, however many ticks show it.
    assert {a.fingerprint for a in monitor.take_news()} >= {a.fingerprint for a in alerts}
    monitor.tick([status()])
    assert monitor.take_news() == []


async def test_an_ack_in_one_dashboard_shows_in_another_sharing_the_journal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite3"
    polls = await floor_polls([0, 40])
    with Journal(path) as mine, Journal(path) as theirs:
        here, there = Monitor(RULES, mine), Monitor(RULES, theirs)
        for snap, tickets in polls:
            here.observe(snap, tickets=tickets)
            there.observe(snap, tickets=tickets)
        target = firing(here.tick([status()]))[0]
        ack = acknowledge(
            target, journal=mine, actor=MARIA, permissions=Permissions(), at=here.now,
            note="calling the customer", expires_after_min=30,
        )
        assert ack.who == "maria@203.0.113.9 (ssh)"
        seen = {a.fingerprint: a for a in there.tick([status()])}[target.fingerprint]
        assert seen.state is AlertState.ACKNOWLEDGED
        assert seen.ack is not None and seen.ack.note == "calling the customer"
        trail = theirs.audit_entries()
        assert [(e.action, e.subject, e.who) for e in trail] == [
            ("ack", target.fingerprint, "maria@203.0.113.9 (ssh)")
        ]


async def test_a_read_only_display_refuses_to_acknowledge_and_writes_nothing(
    tmp_path: Path,
) -> None:
    polls = await floor_polls([0, 40])
    with Journal(tmp_path / "j.sqlite3") as journal:
        monitor = Monitor(RULES, journal)
        for snap, tickets in polls:
            monitor.observe(snap, tickets=tickets)
        target = firing(monitor.tick([status()]))[0]
        with pytest.raises(ActionRefused, match="read-only"):
            acknowledge(target, journal=journal, actor=MARIA, permissions=READ_ONLY,
                        at=monitor.now)
        assert journal.audit_entries() == [] and journal.latest_acks() == {}


async def test_a_stale_source_freezes_its_alerts_and_raises_its_own() -> None:
    monitor = Monitor(RULES)
    for snap, tickets in await floor_polls([0, 40]):
        monitor.observe(snap, tickets=tickets)
    before = {a.fingerprint for a in firing(monitor.tick([status()]))}
    # Ten minutes without data: nothing resolves, everything says it is stale.
    alerts = monitor.tick([status(Health.DOWN, 600.0, "sim: timed out fetching /v1/floor")])
    business = [a for a in alerts if a.subject_kind != "source"]
    assert {a.fingerprint for a in firing(business)} == before
    assert all(a.stale for a in business)
    (health,) = [a for a in alerts if a.subject_kind == "source"]
    assert health.state is AlertState.FIRING and health.severity == 2
    assert "timed out" in health.reason


async def test_timelines_survive_a_restart_through_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    polls = await floor_polls([i * 30.0 for i in range(12)])
    with Journal(path) as journal:
        first = Monitor(RULES, journal)
        for snap, tickets in polls:
            first.observe(snap, tickets=tickets)
        saved = journal.load_timeline("sim", ended_after=0.0)
    assert saved, "the monitor saves timelines once a floor minute has passed"
    with Journal(path) as journal:
        second = Monitor(RULES, journal)
        second.observe(polls[-1][0], tickets=polls[-1][1])
        restored = second._watches["sim"].timelines
    agent = next(a for a in polls[-1][0].agents if first._watches["sim"].timelines.segments(a.id))
    assert restored.segments(agent.id)[: len(saved)]  # the day before the restart is back


async def test_a_floor_whose_clock_went_back_does_not_restore_its_future(
    tmp_path: Path,
) -> None:
    # `floorview demo` twice: the second simulator starts at 10:00 again, and the first
    # one's saved timelines run past it. Restoring them made every agent's hour unknown.
    path = tmp_path / "j.sqlite3"
    polls = await floor_polls([i * 30.0 for i in range(12)])
    with Journal(path) as journal:
        first = Monitor(RULES, journal)
        for snap, tickets in polls:
            first.observe(snap, tickets=tickets)
    with Journal(path) as journal:
        again = Monitor(RULES, journal)
        again.observe(polls[2][0], tickets=polls[2][1])  # 60 s in: before the saved end
        restored = again._watches["sim"].timelines
    ends = [seg.end for a in polls[2][0].agents for seg in restored.segments(a.id)]
    assert ends and max(ends) <= polls[2][0].as_of
