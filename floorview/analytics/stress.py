"""Stress signals per agent, for a supervisor to check in with someone, not to rank them.

The signals are the ones the industry watches (DESIGN.md): sustained occupancy, time since
the last break, runs of long or negative-sentiment contacts, and a contact running far past
the queue's AHT. The result is a dict keyed by agent id with reasons in plain words; there
is deliberately no score and no sorted list of "most stressed" agents.

Only agents who are staffed now (available, on contact, wrap-up) are looked at: someone on
a break or logged out is already off the phones, which is what a check-in would aim for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from floorview.analytics.timeline import MIN_BREAK_S, ContactRecord, Timelines
from floorview.model import STAFFED_STATES, Agent, AgentState, FloorSnapshot

OCCUPANCY = "occupancy"
NO_BREAK = "no_break"
LONG_CONTACTS = "long_contacts"
NEGATIVE_RUN = "negative_run"
LONG_CONTACT_NOW = "long_contact_now"


@dataclass(frozen=True, slots=True)
class StressRules:
    #: Trailing window of the rolling occupancy.
    window_s: float = 3600.0
    #: "Occupancy above ~90% for long burns people out" (DESIGN.md).
    high_occupancy: float = 0.90
    #: At or above this for the whole window the flag is critical on its own.
    critical_occupancy: float = 0.95
    #: Share of the window the timeline must know before a warning: right after start-up
    #: a few busy minutes are not "sustained".
    min_coverage: float = 0.75
    #: Share of the window the agent must have been staffed: ten busy minutes in an hour
    #: of training is 100% occupancy but no burn-out.
    min_staffed_share: float = 0.5
    max_since_break_s: float = 7200.0
    min_break_s: float = MIN_BREAK_S
    #: AUX reasons that count as a break; None counts any AUX (and OFFLINE always counts).
    break_reasons: frozenset[str] | None = None
    long_contact_factor: float = 2.0
    negative_sentiment: float = -0.3
    #: "run_of of the last last_n contacts" makes a run.
    run_of: int = 3
    last_n: int = 5
    #: Contacts that ended longer ago than this no longer count towards a run.
    contact_lookback_s: float = 7200.0
    current_contact_factor: float = 3.0

    def __post_init__(self) -> None:
        if not 0 < self.high_occupancy <= self.critical_occupancy <= 1:
            raise ValueError("need 0 < high_occupancy <= critical_occupancy <= 1")
        if not 1 <= self.run_of <= self.last_n:
            raise ValueError("need 1 <= run_of <= last_n")
        if self.window_s <= 0 or self.max_since_break_s <= 0:
            raise ValueError("window_s and max_since_break_s must be > 0")


@dataclass(frozen=True, slots=True)
class StressFlag:
    agent_id: str
    agent_name: str
    #: 1 warning, 2 critical (two or more signals, or very high occupancy all hour).
    severity: int
    #: Which signals fired (the constants above), in a fixed order.
    signals: tuple[str, ...]
    reasons: tuple[str, ...]


def duration_words(seconds: float) -> str:
    """A duration as a person says it: "75 s", "19 min", "2 h 10 min"."""
    s = max(0, round(seconds))
    if s < 90:
        return f"{s} s"
    minutes = round(s / 60)
    if minutes < 120:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


def _times(factor: float) -> str:
    return {2.0: "twice", 3.0: "three times"}.get(factor, f"{factor:g}x")


def _occupancy_signal(
    agent: Agent, now: datetime, timelines: Timelines, rules: StressRules
) -> tuple[str | None, bool]:
    """The occupancy reason (or None) and whether it alone makes the flag critical."""
    r = timelines.rolling(agent.id, now, rules.window_s)
    if r.occupancy is None or r.occupancy < rules.high_occupancy:
        return None, False
    if r.covered_s < rules.min_coverage * rules.window_s:
        return None, False
    if r.staffed_s < rules.min_staffed_share * rules.window_s:
        return None, False
    critical = not r.partial and r.occupancy >= rules.critical_occupancy
    return f"{r.occupancy:.0%} busy over the last {duration_words(r.covered_s)}", critical


def _break_signal(
    agent: Agent, now: datetime, timelines: Timelines, rules: StressRules
) -> str | None:
    known_from = timelines.covered_since(agent.id)
    if known_from is None:
        return None
    # Most agents had a break within the limit: look that far back only, and walk further
    # for the exact time only when the flag is going to be raised.
    horizon = now - timedelta(seconds=rules.max_since_break_s)
    recent = timelines.last_break_end(
        agent.id, min_s=rules.min_break_s, reasons=rules.break_reasons, not_before=horizon
    )
    if recent is not None and recent >= known_from and recent > horizon:
        return None
    last_break = timelines.last_break_end(
        agent.id, min_s=rules.min_break_s, reasons=rules.break_reasons
    )
    if last_break is not None and last_break >= known_from:
        since, seen = last_break, True
    else:
        # No break in what we saw: we can only vouch for the time we watched.
        since, seen = known_from, False
    worked_s = (now - since).total_seconds()
    if worked_s < rules.max_since_break_s:
        return None
    if seen:
        return f"no break for {duration_words(worked_s)} (since {since:%H:%M})"
    return f"no break seen in {duration_words(worked_s)} (watched since {since:%H:%M})"


def _recent(
    agent: Agent, now: datetime, timelines: Timelines, rules: StressRules
) -> list[ContactRecord]:
    recent = timelines.recent_contacts(agent.id, rules.last_n)
    return [c for c in recent if (now - c.ended_at).total_seconds() <= rules.contact_lookback_s]


def _long_run_signal(
    recent: list[ContactRecord], aht_by_queue: Mapping[str, float], rules: StressRules
) -> str | None:
    long = 0
    for c in recent:
        aht = aht_by_queue.get(c.queue_id)
        if aht and c.talk_s > rules.long_contact_factor * aht:
            long += 1
    if long < rules.run_of:
        return None
    return (
        f"{long} of the last {len(recent)} contacts over "
        f"{_times(rules.long_contact_factor)} AHT"
    )


def _negative_run_signal(recent: list[ContactRecord], rules: StressRules) -> str | None:
    negative = sum(
        1 for c in recent if c.sentiment is not None and c.sentiment <= rules.negative_sentiment
    )
    if negative < rules.run_of:
        return None
    return (
        f"{negative} of the last {len(recent)} contacts negative "
        f"(sentiment {rules.negative_sentiment:g} or lower)"
    )


def _current_contact_signal(
    agent: Agent, now: datetime, aht_by_queue: Mapping[str, float], rules: StressRules
) -> str | None:
    contact = agent.contact
    if agent.state is not AgentState.ON_CONTACT or contact is None:
        return None
    aht = aht_by_queue.get(contact.queue_id)
    if not aht:
        return None
    on_s = (now - contact.started_at).total_seconds()
    if on_s <= rules.current_contact_factor * aht:
        return None
    return f"on a contact for {duration_words(on_s)} (AHT {duration_words(aht)})"


def agent_flag(
    agent: Agent,
    now: datetime,
    timelines: Timelines,
    aht_by_queue: Mapping[str, float],
    rules: StressRules,
) -> StressFlag | None:
    if agent.state not in STAFFED_STATES:
        return None
    occupancy, occupancy_critical = _occupancy_signal(agent, now, timelines, rules)
    recent = _recent(agent, now, timelines, rules)
    found = [
        (OCCUPANCY, occupancy),
        (NO_BREAK, _break_signal(agent, now, timelines, rules)),
        (LONG_CONTACTS, _long_run_signal(recent, aht_by_queue, rules)),
        (NEGATIVE_RUN, _negative_run_signal(recent, rules)),
        (LONG_CONTACT_NOW, _current_contact_signal(agent, now, aht_by_queue, rules)),
    ]
    hits = [(signal, reason) for signal, reason in found if reason is not None]
    if not hits:
        return None
    severity = 2 if len(hits) >= 2 or occupancy_critical else 1
    return StressFlag(
        agent_id=agent.id,
        agent_name=agent.name,
        severity=severity,
        signals=tuple(signal for signal, _ in hits),
        reasons=tuple(reason for _, reason in hits),
    )


def stress_flags(
    snapshot: FloorSnapshot,
    timelines: Timelines,
    aht_by_queue: Mapping[str, float],
    rules: StressRules | None = None,
) -> dict[str, StressFlag]:
    """Flags for the agents with at least one signal, keyed by agent id.

    ``timelines`` should already have observed ``snapshot``. ``aht_by_queue`` is each
    queue's AHT in seconds (e.g. ``Queue.today.aht_s``, or the forecast's); contacts of a
    queue without one are not judged long. Long contacts compare talk time (the timeline's
    contact records end when the talk ends) with AHT, which includes wrap-up, so the test
    errs on the side of not flagging.
    """
    rules = rules or StressRules()
    now = snapshot.as_of
    out: dict[str, StressFlag] = {}
    for agent in snapshot.agents:
        flag = agent_flag(agent, now, timelines, aht_by_queue, rules)
        if flag is not None:
            out[agent.id] = flag
    return out


def aht_from_snapshot(snapshot: FloorSnapshot) -> dict[str, float]:
    """Each queue's AHT today, for queues that have handled anything."""
    return {q.id: aht for q in snapshot.queues if (aht := q.today.aht_s) is not None}
