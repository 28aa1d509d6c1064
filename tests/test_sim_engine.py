"""The simulator's engine: determinism, bookkeeping identities, routing and scenarios."""

from __future__ import annotations

import datetime as dt
import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from floorview.sim import wire
from floorview.sim.config import QueueSpec, SimConfig, Surge
from floorview.sim.engine import Simulator
from floorview.sim.names import agent_names
from floorview.sim.queues import default_queues
from floorview.sim.state import AVAILABLE, STAFFED
from floorview.sources.rest import parse_floor

DAY = dt.date(2026, 11, 23)


def at(hh: int, mm: int = 0, ss: float = 0.0, day: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, tzinfo=dt.UTC) + dt.timedelta(
        days=day, hours=hh, minutes=mm, seconds=ss
    )


def sim_at(when: dt.datetime, **config: object) -> Simulator:
    sim = Simulator(SimConfig(start=dt.time(0), **config))  # type: ignore[arg-type]
    sim.advance_to(when)
    return sim


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_same_floor_however_the_clock_is_stepped() -> None:
    target = at(11, 7, 30.25)
    once = Simulator(SimConfig(seed=3, start=dt.time(11, 7, 30, 250_000)))
    stepped = Simulator(SimConfig(seed=3, start=dt.time(6, 0)))
    t = at(6)
    while t < target:
        t = min(target, t + dt.timedelta(seconds=7.3))
        stepped.advance_to(t)
    assert wire.floor(once) == wire.floor(stepped)
    assert wire.intervals(once, DAY) == wire.intervals(stepped, DAY)
    assert wire.tickets(once, False) == wire.tickets(stepped, False)


@settings(max_examples=12, deadline=None)
@given(steps=st.lists(st.floats(min_value=0.001, max_value=1800.0), min_size=1, max_size=25))
def test_any_stepping_gives_the_same_floor(steps: list[float]) -> None:
    start, end = at(9), at(10, 30)
    reference = sim_at(end, seed=11)
    stepped = sim_at(start, seed=11)
    t = start
    for step in steps:
        t = min(end, t + dt.timedelta(seconds=step))
        stepped.advance_to(t)
    stepped.advance_to(end)
    assert wire.floor(stepped) == wire.floor(reference)


def test_a_different_seed_gives_a_different_floor() -> None:
    assert wire.floor(sim_at(at(10), seed=1)) != wire.floor(sim_at(at(10), seed=2))


def test_a_demand_seed_changes_the_customers_not_the_roster() -> None:
    base = sim_at(at(10), seed=1)
    assert wire.floor(sim_at(at(10), seed=1, demand_seed=1)) == wire.floor(base)
    other = sim_at(at(10), seed=1, demand_seed=2)
    assert other.roster == base.roster and other.plan == base.plan
    assert [q.today.offered for q in other.queues] != [q.today.offered for q in base.queues]


def test_the_clock_never_moves_back() -> None:
    sim = sim_at(at(10))
    before = wire.floor(sim)
    sim.advance_to(at(9))
    assert wire.floor(sim) == before


def test_the_floor_parses_with_the_client_parser() -> None:
    snap = parse_floor(wire.floor(sim_at(at(11, 15))), "sim")
    assert snap.as_of == at(11, 15)
    assert len(snap.queues) == 6 and len(snap.agents) == 60
    assert {q.channel.value for q in snap.queues} == {"voice", "chat"}
    assert {a.state.value for a in snap.agents} == {"available", "on_contact", "acw", "aux", "offline"}
    in_hand = [a.contact for a in snap.agents if a.contact is not None]
    assert in_hand and all(c.sentiment is not None and -1 <= c.sentiment <= 1 for c in in_hand)


# --- bookkeeping ------------------------------------------------------------------------------


def test_every_contact_offered_is_answered_abandoned_or_waiting() -> None:
    for when in (at(9, 45), at(14, 20, 11), at(23, 59)):
        sim = sim_at(when, seed=5)
        floor = wire.floor(sim)
        rows = wire.intervals(sim, DAY)["intervals"]
        for q in floor["queues"]:
            today = q["today"]
            assert today["offered"] == today["answered"] + today["abandoned"] + q["waiting"]
            mine = [r for r in rows if r["queue"] == q["id"]]
            for key in ("offered", "answered", "answered_within_sl", "abandoned", "handled"):
                assert sum(r[key] for r in mine) == today[key]
            for key in ("handle_time_s", "wait_time_s"):
                assert math.isclose(sum(r[key] for r in mine), today[key], abs_tol=0.05)
            in_hand = sum(
                1 for a in floor["agents"] if a["contact"] and a["contact"]["queue"] == q["id"]
            )
            assert today["answered"] == today["handled"] + in_hand
        for r in rows:
            assert r["offered"] >= r["answered"] + r["abandoned"]
            assert r["answered"] >= r["answered_within_sl"]


