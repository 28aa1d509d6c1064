"""The alert lifecycle: breaches over time become pending, firing, acknowledged, resolved.

- A breach must persist ``for_s`` before its alert fires; one that clears sooner was never
  an alert (the pending entry is dropped, nothing is recorded).
- A firing alert whose breach clears must stay clear ``hold_s`` before it resolves. If it
  breaches again within the hold it is the same alert; after the resolve, a new breach is a
  new alert (new ``started_at``).
- Transitions firing <-> clear (including a resolved alert firing again) are counted per
  fingerprint over ``flap_window_s``; at ``flap_threshold`` or more the alert is marked
  flapping and a re-fire is not announced again. A severity rise is still announced: it is
  news, not noise.
- ``stale=True`` (the floor data is stale or its source down) freezes business alerts:
  none starts, fires or resolves, timers do not run, and the alerts say ``stale``. When the
  data is fresh again the for/hold timers restart, because nobody saw what happened in
  between. Source alerts (``subject_kind == "source"``) are never frozen.
- Acks come from outside (the shared journal), keyed by fingerprint. An ack applies to the
  current instance when ``ack.at`` is at or after the time this book last resolved that
  fingerprint: an ack of a resolved instance does not silence a new one, while a process
  started after the ack still honours it. An ack also needs ``severity <= ack.severity``
  and ``expires_at`` unset or in the future. A pending alert cannot be acknowledged (it is
  not shown as firing yet), but an ack in the journal applies the moment it fires, so a
  restarted process does not re-announce an alert someone already owns.
- ``announce`` is True only on the update where the alert should be (re)announced: it
  fires (unless flapping), its severity rises above what was announced or acknowledged,
  or its ack expires or is withdrawn.

Everything is driven by ``now`` passed in (the snapshot's ``as_of``); no wall clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from floorview.alerts.rules import AlertRules, Breach, SubjectKind

#: Resolved alerts stay in the list this long so the UI can show "resolved".
RESOLVED_KEEP_S = 300.0

_NEVER = datetime.min.replace(tzinfo=UTC)


class AlertState(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AckLike(Protocol):
    """What the book reads of an ack: ``AckInfo`` or the journal's own ``Ack`` row."""

    @property
    def who(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def severity(self) -> int: ...
    @property
    def note(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AckInfo:
    who: str
    at: datetime
    #: The alert's severity when it was acknowledged; a rise above it re-fires the alert.
    severity: int
    note: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    fingerprint: str
    rule: str
    subject_kind: SubjectKind
    subject_id: str
    subject_name: str
    title: str
    reason: str
    severity: int
    state: AlertState
    #: First breach of this instance.
    started_at: datetime
    fired_at: datetime | None
    last_breach_at: datetime
    resolved_at: datetime | None
    #: While firing: when the breach cleared, if it has (the hold is running).
    cleared_at: datetime | None
    flapping: bool
    stale: bool
    ack: AckLike | None
    announce: bool


class _Entry:
    __slots__ = (
        "ack",
        "announced_severity",
        "breach",
        "breach_since",
        "cleared_at",
        "fired_at",
        "last_breach_at",
        "resolved_at",
        "started_at",
        "state",
    )

    def __init__(self, breach: Breach, now: datetime) -> None:
        self.breach = breach
        self.state = AlertState.PENDING
        self.started_at = now
        #: Start of the continuous, observed breach the for-duration is measured from.
        self.breach_since = now
        self.last_breach_at = now
        self.fired_at: datetime | None = None
        self.cleared_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.ack: AckLike | None = None
        self.announced_severity = 0

    @property
    def active(self) -> bool:
        return self.state in (AlertState.FIRING, AlertState.ACKNOWLEDGED)


def _strongest(breaches: Iterable[Breach]) -> dict[str, Breach]:
    out: dict[str, Breach] = {}
    for b in breaches:
        seen = out.get(b.fingerprint)
        if seen is None or b.severity > seen.severity:
            out[b.fingerprint] = b
    return out


_ORDER = {
    AlertState.FIRING: 0,
    AlertState.ACKNOWLEDGED: 0,
    AlertState.PENDING: 1,
    AlertState.RESOLVED: 2,
}


class AlertBook:
    def __init__(
        self,
        for_s: float = 60.0,
        hold_s: float = 120.0,
        flap_window_s: float = 900.0,
        flap_threshold: int = 3,
        *,
        resolved_keep_s: float = RESOLVED_KEEP_S,
    ) -> None:
        if min(for_s, hold_s, flap_window_s, resolved_keep_s) < 0 or flap_threshold < 1:
            raise ValueError("durations must be >= 0 and flap_threshold >= 1")
        self.for_s = timedelta(seconds=for_s)
        self.hold_s = timedelta(seconds=hold_s)
        self.flap_window = timedelta(seconds=flap_window_s)
        self.flap_threshold = flap_threshold
        self.resolved_keep = timedelta(seconds=resolved_keep_s)
        self._entries: dict[str, _Entry] = {}
        # Kept after the entry is gone: the ack rule needs the last resolve of a
        # fingerprint for as long as the journal may hand back an older ack. A few thousand
        # fingerprints a month (tickets mostly); small enough to keep.
        self._resolved_at: dict[str, datetime] = {}
        self._flips: dict[str, deque[datetime]] = {}
        self._was_stale = False

    @classmethod
    def from_rules(cls, rules: AlertRules) -> AlertBook:
        return cls(rules.for_s, rules.hold_s, rules.flap_window_s, rules.flap_threshold)

    # --- the update -------------------------------------------------------------------------

    def update(
        self,
        breaches: Iterable[Breach],
        now: datetime,
        *,
        stale: bool = False,
        acks: Mapping[str, AckLike] | None = None,
    ) -> list[Alert]:
        current = _strongest(breaches)
        announce: set[str] = set()
        frozen: set[str] = set()
        resumed = self._was_stale and not stale
        for fp in list(current.keys() | self._entries.keys()):
            breach, entry = current.get(fp), self._entries.get(fp)
            kind = (breach if breach is not None else self._entries[fp].breach).subject_kind
            if stale and kind != "source":
                if entry is not None:
                    frozen.add(fp)
                continue
            if resumed and entry is not None and kind != "source":
                self._restart_timers(entry, now)
            self._step(fp, breach, entry, now, announce)
        self._apply_acks(acks or {}, now, announce)
        self._forget_old_flips(now)
        self._was_stale = stale
        return self._view(now, frozen, announce)

    @staticmethod
    def _restart_timers(entry: _Entry, now: datetime) -> None:
        if entry.state is AlertState.PENDING:
            entry.breach_since = now
        if entry.cleared_at is not None:
            entry.cleared_at = now

    def _step(
        self, fp: str, breach: Breach | None, entry: _Entry | None, now: datetime,
        announce: set[str],
    ) -> None:
        if breach is not None:
            self._breaching(fp, breach, entry, now, announce)
        elif entry is not None:
            self._clear(fp, entry, now)

    def _breaching(
        self, fp: str, breach: Breach, entry: _Entry | None, now: datetime, announce: set[str]
    ) -> None:
        if entry is None or entry.state is AlertState.RESOLVED:
            entry = _Entry(breach, now)
            self._entries[fp] = entry
        entry.breach, entry.last_breach_at = breach, now
        if entry.state is AlertState.PENDING:
            if now - entry.breach_since >= self.for_s:
                self._fire(fp, entry, now, announce)
            return
        if entry.cleared_at is not None:
            entry.cleared_at = None  # back within the hold: the same alert carries on
            self._flip(fp, now)
        if entry.state is AlertState.FIRING and breach.severity > entry.announced_severity:
            entry.announced_severity = breach.severity
            announce.add(fp)

    def _fire(self, fp: str, entry: _Entry, now: datetime, announce: set[str]) -> None:
        entry.state, entry.fired_at = AlertState.FIRING, now
        entry.announced_severity = entry.breach.severity
        if fp in self._resolved_at:
            self._flip(fp, now)  # clear -> firing again, across instances
        if not self._flapping(fp, now):
            announce.add(fp)

    def _clear(self, fp: str, entry: _Entry, now: datetime) -> None:
        if entry.state is AlertState.PENDING:
            del self._entries[fp]  # never fired: it was never an alert
            return
        if entry.state is AlertState.RESOLVED:
            if entry.resolved_at is None or now - entry.resolved_at >= self.resolved_keep:
                del self._entries[fp]
            return
        if entry.cleared_at is None:
            entry.cleared_at = now
            self._flip(fp, now)
        if now - entry.cleared_at >= self.hold_s:
            entry.state, entry.resolved_at = AlertState.RESOLVED, now
            self._resolved_at[fp] = now

    # --- flapping ---------------------------------------------------------------------------

    def _forget_old_flips(self, now: datetime) -> None:
        # A flip is read only by _flapping, when its alert fires again; an alert that clears
        # for good (a solved ticket) would keep its flips for the life of a wall.
        horizon = now - self.flap_window
        for fp in [fp for fp, flips in self._flips.items() if flips[-1] < horizon]:
            del self._flips[fp]

    def _flip(self, fp: str, now: datetime) -> None:
        self._flips.setdefault(fp, deque()).append(now)

    def _flapping(self, fp: str, now: datetime) -> bool:
        flips = self._flips.get(fp)
        if not flips:
            return False
        horizon = now - self.flap_window
        while flips and flips[0] < horizon:
            flips.popleft()
        if not flips:
            del self._flips[fp]
            return False
        return len(flips) >= self.flap_threshold

    # --- acknowledgements -------------------------------------------------------------------

    def ack_applies(self, fp: str, ack: AckLike | None, severity: int, now: datetime) -> bool:
        if ack is None or ack.at < self._resolved_at.get(fp, _NEVER):
            return False
        if ack.expires_at is not None and ack.expires_at <= now:
            return False
        return severity <= ack.severity

    def _apply_acks(
        self, acks: Mapping[str, AckLike], now: datetime, announce: set[str]
    ) -> None:
        for fp, entry in self._entries.items():
            if not entry.active:
                continue
            ack = acks.get(fp)
            applies = self.ack_applies(fp, ack, entry.breach.severity, now)
            if applies:
                if entry.state is AlertState.FIRING:
                    entry.state = AlertState.ACKNOWLEDGED
                    announce.discard(fp)
                entry.ack = ack
            elif entry.state is AlertState.ACKNOWLEDGED:
                # Worse than what was acknowledged, the ack expired or was withdrawn.
                entry.state, entry.ack = AlertState.FIRING, None
                entry.announced_severity = max(entry.announced_severity, entry.breach.severity)
                announce.add(fp)

    # --- output -----------------------------------------------------------------------------

    def _view(self, now: datetime, frozen: set[str], announce: set[str]) -> list[Alert]:
        alerts = [
            _alert(fp, e, self._flapping(fp, now), fp in frozen, fp in announce)
            for fp, e in self._entries.items()
        ]
        alerts.sort(key=lambda a: (_ORDER[a.state], -a.severity, a.started_at, a.fingerprint))
        return alerts


def _alert(fp: str, e: _Entry, flapping: bool, stale: bool, announce: bool) -> Alert:
    b = e.breach
    return Alert(
        fingerprint=fp,
        rule=b.rule,
        subject_kind=b.subject_kind,
        subject_id=b.subject_id,
        subject_name=b.subject_name,
        title=b.title,
        reason=b.reason,
        severity=b.severity,
        state=e.state,
        started_at=e.started_at,
        fired_at=e.fired_at,
        last_breach_at=e.last_breach_at,
        resolved_at=e.resolved_at,
        cleared_at=e.cleared_at,
        flapping=flapping,
        stale=stale,
        ack=e.ack,
        announce=announce,
    )
