"""The only path from a key press to a write: check, write, journal, report.

A read-only display (the wall) refuses here, in code, whatever keys its UI shows: hiding
a key is a courtesy, this is the rule.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from floorview.alerts import Alert, AlertState
from floorview.identity import Actor
from floorview.journal import Ack, AuditEntry, HeldBy, Journal
from floorview.model import Agent, AgentState
from floorview.sources.base import Source, SourceError, VersionConflict


class ActionRefused(Exception):
    """The action was not attempted; the message says why, for the user as is."""


@dataclass(frozen=True, slots=True)
class Permissions:
    can_write: bool = True
    #: Why not, when not: shown to whoever pressed the key.
    reason: str = ""


READ_ONLY = Permissions(False, "this display is read-only")


def _check(permissions: Permissions, journal: Journal | None) -> Journal:
    if not permissions.can_write:
        raise ActionRefused(permissions.reason or "this display is read-only")
    if journal is None:
        raise ActionRefused("no journal: acknowledgements need [journal] in the config")
    if journal.read_only:
        raise ActionRefused(f"the journal {journal.path} is open read-only")
    return journal


def acknowledge(
    alert: Alert,
    *,
    journal: Journal | None,
    actor: Actor,
    permissions: Permissions,
    at: datetime,
    note: str = "",
    expires_after_min: int | None = None,
) -> Ack:
    """Record "I have it" for ``alert``; every floorview sharing the journal shows it."""
    journal = _check(permissions, journal)
    if alert.state not in (AlertState.FIRING, AlertState.ACKNOWLEDGED):
        raise ActionRefused(f"only a firing alert can be acknowledged; this one is {alert.state}")
    expires_at = None if expires_after_min is None else at + timedelta(minutes=expires_after_min)
    try:
        return journal.acknowledge(
            alert.fingerprint,
            alert_title=alert.title,
            severity=alert.severity,
            actor=actor,
            at=at,
            note=note,
            expires_at=expires_at,
        )
    except Exception as exc:  # the journal's own messages name the file and the problem
        raise ActionRefused(f"acknowledgement not recorded: {exc}") from exc


# --- reassignment -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentChange:
    agent_id: str
    name: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    #: The agent's version when the change was previewed; the write checks it again.
    version: int


Outcome = Literal["done", "conflict", "refused", "failed"]


@dataclass(frozen=True, slots=True)
class ChangeResult:
    agent_id: str
    outcome: Outcome
    message: str
    #: The audit row of the outcome (None when nothing was attempted).
    audit_id: int | None = None


def _subject(source: Source, agent_id: str) -> str:
    return f"agent:{source.name}/{agent_id}"


def _why_changed(change: AgentChange, agent: Agent) -> str | None:
    if agent.version != change.version:
        return f"changed since the preview (version {change.version} -> {agent.version})"
    if agent.state is AgentState.OFFLINE:
        return "logged out since the preview"
    if agent.queue_ids != change.before:
        return "queues changed since the preview"
    return None


async def _one(
    change: AgentChange,
    *,
    source: Source,
    journal: Journal,
    actor: Actor,
    at: Callable[[], datetime],
    action: str,
    correlation: str,
    queue_names: Mapping[str, str],
) -> ChangeResult:
    aid, name = change.agent_id, change.name
    subject = _subject(source, aid)
    # Claims are leases in real time, whatever the floor's clock does.
    claim = journal.claim(subject, actor=actor, at=datetime.now(UTC))
    if isinstance(claim, HeldBy):
        return ChangeResult(aid, "refused", f"{name}: {claim.message()}")
    try:
        try:
            current = await source.fetch_agent(aid)
        except SourceError as exc:
            return ChangeResult(aid, "failed", f"{name}: could not re-read: {exc}")
        if (why := _why_changed(change, current)) is not None:
            # Nothing is written, so nothing to audit: the trail is of writes attempted.
            return ChangeResult(aid, "conflict", f"{name}: {why}; nothing changed")
        before = ", ".join(queue_names.get(q, q) for q in change.before)
        after_names = ", ".join(queue_names.get(q, q) for q in change.after)
        detail = f"{name}: {before} -> {after_names}"
        state = {"queues": list(change.before), "version": change.version}
        journal.audit(actor=actor, at=at(), action=action, subject=subject, before=state,
                      after={"queues": list(change.after)}, result="intent", detail=detail,
                      correlation=correlation)
        try:
            updated = await source.set_agent_queues(aid, change.after, change.version)
        except VersionConflict as exc:
            outcome, message, after = "conflict", f"{name}: {exc}; nothing changed", None
        except SourceError as exc:
            outcome, message, after = "failed", f"{name}: {exc}", None
        else:
            outcome, message = "done", f"{name} moved: {detail.partition(': ')[2]}"
            after = {"queues": list(updated.queue_ids), "version": updated.version}
        audit_id = journal.audit(
            actor=actor, at=at(), action=action, subject=subject, before=state, after=after,
            result="ok" if outcome == "done" else outcome, detail=message,
            correlation=correlation,
        )
        return ChangeResult(aid, outcome, message, audit_id)  # type: ignore[arg-type]
    finally:
        journal.release(subject, actor, token=claim.token)


async def reassign(
    changes: Sequence[AgentChange],
    *,
    source: Source,
    journal: Journal | None,
    actor: Actor,
    permissions: Permissions,
    at: Callable[[], datetime],
    progress: Callable[[int, int, ChangeResult], None] | None = None,
    cancel: asyncio.Event | None = None,
    action: str = "reassign",
    correlation: str | None = None,
    queue_names: Mapping[str, str] | None = None,
) -> list[ChangeResult]:
    """Write each change in turn, safely; one result per change.

    Per agent: a claim in the journal (one write in flight per agent across every floorview
    on the host), a re-read (nothing is written if the agent changed since the preview), an
    audit row of intent before the call and one of its outcome after, with one correlation
    id for the whole move. Requests are paced by the source's own request budget. ``cancel``
    stops before the next agent. ``queue_names`` (id -> name) makes messages and the trail
    readable; ids are kept in the rows' before/after.
    """
    journal = _check(permissions, journal)
    correlation = correlation or uuid.uuid4().hex
    results: list[ChangeResult] = []
    for change in changes:
        if cancel is not None and cancel.is_set():
            result = ChangeResult(change.agent_id, "refused", f"{change.name}: cancelled")
        else:
            result = await _one(change, source=source, journal=journal, actor=actor, at=at,
                                action=action, correlation=correlation,
                                queue_names=queue_names or {})
        results.append(result)
        if progress is not None:
            progress(len(results), len(changes), result)
    return results


def unverified(journal: Journal) -> list[AuditEntry]:
    """Intent rows with no outcome row: the process died between the two (a crash, a kill),
    so nobody knows whether the write reached the source."""
    entries = journal.audit_entries()
    outcomes = {
        (e.correlation, e.subject) for e in entries if e.result != "intent" and e.correlation
    }
    return [e for e in entries if e.result == "intent"
            and (e.correlation, e.subject) not in outcomes]


async def undo(
    audit_id: int,
    *,
    source: Source,
    journal: Journal | None,
    actor: Actor,
    permissions: Permissions,
    at: Callable[[], datetime],
) -> list[ChangeResult]:
    """Put back every agent the move of ``audit_id`` changed, through the same safe path."""
    journal = _check(permissions, journal)
    entry = journal.audit_entry(audit_id)
    if entry is None or entry.correlation is None:
        raise ActionRefused(f"no reassignment with audit id {audit_id}")
    done = [
        e for e in journal.audit_entries()
        if e.correlation == entry.correlation and e.result == "ok"
    ]
    if not done:
        raise ActionRefused(f"audit id {audit_id}: that move changed nobody; nothing to undo")
    changes = []
    for e in done:
        aid = e.subject.partition("/")[2]
        try:
            current = await source.fetch_agent(aid)
        except SourceError as exc:
            raise ActionRefused(f"cannot re-read {aid}: {exc}") from exc
        changes.append(AgentChange(aid, current.name, current.queue_ids,
                                   tuple(e.before["queues"]), current.version))
    return await reassign(changes, source=source, journal=journal, actor=actor,
                          permissions=permissions, at=at, action="undo",
                          correlation=f"undo:{audit_id}:{uuid.uuid4().hex[:8]}")