def test_the_quiet_night_and_the_busy_day() -> None:
    sim = sim_at(at(23, 59))
    rows = wire.intervals(sim, DAY)["intervals"]
    assert len(rows) == 96 * 6
    night = [r for r in rows if r["start"] < "2026-11-23T07:00" or r["start"] >= "2026-11-23T20:00"]
    assert sum(r["offered"] for r in night) == 0
    by_hour: dict[str, int] = {}
    for r in rows:
        by_hour[r["start"][11:13]] = by_hour.get(r["start"][11:13], 0) + r["offered"]
    assert by_hour["10"] > by_hour["12"] < by_hour["14"] > by_hour["18"]


def test_agent_time_adds_up_to_the_time_logged_in() -> None:
    sim = sim_at(at(17, 30, 12.5), seed=4)
    floor = wire.floor(sim)
    for plan, agent in zip(sim.roster, floor["agents"], strict=True):
        today = agent["today"]
        logged = today["on_contact_s"] + today["acw_s"] + today["available_s"] + today["aux_s"]
        if agent["state"] == "offline":
            if plan.shift_start > sim.t:
                assert logged == 0
                continue
            logged_out = dt.datetime.fromisoformat(agent["state_since"])
            expected = (logged_out - at(0)).total_seconds() - plan.shift_start
        else:
            expected = sim.t - plan.shift_start
        assert math.isclose(logged, expected, abs_tol=0.01), agent["name"]


def test_staffed_avg_is_the_time_weighted_staffed_count() -> None:
    sim = sim_at(at(11, 30), seed=2)
    samples: dict[str, list[int]] = {q.spec.id: [] for q in sim.queues}
    for second in range(900):
        sim.advance_to(at(11, 30, second + 0.5))
        for q in sim.queues:
            samples[q.spec.id].append(
                sum(1 for a in sim.agents if a.state in STAFFED and q.index in a.queues)
            )
    sim.advance_to(at(11, 45))
    rows = wire.intervals(sim, DAY)["intervals"]
    for qid, counts in samples.items():
        (row,) = [r for r in rows if r["queue"] == qid and r["start"] == "2026-11-23T11:30:00Z"]
        assert math.isclose(row["staffed_avg"], sum(counts) / len(counts), abs_tol=0.05)


def test_staffed_avg_of_an_always_on_floor_is_the_head_count() -> None:
    sim = sim_at(at(2, 10), **_single_queue(n_agents=7))
    rows = wire.intervals(sim, DAY)["intervals"]
    assert [r["staffed_avg"] for r in rows] == [7.0] * len(rows)


def _effective_now(sim: Simulator, queue: int) -> int:
    """The definition of agents_effective at one instant, from the agents' states."""
    on_it = sum(1 for a in sim.agents if a.state in ("on_contact", "acw") and a.contact is not None and a.contact.queue == queue)
    free_for_it = sum(1 for a in sim.agents if a.state == AVAILABLE and queue in a.queues)
    return on_it + free_for_it


def test_agents_effective_is_the_time_weighted_count_of_the_queues_servers() -> None:
    sim = sim_at(at(11, 30), seed=2)
    samples: dict[int, list[int]] = {q.index: [] for q in sim.queues}
    for second in range(900):
        sim.advance_to(at(11, 30, second + 0.5))
        for q in sim.queues:
            samples[q.index].append(_effective_now(sim, q.index))
    sim.advance_to(at(11, 45))
    rows = wire.intervals(sim, DAY)["intervals"]
    for q in sim.queues:
        (row,) = [r for r in rows if r["queue"] == q.spec.id and r["start"] == "2026-11-23T11:30:00Z"]
        assert math.isclose(row["agents_effective"], sum(samples[q.index]) / 900, abs_tol=0.05)
    # Agents busy with another queue's contact count in staffed_avg only.
    assert all(r["agents_effective"] <= r["staffed_avg"] + 1e-3 for r in rows)
    assert sum(r["agents_effective"] for r in rows) < sum(r["staffed_avg"] for r in rows)


def test_agents_effective_adds_up_to_the_agents_time() -> None:
    sim = sim_at(at(17, 30, 12.5), seed=4)
    rows = wire.intervals(sim, DAY)["intervals"]
    in_progress = sim.t - 70 * 900.0
    area = sum(r["agents_effective"] * (in_progress if r["start"].endswith("17:30:00Z") else 900.0) for r in rows)
    agents = wire.floor(sim)["agents"]
    # Busy time counts once, in the contact's queue; available time in each of the agent's queues.
    expected = sum(a["today"]["on_contact_s"] + a["today"]["acw_s"] + a["today"]["available_s"] * len(a["queues"]) for a in agents)
    assert math.isclose(area, expected, rel_tol=1e-4)


