"""The alert lifecycle: for/hold durations, flapping, stale freezing and acknowledgements."""

from __future__ import annotations

import datetime as dt

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from floorview.alerts.lifecycle import AckInfo, Alert, AlertBook, AlertState
from floorview.alerts.rules import AlertRules, Breach, fingerprint, source_breach

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
FP = fingerprint("queue.waiting", "queue", "q-1")
SRC = source_breach("sim", "stale", 30.0, "slow").fingerprint


def sec(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def breach(severity: int = 1, name: str = "Billing") -> Breach:
    return Breach(FP, "queue.waiting", "queue", "q-1", name, severity, f"{name}: 12 waiting",
                  "12 waiting, above 10")


def source(severity: int) -> Breach:
    return source_breach("sim", "down" if severity == 2 else "stale", 30.0, "slow")


def ack(at: float, severity: int = 1, expires: float | None = None) -> AckInfo:
    return AckInfo(who="sam", at=sec(at), severity=severity, note="on it",
                   expires_at=None if expires is None else sec(expires))


def one(alerts: list[Alert], fp: str = FP) -> Alert | None:
    found = [a for a in alerts if a.fingerprint == fp]
    assert len(found) <= 1
    return found[0] if found else None


class Run:
    """Drives a book one update at a time with a breach on or off."""

    def __init__(self, **kw: float) -> None:
        self.book = AlertBook(**kw)  # type: ignore[arg-type]
        self.acks: dict[str, AckInfo] = {}

    def at(self, t: float, *breaches: Breach, stale: bool = False) -> Alert | None:
        return one(self.book.update(list(breaches), sec(t), stale=stale, acks=self.acks))


# --- examples ---------------------------------------------------------------------------------


def test_pending_then_firing_after_for_s() -> None:
    r = Run(for_s=60, hold_s=120)
    a = r.at(0, breach())
    assert a is not None and a.state is AlertState.PENDING and not a.announce
    a = r.at(59, breach())
    assert a is not None and a.state is AlertState.PENDING
    a = r.at(60, breach())
    assert a is not None and a.state is AlertState.FIRING and a.announce and a.fired_at == sec(60)
    a = r.at(70, breach())
    assert a is not None and not a.announce  # announced once


def test_a_short_blip_never_becomes_an_alert() -> None:
    r = Run(for_s=60, hold_s=120)
    r.at(0, breach())
    assert r.at(30) is None
    a = r.at(40, breach())
    assert a is not None and a.started_at == sec(40)


def test_hold_before_resolve_and_the_same_alert_within_it() -> None:
    r = Run(for_s=0, hold_s=120)
    first = r.at(0, breach())
    assert first is not None and first.state is AlertState.FIRING
    cleared = r.at(10)
    assert cleared is not None and cleared.state is AlertState.FIRING and cleared.cleared_at == sec(10)
    back = r.at(100, breach())
    assert back is not None and back.started_at == sec(0) and not back.announce
    assert back.cleared_at is None
    r.at(110)
    a = r.at(229)
    assert a is not None and a.state is AlertState.FIRING
    a = r.at(230)
    assert a is not None and a.state is AlertState.RESOLVED and a.resolved_at == sec(230)
    # Shown as resolved for five minutes, then gone.
    assert r.at(529) is not None and r.at(530) is None


def test_a_breach_after_resolve_is_a_new_alert() -> None:
    r = Run(for_s=0, hold_s=60)
    r.at(0, breach())
    r.at(10)
    r.at(70)
    a = r.at(80, breach())
    assert a is not None and a.started_at == sec(80) and a.state is AlertState.FIRING and a.announce


def test_flapping_suppresses_re_announcement() -> None:
    r = Run(for_s=0, hold_s=30, flap_window_s=900, flap_threshold=3)
    announced = []
    for cycle in range(4):
        t = cycle * 100
        a = r.at(t, breach())
        assert a is not None and a.state is AlertState.FIRING
        announced.append(a.announce)
        r.at(t + 10)
        resolved = r.at(t + 40)
        assert resolved is not None and resolved.state is AlertState.RESOLVED
    # fire, clear (1), fire (2), clear (3): from the third fire on it is flapping.
    assert announced == [True, True, False, False]
    a = r.at(400, breach())
    assert a is not None and a.flapping and not a.announce
    # A severity rise is still news.
    a = r.at(410, breach(2))
    assert a is not None and a.announce and a.severity == 2


def test_flips_of_alerts_that_never_come_back_are_forgotten() -> None:
    """A wall runs for weeks and every solved ticket was once an alert: what the flap rule
    remembers of one must not outlive the flap window."""
    book = AlertBook(for_s=0, hold_s=30, flap_window_s=900, flap_threshold=3)
    tickets = [fingerprint("ticket.sla", "ticket", f"T-{i}") for i in range(50)]
    for i, fp in enumerate(tickets):
        b = Breach(fp, "ticket.sla", "ticket", f"T-{i}", "T", 2, "overdue", "overdue")
        book.update([b], sec(i * 60))
        book.update([], sec(i * 60 + 10))  # solved: cleared, never fires again
    assert len(book._flips) <= 900 // 60 + 1  # only those inside the window
    book.update([], sec(50 * 60 + 901))
    assert book._flips == {}


def test_flicker_within_the_hold_marks_flapping_on_one_alert() -> None:
    r = Run(for_s=0, hold_s=120, flap_threshold=3)
    r.at(0, breach())
    for t in (10, 30, 50):
        r.at(t)
        a = r.at(t + 10, breach())
    assert a is not None and a.flapping and a.started_at == sec(0) and a.state is AlertState.FIRING
    # Quiet for the whole flap window: no longer flapping.
    a = r.at(1000, breach())
    assert a is not None and not a.flapping


def test_severity_rise_re_announces_and_a_fall_does_not() -> None:
    r = Run(for_s=0, hold_s=60)
    assert r.at(0, breach(1)).announce  # type: ignore[union-attr]
    a = r.at(10, breach(2))
    assert a is not None and a.announce and a.severity == 2
    assert not r.at(20, breach(1)).announce  # type: ignore[union-attr]
    assert not r.at(30, breach(2)).announce  # type: ignore[union-attr]  # back to what was announced


def test_stale_freezes_business_alerts_but_not_source_alerts() -> None:
    r = Run(for_s=60, hold_s=60)
    r.at(0, breach())
    a = r.at(60, breach())
    assert a is not None and a.state is AlertState.FIRING
    # The data goes stale and the breach "clears": nothing resolves while stale.
    for t in (70, 200, 400):
        a = r.at(t, source(1), stale=True)
        assert a is not None and a.state is AlertState.FIRING and a.stale
        s = one(r.book.update([source(1)], sec(t), stale=True, acks={}), SRC)
        assert s is not None and not s.stale
    # Fresh again: the hold starts over from the first fresh look.
    a = r.at(410)
    assert a is not None and a.state is AlertState.FIRING and not a.stale and a.cleared_at == sec(410)
    assert r.at(469) is not None and r.at(469).state is AlertState.FIRING  # type: ignore[union-attr]
    assert r.at(470).state is AlertState.RESOLVED  # type: ignore[union-attr]


def test_nothing_starts_while_stale() -> None:
    r = Run(for_s=0, hold_s=60)
    assert r.at(0, breach(), stale=True) is None
    assert r.at(100, breach(), stale=True) is None
    a = r.at(110, breach())
    assert a is not None and a.started_at == sec(110)


def test_pending_does_not_fire_across_a_stale_stretch() -> None:
    r = Run(for_s=60, hold_s=60)
    r.at(0, breach())
    a = r.at(50, breach(), stale=True)
    assert a is not None and a.state is AlertState.PENDING and a.stale
    a = r.at(100, breach())
    assert a is not None and a.state is AlertState.PENDING  # the for-timer restarted at 100
    assert r.at(160, breach()).state is AlertState.FIRING  # type: ignore[union-attr]


def test_ack_then_expiry_re_fires() -> None:
    r = Run(for_s=0, hold_s=60)
    r.at(0, breach())
    r.acks[FP] = ack(5, severity=1, expires=100)
    a = r.at(10, breach())
    assert a is not None and a.state is AlertState.ACKNOWLEDGED and a.ack == r.acks[FP]
    assert not a.announce
    a = r.at(100, breach())
    assert a is not None and a.state is AlertState.FIRING and a.announce and a.ack is None


def test_acked_alert_fires_again_when_it_gets_worse() -> None:
    r = Run(for_s=0, hold_s=60)
    r.at(0, breach(1))
    r.acks[FP] = ack(5, severity=1)
    assert r.at(10, breach(1)).state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]
    a = r.at(20, breach(2))
    assert a is not None and a.state is AlertState.FIRING and a.announce
    r.acks[FP] = ack(25, severity=2)
    a = r.at(30, breach(2))
    assert a is not None and a.state is AlertState.ACKNOWLEDGED and not a.announce


