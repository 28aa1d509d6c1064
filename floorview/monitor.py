"""analytics -> alerts for a running dashboard: one place that keeps the floor's memory.

Per source it keeps the agents' timelines (saved to the journal, so a restart does not lose
the day), the stress flags and the rules' breaches of the last snapshot, and an alert book.
Source health has a book of its own: a stale source freezes its own business alerts
(they are marked stale) but never resolves them. Acks come from the shared journal, so an
ack made in any floorview process on the host shows here at the next tick.

Times are the floor's clock: a snapshot's ``as_of``, moved on by the data's age between
snapshots. Nothing here reads the wall clock, except to time a source with no data yet.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from floorview.alerts import (
    AckInfo,
    Alert,
    AlertBook,
    AlertRules,
    AlertState,
    Breach,
    evaluate,
    source_breach,
)
from floorview.analytics.outlook import QueueOutlook
from floorview.analytics.stress import StressFlag, aht_from_snapshot, stress_flags
from floorview.analytics.timeline import Rolling, Timelines
from floorview.feed import FeedStatus, Health
from floorview.journal import Journal
from floorview.model import STAFFED_STATES, FloorSnapshot, Ticket

_STATE_ORDER = {
    AlertState.FIRING: 0,
    AlertState.PENDING: 1,
    AlertState.ACKNOWLEDGED: 2,
    AlertState.RESOLVED: 3,
}

#: Stress flags are worked out at most this often (floor seconds). Their signals build up
#: over an hour; a 5000-agent floor costs ~35 ms to judge, too much for every 2 s poll.
STRESS_EVERY_S = 15.0

#: Timelines are written to the journal at most this often (floor seconds).
TIMELINE_SAVE_EVERY_S = 60.0


#: How far a saved timeline may end after the floor's clock and still be its past: snapshot
#: times are rounded on the wire, and the last save may be a poll ahead of a restart's.
CLOCK_SLACK_S = 5.0


def source_key(source: str, fingerprint: str) -> str:
    """The journal's key for an alert: the same rule and subject on two sources are two."""
    return f"{source}/{fingerprint}"


@dataclass
class _Watch:
    """What the monitor remembers of one source."""

    timelines: Timelines
    book: AlertBook
    breaches: list[Breach] = field(default_factory=list)
    stress: dict[str, StressFlag] = field(default_factory=dict)
    #: Agent id -> occupancy over the last hour, worked out with the stress flags.
    rolling: dict[str, Rolling] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    as_of: datetime | None = None
    saved_to: float = 0.0
    stress_at: float = -math.inf
    stale: bool = False


