"""What a reassignment would do: per affected queue, SL, wait and abandon before and after.

Uses the interval in progress as the board sees it (``OutlookCache.interval``): the same
offered load, AHT, patience and threshold, and the same N (``FloorSnapshot.effective_on``),
so the preview's "before" is the board's projected SL and the supervisor compares like
with like. Pure functions: the dialog and the bridge-chat summary both call them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from floorview.analytics import erlang
from floorview.analytics.erlang import FloatArray
from floorview.analytics.outlook import IntervalPlan
from floorview.model import Agent, AgentState, FloorSnapshot, Queue

#: agent id -> the agent's queues after the change (only agents whose queues change).
Changes = Mapping[str, tuple[str, ...]]

# The states in which FloorSnapshot counts an agent for the queue of the contact in hand
# rather than for their queue list.
_BUSY_STATES = frozenset({AgentState.ON_CONTACT, AgentState.ACW})


def _agent(snapshot: FloorSnapshot, agent_id: str) -> Agent:
    agent = snapshot.agent_by_id.get(agent_id)
    if agent is None:
        raise KeyError(
            f"agent {agent_id!r} is not on the {snapshot.source} floor "
            f"as of {snapshot.as_of:%H:%M:%S}"
        )
    return agent


def new_memberships(
    snapshot: FloorSnapshot,
    agent_ids: Sequence[str],
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> dict[str, tuple[str, ...]]:
    """Each agent's queues after the change, in their order: ``remove`` dropped, ``add``
    appended where missing. Agents whose queues would not change are left out.

    "Move from Q1 to Q2" is ``remove=[Q1], add=[Q2]``. Raises KeyError for an agent not on
    the floor, or a queue to add that the floor does not have (it would be written as is).
    """
    agents = [_agent(snapshot, agent_id) for agent_id in agent_ids]
    missing = [q for q in add if q not in snapshot.queue_by_id]
    if missing:
        names = ", ".join(map(repr, missing))
        raise KeyError(f"queue(s) {names} not on the {snapshot.source} floor")
    # A queue both left and joined stays where it is: dropping and re-appending it would
    # reorder the agent's list, and some ACDs route by that order.
    leave = set(remove) - set(add)
    join = tuple(dict.fromkeys(add))  # each queue once, in the order given
    out: dict[str, tuple[str, ...]] = {}
    for agent in agents:
        kept = [q for q in agent.queue_ids if q not in leave]
        after = (*kept, *(q for q in join if q not in kept))
        if after != agent.queue_ids:
            out[agent.id] = after
    return out


@dataclass(frozen=True, slots=True)
class QueueEffect:
    queue_id: str
    name: str
    #: FloorSnapshot.effective_on now, and after the change (see ``staffed_after``).
    staffed_before: int
    staffed_after: int
    #: None where the interval has no plan for the queue. Wait (ASA) is inf where the queue
    #: cannot keep up (Erlang C with N <= load, or nobody staffed).
    sl_before: float | None
    sl_after: float | None
    asa_before_s: float | None
    asa_after_s: float | None
    #: None also where patience is unknown (Erlang C has no abandons).
    abandon_before: float | None
    abandon_after: float | None
    required: float | None
    target_sl: float | None


def changed_floor(snapshot: FloorSnapshot, changes: Changes) -> FloorSnapshot:
    """The snapshot with the changed agents' queue lists replaced, counts recomputed."""
    for agent_id in changes:
        _agent(snapshot, agent_id)  # a clear error rather than a silently ignored id
    agents = tuple(
        msgspec.structs.replace(a, queue_ids=changes[a.id]) if a.id in changes else a
        for a in snapshot.agents
    )
    # replace() re-runs __post_init__, so the counts come from the same code as the board's.
    return dataclasses.replace(snapshot, agents=agents)


