"""Agent state timelines built from successive floor snapshots, and occupancy over them.

A snapshot only says what each agent is doing *now* and since when (``state_since``). That
is enough to make every completed state exact between polls: when ``state_since`` moves,
the previous state ran from its own ``since`` to the new ``since``. If an agent changed
state twice (or more) between two polls we only see the last change; the stretch in
between is attributed to the previous known state, up to the new ``since``. At a 2-30 s
poll that misattributes at most one poll's worth of time, usually between two busy states
(talk -> wrap-up -> talk), where occupancy does not care.

An unobserved stretch longer than ``max_gap_s`` (a restart, a long outage) is left as a
hole instead: nobody can say what happened there, and the ``covered_s`` of a
:class:`Rolling` figure says how much of the window the timeline actually knows.

Completed contacts are kept per agent as :class:`ContactRecord`: the snapshot's contact
block gives the queue, the start and the sentiment; the talk ends when the agent leaves
ON_CONTACT, i.e. at the next state's ``since`` (exactly, when that state is the contact's
wrap-up; at the latest, when a poll missed the wrap-up).

Everything is pure: time comes from the snapshots (``as_of``, ``state_since``), never from
the wall clock. ``to_rows``/``from_rows`` turn the timelines into plain tuples so the
journal can keep the day across a restart.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from floorview.model import Agent, AgentState, Contact, FloorSnapshot

BUSY_STATES = frozenset({AgentState.ON_CONTACT, AgentState.ACW})
AWAY_STATES = frozenset({AgentState.AUX, AgentState.OFFLINE})

#: Keep at least this much history per agent (a shift plus lunch).
RETAIN_S = 8 * 3600.0
#: Longer unobserved stretches become holes rather than being attributed to a state.
MAX_GAP_S = 900.0
#: Completed contacts kept per agent; stress looks at the last few only.
MAX_CONTACTS = 50
#: A hard cap per agent, so a source flipping states on every poll cannot grow memory
#: without bound before the time-based pruning catches up.
MAX_SEGMENTS = 5000
#: Default minimum length of an AUX/OFFLINE stretch that counts as a break.
MIN_BREAK_S = 300.0

#: One plain row for the journal: (kind, agent id, state or queue id, start, end, extra).
#: kind is "segment" (a completed state; extra = aux reason), "open" (the state in progress,
#: end = last observation; extra = aux reason) or "contact" (extra = sentiment). Times are
#: POSIX seconds (UTC), so the journal can prune with a numeric comparison.
Row = tuple[str, str, str, float, float, str | float | None]


@dataclass(frozen=True, slots=True)
class Segment:
    state: AgentState
    start: datetime
    end: datetime
    reason: str | None = None

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class ContactRecord:
    queue_id: str
    started_at: datetime
    ended_at: datetime
    sentiment: float | None

    @property
    def talk_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class Rolling:
    """Occupancy over a trailing window, and how much of the window the timeline knows."""

    occupancy: float | None
    covered_s: float
    window_s: float
    #: Busy + available seconds in the window (the occupancy denominator).
    staffed_s: float = 0.0

    @property
    def partial(self) -> bool:
        # A second of slack: snapshot times are rounded to the millisecond on the wire.
        return self.covered_s < self.window_s - 1.0


def _ts(when: datetime) -> float:
    return when.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _contact_key(c: Contact) -> tuple[str, datetime]:
    return (c.queue_id, c.started_at)


class _Line:
    """One agent's timeline: completed segments plus the state in progress."""

    __slots__ = (
        "contacts",
        "known_from",
        "last_contact",
        "open_contact",
        "reason",
        "seen_to",
        "segments",
        "since",
        "state",
    )

    def __init__(
        self, state: AgentState, since: datetime, reason: str | None, seen_to: datetime
    ) -> None:
        self.segments: deque[Segment] = deque(maxlen=MAX_SEGMENTS)
        self.contacts: deque[ContactRecord] = deque(maxlen=MAX_CONTACTS)
        self.state, self.since, self.reason, self.seen_to = state, since, reason, seen_to
        self.open_contact: Contact | None = None
        self.last_contact: tuple[str, datetime] | None = None
        #: Start of the unbroken known stretch ending now; kept up to date here so asking
        #: for it each poll does not walk the whole day.
        self.known_from = since

    def current(self) -> Segment:
        return Segment(self.state, self.since, self.seen_to, self.reason)

    def backwards(self) -> Iterator[Segment]:
        """The open segment, then the completed ones, newest first."""
        yield self.current()
        yield from reversed(self.segments)

    def advance(self, agent: Agent, now: datetime, max_gap_s: float) -> None:
        if now <= self.seen_to:
            return  # an older or repeated snapshot adds nothing
        # Trust the newest data, but never let a state start before the one it follows
        # (clock skew, a source resetting state_since) or after the snapshot itself.
        since = min(max(agent.state_since, self.since), now)
        if agent.state == self.state and since == self.since:
            self.seen_to, self.reason = now, agent.aux_reason
            return
        end = since
        if (since - self.seen_to).total_seconds() > max_gap_s:
            # A hole: the old state is known only up to the last look, the new one from
            # its since.
            end, self.known_from = self.seen_to, since
        if end > self.since:
            self.segments.append(Segment(self.state, self.since, end, self.reason))
        self.state, self.since, self.reason, self.seen_to = (
            agent.state, since, agent.aux_reason, now
        )

    def track_contact(self, agent: Agent) -> None:
        c = agent.contact if agent.state in BUSY_STATES else None
        key = None if c is None else _contact_key(c)
        held = self.open_contact
        if agent.state is AgentState.ON_CONTACT and c is not None:
            if held is not None and _contact_key(held) == key:
                self.open_contact = c  # the source may refine the sentiment mid-contact
                return
            if held is not None:
                # A new contact before we saw the old one end: it ended by this one's start.
                self._close(held, agent.state_since, held.sentiment)
            self.open_contact = c if key != self.last_contact else None
            return
        if held is not None:
            wrap_up = c is not None and key == _contact_key(held)
            self._close(held, agent.state_since, c.sentiment if wrap_up and c else held.sentiment)
            self.open_contact = None
        if agent.state is AgentState.ACW and c is not None and key != self.last_contact:
            # The whole talk fell between two polls; its wrap-up's since is its end.
            self._close(c, agent.state_since, c.sentiment)

    def _close(self, c: Contact, end: datetime, sentiment: float | None) -> None:
        self.contacts.append(
            ContactRecord(c.queue_id, c.started_at, max(end, c.started_at), sentiment)
        )
        self.last_contact = _contact_key(c)

    def prune(self, cutoff: datetime) -> None:
        segments = self.segments
        while segments and segments[0].end < cutoff:
            segments.popleft()