class Monitor:
    def __init__(self, rules: AlertRules | None = None, journal: Journal | None = None) -> None:
        self.rules = rules or AlertRules()
        self.journal = journal
        self._watches: dict[str, _Watch] = {}
        # A source's health alert fires at once: the feed already waited 2x the poll
        # interval before calling it stale, and a down source is news at the first failure.
        self._health = AlertBook(0.0, self.rules.hold_s, self.rules.flap_window_s,
                                 self.rules.flap_threshold)
        self._health_alerts: list[Alert] = []
        self._acks: dict[str, AckInfo] = {}
        self._local_acks: dict[str, AckInfo] = {}
        #: Acks a collector holds, by this process's fingerprints (a viewer sets them).
        self.remote_acks: dict[str, AckInfo] = {}
        self._news: list[Alert] = []
        self._ack_ids: dict[str, int] = {}
        #: The floor's clock at the last tick: when an ack made now is made.
        self.now = datetime.now(UTC)
        #: The last journal problem (it must not take the dashboard down with it).
        self.journal_error: str | None = None

    # --- feeding ----------------------------------------------------------------------------

    def observe(
        self,
        snapshot: FloorSnapshot,
        *,
        outlook: Mapping[str, QueueOutlook] | None = None,
        tickets: Sequence[Ticket] | None = None,
    ) -> None:
        """A fresh snapshot: timelines, stress flags, breaches and the source's alerts."""
        watch = self._watch(snapshot)
        watch.timelines.observe(snapshot)
        now = snapshot.as_of.timestamp()
        if abs(now - watch.stress_at) >= STRESS_EVERY_S:
            watch.stress = stress_flags(
                snapshot, watch.timelines, aht_from_snapshot(snapshot), self.rules.stress
            )
            watch.rolling = {
                a.id: watch.timelines.rolling(a.id, snapshot.as_of)
                for a in snapshot.agents if a.state in STAFFED_STATES
            }
            watch.stress_at = now
        watch.breaches = [
            dataclasses.replace(b, fingerprint=source_key(snapshot.source, b.fingerprint))
            for b in evaluate(
                snapshot, outlook=outlook, tickets=tickets, stress=watch.stress, rules=self.rules
            )
        ]
        watch.as_of = snapshot.as_of
        watch.stale = False
        self._read_acks()
        watch.alerts = watch.book.update(
            watch.breaches, snapshot.as_of, stale=False, acks=self._acks
        )
        self._news.extend(a for a in watch.alerts if a.announce)
        self._save_timelines(snapshot.source, watch)

    def tick(self, statuses: Sequence[FeedStatus]) -> list[Alert]:
        """Every alert now, worst first: called on each status refresh (about once a second)."""
        if self._read_acks():
            # An ack from any process shows now, not at this source's next poll: the same
            # breaches at the same time, with the new acks.
            for watch in self._watches.values():
                if watch.as_of is not None and not watch.stale:
                    watch.alerts = watch.book.update(
                        watch.breaches, watch.as_of, stale=False, acks=self._acks
                    )
                    self._news.extend(a for a in watch.alerts if a.announce)
        health: list[Breach] = []
        for status in statuses:
            watch = self._watches.get(status.source)
            now = self._now(watch, status)
            if status.health in (Health.STALE, Health.DOWN):
                message = status.last_error or ""
                breach = source_breach(status.source, status.health.value, status.age_s, message)
                health.append(dataclasses.replace(
                    breach, fingerprint=source_key(status.source, breach.fingerprint)
                ))
                if watch is not None:
                    # Business alerts stay as they were, marked as based on stale data.
                    watch.stale = True
                    watch.alerts = watch.book.update(
                        watch.breaches, now, stale=True, acks=self._acks
                    )
                    self._news.extend(a for a in watch.alerts if a.announce)
            elif watch is not None and watch.stale:
                watch.stale = False
        now = max(
            (self._now(self._watches.get(s.source), s) for s in statuses),
            default=datetime.now(UTC),
        )
        self.now = now
        self._health_alerts = self._health.update(health, now, acks=self._acks)
        self._news.extend(a for a in self._health_alerts if a.announce)
        return self.alerts()

    def take_news(self) -> list[Alert]:
        """Alerts to announce since the last call, each once: a firing, a severity rise,
        an expired ack. An alert shown on many ticks is news on one."""
        news, self._news = self._news, []
        return news

    # --- reading ----------------------------------------------------------------------------

    def alerts(self) -> list[Alert]:
        everything = [*self._health_alerts]
        for watch in self._watches.values():
            everything.extend(watch.alerts)
        # What nobody has yet, worst first; then what someone has; then what is over.
        # Among equals the oldest problem first.
        everything.sort(key=lambda a: (_STATE_ORDER[a.state], -a.severity, a.started_at))
        return everything

    def stress(self, source: str) -> Mapping[str, StressFlag]:
        watch = self._watches.get(source)
        return {} if watch is None else watch.stress

    def rolling(self, source: str) -> Mapping[str, Rolling]:
        watch = self._watches.get(source)
        return {} if watch is None else watch.rolling

    def timelines(self, source: str) -> Timelines | None:
        watch = self._watches.get(source)
        return None if watch is None else watch.timelines

    def floor_now(self, source: str) -> datetime | None:
        watch = self._watches.get(source)
        return None if watch is None else watch.as_of

    # --- plumbing ---------------------------------------------------------------------------

    def _watch(self, snapshot: FloorSnapshot) -> _Watch:
        watch = self._watches.get(snapshot.source)
        if watch is None:
            timelines = self._load_timelines(snapshot)
            watch = _Watch(timelines, AlertBook.from_rules(self.rules))
            watch.saved_to = snapshot.as_of.timestamp()
            self._watches[snapshot.source] = watch
        return watch

    @staticmethod
    def _now(watch: _Watch | None, status: FeedStatus) -> datetime:
        if watch is None or watch.as_of is None:
            return datetime.now(UTC)
        return watch.as_of + timedelta(seconds=status.age_s or 0.0)

    def _read_acks(self) -> bool:
        """Take the journal's acks, and a collector's; True if they changed since the last
        read."""
        if self.journal is None:
            return self._merge_remote({})
        try:
            # Expiry is the alert book's business, on the floor's clock (it re-announces an
            # alert whose ack ran out), so the newest ack per alert is read, expired or not.
            acks = self.journal.latest_acks()
        except Exception as exc:  # a locked or broken journal must not stop the floor
            self.journal_error = f"journal: {exc}"
            return False
        self.journal_error = None
        ids = {key: ack.id for key, ack in acks.items()}
        if ids != self._ack_ids:
            self._ack_ids = ids
            self._local_acks = {
                key: AckInfo(
                    who=ack.who, at=ack.at, severity=ack.severity, note=ack.note,
                    expires_at=ack.expires_at,
                )
                for key, ack in acks.items()
            }
        return self._merge_remote(self._local_acks)

    def _merge_remote(self, local: dict[str, AckInfo]) -> bool:
        # A collector's acks are the shared ones; this process's own journal adds to them.
        combined = {**local, **self.remote_acks}
        if combined == self._acks:
            return False
        self._acks = combined
        return True

    def _load_timelines(self, snapshot: FloorSnapshot) -> Timelines:
        timelines = Timelines()
        if self.journal is None:
            return timelines
        after = snapshot.as_of.timestamp() - timelines.retain_s
        try:
            rows = self.journal.load_timeline(snapshot.source, ended_after=after)
        except Exception as exc:
            self.journal_error = f"journal: timelines not restored: {exc}"
            return timelines
        now = snapshot.as_of.timestamp()
        if any(row[4] > now + CLOCK_SLACK_S for row in rows):
            # History from this floor's future: its clock went back (a restarted simulator,
            # a replay). None of it is this floor's past, and a mix would be a chimera.
            return timelines
        return Timelines.from_rows(rows) if rows else timelines

    def _save_timelines(self, source: str, watch: _Watch) -> None:
        if self.journal is None or self.journal.read_only or watch.as_of is None:
            return
        now = watch.as_of.timestamp()
        if now - watch.saved_to < TIMELINE_SAVE_EVERY_S:
            return
        try:
            self.journal.save_timeline(
                source,
                watch.timelines.to_rows(),
                # Rows that ended since the last save, with a margin for a state that was
                # still open then and closed at a time before it.
                changed_since=watch.saved_to - TIMELINE_SAVE_EVERY_S,
                keep_after=now - watch.timelines.retain_s,
            )
        except Exception as exc:
            self.journal_error = f"journal: timelines not saved: {exc}"
            return
        watch.saved_to = now