def test_an_ack_does_not_carry_over_to_a_new_breach() -> None:
    r = Run(for_s=0, hold_s=60)
    r.at(0, breach())
    r.acks[FP] = ack(5)
    assert r.at(10, breach()).state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]
    r.at(20)
    assert r.at(80).state is AlertState.RESOLVED  # type: ignore[union-attr]
    a = r.at(90, breach())
    assert a is not None and a.state is AlertState.FIRING and a.announce
    # A fresh ack, made after the resolve, applies.
    r.acks[FP] = ack(80)
    assert r.at(95, breach()).state is AlertState.ACKNOWLEDGED  # type: ignore[union-attr]


def test_a_restarted_process_honours_an_earlier_ack() -> None:
    r = Run(for_s=60, hold_s=60)
    r.acks[FP] = ack(-3600, severity=2)  # made an hour before this process started
    a = r.at(0, breach())
    assert a is not None and a.state is AlertState.PENDING and a.ack is None  # pending: not ackable
    a = r.at(60, breach())
    assert a is not None and a.state is AlertState.ACKNOWLEDGED and not a.announce


def test_renamed_subject_stays_one_alert() -> None:
    r = Run(for_s=0, hold_s=60)
    r.at(0, breach(name="Billing"))
    a = r.at(10, breach(name="Billing & Payments"))
    assert a is not None and a.started_at == sec(0) and a.title == "Billing & Payments: 12 waiting"