def test_agents_effective_is_staffed_avg_when_every_agent_takes_one_queue() -> None:
    sim = sim_at(at(6), seed=5)
    for agent in sim.agents:
        sim.set_agent_queues(agent.plan.id, [sim.queues[agent.plan.skills[0]].spec.id], agent.version)
    sim.advance_to(at(13, 20))
    rows = wire.intervals(sim, DAY)["intervals"]
    assert any(r["agents_effective"] > 0 for r in rows)
    for r in rows:
        assert math.isclose(r["agents_effective"], r["staffed_avg"], abs_tol=2e-3), r


def test_no_agent_idles_while_a_contact_they_could_take_waits() -> None:
    sim = sim_at(at(8), seed=9)
    for minute in range(8 * 60, 12 * 60, 3):
        sim.advance_to(at(0, minute))
        for agent in sim.agents:
            if agent.state == AVAILABLE:
                assert not any(sim.queues[qi].waiting for qi in agent.queues)


# --- the day's shape --------------------------------------------------------------------------


def test_agents_keep_to_their_shifts_and_breaks() -> None:
    sim = Simulator(SimConfig(start=dt.time(0)))
    for plan in sim.roster:
        assert 7 * 3600 <= plan.shift_start <= 12 * 3600
        assert plan.shift_end is not None and 8 * 3600 <= plan.shift_end - plan.shift_start <= 9 * 3600
        blocks = sorted(plan.aux, key=lambda b: b.start)
        assert {b.reason for b in blocks} >= {"break", "lunch"}
        for before, after in itertools.pairwise(blocks):
            assert before.end <= after.start
        assert plan.shift_start < blocks[0].start and blocks[-1].end <= plan.shift_end
    reasons = {b.reason for p in sim.roster for b in p.aux}
    assert "training" in reasons
    sim.advance_to(at(12, 30))
    aux = {a.aux_reason for a in sim.agents if a.state == "aux"}
    assert "lunch" in aux
    sim.advance_to(at(23))
    assert all(a.state == "offline" for a in sim.agents)


def test_counters_start_again_at_midnight() -> None:
    sim = sim_at(at(23, 59))
    assert sum(q.today.offered for q in sim.queues) > 0
    sim.advance_to(at(7, 30, day=1))
    floor = wire.floor(sim)
    assert floor["as_of"] == "2026-11-24T07:30:00Z"
    assert all(q["today"]["offered"] == q["today"]["answered"] + q["today"]["abandoned"]
               + q["waiting"] for q in floor["queues"])
    # Half an hour into the first shifts: yesterday's time is gone from the totals.
    working = [a for a in floor["agents"] if a["state"] != "offline"]
    assert working
    for a in floor["agents"]:
        t = a["today"]
        assert t["on_contact_s"] + t["acw_s"] + t["available_s"] + t["aux_s"] <= 1800 + 0.01
    next_day = wire.intervals(sim, DAY + dt.timedelta(days=1))["intervals"]
    assert len(next_day) == 31 * 6
    assert len(wire.intervals(sim, DAY)["intervals"]) == 96 * 6
    assert wire.intervals(sim, DAY + dt.timedelta(days=2))["intervals"] == []


# --- scenarios --------------------------------------------------------------------------------


def _single_queue(n_agents: int) -> dict[str, object]:
    spec = QueueSpec("q-one", "One", "voice", 20, 60, 86_400 / 60 * 0.5, math.inf)
    return {
        "n_agents": n_agents,
        "queues": (spec,),
        "profile": "flat",
        "staffing": "always_on",
        "handle_times": "exponential",
    }


def test_infinite_patience_means_nobody_abandons() -> None:
    sim = sim_at(at(11), seed=1, patience_s=math.inf)
    assert all(q.today.abandoned == 0 for q in sim.queues)
    assert sum(q.today.offered for q in sim.queues) > 1000


