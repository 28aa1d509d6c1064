"""Agent timelines from successive snapshots: exact segments, occupancy, contacts, restarts,
and a cross-check against the simulator's own time-in-state counters."""

from __future__ import annotations

import datetime as dt

import pytest

from floorview.analytics.timeline import ContactRecord, Segment, Timelines
from floorview.model import Agent, AgentState, AgentToday, Contact, FloorSnapshot
from floorview.sim import wire
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import parse_floor

S = AgentState


def at(hh: int, mm: int = 0, ss: float = 0.0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, tzinfo=dt.UTC) + dt.timedelta(hours=hh, minutes=mm, seconds=ss)


def agent(
    state: AgentState,
    since: dt.datetime,
    *,
    id: str = "a-1",
    name: str = "Ana",
    contact: Contact | None = None,
    reason: str | None = None,
    today: AgentToday | None = None,
    queues: tuple[str, ...] = ("q-1",),
) -> Agent:
    return Agent(id, name, "Team A", state, reason, since, queues, 1, contact, today)


def snap(as_of: dt.datetime, *agents: Agent) -> FloorSnapshot:
    return FloorSnapshot("test", as_of, "site", (), tuple(agents))


def c(queue: str, started: dt.datetime, sentiment: float | None = 0.0) -> Contact:
    return Contact(queue, started, sentiment)


def observed(*snaps: FloorSnapshot) -> Timelines:
    t = Timelines()
    for s in snaps:
        t.observe(s)
    return t


C1 = c("q-1", at(10, 0, 10), -0.5)
C2 = c("q-2", at(10, 9), 0.4)

#: Polls of one agent. Between 10:10 and 10:20 two changes happened (talk -> wrap-up ->
#: aux); only the last is visible, so the contact is taken to run up to the aux.
DAY = (
    snap(at(10), agent(S.AVAILABLE, at(9, 50))),
    snap(at(10, 0, 30), agent(S.ON_CONTACT, at(10, 0, 10), contact=C1)),
    snap(at(10, 5), agent(S.ACW, at(10, 4), contact=c("q-1", at(10, 0, 10), -0.6))),
    snap(at(10, 5, 30), agent(S.AVAILABLE, at(10, 5, 20))),
    snap(at(10, 10), agent(S.ON_CONTACT, at(10, 9), contact=C2)),
    snap(at(10, 20), agent(S.AUX, at(10, 15), reason="break")),
    snap(at(10, 30), agent(S.AVAILABLE, at(10, 27))),
)


def test_segments_are_exact_between_polls() -> None:
    t = observed(*DAY)
    assert t.segments("a-1") == [
        Segment(S.AVAILABLE, at(9, 50), at(10, 0, 10)),
        Segment(S.ON_CONTACT, at(10, 0, 10), at(10, 4)),
        Segment(S.ACW, at(10, 4), at(10, 5, 20)),
        Segment(S.AVAILABLE, at(10, 5, 20), at(10, 9)),
        Segment(S.ON_CONTACT, at(10, 9), at(10, 15)),
        Segment(S.AUX, at(10, 15), at(10, 27), "break"),
        Segment(S.AVAILABLE, at(10, 27), at(10, 30)),  # in progress, up to the last poll
    ]


def test_occupancy_equals_the_hand_computed_value() -> None:
    t = observed(*DAY)
    available = 10 + 220 + 180
    busy = (230 + 360) + 80  # on contact + wrap-up
    assert t.occupancy("a-1", at(10), at(10, 30)) == pytest.approx(busy / (busy + available))
    totals = t.time_in_states("a-1", at(10), at(10, 30))
    assert totals[S.AUX] == 720 and sum(totals.values()) == 1800
    # Only aux in the window: no figure rather than 0%.
    assert t.occupancy("a-1", at(10, 16), at(10, 26)) is None
    assert t.occupancy("nobody", at(10), at(11)) is None


def test_completed_contacts_come_from_the_contact_block() -> None:
    t = observed(*DAY)
    assert t.recent_contacts("a-1", 5) == [
        # Wrap-up seen: the talk ends exactly at its since; the sentiment is the latest.
        ContactRecord("q-1", at(10, 0, 10), at(10, 4), -0.6),
        # Wrap-up missed between polls: ends at the next state's since.
        ContactRecord("q-2", at(10, 9), at(10, 15), 0.4),
    ]
    assert t.recent_contacts("a-1", 1) == [ContactRecord("q-2", at(10, 9), at(10, 15), 0.4)]


