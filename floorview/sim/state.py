"""The mutable state the engine keeps: counters, contacts, queues and agents at run time."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from floorview.sim.arrivals import ArrivalProcess
from floorview.sim.config import QueueSpec
from floorview.sim.roster import AgentPlan, AuxBlock
from floorview.sim.streams import Stream

AVAILABLE: Final = "available"
ON_CONTACT: Final = "on_contact"
ACW: Final = "acw"
AUX: Final = "aux"
OFFLINE: Final = "offline"
#: States in which an agent counts towards ``staffed_avg``.
STAFFED: Final = frozenset({AVAILABLE, ON_CONTACT, ACW})
#: States whose time goes into the agent's ``today`` totals.
TIMED: Final = (ON_CONTACT, ACW, AVAILABLE, AUX)


@dataclass(slots=True)
class Counts:
    """One queue's counters over a day or over one offered-interval."""

    offered: int = 0
    answered: int = 0
    answered_within_sl: int = 0
    abandoned: int = 0
    handled: int = 0
    handle_time_s: float = 0.0
    wait_time_s: float = 0.0


@dataclass(slots=True, eq=False)
class Contact:
    id: int
    queue: int
    arrived: float
    #: Seconds the customer will wait before hanging up; inf never.
    patience: float
    talk_s: float
    acw_s: float
    #: The customer's mood on arrival; the wait sours it into the contact's sentiment.
    mood: float
    #: Counters of the interval the contact was offered in, which its outcome is booked to.
    bucket: Counts
    waiting: bool = True
    sentiment: float | None = None
    answered_at: float = 0.0


@dataclass(slots=True, eq=False)
class QueueRun:
    index: int
    spec: QueueSpec
    arrivals: ArrivalProcess
    #: Draws everything about a contact (patience, handle time, mood) when it arrives.
    contacts: Stream
    today: Counts = field(default_factory=Counts)
    #: Waiting contacts by id, in arrival order, so the head is the longest-waiting one.
    waiting: OrderedDict[int, Contact] = field(default_factory=OrderedDict)
    #: Available skilled agents by index, longest-idle first.
    available: OrderedDict[int, AgentRun] = field(default_factory=OrderedDict)
    #: Offered-interval counters keyed by interval number since 00:00Z of the first day.
    buckets: dict[int, Counts] = field(default_factory=dict)
    #: Agent-seconds staffed per interval number, booked up to ``staffed_at``.
    staffed_area: dict[int, float] = field(default_factory=dict)
    staffed: int = 0
    staffed_at: float = 0.0
    #: Agent-seconds attributed to this queue per interval number (see
    #: ``Simulator.agents_effective``), booked up to each agent's ``effective_at``.
    effective_area: dict[int, float] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class AgentRun:
    index: int
    plan: AgentPlan
    queues: tuple[int, ...]
    state: str = OFFLINE
    aux_reason: str | None = None
    since: float = 0.0
    version: int = 1
    contact: Contact | None = None
    #: Seconds per timed state since 00:00Z today, booked up to ``booked_at``.
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TIMED, 0.0))
    booked_at: float = 0.0
    contacts_today: int = 0
    #: Orders the available agents by when they became available, for longest-idle routing.
    idle_seq: int = 0
    #: Planned aux that came due while the agent was busy, taken as soon as they are free.
    pending_aux: list[AuxBlock] = field(default_factory=list)
    #: The shift ended while on a contact: log out once it is wrapped up.
    off_due: bool = False
    #: Bumped on every aux start and logout, so a stale aux-end event can tell it is stale.
    aux_token: int = 0
    #: Up to when this agent's time is booked into the queues' ``effective_area``.
    effective_at: float = 0.0
