"""Alert rules: a snapshot plus analytics in, a list of breaches out.

A :class:`Breach` is "this rule is broken for this subject right now". It has no memory;
``lifecycle.AlertBook`` turns successive lists of breaches into alerts with for-durations,
hysteresis and acknowledgements.

The fingerprint is the rule and the subject's id, never its name: renaming a queue must
not turn one problem into two alerts. Names and subjects from APIs go into titles
verbatim; the UI renders them as rich ``Text``, so no markup is added or escaped here.

Thresholds named "above"/"below" are strict: a queue with exactly 10 waiting does not
breach "waiting above 10". The staffing gap is "at least".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from floorview.analytics.stress import StressFlag, StressRules, duration_words
from floorview.model import FloorSnapshot, Queue, Ticket

if TYPE_CHECKING:
    # Only a type here; importing it would pull pandas into every rules user.
    from floorview.analytics.outlook import QueueOutlook

SubjectKind = Literal["queue", "agent", "ticket", "source"]

WARNING = 1
CRITICAL = 2

#: Ticket statuses that are no longer anyone's escalation.
DONE_STATUSES = frozenset({"solved", "closed"})


@dataclass(frozen=True, slots=True)
class Breach:
    fingerprint: str
    rule: str
    subject_kind: SubjectKind
    subject_id: str
    subject_name: str
    severity: int
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class AlertRules:
    waiting_warn: int = 10
    waiting_crit: int = 25
    oldest_wait_warn_s: float = 60.0
    oldest_wait_crit_s: float = 180.0
    #: SL below the queue's own target warns; this many points further below is critical.
    sl_crit_margin: float = 0.15
    #: Rates over fewer closed contacts (answered + abandoned) are noise, not news.
    min_closed: int = 20
    #: "Abandon rate 5-8% typical, over 5% is a warning" (DESIGN.md).
    abandon_warn: float = 0.05
    abandon_crit: float = 0.08
    gap_warn: float = 1.0
    gap_crit: float = 3.0
    escalation_within_s: float = 1800.0
    #: A breach must last this long before it fires...
    for_s: float = 60.0
    #: ...and a firing alert must stay clear this long before it resolves.
    hold_s: float = 120.0
    flap_window_s: float = 900.0
    flap_threshold: int = 3
    stress: StressRules = field(default_factory=StressRules)

    def __post_init__(self) -> None:
        pairs = (
            ("waiting", self.waiting_warn, self.waiting_crit),
            ("oldest_wait_s", self.oldest_wait_warn_s, self.oldest_wait_crit_s),
            ("abandon", self.abandon_warn, self.abandon_crit),
            ("gap", self.gap_warn, self.gap_crit),
        )
        for name, warn, crit in pairs:
            if not 0 <= warn <= crit:
                raise ValueError(f"{name}: need 0 <= warning <= critical, got {warn}, {crit}")
        if self.for_s < 0 or self.hold_s < 0 or self.escalation_within_s < 0:
            raise ValueError("for_s, hold_s and escalation_within_s must be >= 0")
        if self.sl_crit_margin < 0 or self.min_closed < 0:
            raise ValueError("sl_crit_margin and min_closed must be >= 0")


DEFAULT_RULES = AlertRules()


def fingerprint(rule: str, subject_kind: SubjectKind, subject_id: str) -> str:
    # Literal rather than hashed: readable in the journal, and just as stable.
    return f"{rule}:{subject_kind}:{subject_id}"


def _breach(
    rule: str, kind: SubjectKind, sid: str, name: str, severity: int, title: str, reason: str
) -> Breach:
    return Breach(fingerprint(rule, kind, sid), rule, kind, sid, name, severity, title, reason)


def _level(value: float, warn: float, crit: float) -> int:
    """Severity of a value against strict "above" thresholds; 0 is no breach."""
    return CRITICAL if value > crit else WARNING if value > warn else 0


def _pct(value: float, other: float | None = None) -> str:
    # One decimal when whole percents would print a breach as "80% < 80%".
    text = f"{value:.0%}"
    if other is not None and text == f"{other:.0%}":
        return f"{value:.1%}"
    return text


# --- queue rules -------------------------------------------------------------------------------


def _waiting(q: Queue, rules: AlertRules) -> Breach | None:
    severity = _level(q.waiting, rules.waiting_warn, rules.waiting_crit)
    if not severity:
        return None
    limit = rules.waiting_crit if severity == CRITICAL else rules.waiting_warn
    return _breach(
        "queue.waiting", "queue", q.id, q.name, severity,
        f"{q.name}: {q.waiting} waiting", f"{q.waiting} waiting, above {limit}",
    )


def _oldest_wait(q: Queue, rules: AlertRules) -> Breach | None:
    severity = _level(q.oldest_wait_s, rules.oldest_wait_warn_s, rules.oldest_wait_crit_s)
    if not severity:
        return None
    limit = rules.oldest_wait_crit_s if severity == CRITICAL else rules.oldest_wait_warn_s
    wait = duration_words(q.oldest_wait_s)
    return _breach(
        "queue.oldest_wait", "queue", q.id, q.name, severity,
        f"{q.name}: oldest waiting {wait}",
        f"oldest contact waiting {wait}, above {duration_words(limit)}",
    )


def _closed(q: Queue) -> int:
    return q.today.answered + q.today.abandoned


def _service_level(q: Queue, rules: AlertRules) -> Breach | None:
    sl = q.today.service_level
    closed = _closed(q)
    if sl is None or closed < rules.min_closed or sl >= q.sl_target:
        return None
    floor = q.sl_target - rules.sl_crit_margin
    if sl < floor:
        severity = CRITICAL
        reason = (
            f"SL today {_pct(sl, floor)} < {_pct(floor)} (target {_pct(q.sl_target)} "
            f"less {rules.sl_crit_margin * 100:g} pt), over {closed} contacts"
        )
    else:
        severity = WARNING
        reason = (
            f"SL today {_pct(sl, q.sl_target)} < target {_pct(q.sl_target)}, "
            f"over {closed} contacts"
        )
    return _breach(
        "queue.sl", "queue", q.id, q.name, severity,
        f"{q.name}: SL {_pct(sl, q.sl_target)}", reason,
    )


def _abandon(q: Queue, rules: AlertRules) -> Breach | None:
    rate = q.today.abandon_rate
    closed = _closed(q)
    if rate is None or closed < rules.min_closed:
        return None
    severity = _level(rate, rules.abandon_warn, rules.abandon_crit)
    if not severity:
        return None
    limit = rules.abandon_crit if severity == CRITICAL else rules.abandon_warn
    return _breach(
        "queue.abandon", "queue", q.id, q.name, severity,
        f"{q.name}: {rate:.1%} abandoned",
        f"abandon rate today {rate:.1%} > {limit:.0%} ({q.today.abandoned} of {closed})",
    )


def _gap(q: Queue, outlook: QueueOutlook | None, rules: AlertRules) -> Breach | None:
    if outlook is None:
        return None
    gap = outlook.gap
    if gap >= rules.gap_crit:
        severity, limit = CRITICAL, rules.gap_crit
    elif gap >= rules.gap_warn:
        severity, limit = WARNING, rules.gap_warn
    else:
        return None
    agents = "agent" if gap == 1 else "agents"
    return _breach(
        "queue.gap", "queue", q.id, q.name, severity,
        f"{q.name}: short {gap:g} {agents}",
        f"needs {outlook.required} agents this interval, {outlook.staffed} on it: "
        f"short {gap:g} (alert at {limit:g})",
    )


def queue_breaches(
    q: Queue, outlook: QueueOutlook | None, rules: AlertRules = DEFAULT_RULES
) -> Iterator[Breach]:
    for breach in (
        _waiting(q, rules),
        _oldest_wait(q, rules),
        _service_level(q, rules),
        _abandon(q, rules),
        _gap(q, outlook, rules),
    ):
        if breach is not None:
            yield breach


# --- tickets -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Escalation:
    ticket: Ticket
    #: Seconds until the SLA is breached; negative once it is overdue.
    due_in_s: float
    severity: int

    @property
    def overdue(self) -> bool:
        return self.due_in_s <= 0


def escalations(
    tickets: Sequence[Ticket], now: datetime, within_s: float = 1800.0
) -> list[Escalation]:
    """Open tickets overdue or due within ``within_s``, most overdue first. Tickets with
    no SLA due time are not escalations."""
    out: list[Escalation] = []
    for t in tickets:
        if t.sla_due_at is None or t.status.lower() in DONE_STATUSES:
            continue
        due_in = (t.sla_due_at - now).total_seconds()
        if due_in > within_s:
            continue
        out.append(Escalation(t, due_in, CRITICAL if due_in <= 0 else WARNING))
    out.sort(key=lambda e: (e.due_in_s, e.ticket.id))
    return out


def _ticket_breach(e: Escalation) -> Breach:
    t = e.ticket
    assert t.sla_due_at is not None
    if e.overdue:
        when = f"overdue {duration_words(-e.due_in_s)}"
        reason = f"SLA was due {t.sla_due_at:%H:%M}, {duration_words(-e.due_in_s)} ago"
    else:
        when = f"SLA due in {duration_words(e.due_in_s)}"
        reason = f"SLA due {t.sla_due_at:%H:%M}, in {duration_words(e.due_in_s)}"
    reason += f"; {t.priority} priority, {t.customer_tier} tier, {t.group}"
    return _breach(
        "ticket.sla", "ticket", t.id, t.subject, e.severity, f"{t.id} {t.subject}: {when}", reason
    )


# --- agents ------------------------------------------------------------------------------------


def _stress_breach(flag: StressFlag) -> Breach:
    return _breach(
        "agent.stress", "agent", flag.agent_id, flag.agent_name, flag.severity,
        f"{flag.agent_name}: may need a check-in", "; ".join(flag.reasons),
    )


# --- everything --------------------------------------------------------------------------------


def evaluate(
    snapshot: FloorSnapshot,
    *,
    outlook: Mapping[str, QueueOutlook] | None = None,
    tickets: Sequence[Ticket] | None = None,
    stress: Mapping[str, StressFlag] | None = None,
    rules: AlertRules = DEFAULT_RULES,
) -> list[Breach]:
    """Every breach on the floor now. Without an outlook there are no staffing-gap
    breaches, without tickets no escalation breaches: a missing input is not an alarm."""
    outlook = outlook or {}
    out: list[Breach] = []
    for q in snapshot.queues:
        out.extend(queue_breaches(q, outlook.get(q.id), rules))
    if tickets:
        out.extend(
            _ticket_breach(e)
            for e in escalations(tickets, snapshot.as_of, rules.escalation_within_s)
        )
    if stress:
        out.extend(_stress_breach(flag) for flag in stress.values())
    return out


def source_breach(source_name: str, health: str, age_s: float | None, message: str) -> Breach:
    """A breach for a stale ("stale", warning) or failing ("down", critical) source.

    Both share one fingerprint ("source.health:source:<name>"): they are two severities of
    one problem, so a stale source that goes down raises the same alert's severity (and
    re-announces it even if "stale" was acknowledged) instead of opening a second alert.
    """
    health = str(health).lower()
    if health not in ("stale", "down"):
        raise ValueError(f"source health {health!r} is not a breach (expected stale or down)")
    severity = CRITICAL if health == "down" else WARNING
    age = "no data yet" if age_s is None else f"data {duration_words(age_s)} old"
    title = f"{source_name}: {'down' if health == 'down' else 'stale data'}, {age}"
    reason = f"{age}; {message}" if message else age
    return Breach(
        fingerprint("source.health", "source", source_name),
        f"source.{health}", "source", source_name, source_name, severity, title, reason,
    )