def _busy_shift(agent: Agent, after: tuple[str, ...], queue_id: str) -> int:
    """What to add to the changed floor's ``effective_on(queue_id)`` for one moved agent.

    Why: the board counts a busy agent only for the queue of the contact in hand, whatever
    their queue list, so the changed floor still counts a moved busy agent where they were.
    But the contact in hand ends within minutes and the agent then takes their new queues
    (the ACD routes by the new list from the next contact), so for the rest of the interval
    they are capacity for a queue they join and not for one they leave. Queues they keep
    stay as the board has them, so the before/after difference is the move alone.
    """
    if agent.state not in _BUSY_STATES:
        return 0  # available agents are counted by queue list already; others not at all
    in_hand = agent.contact.queue_id if agent.contact is not None else None
    joined = queue_id in after and queue_id not in agent.queue_ids
    left = queue_id in agent.queue_ids and queue_id not in after
    if joined and in_hand != queue_id:
        return 1
    if left and in_hand == queue_id:
        return -1
    return 0


def staffed_after(
    snapshot: FloorSnapshot, after_floor: FloorSnapshot, changes: Changes, queue_id: str
) -> int:
    """``effective_on(queue_id)`` for the interval once ``changes`` are made;
    ``after_floor`` is ``changed_floor(snapshot, changes)``."""
    shift = sum(
        _busy_shift(snapshot.agent_by_id[agent_id], after, queue_id)
        for agent_id, after in changes.items()
    )
    return after_floor.effective_on(queue_id) + shift


def affected_queues(snapshot: FloorSnapshot, changes: Changes) -> list[Queue]:
    """The queues some changed agent joins or leaves, in floor order.

    Not the queues they keep: the counting above leaves those exactly as they are, so their
    rows would only repeat the board.
    """
    touched = {
        q
        for agent_id, after in changes.items()
        for q in set(after).symmetric_difference(_agent(snapshot, agent_id).queue_ids)
    }
    return [q for q in snapshot.queues if q.id in touched]


@dataclass(frozen=True, slots=True)
class Projection:
    """Per queue asked for: the interval's SL, mean wait (s) and abandon rate at some N."""

    service_level: FloatArray
    #: Erlang C: mean wait of all arrivals; Erlang A: of the answered ones (erlang module).
    asa_s: FloatArray
    #: NaN where patience is unknown.
    abandon: FloatArray


def project(
    interval: IntervalPlan, queue_ids: Sequence[str], staffed: npt.ArrayLike
) -> Projection:
    """The interval's figures for ``queue_ids`` at N = ``staffed``, the way
    ``IntervalPlan.service_level`` computes SL (Erlang C for every queue, then Erlang A
    where patience is known) so the SL is the board's to the last bit."""
    index = {q: i for i, q in enumerate(interval.queues)}
    unplanned = [q for q in queue_ids if q not in index]
    if unplanned:
        raise KeyError(f"no plan this interval for queue(s) {', '.join(map(repr, unplanned))}")
    rows = np.array([index[q] for q in queue_ids], dtype=np.intp)
    n = np.asarray(staffed, dtype=float)
    if rows.size == 0:
        return Projection(np.empty(0), np.empty(0), np.empty(0))
    a, aht, t = interval.erlangs[rows], interval.aht_s[rows], interval.threshold_s[rows]
    patience = interval.patience_s[rows]
    sl = np.asarray(erlang.service_level_c(a, n, aht, t), dtype=float)
    asa = np.asarray(erlang.asa_c(a, n, aht), dtype=float)
    abandon = np.full(rows.size, np.nan)
    known = ~np.isnan(patience)
    if known.any():
        result = erlang.erlang_a(a[known], n[known], aht[known], patience[known], t[known])
        sl[known] = np.asarray(result.service_level, dtype=float)
        asa[known] = np.asarray(result.asa_s, dtype=float)
        abandon[known] = np.asarray(result.prob_abandon, dtype=float)
    return Projection(sl, asa, abandon)


def _figure(x: float) -> float | None:
    # NaN means no figure (no forecast, or abandon under Erlang C); inf is a real answer.
    return None if math.isnan(x) else float(x)