def test_a_contact_seen_only_in_wrap_up_is_recorded_once() -> None:
    t = observed(
        snap(at(10), agent(S.AVAILABLE, at(9, 50))),
        snap(at(10, 1), agent(S.ACW, at(10, 0, 50), contact=c("q-1", at(10, 0, 5), -0.9))),
        snap(at(10, 1, 30), agent(S.ACW, at(10, 0, 50), contact=c("q-1", at(10, 0, 5), -0.9))),
        snap(at(10, 2), agent(S.AVAILABLE, at(10, 1, 40))),
    )
    assert t.recent_contacts("a-1", 5) == [ContactRecord("q-1", at(10, 0, 5), at(10, 0, 50), -0.9)]


def test_back_to_back_contacts_between_polls() -> None:
    t = observed(
        snap(at(10), agent(S.ON_CONTACT, at(9, 58), contact=c("q-1", at(9, 58)))),
        snap(at(10, 5), agent(S.ON_CONTACT, at(10, 4), contact=c("q-1", at(10, 4)))),
    )
    # Talk, wrap-up and the next answer all fell between the polls.
    assert t.recent_contacts("a-1", 5) == [ContactRecord("q-1", at(9, 58), at(10, 4), 0.0)]
    assert [s.state for s in t.segments("a-1")] == [S.ON_CONTACT, S.ON_CONTACT]


def test_last_break_end_needs_five_minutes_off() -> None:
    t = observed(*DAY)
    assert t.last_break_end("a-1") == at(10, 27)
    assert t.last_break_end("a-1", reasons=frozenset({"lunch"})) is None
    short = observed(
        snap(at(10), agent(S.AVAILABLE, at(9, 0))),
        snap(at(10, 5), agent(S.AUX, at(10, 2), reason="break")),
        snap(at(10, 10), agent(S.AVAILABLE, at(10, 6))),
    )
    assert short.last_break_end("a-1") is None  # four minutes is not a break
    joined = observed(
        snap(at(10), agent(S.AUX, at(9, 57), reason="break")),
        snap(at(10, 1), agent(S.OFFLINE, at(10, 0, 30))),
        snap(at(10, 5), agent(S.AVAILABLE, at(10, 3))),
    )
    assert joined.last_break_end("a-1") == at(10, 3)  # aux running into a logout: 6 min
    # Looking back only so far finds nothing older.
    assert t.last_break_end("a-1", not_before=at(10, 27)) == at(10, 27)
    assert t.last_break_end("a-1", not_before=at(10, 28)) is None


def test_rolling_says_when_it_has_seen_less_than_the_window() -> None:
    t = observed(*DAY)
    r = t.rolling("a-1", at(10, 30))
    assert r.partial and r.covered_s == 40 * 60
    assert r.occupancy == pytest.approx(t.occupancy("a-1", at(9, 30), at(10, 30)))
    later = observed(*DAY, snap(at(11, 0), agent(S.AVAILABLE, at(10, 27))))
    full = later.rolling("a-1", at(11, 0))
    assert not full.partial and full.covered_s == 3600 and full.window_s == 3600


def test_day_occupancy_prefers_the_sources_counters() -> None:
    today = AgentToday(on_contact_s=5400, acw_s=600, available_s=1200, aux_s=900, contacts=21)
    a = agent(S.AVAILABLE, at(9), today=today)
    t = observed(snap(at(10), a))
    assert t.day_occupancy(a, at(10)) == pytest.approx(6000 / 7200)
    t2 = observed(*DAY)
    bare = agent(S.AVAILABLE, at(10, 27))
    assert t2.day_occupancy(bare, at(10, 30)) == t2.occupancy("a-1", at(0), at(10, 30))


def test_a_restart_through_rows_keeps_the_day() -> None:
    before = observed(*DAY[:3])  # saved while the agent is in wrap-up of C1
    rows = before.to_rows()
    assert all(isinstance(v, str | float | type(None)) for row in rows for v in row)
    restored = Timelines.from_rows(list(reversed(rows)))
    assert restored.segments("a-1") == before.segments("a-1")
    assert restored.recent_contacts("a-1", 5) == before.recent_contacts("a-1", 5)
    for t in (before, restored):
        for s in DAY[3:]:
            t.observe(s)
    assert restored.segments("a-1") == before.segments("a-1") == observed(*DAY).segments("a-1")
    assert restored.occupancy("a-1", at(10), at(10, 30)) == observed(*DAY).occupancy("a-1", at(10), at(10, 30))
    assert len(restored.recent_contacts("a-1", 5)) == 2  # C1 not counted twice


