"""What a reassignment would do: per affected queue, SL, wait and abandon before and after.

Uses the interval in progress as the board sees it (``OutlookCache.interval``): the same
offered load, AHT, patience and threshold, and the same N (``effective_on``), so the
preview's "before" is the board's projected SL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from floorview.analytics import erlang
from floorview.analytics.outlook import IntervalPlan
from floorview.model import STAFFED_STATES, Agent, AgentState, FloorSnapshot

Changes = Mapping[str, tuple[str, ...]]


def new_memberships(
    snapshot: FloorSnapshot,
    agent_ids: Sequence[str],
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> dict[str, tuple[str, ...]]:
    """Each agent's queues after the change; agents whose queues would not change are left
    out. "Move from Q1 to Q2" is ``remove=[Q1], add=[Q2]``."""
    out: dict[str, tuple[str, ...]] = {}
    for aid in agent_ids:
        agent = snapshot.agent_by_id.get(aid)
        if agent is None:
            raise KeyError(f"agent {aid!r} is not on the floor of {snapshot.source}")
        kept = [q for q in agent.queue_ids if q not in remove]
        after = tuple(kept + [q for q in add if q not in kept])
        if after != agent.queue_ids:
            out[aid] = after
    return out


@dataclass(frozen=True, slots=True)
class QueueEffect:
    queue_id: str
    name: str
    staffed_before: int
    staffed_after: int
    sl_before: float | None
    sl_after: float | None
    asa_before_s: float | None
    asa_after_s: float | None
    #: None where patience is unknown (Erlang C has no abandons).
    abandon_before: float | None
    abandon_after: float | None
    required: float | None
    target_sl: float | None


def _counts_for(agent: Agent, queue_id: str) -> bool:
    """Whether the agent is in ``effective_on(queue_id)`` now (see FloorSnapshot)."""
    if agent.state is AgentState.AVAILABLE:
        return queue_id in agent.queue_ids
    return agent.contact is not None and agent.contact.queue_id == queue_id and (
        agent.state in STAFFED_STATES
    )


def _staffed_after(snapshot: FloorSnapshot, changes: Changes, queue_id: str) -> int:
    """``effective_on`` after the change. A staffed agent counts for a queue they join
    (they take it from their next contact on) and stops counting for one they leave; their
    other queues are as the board has them, so the difference is the move alone."""
    n = snapshot.effective_on(queue_id)
    for aid, after in changes.items():
        agent = snapshot.agent_by_id[aid]
        if agent.state not in STAFFED_STATES:
            continue
        joined = queue_id in after and queue_id not in agent.queue_ids
        left = queue_id in agent.queue_ids and queue_id not in after
        if joined:
            n += 1
        elif left and _counts_for(agent, queue_id):
            n -= 1
    return n


def _figures(
    interval: IntervalPlan, rows: list[int], staffed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SL, ASA and abandon at N = ``staffed`` for the interval's ``rows``, as the board
    computes SL: Erlang C everywhere, Erlang A where patience is known."""
    idx = np.asarray(rows, dtype=int)
    a, aht, t, pat = (interval.erlangs[idx], interval.aht_s[idx], interval.threshold_s[idx],
                      interval.patience_s[idx])
    sl = np.asarray(erlang.service_level_c(a, staffed, aht, t), dtype=float)
    asa = np.asarray(erlang.asa_c(a, staffed, aht), dtype=float)
    abandon = np.full(len(rows), np.nan)
    known = ~np.isnan(pat)
    if known.any():
        result = erlang.erlang_a(a[known], staffed[known], aht[known], pat[known], t[known])
        sl[known] = np.asarray(result.service_level, dtype=float)
        asa[known] = np.asarray(result.asa_s, dtype=float)
        abandon[known] = np.asarray(result.prob_abandon, dtype=float)
    return sl, asa, abandon


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def preview(
    snapshot: FloorSnapshot, interval: IntervalPlan | None, changes: Changes
) -> list[QueueEffect]:
    """The queues any changed agent leaves or joins, in floor order."""
    # The queues somebody joins or leaves; the others keep their agents.
    touched = {
        q for aid, after in changes.items()
        for q in set(after) ^ set(snapshot.agent_by_id[aid].queue_ids)
    }
    queues = [q for q in snapshot.queues if q.id in touched]
    before = np.array([snapshot.effective_on(q.id) for q in queues], dtype=float)
    after = np.array([_staffed_after(snapshot, changes, q.id) for q in queues], dtype=float)
    rows = {} if interval is None else {q: i for i, q in enumerate(interval.queues)}
    planned = [i for i, q in enumerate(queues) if q.id in rows]
    figures: dict[int, tuple[float, ...]] = {}
    if interval is not None and planned:
        interval_rows = [rows[queues[i].id] for i in planned]
        b = _figures(interval, interval_rows, before[planned])
        f = _figures(interval, interval_rows, after[planned])
        for k, i in enumerate(planned):
            figures[i] = (b[0][k], f[0][k], b[1][k], f[1][k], b[2][k], f[2][k],
                          interval.required[rows[queues[i].id]],
                          interval.target_sl[rows[queues[i].id]])
    out = []
    for i, q in enumerate(queues):
        nums = figures.get(i, (np.nan,) * 8)
        out.append(QueueEffect(q.id, q.name, int(before[i]), int(after[i]),
                               *(_num(x) for x in nums)))
    return out


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


def effect_summary(effects: Sequence[QueueEffect]) -> str:
    """One line per queue, for a bridge chat."""
    lines = []
    for e in effects:
        target = "" if e.target_sl is None else f" (target {_pct(e.target_sl)})"
        wait = ("" if e.asa_before_s is None or e.asa_after_s is None
                else f", wait {e.asa_before_s:.0f}s -> {e.asa_after_s:.0f}s")
        lines.append(
            f"{e.name}: SL {_pct(e.sl_before)} -> {_pct(e.sl_after)}{target}{wait}, "
            f"staff {e.staffed_before} -> {e.staffed_after}"
        )
    return "\n".join(lines)
