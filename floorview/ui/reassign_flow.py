"""What happens around a reassignment on screen: the selection, the dialog's preview, the
write through ``actions.reassign`` with progress, and watching the floor confirm it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from floorview.actions import AgentChange, ChangeResult
from floorview.analytics.outlook import IntervalPlan
from floorview.analytics.whatif import QueueEffect, new_memberships, preview
from floorview.model import Agent, FloorSnapshot

#: A change not seen on the floor this long after it was written is reported unverified.
VERIFY_WITHIN_S = 60.0


def agent_id(row_key: str) -> tuple[str, str]:
    source, _, agent = row_key.partition("/")
    return source, agent


def picked_agents(snapshot: FloorSnapshot, keys: Sequence[str]) -> list[Agent]:
    """The agents behind row keys of one source, in floor order."""
    wanted = {agent_id(k)[1] for k in keys if agent_id(k)[0] == snapshot.source}
    return [a for a in snapshot.agents if a.id in wanted]


def previewer(
    snapshot: FloorSnapshot, agents: Sequence[Agent], interval: IntervalPlan | None
) -> Callable[[str | None, str | None], tuple[dict[str, tuple[str, ...]], list[QueueEffect]]]:
    ids = [a.id for a in agents]

    def run(remove: str | None, add: str | None) -> tuple[
        dict[str, tuple[str, ...]], list[QueueEffect]
    ]:
        changes = new_memberships(
            snapshot, ids, add=[add] if add else [], remove=[remove] if remove else []
        )
        return changes, preview(snapshot, interval, changes) if changes else []

    return run


def agent_changes(
    snapshot: FloorSnapshot, changes: dict[str, tuple[str, ...]]
) -> list[AgentChange]:
    """What was previewed, with each agent's version then: the write checks it again."""
    by_id = snapshot.agent_by_id
    return [
        AgentChange(
            agent_id=aid, name=by_id[aid].name, before=by_id[aid].queue_ids, after=after,
            version=by_id[aid].version,
        )
        for aid, after in changes.items()
    ]


@dataclass
class Watching:
    """Written changes the floor has not shown yet: source -> agent id -> (queues, since)."""

    pending: dict[str, dict[str, tuple[tuple[str, ...], datetime]]] = field(default_factory=dict)

    def expect(self, source: str, results: Sequence[ChangeResult],
               changes: Sequence[AgentChange], at: datetime) -> None:
        after = {c.agent_id: c.after for c in changes}
        for r in results:
            if r.outcome == "done":
                self.pending.setdefault(source, {})[r.agent_id] = (after[r.agent_id], at)

    def check(self, snapshot: FloorSnapshot) -> tuple[list[str], list[str]]:
        """Names of agents now seen in their new queues, and of those overdue."""
        waiting = self.pending.get(snapshot.source, {})
        seen, overdue = [], []
        for aid, (queues, since) in list(waiting.items()):
            agent = snapshot.agent_by_id.get(aid)
            if agent is not None and agent.queue_ids == queues:
                seen.append(agent.name)
                del waiting[aid]
            elif snapshot.as_of - since > timedelta(seconds=VERIFY_WITHIN_S):
                overdue.append(agent.name if agent is not None else aid)
                del waiting[aid]
        return seen, overdue
