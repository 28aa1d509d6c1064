"""Stress flags from hand-built timelines: each signal with its reason, and calm agents
left alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from floorview.analytics.stress import (
    LONG_CONTACT_NOW,
    LONG_CONTACTS,
    NEGATIVE_RUN,
    NO_BREAK,
    OCCUPANCY,
    StressRules,
    duration_words,
    stress_flags,
)
from floorview.analytics.timeline import Timelines
from floorview.model import Agent, AgentState, Contact, FloorSnapshot

S = AgentState
AHT = {"q-1": 300.0}
#: (state, seconds, sentiment of the contact for ON_CONTACT / aux reason for AUX)
Event = tuple[AgentState, float, float | str | None]


def at(hh: int, mm: int = 0, ss: float = 0.0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, tzinfo=dt.UTC) + dt.timedelta(hours=hh, minutes=mm, seconds=ss)


def _agent(state: AgentState, since: dt.datetime, contact: Contact | None, reason: str | None,
           agent_id: str, name: str) -> Agent:
    return Agent(agent_id, name, "Team", state, reason, since, ("q-1",), 1, contact, None)


def day(events: Sequence[Event], start: dt.datetime, *, agent_id: str = "a-1",
        name: str = "Ana", timelines: Timelines | None = None) -> tuple[Timelines, FloorSnapshot]:
    """Observe an agent going through ``events``, polled a second after each change and
    every minute; the last event is still in progress at the final snapshot."""
    t = timelines or Timelines()
    when = start
    contact: Contact | None = None
    snaps: list[FloorSnapshot] = []
    agent = None
    for state, seconds, extra in events:
        if state is S.ON_CONTACT:
            contact = Contact("q-1", when, extra if isinstance(extra, float) else 0.2)
        elif state is not S.ACW:
            contact = None
        reason = extra if state is S.AUX and isinstance(extra, str) else None
        agent = _agent(state, when, contact, reason, agent_id, name)
        # A poll a second after the change, then one a minute, as a feed would.
        for poll in range(1, int(seconds), 60):
            snaps.append(FloorSnapshot("t", when + dt.timedelta(seconds=poll), "s", (), (agent,)))
        when += dt.timedelta(seconds=seconds)
    assert agent is not None
    snaps.append(FloorSnapshot("t", when, "s", (), (agent,)))
    for s in snaps:
        t.observe(s)
    return t, snaps[-1]


def busy_cycles(n: int, *, talk: float = 240, acw: float = 48, idle: float = 12,
                sentiment: float = 0.2) -> list[Event]:
    out: list[Event] = []
    for _ in range(n):
        out += [(S.ON_CONTACT, talk, sentiment), (S.ACW, acw, None), (S.AVAILABLE, idle, None)]
    return out


LOGIN: list[Event] = [(S.OFFLINE, 3600, None)]


def test_high_occupancy_without_a_break() -> None:
    # Logged in at 09:00, then 96% busy for 2 h 10 min with no break.
    t, floor = day(LOGIN + busy_cycles(26), at(8))
    flags = stress_flags(floor, t, AHT, StressRules())
    flag = flags["a-1"]
    assert flag.signals == (OCCUPANCY, NO_BREAK)
    assert flag.reasons == ("96% busy over the last 60 min", "no break for 2 h 10 min (since 09:00)")
    assert flag.severity == 2  # two signals
    assert flag.agent_name == "Ana"


def test_very_high_occupancy_for_the_whole_hour_is_critical_alone() -> None:
    cycles = busy_cycles(14, talk=270, acw=27, idle=3)  # 99% busy, 70 min since login
    t, floor = day(LOGIN + cycles, at(8))
    flag = stress_flags(floor, t, AHT)["a-1"]
    assert flag.signals == (OCCUPANCY,) and flag.severity == 2
    assert flag.reasons == ("99% busy over the last 60 min",)


def test_occupancy_needs_most_of_the_window_observed() -> None:
    # Watched only 30 minutes: not "sustained" yet, whatever state_since says.
    t, floor = day(busy_cycles(6), at(10))
    assert t.rolling("a-1", floor.as_of).partial
    assert stress_flags(floor, t, AHT) == {}


def test_occupancy_of_a_mostly_aux_hour_is_not_burn_out() -> None:
    events: list[Event] = [*LOGIN, (S.AUX, 50 * 60, "training"), *busy_cycles(2)]
    t, floor = day(events, at(8))
    assert stress_flags(floor, t, AHT) == {}


def _calm_prefix() -> list[Event]:
    # A lunch until 10:00, so neither occupancy (too short) nor time since break fires.
    return [(S.AUX, 45 * 60, "lunch")]


def test_a_run_of_long_contacts() -> None:
    events = [
        *_calm_prefix(),
        (S.ON_CONTACT, 700, 0.1), (S.ACW, 30, None), (S.AVAILABLE, 300, None),
        (S.ON_CONTACT, 200, 0.1), (S.ACW, 30, None), (S.AVAILABLE, 300, None),
        (S.ON_CONTACT, 650, 0.1), (S.ACW, 30, None), (S.AVAILABLE, 300, None),
        (S.ON_CONTACT, 610, 0.1), (S.ACW, 30, None), (S.AVAILABLE, 600, None),
    ]
    t, floor = day(events, at(9, 15))
    flag = stress_flags(floor, t, AHT)["a-1"]
    assert flag.signals == (LONG_CONTACTS,) and flag.severity == 1
    assert flag.reasons == ("3 of the last 4 contacts over twice AHT",)
    # Without an AHT for the queue nothing is judged long.
    assert stress_flags(floor, t, {}) == {}


def test_a_run_of_negative_contacts() -> None:
    events = _calm_prefix()
    for sentiment in (-0.5, 0.3, -0.3, -0.8, 0.0):
        events += [(S.ON_CONTACT, 200, sentiment), (S.ACW, 30, None), (S.AVAILABLE, 300, None)]
    t, floor = day(events, at(9, 15))
    flag = stress_flags(floor, t, AHT)["a-1"]
    assert flag.signals == (NEGATIVE_RUN,)
    assert flag.reasons == ("3 of the last 5 contacts negative (sentiment -0.3 or lower)",)


def test_a_negative_run_that_is_long_past_does_not_count() -> None:
    events = _calm_prefix()
    for _ in range(3):
        events += [(S.ON_CONTACT, 200, -0.9), (S.ACW, 30, None), (S.AVAILABLE, 300, None)]
    events += [(S.AUX, 3 * 3600, "training"), (S.AVAILABLE, 60, None)]
    t, floor = day(events, at(9, 15))
    assert stress_flags(floor, t, AHT) == {}


def test_a_long_contact_running_now() -> None:
    events = [*_calm_prefix(), (S.AVAILABLE, 120, None), (S.ON_CONTACT, 19 * 60, 0.0)]
    t, floor = day(events, at(9, 15))
    flag = stress_flags(floor, t, {"q-1": 360.0})["a-1"]
    assert flag.signals == (LONG_CONTACT_NOW,)
    assert flag.reasons == ("on a contact for 19 min (AHT 6 min)",)
    # At exactly three times AHT it is not over yet.
    assert stress_flags(floor, t, {"q-1": 19 * 60 / 3}) == {}


def test_a_calm_agent_has_no_flag() -> None:
    events = [*LOGIN, (S.AVAILABLE, 600, None)]
    for sentiment in (0.4, -0.2, 0.1, 0.6, 0.0, 0.3):
        events += [(S.ON_CONTACT, 280, sentiment), (S.ACW, 40, None), (S.AVAILABLE, 240, None)]
    events += [(S.AUX, 900, "break"), *busy_cycles(3, idle=200)]
    t, floor = day(events, at(8))
    assert stress_flags(floor, t, AHT) == {}


def test_agents_off_the_phones_are_not_flagged() -> None:
    events = _calm_prefix() + busy_cycles(3, sentiment=-0.9) + [(S.AUX, 60, "break")]
    t, floor = day(events, at(9, 15))
    assert stress_flags(floor, t, AHT) == {}


def test_flags_are_keyed_by_agent_only_for_flagged_agents() -> None:
    t, busy = day(LOGIN + busy_cycles(26), at(8), agent_id="a-busy", name="[bold]B[/bold]")
    calm_day: list[Event] = [*LOGIN, (S.AVAILABLE, 1800, None), (S.AUX, 900, "break"),
                             (S.AVAILABLE, 5100, None)]
    t, calm = day(calm_day, at(8), agent_id="a-calm", timelines=t)
    assert busy.as_of == calm.as_of
    floor = FloorSnapshot("t", busy.as_of, "s", (), busy.agents + calm.agents)
    flags = stress_flags(floor, t, AHT)
    assert isinstance(flags, dict) and set(flags) == {"a-busy"}
    assert flags["a-busy"].agent_name == "[bold]B[/bold]"  # verbatim, no markup handling


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 s"), (45.4, "45 s"), (60, "60 s"), (89, "89 s"), (90, "2 min"), (19 * 60 + 10, "19 min"), (7800, "2 h 10 min"), (7200, "2 h")],
)
def test_duration_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words


def test_no_break_in_what_was_watched_says_so() -> None:
    # First seen already working: a break before 08:00 is possible, so say "seen".
    t, floor = day(busy_cycles(26, idle=60, acw=20, talk=220), at(8))
    flag = stress_flags(floor, t, AHT)["a-1"]
    assert flag.signals == (NO_BREAK,)
    assert flag.reasons == ("no break seen in 2 h 10 min (watched since 08:00)",)
