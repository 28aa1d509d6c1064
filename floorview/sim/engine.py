"""The discrete-event engine: one heap of timed events, processed in order.

Time is float seconds from 00:00Z of the configured date. Random numbers are drawn only
while an event is processed, each from the stream of the queue, agent or purpose it
belongs to, and nothing is booked at the moment the clock is advanced to. So the floor at
time t is the same whether the clock got there in one step or in a thousand.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from floorview.sim.arrivals import ArrivalProcess, Window
from floorview.sim.config import QueueSpec, SimConfig
from floorview.sim.forecast import PlannedInterval, day_plan
from floorview.sim.profile import DAY_S, INTERVAL_S, FlatProfile, IntradayProfile, Profile
from floorview.sim.queues import queue_specs
from floorview.sim.roster import AgentPlan, AuxBlock, build_roster
from floorview.sim.state import (
    ACW,
    AUX,
    AVAILABLE,
    OFFLINE,
    ON_CONTACT,
    STAFFED,
    TIMED,
    AgentRun,
    Contact,
    Counts,
    QueueRun,
)
from floorview.sim.streams import Purpose, Stream
from floorview.sim.tickets import TicketBook

# After-call work as a share of the handle time: mean and spread, kept within bounds.
_ACW_SHARE = (0.15, 0.04, 0.05, 0.3)
_HANDLE_SIGMA = 0.5
# Mood of arriving customers, and how much a wait as long as the queue's patience sours it.
_MOOD = (0.15, 0.35)
_WAIT_SOURING = 0.5


class UnknownAgent(LookupError):
    pass


class UnknownQueue(ValueError):
    def __init__(self, ids: list[str]) -> None:
        super().__init__(f"unknown queue id(s): {', '.join(ids)}")
        self.ids = ids


class VersionConflict(Exception):
    def __init__(self, agent: AgentRun, expected: int) -> None:
        super().__init__(
            f"agent {agent.plan.id} is at version {agent.version}, not {expected}"
        )
        self.agent = agent


def _profile(config: SimConfig) -> Profile:
    return FlatProfile() if config.profile == "flat" else IntradayProfile()


class Simulator:
    """A simulated contact-centre floor; ``advance_to`` moves its clock forward."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.profile = _profile(self.config)
        self.origin = self.config.day_start
        specs = queue_specs(self.config)
        self.roster: tuple[AgentPlan, ...] = build_roster(self.config, specs)
        self.queues = [self._queue_run(i, spec) for i, spec in enumerate(specs)]
        self.queue_index = {q.spec.id: q.index for q in self.queues}
        self.agents = [AgentRun(i, plan, plan.skills) for i, plan in enumerate(self.roster)]
        self.agent_by_id = {a.plan.id: a for a in self.agents}
        self.tickets = TicketBook(
            self.config.seed, self.config.tickets_per_day, self.profile,
            [p.name for p in self.roster],
        )
        self.tickets.carry_over()

        self.t = 0.0
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = itertools.count()
        self._idle_seq = itertools.count()
        self._contact_ids = itertools.count(1)
        self._handlers: tuple[Callable[[Any], None], ...] = (
            self._on_day_start, self._on_arrival, self._on_abandon, self._on_talk_end,
            self._on_acw_end, self._on_shift_start, self._on_aux_start, self._on_aux_end,
            self._on_shift_end,
        )
        self._push(0.0, _DAY_START, 0)
        for q in self.queues:
            self._schedule_arrival(q)
        self.advance_to(self.config.start_at)

    # --- clock ------------------------------------------------------------------------------

    @property
    def now(self) -> dt.datetime:
        return self.origin + dt.timedelta(seconds=self.t)

    def seconds(self, when: dt.datetime) -> float:
        return (when - self.origin).total_seconds()

    def advance_to(self, when: dt.datetime) -> None:
        """Process every event up to and including ``when``; never moves the clock back."""
        self.run_until(self.seconds(when))

    def run_until(self, target: float) -> None:
        heap, handlers = self._heap, self._handlers
        while heap and heap[0][0] <= target:
            t, _, kind, payload = heapq.heappop(heap)
            self.t = t
            handlers[kind](payload)
        self.t = max(self.t, target)

    def _push(self, t: float, kind: int, payload: Any) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), kind, payload))

    # --- set-up -----------------------------------------------------------------------------

    def _queue_run(self, index: int, spec: QueueSpec) -> QueueRun:
        seed = self.config.seed if self.config.demand_seed is None else self.config.demand_seed
        surges = [
            Window(self.seconds(s.start), self.seconds(s.end), s.factor)
            for s in self.config.surges
            if s.queue_id == spec.id
        ]
        return QueueRun(
            index=index,
            spec=spec,
            arrivals=ArrivalProcess(
                Stream(seed, Purpose.ARRIVALS, index), spec.daily_volume, self.profile, surges
            ),
            contacts=Stream(seed, Purpose.CONTACTS, index),
        )

    # --- contacts ---------------------------------------------------------------------------

    def _schedule_arrival(self, q: QueueRun) -> None:
        t = q.arrivals.next_after(self.t)
        if t is not None:
            self._push(t, _ARRIVAL, q)

    def _draw_contact(self, q: QueueRun) -> Contact:
        # Every draw for a contact happens here, in a fixed order, whatever becomes of it.
        rng, spec = q.contacts, q.spec
        patience = rng.exponential(spec.patience_s) if math.isfinite(spec.patience_s) else math.inf
        if self.config.handle_times == "exponential":
            handle = rng.exponential(spec.aht_s)
        else:
            handle = rng.lognormal(spec.aht_s, _HANDLE_SIGMA)
        mean, spread, lo, hi = _ACW_SHARE
        share = min(max(mean + spread * rng.normal(), lo), hi)
        mood = _MOOD[0] + _MOOD[1] * rng.normal()
        k = int(self.t // INTERVAL_S)
        bucket = q.buckets.get(k)
        if bucket is None:
            bucket = q.buckets[k] = Counts()
        return Contact(
            id=next(self._contact_ids), queue=q.index, arrived=self.t, patience=patience,
            talk_s=handle * (1 - share), acw_s=handle * share, mood=mood, bucket=bucket,
        )

    def _on_arrival(self, q: QueueRun) -> None:
        contact = self._draw_contact(q)
        contact.bucket.offered += 1
        q.today.offered += 1
        if q.available:
            _, agent = q.available.popitem(last=False)
            self._answer(agent, contact)
        else:
            q.waiting[contact.id] = contact
            if not math.isinf(contact.patience):
                self._push(self.t + contact.patience, _ABANDON, contact)
        self._schedule_arrival(q)

    def _on_abandon(self, contact: Contact) -> None:
        if not contact.waiting:
            return
        contact.waiting = False
        q = self.queues[contact.queue]
        del q.waiting[contact.id]
        wait = self.t - contact.arrived
        for counts in (q.today, contact.bucket):
            counts.abandoned += 1
            counts.wait_time_s += wait

    # --- contacts in hand -------------------------------------------------------------------

    def _answer(self, agent: AgentRun, contact: Contact) -> None:
        q = self.queues[contact.queue]
        contact.waiting = False
        contact.answered_at = self.t
        wait = self.t - contact.arrived
        within = wait <= q.spec.sl_threshold_s
        for counts in (q.today, contact.bucket):
            counts.answered += 1
            counts.answered_within_sl += within
            counts.wait_time_s += wait
        souring = _WAIT_SOURING * min(wait / q.spec.patience_s, 1.0)
        contact.sentiment = round(min(max(contact.mood - souring, -1.0), 1.0), 2)
        self._set_state(agent, ON_CONTACT)
        agent.contact = contact
        agent.contacts_today += 1
        self._push(self.t + contact.talk_s, _TALK_END, agent)

    def _on_talk_end(self, agent: AgentRun) -> None:
        self._set_state(agent, ACW)
        assert agent.contact is not None
        self._push(self.t + agent.contact.acw_s, _ACW_END, agent)

    def _on_acw_end(self, agent: AgentRun) -> None:
        contact = agent.contact
        assert contact is not None
        q = self.queues[contact.queue]
        for counts in (q.today, contact.bucket):
            counts.handled += 1
            counts.handle_time_s += contact.talk_s + contact.acw_s
        # The after-call work belongs to this contact's queue; once the contact is gone the
        # next state change could no longer tell which queue that was.
        self._book_effective(agent)
        agent.contact = None
        if agent.off_due:
            self._log_out(agent)
        elif agent.pending_aux:
            self._start_aux(agent, agent.pending_aux.pop(0))
        else:
            self._free(agent)

    # --- agent states -----------------------------------------------------------------------

    def _set_state(self, agent: AgentRun, state: str, reason: str | None = None) -> None:
        self._book_effective(agent)
        old, t = agent.state, self.t
        if old != OFFLINE:
            agent.totals[old] += t - agent.booked_at
        agent.booked_at = t
        if old == AVAILABLE:
            for qi in agent.queues:
                self.queues[qi].available.pop(agent.index, None)
        if (old in STAFFED) != (state in STAFFED):
            delta = 1 if state in STAFFED else -1
            for qi in agent.queues:
                self._count_staffed(self.queues[qi], delta)
        agent.state, agent.aux_reason, agent.since = state, reason, t

    def _free(self, agent: AgentRun) -> None:
        """The agent can take a contact: the longest-waiting one among their queues, or
        wait for one as available."""
        best: Contact | None = None
        for qi in agent.queues:
            waiting = self.queues[qi].waiting
            if waiting:
                head = next(iter(waiting.values()))
                if best is None or head.arrived < best.arrived:
                    best = head
        if best is not None:
            del self.queues[best.queue].waiting[best.id]
            self._answer(agent, best)
            return
        self._set_state(agent, AVAILABLE)
        agent.idle_seq = next(self._idle_seq)
        for qi in agent.queues:
            self.queues[qi].available[agent.index] = agent

    def _start_aux(self, agent: AgentRun, block: AuxBlock) -> None:
        self._set_state(agent, AUX, block.reason)
        agent.aux_token += 1
        self._push(self.t + block.duration, _AUX_END, (agent, agent.aux_token))

    def _log_out(self, agent: AgentRun) -> None:
        self._set_state(agent, OFFLINE)
        agent.aux_token += 1
        agent.pending_aux.clear()
        agent.off_due = False

    def _on_shift_start(self, agent: AgentRun) -> None:
        if agent.state == OFFLINE:
            self._free(agent)

    def _on_aux_start(self, payload: tuple[AgentRun, AuxBlock]) -> None:
        agent, block = payload
        if agent.state == AVAILABLE:
            self._start_aux(agent, block)
        elif agent.state != OFFLINE:
            # Nobody hangs up on a customer for a break: it starts, late, after this contact.
            agent.pending_aux.append(block)

    def _on_aux_end(self, payload: tuple[AgentRun, int]) -> None:
        agent, token = payload
        if token != agent.aux_token:
            return
        if agent.pending_aux:
            self._start_aux(agent, agent.pending_aux.pop(0))
        else:
            self._free(agent)

    def _on_shift_end(self, agent: AgentRun) -> None:
        if agent.state in (AVAILABLE, AUX):
            self._log_out(agent)
        elif agent.state in (ON_CONTACT, ACW):
            agent.off_due = True

    # --- staffing ---------------------------------------------------------------------------

    def _count_staffed(self, q: QueueRun, delta: int) -> None:
        self._book_staffed(q)
        q.staffed += delta

    def _book_staffed(self, q: QueueRun) -> None:
        """Book the agent-seconds staffed since the last change, split by interval."""
        if q.staffed:
            _spread(q.staffed_area, q.staffed_at, self.t, q.staffed)
        q.staffed_at = self.t

    def _effective_for(self, agent: AgentRun) -> tuple[int, ...]:
        """The queues whose ``agents_effective`` the agent counts in right now."""
        state = agent.state
        if state in (ON_CONTACT, ACW):
            # Between the end of after-call work and the next state change the contact is
            # already gone; that instant has no length, so it can go nowhere.
            return () if agent.contact is None else (agent.contact.queue,)
        if state == AVAILABLE:
            return agent.queues
        return ()

    def _book_effective(self, agent: AgentRun) -> None:
        """Book the agent's time since ``effective_at`` to the queues it counts in."""
        for qi in self._effective_for(agent):
            _spread(self.queues[qi].effective_area, agent.effective_at, self.t, 1.0)
        agent.effective_at = self.t

    # --- the day ----------------------------------------------------------------------------

    def _on_day_start(self, day: int) -> None:
        base = day * DAY_S
        for q in self.queues:
            q.today = Counts()
        for agent in self.agents:
            agent.totals = dict.fromkeys(TIMED, 0.0)
            agent.booked_at = base
            agent.contacts_today = 0
            plan = agent.plan
            if plan.shift_end is None:
                if day == 0:
                    self._push(base + plan.shift_start, _SHIFT_START, agent)
                continue
            self._push(base + plan.shift_start, _SHIFT_START, agent)
            for block in plan.aux:
                shifted = AuxBlock(base + block.start, block.duration, block.reason)
                self._push(shifted.start, _AUX_START, (agent, shifted))
            self._push(base + plan.shift_end, _SHIFT_END, agent)
        self.tickets.open_day(day)
        self._push(base + DAY_S, _DAY_START, day + 1)

    # --- reassignment -----------------------------------------------------------------------

    def set_agent_queues(
        self, agent_id: str, queue_ids: list[str], expected_version: int
    ) -> AgentRun:
        """Change the queues an agent takes, if nobody changed them since ``expected_version``.

        A contact in hand is not interrupted; routing uses the new queues from the next one.
        """
        agent = self.agent_by_id.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        unknown = [qid for qid in queue_ids if qid not in self.queue_index]
        if unknown:
            raise UnknownQueue(unknown)
        if agent.version != expected_version:
            raise VersionConflict(agent, expected_version)
        new = tuple(dict.fromkeys(self.queue_index[qid] for qid in queue_ids))
        old = agent.queues
        # Available time so far counts in the old queues, from now on in the new ones.
        self._book_effective(agent)
        if agent.state in STAFFED:
            for qi in set(old) - set(new):
                self._count_staffed(self.queues[qi], -1)
            for qi in set(new) - set(old):
                self._count_staffed(self.queues[qi], +1)
        agent.queues = new
        agent.version += 1
        if agent.state == AVAILABLE:
            for qi in set(old) - set(new):
                self.queues[qi].available.pop(agent.index, None)
            for qi in set(new) - set(old):
                self._insert_available(self.queues[qi], agent)
            if any(self.queues[qi].waiting for qi in new):
                self._free(agent)
        return agent

    def _insert_available(self, q: QueueRun, agent: AgentRun) -> None:
        # Keep the longest-idle-first order the routing relies on.
        agents = sorted([*q.available.values(), agent], key=lambda a: a.idle_seq)
        q.available = OrderedDict((a.index, a) for a in agents)

    # --- reading ----------------------------------------------------------------------------

    @functools.cached_property
    def plan(self) -> tuple[PlannedInterval, ...]:
        """The forecast of every day (the roster repeats daily); built on first use."""
        return day_plan(tuple(q.spec for q in self.queues), self.roster, self.profile)

    def agent_totals(self, agent: AgentRun) -> dict[str, float]:
        """Time per state since 00:00Z today, up to now."""
        totals = dict(agent.totals)
        if agent.state != OFFLINE:
            totals[agent.state] += self.t - agent.booked_at
        return totals

    def staffed_avg(self, q: QueueRun, k: int) -> float:
        """Time-weighted mean staffed count over interval ``k`` up to now; the current count
        for an interval that has only just begun."""
        start, end = k * INTERVAL_S, (k + 1) * INTERVAL_S
        elapsed = min(self.t, end) - start
        if elapsed <= 0:
            return float(q.staffed)
        unbooked = max(0.0, min(self.t, end) - max(q.staffed_at, start))
        return (q.staffed_area.get(k, 0.0) + q.staffed * unbooked) / elapsed

    def agents_effective(self, first: int, last: int) -> list[list[float]]:
        """Each queue's servers in the Erlang sense, for intervals ``first..last`` up to now:
        ``out[k - first][queue index]``.

        The time-weighted mean number of agents that were handling one of the queue's
        contacts (talk or after-call work) or were available and skilled for it: the agents
        a contact of that queue was being served by or could have been answered by at once.
        ``staffed_avg`` also counts agents busy with another queue's contact, which on a
        multi-skilled floor overstates the queue's capacity. An available agent counts in
        every queue they take, since any of them could have claimed the agent next. Like
        ``staffed_avg`` it is averaged over the interval up to now, and is the current
        figure for an interval that has only just begun.
        """
        n_queues = len(self.queues)
        out = [[0.0] * n_queues for _ in range(first, last + 1)]
        # Time since each agent's last state change is not booked yet; it is spread here,
        # on a copy, because booking on a read would make the figures depend on the polling.
        pending: list[dict[int, float]] = [{} for _ in range(n_queues)]
        now_counts = [0] * n_queues
        for agent in self.agents:
            for qi in self._effective_for(agent):
                _spread(pending[qi], agent.effective_at, self.t, 1.0)
                now_counts[qi] += 1
        for k in range(first, last + 1):
            start = k * INTERVAL_S
            elapsed = min(self.t, start + INTERVAL_S) - start
            row = out[k - first]
            for q in self.queues:
                qi = q.index
                if elapsed <= 0:
                    row[qi] = float(now_counts[qi])
                else:
                    area = q.effective_area.get(k, 0.0) + pending[qi].get(k, 0.0)
                    row[qi] = area / elapsed
        return out

    def interval_counts(self, q: QueueRun, k: int) -> Counts:
        return q.buckets.get(k) or Counts()


def _spread(area: dict[int, float], a: float, b: float, weight: float) -> None:
    """Add ``weight`` times the overlap of [a, b) with each interval to that interval."""
    while a < b:
        k = int(a // INTERVAL_S)
        end = min(b, (k + 1) * INTERVAL_S)
        area[k] = area.get(k, 0.0) + weight * (end - a)
        a = end


_DAY_START, _ARRIVAL, _ABANDON, _TALK_END, _ACW_END = range(5)
_SHIFT_START, _AUX_START, _AUX_END, _SHIFT_END = range(5, 9)
