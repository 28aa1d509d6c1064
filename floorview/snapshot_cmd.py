"""``floorview snapshot``: poll every source once and print the floor, for scripts and bridges.

Markdown is for pasting into an incident channel; JSON is for scripts. A dead or broken
source is one line on stderr naming it and the reason, and a non-zero exit: no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from floorview.alerts.rules import escalations, evaluate
from floorview.analytics.outlook import OutlookSettings, QueueOutlook, current_outlook
from floorview.bridge import AlertLine, sections
from floorview.model import AgentState, FloorSnapshot, Queue, Ticket
from floorview.monitor import source_key
from floorview.sources.base import DayPlan, Source, SourceError
from floorview.ui.format import duration, percent


@dataclass(frozen=True, slots=True)
class SourceResult:
    name: str
    snapshot: FloorSnapshot | None
    outlook: dict[str, QueueOutlook]
    error: str | None
    plan_error: str | None
    plan: DayPlan | None = None
    tickets: tuple[Ticket, ...] = ()


async def _poll(source: Source, settings: OutlookSettings) -> SourceResult:
    try:
        snapshot = await source.fetch_floor()
    except SourceError as exc:
        return SourceResult(source.name, None, {}, str(exc), None)
    except Exception as exc:  # one line for the bridge, whatever broke
        return SourceResult(
            source.name, None, {}, f"{source.name}: unexpected {type(exc).__name__}: {exc}", None
        )
    plan: DayPlan | None = None
    plan_error = None
    try:
        plan = await source.fetch_plan(snapshot.as_of.date())
    except Exception as exc:  # the floor is still worth printing without its plan
        plan_error = str(exc)
    outlook = current_outlook(snapshot, plan, settings) if plan is not None else {}
    tickets: tuple[Ticket, ...] = ()
    with contextlib.suppress(Exception):  # the floor is worth printing without its tickets
        tickets = tuple(await source.fetch_tickets())
    return SourceResult(source.name, snapshot, outlook, None, plan_error, plan, tickets)


async def poll_all(sources: Sequence[Source], settings: OutlookSettings) -> list[SourceResult]:
    try:
        return list(await asyncio.gather(*(_poll(s, settings) for s in sources)))
    finally:
        for source in sources:
            await source.aclose()


def _severity(q: Queue) -> float:
    """How far below target the queue is today; larger is worse. Unknown SL sorts last."""
    sl = q.today.service_level
    return -1.0 if sl is None else q.sl_target - sl


def _queue_record(q: Queue, snap: FloorSnapshot, outlook: QueueOutlook | None) -> dict[str, Any]:
    return {
        "id": q.id,
        "name": q.name,
        "channel": q.channel.value,
        "waiting": q.waiting,
        "oldest_wait_s": q.oldest_wait_s if q.waiting else None,
        "service_level": q.today.service_level,
        "sl_target": q.sl_target,
        "sl_threshold_s": q.sl_threshold_s,
        "abandon_rate": q.today.abandon_rate,
        "offered": q.today.offered,
        "staffed": snap.staffed_on(q.id),
        "available": snap.available_on(q.id),
        "scheduled": None if outlook is None else outlook.scheduled,
        "required": None if outlook is None else outlook.required,
        "capacity_now": None if outlook is None else outlook.staffed,
        "gap": None if outlook is None else outlook.gap,
    }


def to_json(results: Sequence[SourceResult]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for r in results:
        entry: dict[str, Any] = {"source": r.name, "error": r.error, "plan_error": r.plan_error}
        if r.snapshot is not None:
            snap = r.snapshot
            states = {s.value: 0 for s in AgentState}
            for agent in snap.agents:
                states[agent.state.value] += 1
            queues = sorted(snap.queues, key=_severity, reverse=True)
            entry |= {
                "site": snap.site,
                "as_of": snap.as_of.isoformat().replace("+00:00", "Z"),
                "agents": states,
                "queues": [_queue_record(q, snap, r.outlook.get(q.id)) for q in queues],
            }
        out.append(entry)
    return {"sources": out}


def _md_cell(text: str) -> str:
    # Names come from APIs: a pipe or newline would break the table a bridge pastes.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(
    results: Sequence[SourceResult],
    settings: OutlookSettings | None = None,
    owners: Mapping[str, tuple[str, str]] | None = None,
    alerts: Mapping[str, Sequence[AlertLine]] | None = None,
) -> str:
    """The bridge summary. ``alerts`` (per source) are the dashboard's; without them the
    breaches on the floor now are listed, with owners from ``owners`` (journal acks)."""
    settings = settings or OutlookSettings()
    lines: list[str] = []
    for r in results:
        if r.snapshot is None:
            lines += [f"## {_md_cell(r.name)}: SOURCE DOWN", "", f"{_md_cell(r.error or '')}", ""]
            continue
        snap = r.snapshot
        working = sum(1 for a in snap.agents if a.state is not AgentState.OFFLINE)
        lines += [
            f"## {_md_cell(snap.site)} — {snap.as_of:%Y-%m-%d %H:%M:%S}Z ({_md_cell(r.name)})",
            "",
            f"{working} agents logged in: "
            + ", ".join(
                f"{sum(1 for a in snap.agents if a.state is s)} {s.value.replace('_', ' ')}"
                for s in AgentState
                if s is not AgentState.OFFLINE
            ),
            "",
            "| Queue | Waiting | Oldest | SL today (target) | Abandon | Staffed | Need now |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for q in sorted(snap.queues, key=_severity, reverse=True):
            o = r.outlook.get(q.id)
            sl = q.today.service_level
            mark = " ▼" if sl is not None and sl < q.sl_target else ""
            need = "—" if o is None else str(o.required)
            if o is not None and o.gap > 0:
                need += f" (short {o.gap:.0f})"
            lines.append(
                f"| {_md_cell(q.name)} | {q.waiting} | "
                f"{duration(q.oldest_wait_s) if q.waiting else '—'} | "
                f"{percent(sl)}{mark} ({percent(q.sl_target)} in {q.sl_threshold_s:g} s) | "
                f"{percent(q.today.abandon_rate)} | {snap.staffed_on(q.id)} | {need} |"
            )
        if r.plan_error:
            lines += ["", f"No re-forecast: {_md_cell(r.plan_error)}"]
        lines.append("")
        shown = (list(alerts.get(r.name, ())) if alerts is not None
                 else _breaching(r, owners or {}))
        lines += sections(snap, r.plan, settings, shown, escalations(r.tickets, snap.as_of))
    return "\n".join(lines).rstrip() + "\n"


def _breaching(r: SourceResult, owners: Mapping[str, tuple[str, str]]) -> list[AlertLine]:
    assert r.snapshot is not None
    out = []
    for b in evaluate(r.snapshot, outlook=r.outlook, tickets=r.tickets):
        who, note = owners.get(source_key(r.name, b.fingerprint), (None, ""))
        out.append(AlertLine(b.title, b.reason, b.severity, who, note))
    return out


def run_snapshot(
    sources: Sequence[Source],
    settings: OutlookSettings,
    fmt: str,
    out: TextIO | None = None,
    err: TextIO | None = None,
    owners: Mapping[str, tuple[str, str]] | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    results = asyncio.run(poll_all(sources, settings))
    if all(r.error for r in results):
        pass  # nothing to print but the reasons below
    elif fmt == "json":
        out.write(json.dumps(to_json(results), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(to_markdown(results, settings, owners))
    failed = [r for r in results if r.error]
    for r in failed:
        print(f"floorview: {r.error}", file=err)
    return 1 if failed else 0