def test_order_is_severity_then_age_with_resolved_last() -> None:
    book = AlertBook(for_s=0, hold_s=0)
    def b(sid: str, sev: int) -> Breach:
        return Breach(fingerprint("queue.waiting", "queue", sid), "queue.waiting", "queue", sid, sid, sev, sid, "")
    book.update([b("old", 1), b("gone", 2)], sec(0), acks={})
    alerts = book.update([b("old", 1), b("crit", 2), b("new", 1)], sec(10), acks={})
    assert [(a.subject_id, a.state.value) for a in alerts] == [
        ("crit", "firing"), ("old", "firing"), ("new", "firing"), ("gone", "resolved"),
    ]


def test_from_rules_takes_the_durations() -> None:
    book = AlertBook.from_rules(AlertRules(for_s=5, hold_s=7, flap_window_s=60, flap_threshold=4))
    assert (book.for_s.total_seconds(), book.hold_s.total_seconds(), book.flap_threshold) == (5, 7, 4)


# --- the lifecycle as a state machine ---------------------------------------------------------

FOR_S, HOLD_S = 60.0, 120.0


class Lifecycle(RuleBasedStateMachine):
    """Random breaches, clears, time steps, acks, expiries and stale stretches, with the
    lifecycle's promises checked after every update against what the test itself saw."""

    @initialize()
    def setup(self) -> None:
        self.book = AlertBook(for_s=FOR_S, hold_s=HOLD_S, flap_window_s=900, flap_threshold=3)
        self.now = T0
        self.severity: int | None = None
        self.src_severity: int | None = None
        self.stale = False
        self.acks: dict[str, AckInfo] = {}
        self.prev: Alert | None = None
        self.fresh_breach_since: dt.datetime | None = None
        self.fresh_clear_since: dt.datetime | None = None
        self.last_resolved: dt.datetime | None = None
        self.high_water = 0  # highest severity fired at, announced or acked in this instance
        self.update()

    # --- rules --------------------------------------------------------------------------------

    @rule(severity=st.sampled_from([1, 2]))
    def breach(self, severity: int) -> None:
        self.severity = severity
        self.update()

    @rule()
    def clear(self) -> None:
        self.severity = None
        self.update()

    @rule(severity=st.sampled_from([None, 1, 2]))
    def source(self, severity: int | None) -> None:
        self.src_severity = severity
        self.update()

    @rule(seconds=st.sampled_from([0, 1, 10, 30, 59, 60, 61, 119, 120, 121, 300, 1000]))
    def advance(self, seconds: int) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.update()

    @rule(severity=st.sampled_from([1, 2]), lasts=st.sampled_from([None, 30, 600]),
          back=st.sampled_from([0, 30, 3600]))
    def ack(self, severity: int, lasts: int | None, back: int) -> None:
        at = self.now - dt.timedelta(seconds=back)
        expires = None if lasts is None else self.now + dt.timedelta(seconds=lasts)
        self.acks[FP] = AckInfo(who="sam", at=at, severity=severity, expires_at=expires)
        self.update()

    @rule()
    def expire(self) -> None:
        if FP in self.acks:
            old = self.acks[FP]
            self.acks[FP] = AckInfo(who=old.who, at=old.at, severity=old.severity, expires_at=self.now)
        self.update()

    @rule(stale=st.booleans())
    def go_stale(self, stale: bool) -> None:
        self.stale = stale
        self.update()

    # --- one update and its checks -------------------------------------------------------------

    def update(self) -> None:
        breaches = [breach(self.severity)] if self.severity else []
        if self.src_severity:
            breaches.append(source(self.src_severity))
        alerts = self.book.update(breaches, self.now, stale=self.stale, acks=self.acks)
        self.track_inputs()
        a = one(alerts)
        self.check(self.prev, a)
        for s in alerts:
            assert s.fingerprint in (FP, SRC)
            assert (not s.announce) or s.state is AlertState.FIRING
        src = one(alerts, SRC)
        assert src is None or not src.stale
        if self.src_severity and src is not None and src.state is not AlertState.RESOLVED:
            assert src.severity == self.src_severity
        self.prev = a

    def track_inputs(self) -> None:
        if self.stale:
            self.fresh_breach_since = self.fresh_clear_since = None
        elif self.severity:
            self.fresh_clear_since = None
            self.fresh_breach_since = self.fresh_breach_since or self.now
        else:
            self.fresh_breach_since = None
            self.fresh_clear_since = self.fresh_clear_since or self.now

    def check(self, prev: Alert | None, a: Alert | None) -> None:
        same = prev is not None and a is not None and a.started_at == prev.started_at
        active = (AlertState.FIRING, AlertState.ACKNOWLEDGED)
        if not same:
            self.high_water = 0
        if self.stale:
            self.check_frozen(prev, a, same)
        if a is None:
            return
        just_fired = a.fired_at == self.now and not (same and prev is not None and prev.fired_at)
        if just_fired:
            # Just fired: only after for_s of continuous, fresh breach.
            assert self.fresh_breach_since is not None
            assert self.now - self.fresh_breach_since >= dt.timedelta(seconds=FOR_S)
        if a.state is AlertState.RESOLVED and not (same and prev and prev.state is AlertState.RESOLVED):
            assert not self.stale
            assert self.fresh_clear_since is not None
            assert self.now - self.fresh_clear_since >= dt.timedelta(seconds=HOLD_S)
            self.last_resolved = self.now
        if prev is not None and prev.state is AlertState.RESOLVED and a.state is not AlertState.RESOLVED:
            assert a.started_at == self.now and a.started_at > prev.started_at  # a new alert
        if a.state is AlertState.ACKNOWLEDGED:
            k = self.acks.get(FP)
            assert k is not None and a.ack == k
            assert self.last_resolved is None or k.at >= self.last_resolved
            assert k.expires_at is None or k.expires_at > self.now
            assert a.severity <= k.severity
        if same and prev is not None and prev.state is AlertState.ACKNOWLEDGED and a.state in active:
            k = prev.ack
            assert k is not None
            expired = k.expires_at is not None and k.expires_at <= self.now
            if a.severity > k.severity or expired:
                assert a.state is AlertState.FIRING and a.announce
        if (
            same and prev is not None and prev.state in active
            and a.state is AlertState.FIRING and a.severity > max(self.high_water, prev.severity)
        ):
            assert a.announce  # worse than anything announced: say so
        if a.announce or just_fired or a.state is AlertState.ACKNOWLEDGED:
            # A quiet fire (flapping) still sets the level a rise is measured from.
            self.high_water = max(self.high_water, a.severity)
        if just_fired and a.state is AlertState.FIRING and not a.announce:
            assert a.flapping  # only flapping keeps a fresh fire quiet

    def check_frozen(self, prev: Alert | None, a: Alert | None, same: bool) -> None:
        if prev is None or prev.state is AlertState.RESOLVED:
            # Nothing starts (a resolved alert may only age out of the list).
            assert a is None or (same and a.state is AlertState.RESOLVED)
            return
        assert a is not None and same and a.stale
        if prev.state is AlertState.PENDING:
            assert a.state is AlertState.PENDING
        else:
            assert a.state in (AlertState.FIRING, AlertState.ACKNOWLEDGED)
        assert a.severity == prev.severity and a.cleared_at == prev.cleared_at


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)


def test_the_journals_ack_rows_are_accepted_as_they_are() -> None:
    from floorview.journal import Ack

    r = Run(for_s=0, hold_s=60)
    r.at(0, breach())
    row = Ack(1, FP, "Billing: 12 waiting", 1, "sam", sec(5), "on it", None)
    a = one(r.book.update([breach()], sec(10), acks={FP: row}))
    assert a is not None and a.state is AlertState.ACKNOWLEDGED and a.ack is row
