"""The simulator's state as Floor API v1 documents (docs/floor-api.md), as plain dicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from floorview.sim.engine import Simulator
from floorview.sim.profile import INTERVAL_S, INTERVALS_PER_DAY
from floorview.sim.state import AgentRun, Counts, QueueRun
from floorview.sim.tickets import Ticket

API_VERSION = 1


def iso(sim: Simulator, t: float) -> str:
    """A sim time as ISO 8601 UTC with a Z, to the millisecond.

    Rounding (not truncating) whole milliseconds keeps the order of any two times, so a
    state never appears to begin after ``as_of``, and float noise never shaves off a
    millisecond.
    """
    when = sim.origin + dt.timedelta(milliseconds=round(t * 1000))
    # isoformat is several times faster than strftime, and a 5000-agent floor has ~8000
    # times per answer. The origin is UTC, so the text is 'YYYY-MM-DDTHH:MM:SS.mmm+00:00'.
    text = when.isoformat(timespec="milliseconds")
    ms = text[20:23]
    return f"{text[:19]}Z" if ms == "000" else f"{text[:23]}Z"


def _seconds(value: float) -> float:
    return round(value, 3)


def counts(c: Counts) -> dict[str, Any]:
    return {
        "offered": c.offered,
        "answered": c.answered,
        "answered_within_sl": c.answered_within_sl,
        "abandoned": c.abandoned,
        "handled": c.handled,
        "handle_time_s": _seconds(c.handle_time_s),
        "wait_time_s": _seconds(c.wait_time_s),
    }


def queue(sim: Simulator, q: QueueRun) -> dict[str, Any]:
    oldest = next(iter(q.waiting.values()), None)
    spec = q.spec
    return {
        "id": spec.id,
        "name": spec.name,
        "channel": spec.channel,
        "sl_threshold_s": spec.sl_threshold_s,
        "sl_target": spec.sl_target,
        "waiting": len(q.waiting),
        "oldest_wait_s": _seconds(sim.t - oldest.arrived) if oldest else 0,
        "today": counts(q.today),
    }


def agent(sim: Simulator, a: AgentRun) -> dict[str, Any]:
    contact = a.contact
    totals = sim.agent_totals(a)
    return {
        "id": a.plan.id,
        "name": a.plan.name,
        "team": a.plan.team,
        "state": a.state,
        "aux_reason": a.aux_reason,
        "state_since": iso(sim, a.since),
        "queues": [sim.queues[qi].spec.id for qi in a.queues],
        "version": a.version,
        "contact": None if contact is None else {
            "queue": sim.queues[contact.queue].spec.id,
            "started_at": iso(sim, contact.answered_at),
            "sentiment": contact.sentiment,
        },
        "today": {
            "on_contact_s": _seconds(totals["on_contact"]),
            "acw_s": _seconds(totals["acw"]),
            "available_s": _seconds(totals["available"]),
            "aux_s": _seconds(totals["aux"]),
            "contacts": a.contacts_today,
        },
    }


def floor(sim: Simulator) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "as_of": iso(sim, sim.t),
        "site": sim.config.site,
        "queues": [queue(sim, q) for q in sim.queues],
        "agents": [agent(sim, a) for a in sim.agents],
    }


def _day_number(sim: Simulator, day: dt.date) -> int:
    return (day - sim.config.date).days


def intervals(sim: Simulator, day: dt.date) -> dict[str, Any]:
    """Actuals of ``day`` up to and including the interval in progress; none for a day
    the simulator has not reached or was not running on."""
    d = _day_number(sim, day)
    first = d * INTERVALS_PER_DAY
    last = min(first + INTERVALS_PER_DAY - 1, int(sim.t // INTERVAL_S))
    if d < 0:
        last = first - 1
    rows = []
    effective = sim.agents_effective(first, last) if last >= first else []
    for k in range(first, last + 1):
        start = iso(sim, k * INTERVAL_S)
        for q in sim.queues:
            rows.append({
                "queue": q.spec.id,
                "start": start,
                **counts(sim.interval_counts(q, k)),
                "staffed_avg": round(sim.staffed_avg(q, k), 3),
                "agents_effective": round(effective[k - first][q.index], 3),
            })
    return {
        "date": day.isoformat(),
        "as_of": iso(sim, sim.t),
        "interval_s": int(INTERVAL_S),
        "intervals": rows,
    }


def forecast(sim: Simulator, day: dt.date) -> dict[str, Any]:
    """The plan is the same every day, so any date has one."""
    base = _day_number(sim, day) * INTERVALS_PER_DAY
    return {
        "date": day.isoformat(),
        "interval_s": int(INTERVAL_S),
        "intervals": [
            {
                "queue": sim.queues[row.queue].spec.id,
                "start": iso(sim, (base + row.k) * INTERVAL_S),
                "volume": round(row.volume, 3),
                "aht_s": row.aht_s,
                "scheduled_agents": row.scheduled_agents,
            }
            for row in sim.plan
        ],
    }


def ticket(sim: Simulator, k: Ticket) -> dict[str, Any]:
    status = k.status(sim.t)
    return {
        "id": k.id,
        "subject": k.subject,
        "priority": k.priority,
        "status": status,
        "customer_tier": k.customer_tier,
        "created_at": iso(sim, k.created_at),
        "sla_due_at": None if k.sla_due_at is None else iso(sim, k.sla_due_at),
        # Nobody has picked up a new ticket yet.
        "assignee": None if status == "new" else k.assignee,
        "group": k.group,
        "escalated": k.escalated(sim.t),
    }


def tickets(sim: Simulator, escalated_only: bool) -> dict[str, Any]:
    return {
        "as_of": iso(sim, sim.t),
        "tickets": [ticket(sim, k) for k in sim.tickets.unsolved(sim.t, escalated_only)],
    }
