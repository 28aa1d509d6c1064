"""Alert rules: thresholds on hand-built queues and tickets, and on simulated floors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from floorview.alerts.rules import (
    AlertRules,
    Breach,
    escalations,
    evaluate,
    fingerprint,
    source_breach,
)
from floorview.analytics.outlook import QueueOutlook, current_outlook
from floorview.analytics.stress import StressFlag
from floorview.model import Channel, FloorSnapshot, Queue, QueueToday, Ticket
from floorview.sim import wire
from floorview.sim.config import SimConfig, Surge
from floorview.sim.engine import Simulator
from floorview.sources.rest import parse_floor

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
RULES = AlertRules()


def today(answered: int = 100, within: int = 90, abandoned: int = 0) -> QueueToday:
    return QueueToday(
        offered=answered + abandoned, answered=answered, answered_within_sl=within,
        abandoned=abandoned, handled=answered, handle_time_s=answered * 300.0,
        wait_time_s=0.0,
    )


def queue(*, id: str = "q-1", name: str = "Billing", waiting: int = 0, oldest: float = 0.0,
          t: QueueToday | None = None, target: float = 0.8) -> Queue:
    return Queue(id, name, Channel.VOICE, 20.0, target, waiting, oldest, t or today())


def floor(*queues: Queue, as_of: dt.datetime = NOW) -> FloorSnapshot:
    return FloorSnapshot("test", as_of, "site", tuple(queues), ())


def outlook(queue_id: str, required: int, staffed: int) -> QueueOutlook:
    return QueueOutlook(queue_id, NOW, required, float(required), staffed,
                        float(required - staffed), 1.0, 0.8)


def ticket(id: str, due_in_min: float | None, *, status: str = "open",
           subject: str = "Router dead") -> Ticket:
    due = None if due_in_min is None else NOW + dt.timedelta(minutes=due_in_min)
    return Ticket(id, subject, "high", status, "gold", NOW - dt.timedelta(hours=3), due,
                  "Ana", "Tech Support")


def levels(breaches: list[Breach], rule: str) -> list[int]:
    return [b.severity for b in breaches if b.rule == rule]


# --- each rule at its threshold -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("waiting", "severity"), [(0, None), (10, None), (11, 1), (25, 1), (26, 2), (300, 2)]
)
def test_waiting(waiting: int, severity: int | None) -> None:
    got = levels(evaluate(floor(queue(waiting=waiting))), "queue.waiting")
    assert got == ([] if severity is None else [severity])


@pytest.mark.parametrize(
    ("oldest", "severity"), [(0.0, None), (60.0, None), (60.5, 1), (180.0, 1), (181.0, 2)]
)
def test_oldest_wait(oldest: float, severity: int | None) -> None:
    got = levels(evaluate(floor(queue(oldest=oldest))), "queue.oldest_wait")
    assert got == ([] if severity is None else [severity])


@pytest.mark.parametrize(
    ("answered", "within", "abandoned", "severity"),
    [
        (100, 80, 0, None),  # exactly on target
        (100, 79, 0, 1),  # one below
        (100, 65, 0, 1),  # exactly target - 15 pt
        (100, 64, 0, 2),
        (19, 0, 0, None),  # too few closed contacts to judge
        (20, 0, 0, 2),
        (18, 10, 2, 2),  # abandons count as closed (and against SL)
    ],
)
def test_service_level(answered: int, within: int, abandoned: int, severity: int | None) -> None:
    q = queue(t=today(answered, within, abandoned))
    got = levels(evaluate(floor(q), rules=dataclasses.replace(RULES, abandon_crit=1.0, abandon_warn=1.0)), "queue.sl")
    assert got == ([] if severity is None else [severity])


def test_service_level_uses_each_queues_own_target() -> None:
    breaches = evaluate(floor(queue(t=today(100, 92), target=0.95)))
    (sl,) = [b for b in breaches if b.rule == "queue.sl"]
    assert sl.severity == 1 and sl.reason == "SL today 92% < target 95%, over 100 contacts"
    assert sl.title == "Billing: SL 92%"
    assert evaluate(floor(queue(t=today(100, 92), target=0.9))) == []


def test_service_level_never_prints_a_breach_as_equal() -> None:
    (sl,) = evaluate(floor(queue(t=today(1000, 799))))
    assert sl.reason.startswith("SL today 79.9% < target 80%")


@pytest.mark.parametrize(
    ("answered", "abandoned", "severity"),
    [(95, 5, None), (94, 6, 1), (92, 8, 1), (91, 9, 2), (17, 2, None), (18, 2, 2)],
)
def test_abandon_rate(answered: int, abandoned: int, severity: int | None) -> None:
    q = queue(t=today(answered, answered, abandoned), target=0.0)
    got = levels(evaluate(floor(q)), "queue.abandon")
    assert got == ([] if severity is None else [severity])


@pytest.mark.parametrize(("required", "staffed", "severity"), [(10, 10, None), (10, 12, None), (10, 9, 1), (10, 8, 1), (10, 7, 2)])
def test_staffing_gap(required: int, staffed: int, severity: int | None) -> None:
    got = levels(evaluate(floor(queue()), outlook={"q-1": outlook("q-1", required, staffed)}), "queue.gap")
    assert got == ([] if severity is None else [severity])


def test_no_outlook_means_no_gap_alerts_and_no_crash() -> None:
    q = queue(waiting=30)
    assert levels(evaluate(floor(q)), "queue.gap") == []
    assert levels(evaluate(floor(q), outlook={}), "queue.gap") == []
    assert levels(evaluate(floor(q), outlook={"other": outlook("other", 9, 1)}), "queue.gap") == []
    assert levels(evaluate(floor(q), outlook=None, tickets=None, stress=None), "queue.waiting") == [2]


def test_gap_reason_has_the_figures() -> None:
    (gap,) = evaluate(floor(queue()), outlook={"q-1": outlook("q-1", 14, 11)})
    assert gap.title == "Billing: short 3 agents"
    assert gap.reason == "needs 14 agents this interval, 11 on it: short 3 (alert at 3)"


# --- tickets ----------------------------------------------------------------------------------


def test_escalations_within_thirty_minutes_and_overdue() -> None:
    tickets = [
        ticket("T-1", 45), ticket("T-2", 30), ticket("T-3", 29), ticket("T-4", 0),
        ticket("T-5", -90), ticket("T-6", None), ticket("T-7", -10, status="solved"),
        ticket("T-8", -5),
    ]
    got = escalations(tickets, NOW, 1800)
    assert [(e.ticket.id, e.severity, e.overdue) for e in got] == [
        ("T-5", 2, True), ("T-8", 2, True), ("T-4", 2, True), ("T-3", 1, False), ("T-2", 1, False),
    ]
    assert got[0].due_in_s == -5400


def test_ticket_breaches() -> None:
    breaches = evaluate(floor(), tickets=[ticket("T-9", -12, subject="[red]Refund[/red] now"), ticket("T-10", 10)])
    by_id = {b.subject_id: b for b in breaches}
    assert by_id["T-9"].severity == 2 and by_id["T-9"].title == "T-9 [red]Refund[/red] now: overdue 12 min"
    assert by_id["T-9"].subject_name == "[red]Refund[/red] now"
    assert by_id["T-10"].severity == 1 and by_id["T-10"].title == "T-10 Router dead: SLA due in 10 min"
    assert by_id["T-10"].fingerprint == "ticket.sla:ticket:T-10"
    assert evaluate(floor(), tickets=[]) == evaluate(floor(), tickets=None) == []


# --- fingerprints and names -------------------------------------------------------------------


def test_renaming_a_queue_keeps_the_fingerprint() -> None:
    (a,) = evaluate(floor(queue(name="Billing", waiting=12)))
    (b,) = evaluate(floor(queue(name="Billing & Payments", waiting=30)))
    assert a.fingerprint == b.fingerprint == fingerprint("queue.waiting", "queue", "q-1")
    assert (a.title, b.title) == ("Billing: 12 waiting", "Billing & Payments: 30 waiting")


def test_hostile_names_appear_verbatim() -> None:
    name = "[bold]x[/bold] [link=http://e.vil]y[/link]"
    (b,) = evaluate(floor(queue(name=name, waiting=40)))
    assert b.title == f"{name}: 40 waiting" and b.subject_name == name
    flag = StressFlag("a-1", "[blink]Ana[/blink]", 1, ("occupancy",), ("96% busy over the last 60 min",))
    (s,) = evaluate(floor(), stress={"a-1": flag})
    assert s.title == "[blink]Ana[/blink]: may need a check-in"
    assert s.fingerprint == "agent.stress:agent:a-1" and s.reason == "96% busy over the last 60 min"


def test_stress_flags_become_agent_breaches_with_their_severity() -> None:
    flag = StressFlag("a-2", "Bo", 2, ("occupancy", "no_break"), ("r1", "r2"))
    (s,) = evaluate(floor(), stress={"a-2": flag})
    assert (s.subject_kind, s.severity, s.reason) == ("agent", 2, "r1; r2")


def test_source_breaches() -> None:
    stale = source_breach("sim", "stale", 75.0, "no answer for 75 s")
    down = source_breach("sim", "down", None, "connection refused")
    assert (stale.rule, stale.severity, down.rule, down.severity) == ("source.stale", 1, "source.down", 2)
    # One problem at two severities: going down raises the stale alert rather than adding one.
    assert stale.fingerprint == down.fingerprint == "source.health:source:sim"
    assert stale.title == "sim: stale data, data 75 s old"
    assert down.reason == "no data yet; connection refused"
    with pytest.raises(ValueError):
        source_breach("sim", "ok", 1.0, "")


def test_rules_validate_their_thresholds() -> None:
    with pytest.raises(ValueError, match="waiting"):
        AlertRules(waiting_warn=30, waiting_crit=25)


# --- simulated floors --------------------------------------------------------------------------


def _expected(q: Queue, rules: AlertRules) -> dict[str, int]:
    """The rules written out once more, plainly, as the oracle for the simulated floors."""
    out: dict[str, int] = {}
    if q.waiting > rules.waiting_warn:
        out["queue.waiting"] = 2 if q.waiting > rules.waiting_crit else 1
    if q.oldest_wait_s > rules.oldest_wait_warn_s:
        out["queue.oldest_wait"] = 2 if q.oldest_wait_s > rules.oldest_wait_crit_s else 1
    closed = q.today.answered + q.today.abandoned
    if closed >= rules.min_closed:
        sl = q.today.answered_within_sl / closed
        if sl < q.sl_target:
            out["queue.sl"] = 2 if sl < q.sl_target - rules.sl_crit_margin else 1
        ab = q.today.abandoned / closed
        if ab > rules.abandon_warn:
            out["queue.abandon"] = 2 if ab > rules.abandon_crit else 1
    return out


def _ticket(d: dict[str, Any]) -> Ticket:
    due = d["sla_due_at"]
    return Ticket(
        d["id"], d["subject"], d["priority"], d["status"], d["customer_tier"],
        dt.datetime.fromisoformat(d["created_at"]),
        None if due is None else dt.datetime.fromisoformat(due), d["assignee"], d["group"],
    )


@pytest.mark.parametrize(("seed", "hh"), [(3, 10), (5, 10), (7, 12), (5, 16)])
def test_rules_on_simulated_floors(seed: int, hh: int) -> None:
    start = dt.datetime(2026, 11, 23, hh, tzinfo=dt.UTC)
    surge = Surge("q-billing", start - dt.timedelta(minutes=10), start + dt.timedelta(hours=1), 8.0)
    sim = Simulator(SimConfig(seed=seed, start=dt.time(hh), surges=(surge,)))
    snap = parse_floor(wire.floor(sim), "sim")
    tickets = [_ticket(d) for d in wire.tickets(sim, True)["tickets"]]
    breaches = evaluate(snap, tickets=tickets)
    got = {(b.subject_id, b.rule): b.severity for b in breaches if b.subject_kind == "queue"}
    want = {(q.id, rule): sev for q in snap.queues for rule, sev in _expected(q, RULES).items()}
    assert got == want
    assert ("q-billing", "queue.oldest_wait") in got  # the surge shows
    assert len({b.fingerprint for b in breaches}) == len(breaches)
    for b in breaches:
        if b.subject_kind == "queue":
            assert b.title.startswith(snap.queue_by_id[b.subject_id].name + ": ")
    want_tickets = {e.ticket.id: e.severity for e in escalations(tickets, snap.as_of, 1800)}
    assert {b.subject_id: b.severity for b in breaches if b.subject_kind == "ticket"} == want_tickets


async def test_gap_alerts_follow_the_outlook_on_the_simulated_floor() -> None:
    from test_outlook import floor_and_plan

    snap, plan = await floor_and_plan()
    out = current_outlook(snap, plan)
    gaps = {b.subject_id: b.severity for b in evaluate(snap, outlook=out) if b.rule == "queue.gap"}
    want = {qid: 2 if o.gap >= 3 else 1 for qid, o in out.items() if o.gap >= 1}
    assert gaps == want