class _Figures(NamedTuple):
    """QueueEffect's figure fields; all None where there is no plan."""

    sl_before: float | None = None
    sl_after: float | None = None
    asa_before_s: float | None = None
    asa_after_s: float | None = None
    abandon_before: float | None = None
    abandon_after: float | None = None
    required: float | None = None
    target_sl: float | None = None


def _figures(
    interval: IntervalPlan | None, queue_ids: list[str], before: list[int], after: list[int]
) -> dict[str, _Figures]:
    """The figures per queue the interval has a plan for."""
    if interval is None:
        return {}
    planned = set(interval.queues)
    keep = [k for k, q in enumerate(queue_ids) if q in planned]
    ids = [queue_ids[k] for k in keep]
    was = project(interval, ids, [before[k] for k in keep])
    will = project(interval, ids, [after[k] for k in keep])
    row = {q: i for i, q in enumerate(interval.queues)}
    return {
        q: _Figures(
            sl_before=_figure(was.service_level[j]),
            sl_after=_figure(will.service_level[j]),
            asa_before_s=_figure(was.asa_s[j]),
            asa_after_s=_figure(will.asa_s[j]),
            abandon_before=_figure(was.abandon[j]),
            abandon_after=_figure(will.abandon[j]),
            required=_figure(interval.required[row[q]]),
            target_sl=_figure(interval.target_sl[row[q]]),
        )
        for j, q in enumerate(ids)
    }


def _effect(queue: Queue, before: int, after: int, f: _Figures) -> QueueEffect:
    return QueueEffect(
        queue_id=queue.id, name=queue.name, staffed_before=before, staffed_after=after,
        sl_before=f.sl_before, sl_after=f.sl_after,
        asa_before_s=f.asa_before_s, asa_after_s=f.asa_after_s,
        abandon_before=f.abandon_before, abandon_after=f.abandon_after,
        required=f.required, target_sl=f.target_sl,
    )


def preview(
    snapshot: FloorSnapshot, interval: IntervalPlan | None, changes: Changes
) -> list[QueueEffect]:
    """Per queue a changed agent joins or leaves, in floor order: N, SL, wait and abandon
    before and after. Figures are None for a queue the interval has no plan for, and for
    every queue when ``interval`` is None (no plan yet); the staff counts are always given."""
    queues = affected_queues(snapshot, changes)
    after_floor = changed_floor(snapshot, changes)
    ids = [q.id for q in queues]
    before = [snapshot.effective_on(q) for q in ids]
    after = [staffed_after(snapshot, after_floor, changes, q) for q in ids]
    figures = _figures(interval, ids, before, after)
    return [
        _effect(q, b, f, figures.get(q.id, _Figures()))
        for q, b, f in zip(queues, before, after, strict=True)
    ]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _wait(x: float | None) -> str:
    if x is None:
        return "n/a"
    return "unbounded" if math.isinf(x) else f"{x:.0f}s"


def _summary_line(e: QueueEffect) -> str:
    staff = f"staff {e.staffed_before} -> {e.staffed_after}"
    if e.sl_before is None and e.sl_after is None:
        return f"{e.name}: no forecast this interval, {staff}"
    parts = [f"SL {_pct(e.sl_before)} -> {_pct(e.sl_after)}"
             + ("" if e.target_sl is None else f" (target {_pct(e.target_sl)})")]
    if e.asa_before_s is not None or e.asa_after_s is not None:
        parts.append(f"wait {_wait(e.asa_before_s)} -> {_wait(e.asa_after_s)}")
    if e.abandon_before is not None or e.abandon_after is not None:
        parts.append(f"abandon {_pct(e.abandon_before)} -> {_pct(e.abandon_after)}")
    parts.append(staff)
    return f"{e.name}: {', '.join(parts)}"


def effect_summary(effects: Sequence[QueueEffect]) -> str:
    """One plain-text line per queue, for a bridge chat, e.g.
    ``Sales: SL 61% -> 78% (target 80%), wait 48s -> 19s, staff 9 -> 12``."""
    return "\n".join(_summary_line(e) for e in effects)