def test_the_forecast_is_the_expected_volume_of_the_profile() -> None:
    sim = Simulator(SimConfig())
    rows = wire.forecast(sim, DAY)["intervals"]
    assert len(rows) == 96 * 6
    for spec in default_queues(6, 60):
        mine = [r for r in rows if r["queue"] == spec.id]
        assert math.isclose(sum(r["volume"] for r in mine), spec.daily_volume, rel_tol=1e-3)
        assert {r["aht_s"] for r in mine} == {spec.aht_s}
    ten = [r for r in rows if r["start"] == "2026-11-23T10:00:00Z"]
    assert all(r["scheduled_agents"] > 0 for r in ten)
    three = [r for r in rows if r["start"] == "2026-11-23T03:00:00Z"]
    assert all(r["volume"] == 0 and r["scheduled_agents"] == 0 for r in three)
    # Actual arrivals over a few days match the plan within Poisson noise.
    offered = sum(sum(q.today.offered for q in sim_at(at(23, 59), seed=s).queues) for s in (1, 2, 3))
    planned = 3 * sum(r["volume"] for r in rows)
    assert abs(offered - planned) < 4 * math.sqrt(planned)


def test_a_surge_changes_the_arrivals_but_not_the_forecast() -> None:
    surge = Surge("q-billing", at(9), at(11), factor=2.0)
    calm = sim_at(at(12), seed=8)
    stormy = sim_at(at(12), seed=8, surges=(surge,))
    assert wire.forecast(calm, DAY) == wire.forecast(stormy, DAY)

    def offered(sim: Simulator, qid: str, lo: str, hi: str) -> int:
        rows = wire.intervals(sim, DAY)["intervals"]
        return sum(r["offered"] for r in rows if r["queue"] == qid and lo <= r["start"][11:16] < hi)

    assert offered(stormy, "q-billing", "00:00", "09:00") == offered(calm, "q-billing", "00:00", "09:00")
    ratio = offered(stormy, "q-billing", "09:00", "11:00") / offered(calm, "q-billing", "09:00", "11:00")
    assert 1.6 < ratio < 2.5
    # Each queue draws its arrivals from its own stream: the others are untouched.
    for qid in ("q-sales", "q-tech", "q-chat"):
        assert offered(stormy, qid, "00:00", "12:00") == offered(calm, qid, "00:00", "12:00")


def test_a_reassigned_agent_takes_only_the_new_queues_from_the_next_contact() -> None:
    sim = sim_at(at(10), seed=6)
    agent = next(a for a in sim.agents if a.state == "on_contact" and len(a.queues) > 1)
    in_hand = agent.contact
    target = next(q for q in sim.queues if q.index not in agent.queues)
    sim.set_agent_queues(agent.plan.id, [target.spec.id], agent.version)
    assert agent.contact is in_hand
    taken = set()
    for second in range(0, 3600, 5):
        sim.advance_to(at(10, 0, second))
        if agent.contact is not None and agent.contact is not in_hand:
            taken.add(agent.contact.queue)
    assert taken == {target.index}


def test_sizes_scale_up() -> None:
    sim = Simulator(SimConfig(n_queues=200, n_agents=5000, start=dt.time(0, 30)))
    assert len(sim.queues) == 200 and len(sim.agents) == 5000
    assert len({q.spec.id for q in sim.queues}) == 200
    assert len({a.plan.name for a in sim.agents}) == 5000


def test_names_mix_scripts_and_cultures() -> None:
    names = agent_names(60)
    assert {"王芳", "李娜", "张伟"} <= set(names)
    assert {"Amaka Obi", "Priya Sharma", "Piotr Nowak", "Lucía García", "Omar Haddad"} <= set(names)
    assert any("[" in n for n in names)
    assert len(set(agent_names(5000))) == 5000


def test_agents_finish_the_contact_in_hand_before_logging_out() -> None:
    sim = sim_at(at(14, 55), seed=12)
    seen_overrun = False
    for second in range(0, 7 * 3600, 20):
        sim.advance_to(at(15, 0, second))
        for agent in sim.agents:
            end = agent.plan.shift_end
            assert end is not None
            if sim.t < end:
                continue
            assert agent.state in ("offline", "on_contact", "acw"), agent.plan.name
            if agent.state != "offline":
                assert agent.contact is not None and agent.contact.answered_at < end
                seen_overrun = True
    assert seen_overrun


def test_tickets_live_through_the_day() -> None:
    morning, evening = sim_at(at(9), seed=2), sim_at(at(21), seed=2)
    created = evening.tickets.created(evening.t)
    assert 60 < len(created) < 130
    assert any(k.status(evening.t) == "solved" for k in created)
    today = wire.tickets(evening, False)["tickets"]
    assert {t["status"] for t in today} >= {"open", "pending"}
    assert any(t["sla_due_at"] is None for t in today if t["priority"] == "low")
    assert all(t["sla_due_at"] is not None for t in today if t["priority"] != "low")
    assert all(t["assignee"] is None for t in today if t["status"] == "new")
    escalated_later = {t["id"] for t in wire.tickets(evening, True)["tickets"]}
    escalated_early = {t["id"] for t in wire.tickets(morning, True)["tickets"]}
    assert len(escalated_later - escalated_early) > 0