def test_a_long_unobserved_stretch_is_a_hole_not_a_guess() -> None:
    t = observed(
        snap(at(10), agent(S.ON_CONTACT, at(9, 59), contact=c("q-1", at(9, 59)))),
        # Down for an hour; whatever happened in between is unknown.
        snap(at(11, 5), agent(S.AVAILABLE, at(11, 1))),
    )
    assert t.segments("a-1") == [
        Segment(S.ON_CONTACT, at(9, 59), at(10)),
        Segment(S.AVAILABLE, at(11, 1), at(11, 5)),
    ]
    r = t.rolling("a-1", at(11, 5))
    assert r.partial and r.covered_s == 4 * 60 and r.occupancy == 0.0
    assert t.covered_since("a-1") == at(11, 1)


def test_old_history_is_pruned() -> None:
    t = Timelines(retain_s=3600)
    t.observe(snap(at(8), agent(S.AVAILABLE, at(8))))
    for m in range(1, 200, 2):
        when = at(8) + dt.timedelta(minutes=m)
        state = S.ON_CONTACT if (m // 2) % 2 else S.AVAILABLE
        t.observe(snap(when, agent(state, when - dt.timedelta(seconds=30))))
    segments = t.segments("a-1")
    seen_to = t.seen_to("a-1")
    assert seen_to is not None and segments[0].end >= seen_to - dt.timedelta(hours=1)
    assert t.covered_since("a-1") == segments[0].start  # what is left is what is known


def test_out_of_order_snapshots_are_ignored() -> None:
    t = observed(*DAY)
    t.observe(DAY[2])
    assert t.segments("a-1") == observed(*DAY).segments("a-1")


# --- the simulator as ground truth ----------------------------------------------------------


def _busy_staffed(today: AgentToday | None) -> tuple[float, float]:
    assert today is not None
    busy = today.on_contact_s + today.acw_s
    return busy, busy + today.available_s


def test_rolling_occupancy_matches_the_simulators_counters() -> None:
    """Polling every 30 s for two simulated hours: occupancy from the timelines against the
    difference of the simulator's own time-in-state counters over the same windows."""
    sim = Simulator(SimConfig(seed=5, start=dt.time(10, 0)))
    timelines = Timelines()
    counters: dict[dt.datetime, dict[str, tuple[float, float]]] = {}
    start, end = sim.now, sim.now + dt.timedelta(hours=2)
    now = start
    while now <= end:
        sim.advance_to(now)
        floor = parse_floor(wire.floor(sim), "sim")
        timelines.observe(floor)
        counters[now] = {a.id: _busy_staffed(a.today) for a in floor.agents}
        now += dt.timedelta(seconds=30)

    def compare(lo: dt.datetime, hi: dt.datetime) -> tuple[float, float, float]:
        """Floor occupancy by the sim and by the timelines, and the worst per-agent gap
        (percentage points) among agents staffed at least half the window."""
        sim_busy = sim_staffed = tl_busy = tl_staffed = 0.0
        worst = 0.0
        for agent_id, (b1, s1) in counters[hi].items():
            b0, s0 = counters[lo][agent_id]
            busy, staffed = b1 - b0, s1 - s0
            totals = timelines.time_in_states(agent_id, lo, hi)
            tb = totals[S.ON_CONTACT] + totals[S.ACW]
            ts = tb + totals[S.AVAILABLE]
            sim_busy, sim_staffed, tl_busy, tl_staffed = (
                sim_busy + busy, sim_staffed + staffed, tl_busy + tb, tl_staffed + ts
            )
            if staffed >= (hi - lo).total_seconds() / 2:
                worst = max(worst, abs(tb / ts - busy / staffed) * 100)
        return sim_busy / sim_staffed, tl_busy / tl_staffed, worst

    two_hours = compare(start, end)
    last_hour = compare(end - dt.timedelta(hours=1), end)
    print(f"\n2 h: sim {two_hours[0]:.4f} timelines {two_hours[1]:.4f} worst agent {two_hours[2]:.2f} pt")
    print(f"1 h: sim {last_hour[0]:.4f} timelines {last_hour[1]:.4f} worst agent {last_hour[2]:.2f} pt")
    for sim_occ, tl_occ, worst in (two_hours, last_hour):
        assert abs(sim_occ - tl_occ) < 0.005  # floor-wide: within half a point
        assert worst < 3.0  # every agent within a few points
    # The rolling figure the stress flags use is the same number for one agent.
    some = next(a for a, (b, s) in counters[end].items() if s - counters[end - dt.timedelta(hours=1)][a][1] > 3000)
    r = timelines.rolling(some, end)
    assert not r.partial
    b1, s1 = counters[end][some]
    b0, s0 = counters[end - dt.timedelta(hours=1)][some]
    assert r.occupancy == pytest.approx((b1 - b0) / (s1 - s0), abs=0.03)