def _overlap_s(seg: Segment, start: datetime, end: datetime) -> float:
    lo, hi = max(seg.start, start), min(seg.end, end)
    return (hi - lo).total_seconds() if hi > lo else 0.0


def _is_break_state(seg: Segment, reasons: frozenset[str] | None) -> bool:
    if seg.state is AgentState.OFFLINE:
        return True
    return seg.state is AgentState.AUX and (reasons is None or (seg.reason or "") in reasons)


class Timelines:
    """Per-agent state timelines and completed contacts, fed one snapshot at a time."""

    def __init__(self, *, retain_s: float = RETAIN_S, max_gap_s: float = MAX_GAP_S) -> None:
        if retain_s <= 0 or max_gap_s < 0:
            raise ValueError("retain_s must be > 0 and max_gap_s >= 0")
        self.retain_s = retain_s
        self.max_gap_s = max_gap_s
        self._lines: dict[str, _Line] = {}

    # --- feeding ----------------------------------------------------------------------------

    def observe(self, snapshot: FloorSnapshot) -> None:
        now = snapshot.as_of
        cutoff = now - timedelta(seconds=self.retain_s)
        for agent in snapshot.agents:
            line = self._lines.get(agent.id)
            if line is None:
                since = min(agent.state_since, now)
                line = _Line(agent.state, since, agent.aux_reason, now)
                self._lines[agent.id] = line
            elif now <= line.seen_to:
                continue
            else:
                line.advance(agent, now, self.max_gap_s)
            line.track_contact(agent)
            line.prune(cutoff)

    # --- questions --------------------------------------------------------------------------

    def agent_ids(self) -> list[str]:
        return list(self._lines)

    def segments(self, agent_id: str) -> list[Segment]:
        """Completed segments oldest first, then the state in progress up to the last
        observation."""
        line = self._lines.get(agent_id)
        if line is None:
            return []
        return [*line.segments, line.current()]

    def seen_to(self, agent_id: str) -> datetime | None:
        line = self._lines.get(agent_id)
        return None if line is None else line.seen_to

    def time_in_states(
        self, agent_id: str, start: datetime, end: datetime
    ) -> dict[AgentState, float]:
        """Known seconds per state within [start, end]; holes and unobserved time count
        nowhere."""
        totals = dict.fromkeys(AgentState, 0.0)
        line = self._lines.get(agent_id)
        if line is None or end <= start:
            return totals
        for seg in line.backwards():
            if seg.end <= start:
                break  # segments are in time order: nothing older can overlap
            totals[seg.state] += _overlap_s(seg, start, end)
        return totals

    def occupancy(self, agent_id: str, start: datetime, end: datetime) -> float | None:
        """(on contact + ACW) / (on contact + ACW + available) over [start, end]; None when
        the agent was never staffed in the part of the window the timeline knows."""
        return _occupancy(self.time_in_states(agent_id, start, end))

    def rolling(self, agent_id: str, now: datetime, window_s: float = 3600.0) -> Rolling:
        start = now - timedelta(seconds=window_s)
        totals = self.time_in_states(agent_id, start, now)
        busy = totals[AgentState.ON_CONTACT] + totals[AgentState.ACW]
        staffed = busy + totals[AgentState.AVAILABLE]
        return Rolling(_occupancy(totals), sum(totals.values()), window_s, staffed)

    def day_occupancy(self, agent: Agent, as_of: datetime) -> float | None:
        """The agent's occupancy since 00:00 of ``as_of``'s day: from the source's own
        counters when it sends them, else from the timeline."""
        if agent.today is not None:
            return agent.today.occupancy
        midnight = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
        return self.occupancy(agent.id, midnight, as_of)

    def recent_contacts(self, agent_id: str, n: int) -> list[ContactRecord]:
        """The last ``n`` completed contacts, oldest first."""
        line = self._lines.get(agent_id)
        if line is None or n <= 0:
            return []
        return list(line.contacts)[-n:]

    def last_break_end(
        self,
        agent_id: str,
        *,
        min_s: float = MIN_BREAK_S,
        reasons: frozenset[str] | None = None,
        not_before: datetime | None = None,
    ) -> datetime | None:
        """When the agent's last break ended: a stretch of AUX or OFFLINE of at least
        ``min_s``. Touching AUX/OFFLINE segments are one break (a break that runs into a
        logout, a lunch split by a reason change). ``reasons`` limits which AUX reasons
        count (the Floor API sends e.g. "break", "lunch", "training"); None counts any.
        A break in progress counts, ending at the last observation. With ``not_before``
        only breaks ending at or after it are looked for, which spares walking the day."""
        line = self._lines.get(agent_id)
        if line is None:
            return None
        min_gap = timedelta(seconds=min_s)
        run: tuple[datetime, datetime] | None = None  # (start, end) of the run so far
        for seg in line.backwards():
            if not_before is not None and seg.end < not_before and run is None:
                return None
            if _is_break_state(seg, reasons):
                if run is not None and seg.end == run[0]:
                    run = (seg.start, run[1])
                    continue
                if run is not None and run[1] - run[0] >= min_gap:
                    return run[1]
                run = (seg.start, seg.end)
                continue
            if run is not None and run[1] - run[0] >= min_gap:
                return run[1]
            run = None
        if run is not None and run[1] - run[0] >= min_gap:
            return run[1]
        return None

    def covered_since(self, agent_id: str) -> datetime | None:
        """Start of the unbroken stretch the timeline knows that runs to the last
        observation (the timeline's start, or the end of the latest hole)."""
        line = self._lines.get(agent_id)
        if line is None:
            return None
        oldest = line.segments[0].start if line.segments else line.since
        return max(line.known_from, oldest)  # pruning may have dropped the stretch's start

    # --- persistence ------------------------------------------------------------------------

    def to_rows(self) -> list[Row]:
        rows: list[Row] = []
        for agent_id, line in self._lines.items():
            for seg in line.segments:
                rows.append(("segment", agent_id, seg.state.value, _ts(seg.start), _ts(seg.end),
                             seg.reason))
            rows.append(("open", agent_id, line.state.value, _ts(line.since),
                         _ts(line.seen_to), line.reason))
            for c in line.contacts:
                rows.append(("contact", agent_id, c.queue_id, _ts(c.started_at),
                             _ts(c.ended_at), c.sentiment))
        return rows

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Row],
        *,
        retain_s: float = RETAIN_S,
        max_gap_s: float = MAX_GAP_S,
    ) -> Timelines:
        """Rebuild timelines from ``to_rows`` output (in any order). The state that was in
        progress is resumed: the next snapshot continues it if the agent is still in it,
        or closes it by the usual rules (a hole if the restart took longer than
        ``max_gap_s``)."""
        timelines = cls(retain_s=retain_s, max_gap_s=max_gap_s)
        segments: dict[str, list[Segment]] = {}
        opens: dict[str, Segment] = {}
        contacts: dict[str, list[ContactRecord]] = {}
        for kind, agent_id, what, start, end, extra in rows:
            if kind == "contact":
                sentiment = None if extra is None else float(extra)
                contacts.setdefault(agent_id, []).append(
                    ContactRecord(what, _dt(start), _dt(end), sentiment)
                )
                continue
            reason = None if extra is None else str(extra)
            seg = Segment(AgentState(what), _dt(start), _dt(end), reason)
            if kind == "open":
                opens[agent_id] = seg
            elif kind == "segment":
                segments.setdefault(agent_id, []).append(seg)
            else:
                raise ValueError(f"unknown timeline row kind {kind!r}")
        for agent_id, current in opens.items():
            line = _Line(current.state, current.start, current.reason, current.end)
            line.segments.extend(sorted(segments.get(agent_id, ()), key=lambda s: s.start))
            done = sorted(contacts.get(agent_id, ()), key=lambda c: c.ended_at)
            line.contacts.extend(done)
            line.known_from = _stretch_start(line)
            if done:
                # A contact still in wrap-up at the restart must not be recorded twice.
                line.last_contact = (done[-1].queue_id, done[-1].started_at)
            timelines._lines[agent_id] = line
        return timelines


def _stretch_start(line: _Line) -> datetime:
    start = line.since
    for seg in reversed(line.segments):
        if seg.end != start:
            break
        start = seg.start
    return start


def _occupancy(totals: dict[AgentState, float]) -> float | None:
    busy = totals[AgentState.ON_CONTACT] + totals[AgentState.ACW]
    staffed = busy + totals[AgentState.AVAILABLE]
    return busy / staffed if staffed > 0 else None
