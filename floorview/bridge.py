"""The incident-bridge summary: what is breaking and how big the gap is, as Markdown to paste.

Shared by `floorview snapshot --format markdown` and the dashboard's `b`. Everything here is
plain text built from the model; names and subjects from APIs are escaped for Markdown
tables, never interpreted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from floorview.alerts.rules import Escalation
from floorview.analytics.outlook import OutlookSettings, rest_of_day
from floorview.model import FloorSnapshot
from floorview.sources.base import DayPlan
from floorview.ui.format import duration


def md(text: str) -> str:
    # A pipe or newline from an API string would break the table a bridge pastes.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True, slots=True)
class AlertLine:
    title: str
    reason: str
    severity: int
    #: Who has it (an acknowledgement), None if nobody.
    owner: str | None
    note: str = ""


def gap_table(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings, hours: float = 2.0
) -> list[str]:
    """Per queue short of agents in the next ``hours``: the gap per 15-minute interval
    (the re-forecast's requirement minus the agents it expects: now for the interval in
    progress, the schedule after)."""
    table = rest_of_day(snapshot, plan, settings)
    end = pd.Timestamp(snapshot.as_of + timedelta(hours=hours))
    table = table[table["start"] < end]
    if table.empty:
        return ["No re-forecast for the next two hours."]
    starts = sorted(table["start"].unique())
    names = {q.id: q.name for q in snapshot.queues}
    rows = []
    for queue, part in table.groupby("queue", sort=False):
        gaps = dict(zip(part["start"], part["gap"], strict=True))
        if max(gaps.values()) <= 0:
            continue
        cells = []
        for start in starts:
            gap = gaps.get(start)
            cells.append("—" if gap is None else f"**short {gap:.0f}**" if gap > 0 else "ok")
        rows.append(f"| {md(names.get(str(queue), str(queue)))} | " + " | ".join(cells) + " |")
    if not rows:
        return [f"No queue is short of agents before {end:%H:%M}Z."]
    head = "| Queue | " + " | ".join(f"{pd.Timestamp(s):%H:%M}" for s in starts) + " |"
    return [head, "|---" * (len(starts) + 1) + "|", *rows]


def alerts_lines(alerts: Sequence[AlertLine]) -> list[str]:
    if not alerts:
        return ["No alerts firing."]
    out = []
    for a in sorted(alerts, key=lambda a: -a.severity):
        mark = "▲▲" if a.severity >= 2 else "▲"
        who = f"**{md(a.owner)}** has it" if a.owner else "**nobody has it**"
        note = f" ({md(a.note)})" if a.note else ""
        out.append(f"- {mark} {md(a.title)}: {md(a.reason)} — {who}{note}")
    return out


def escalation_lines(escalations: Sequence[Escalation], limit: int = 10) -> list[str]:
    if not escalations:
        return ["No tickets near or past their SLA."]
    out = []
    for e in escalations[:limit]:
        t = e.ticket
        when = (f"overdue {duration(-e.due_in_s)}" if e.overdue
                else f"due in {duration(e.due_in_s)}")
        owner = md(t.assignee) if t.assignee else "unassigned"
        out.append(f"- {md(t.id)} {md(t.subject)}: **{when}**, {md(t.priority)} priority, "
                   f"{owner}")
    if len(escalations) > limit:
        out.append(f"- … and {len(escalations) - limit} more")
    return out


def sections(
    snapshot: FloorSnapshot,
    plan: DayPlan | None,
    settings: OutlookSettings,
    alerts: Sequence[AlertLine],
    escalations: Sequence[Escalation],
) -> list[str]:
    """What follows the queue table: the gap ahead, the alerts and the escalations."""
    gap = (["No plan from the source: no re-forecast."] if plan is None
           else gap_table(snapshot, plan, settings))
    return [
        "### Staffing gap, next two hours", "", *gap, "",
        "### Alerts", "", *alerts_lines(alerts), "",
        "### Escalations", "", *escalation_lines(escalations), "",
    ]


def owners_from(acks: Mapping[str, object]) -> dict[str, tuple[str, str]]:
    """fingerprint -> (who, note) from journal acks (anything with .who and .note)."""
    return {fp: (str(getattr(a, "who", "")), str(getattr(a, "note", ""))) for fp, a in
            acks.items()}


def stamp(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}"
