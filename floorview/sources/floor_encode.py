"""The canonical model back to Floor API v1 documents (docs/floor-api.md).

The collector serves what it polled, from whatever kind of source, in the one schema every
floorview reads; a viewer parses it with the same readers as any Floor API source, so the
two must round-trip exactly (tests/test_floor_encode.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from floorview.model import Agent, FloorSnapshot, Queue, Ticket
from floorview.sources.base import DayPlan

API_VERSION = 1


def iso(when: datetime) -> str:
    """UTC with a Z, to the microsecond when there is one: the parser reads it back as is."""
    text = when.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _queue(q: Queue) -> dict[str, Any]:
    t = q.today
    return {
        "id": q.id,
        "name": q.name,
        "channel": q.channel.value,
        "sl_threshold_s": q.sl_threshold_s,
        "sl_target": q.sl_target,
        "waiting": q.waiting,
        "oldest_wait_s": q.oldest_wait_s,
        "today": {
            "offered": t.offered, "answered": t.answered,
            "answered_within_sl": t.answered_within_sl, "abandoned": t.abandoned,
            "handled": t.handled, "handle_time_s": t.handle_time_s, "wait_time_s": t.wait_time_s,
        },
    }


def _agent(a: Agent) -> dict[str, Any]:
    c, t = a.contact, a.today
    return {
        "id": a.id,
        "name": a.name,
        "team": a.team,
        "state": a.state.value,
        "aux_reason": a.aux_reason,
        "state_since": iso(a.state_since),
        "queues": list(a.queue_ids),
        "version": a.version,
        "contact": None if c is None else {
            "queue": c.queue_id, "started_at": iso(c.started_at), "sentiment": c.sentiment,
        },
        "today": None if t is None else {
            "on_contact_s": t.on_contact_s, "acw_s": t.acw_s, "available_s": t.available_s,
            "aux_s": t.aux_s, "contacts": t.contacts,
        },
        # Optional in the Floor API: only vendors that keep presence apart send it.
        **({} if a.presence is None else {"presence": a.presence}),
    }


def floor_doc(snapshot: FloorSnapshot) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "as_of": iso(snapshot.as_of),
        "site": snapshot.site,
        "queues": [_queue(q) for q in snapshot.queues],
        "agents": [_agent(a) for a in snapshot.agents],
    }


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        item: dict[str, Any] = {}
        for key, value in row.items():
            if key == "start":
                item[key] = iso(value.to_pydatetime())
            elif isinstance(value, float) and math.isnan(value):
                continue  # an optional column the source did not send
            else:
                item[key] = value.item() if hasattr(value, "item") else value
        out.append(item)
    return out


def forecast_doc(plan: DayPlan) -> dict[str, Any]:
    return {"date": plan.day.isoformat(), "interval_s": 900, "intervals": _rows(plan.forecast)}


def intervals_doc(plan: DayPlan) -> dict[str, Any]:
    return {
        "date": plan.day.isoformat(), "as_of": iso(plan.as_of), "interval_s": 900,
        "intervals": _rows(plan.actuals),
    }


def tickets_doc(tickets: Sequence[Ticket], as_of: datetime) -> dict[str, Any]:
    return {
        "as_of": iso(as_of),
        "tickets": [
            {
                "id": t.id, "subject": t.subject, "priority": t.priority, "status": t.status,
                "customer_tier": t.customer_tier, "created_at": iso(t.created_at),
                "sla_due_at": None if t.sla_due_at is None else iso(t.sla_due_at),
                "assignee": t.assignee, "group": t.group,
                # The collector keeps only the escalated list it polled.
                "escalated": True,
            }
            for t in tickets
        ],
    }
