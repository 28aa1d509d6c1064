"""Amazon Connect responses -> canonical figures: pure functions, no botocore, no clock.

The adapter (amazon_connect.py) calls Connect through botocore and hands the parsed
responses (dicts, timestamps already datetimes) to these functions. Field names and
enums are botocore's connect model (botocore/data/connect/2017-08-08/service-2.json).
Every rule about units and nulls lives here, next to a test in
tests/test_source_amazon_connect.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from floorview.model import Agent, AgentState, Channel, Contact, QueueToday

#: Connect channels as floorview sees them. A task is routed work that is not a call or a
#: chat; the model has no "task" channel, so it sits with email (both are deferrable work).
CHANNELS: dict[str, Channel] = {
    "VOICE": Channel.VOICE,
    "CHAT": Channel.CHAT,
    "EMAIL": Channel.EMAIL,
    "TASK": Channel.EMAIL,
}

#: GetCurrentMetricData metrics the floor asks for (CurrentMetric {Name, Unit}).
CURRENT_METRICS: tuple[dict[str, str], ...] = (
    {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
    {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
)

#: GetMetricDataV2 metric names for today's counters and the interval actuals.
V2_QUEUED = "CONTACTS_QUEUED"
V2_HANDLED = "CONTACTS_HANDLED"
V2_ABANDONED = "CONTACTS_ABANDONED"
V2_ANSWERED_IN_X = "SUM_CONTACTS_ANSWERED_IN_X"
V2_AHT = "AVG_HANDLE_TIME"
V2_ASA = "AVG_QUEUE_ANSWER_TIME"
V2_ABANDON_TIME = "AVG_ABANDON_TIME"


def v2_metrics(sl_threshold_s: int) -> list[dict[str, Any]]:
    """The ``Metrics`` of a GetMetricDataV2 request. "Answered within X" takes a threshold:
    LTE, because floorview counts a contact answered at exactly X seconds as within."""
    threshold = [{"Comparison": "LTE", "ThresholdValue": float(sl_threshold_s)}]
    return [
        {"Name": V2_QUEUED},
        {"Name": V2_HANDLED},
        {"Name": V2_ABANDONED},
        {"Name": V2_ANSWERED_IN_X, "Threshold": threshold},
        {"Name": V2_AHT},
        {"Name": V2_ASA},
        {"Name": V2_ABANDON_TIME},
    ]


class MissingFigure(ValueError):
    """Connect returned null ("cannot be computed") for a figure floorview cannot derive."""


# --- units and times ------------------------------------------------------------------------


def oldest_contact_age_s(value: float, *, grouped: bool) -> float:
    """OLDEST_CONTACT_AGE in seconds.

    The unit trap, as the GetCurrentMetricData reference states it: with Groupings in the
    request the Value is in seconds; without any grouping the Unit still says SECONDS but
    the Value is in milliseconds (its example: 24113.0 means 24 s).
    """
    return float(value) if grouped else float(value) / 1000.0


def to_utc(value: Any) -> datetime:
    """A Connect timestamp as botocore returns it (an aware datetime; epoch seconds on the
    wire) as an aware UTC datetime. A naive datetime is taken as UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return datetime.fromtimestamp(float(value), UTC)
    raise ValueError(f"not a timestamp: {value!r}"[:120])


def _opt_number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}"[:120])
    return float(value)


# --- GetCurrentMetricData -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CurrentRow:
    """One MetricResult of GetCurrentMetricData: a queue (and channel, when grouped so)."""

    queue_id: str
    channel: str | None
    in_queue: float | None
    oldest_s: float | None


def current_rows(results: Iterable[Mapping[str, Any]], *, grouped: bool) -> list[CurrentRow]:
    """MetricResults -> rows. A metric missing from a result's Collections reads as null
    (the reference promises every requested metric in every result)."""
    rows = []
    for result in results:
        dims = result.get("Dimensions") or {}
        queue = (dims.get("Queue") or {}).get("Id")
        if not queue:
            # Grouped by QUEUE, every result names its queue; one that does not cannot be
            # placed on the board.
            continue
        values: dict[str, float | None] = {}
        for item in result.get("Collections") or ():
            name = (item.get("Metric") or {}).get("Name")
            if name:
                values[name] = _opt_number(item.get("Value"))
        oldest = values.get("OLDEST_CONTACT_AGE")
        rows.append(CurrentRow(
            queue_id=str(queue),
            channel=dims.get("Channel"),
            in_queue=values.get("CONTACTS_IN_QUEUE"),
            oldest_s=None if oldest is None else oldest_contact_age_s(oldest, grouped=grouped),
        ))
    return rows


def queue_waiting(
    rows: Sequence[CurrentRow], last: tuple[int, float] | None, queue_id: str
) -> tuple[int, float]:
    """(waiting, oldest wait in s) for one queue from its rows (one per channel).

    - No row: Connect found no data for the queue, so nothing waits: (0, 0.0).
    - A null OLDEST_CONTACT_AGE where CONTACTS_IN_QUEUE is 0: nothing waits, age 0.
    - A null count, or a null age where contacts wait: cannot be computed. The queue keeps
      its last known figure (``last``); with none, MissingFigure.
    """
    if not rows:
        return 0, 0.0
    waiting = 0.0
    ages: list[float] = []
    unknown_count = unknown_age = False
    for row in rows:
        if row.in_queue is None:
            unknown_count = True
        else:
            waiting += row.in_queue
        if row.oldest_s is not None:
            ages.append(row.oldest_s)
        elif row.in_queue is None or row.in_queue > 0:
            unknown_age = True
    if unknown_count:
        if last is None:
            raise MissingFigure(f"queue {queue_id}: CONTACTS_IN_QUEUE is null")
        return last
    if unknown_age:
        if last is None:
            raise MissingFigure(
                f"queue {queue_id}: OLDEST_CONTACT_AGE is null with {waiting:g} waiting"
            )
        # The last known age is a floor, not a fact: kept rather than reset to 0 so an
        # unmeasurable wait never looks like no wait.
        ages.append(last[1])
    return round(waiting), max(ages, default=0.0)


def queue_channel(served: Iterable[str], configured: Sequence[str]) -> Channel:
    """A queue's one canonical channel: the first of ``configured`` it is served on.

    ``served`` are the Connect channels the queue is known to carry (from routing profiles
    and from contacts seen waiting); with none known, the first configured channel.
    """
    known = set(served)
    for name in configured:
        if name in known:
            return CHANNELS[name]
    return CHANNELS.get(configured[0], Channel.VOICE) if configured else Channel.VOICE


# --- GetMetricDataV2 ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class V2Row:
    """One MetricResult of GetMetricDataV2 grouped by QUEUE."""

    queue_id: str
    start: datetime | None
    values: Mapping[str, float | None]


def v2_rows(results: Iterable[Mapping[str, Any]]) -> list[V2Row]:
    rows = []
    for result in results:
        queue = (result.get("Dimensions") or {}).get("QUEUE")
        if not queue:
            continue
        interval = result.get("MetricInterval") or {}
        start = interval.get("StartTime")
        values: dict[str, float | None] = {}
        for item in result.get("Collections") or ():
            name = (item.get("Metric") or {}).get("Name")
            if name:
                values[name] = _opt_number(item.get("Value"))
        rows.append(V2Row(str(queue), None if start is None else to_utc(start), values))
    return rows


@dataclass(frozen=True, slots=True)
class Counters:
    """Counters in floorview's definitions, from one V2 result."""

    offered: int
    answered: int
    answered_within_sl: int
    abandoned: int
    handled: int
    handle_time_s: float
    wait_time_s: float

    def today(self) -> QueueToday:
        return QueueToday(
            offered=self.offered, answered=self.answered,
            answered_within_sl=self.answered_within_sl, abandoned=self.abandoned,
            handled=self.handled, handle_time_s=self.handle_time_s,
            wait_time_s=self.wait_time_s,
        )

    def actual(self, queue_id: str, start: datetime) -> dict[str, Any]:
        return {
            "queue": queue_id, "start": start, "offered": self.offered,
            "answered": self.answered, "answered_within_sl": self.answered_within_sl,
            "abandoned": self.abandoned, "handled": self.handled,
            "handle_time_s": self.handle_time_s, "wait_time_s": self.wait_time_s,
        }


ZERO_COUNTERS = Counters(0, 0, 0, 0, 0, 0.0, 0.0)


def counters(values: Mapping[str, float | None], where: str) -> Counters:
    """One V2 result in floorview's definitions.

    - answered = CONTACTS_HANDLED (an approximation: Connect counts contacts an agent
      handled, which includes transfers in and agent-initiated contacts on the queue).
    - answered_within_sl = SUM_CONTACTS_ANSWERED_IN_X (LTE threshold), capped at answered
      so SL never exceeds 100 % where the two metrics count an interval differently.
    - handle_time_s = AVG_HANDLE_TIME x handled; wait_time_s = AVG_QUEUE_ANSWER_TIME x
      answered + AVG_ABANDON_TIME x abandoned (the time in queue of every contact that left).
    - A null average over zero contacts is the documented divide-by-zero: its total is 0.
      A null count, or a null average over contacts, raises MissingFigure.
    """

    def count(name: str) -> int:
        value = values.get(name)
        if value is None:
            raise MissingFigure(f"{where}: {name} is null")
        return max(0, round(value))

    def total(avg_name: str, n: int) -> float:
        avg = values.get(avg_name)
        if avg is None:
            if n == 0:
                return 0.0
            raise MissingFigure(f"{where}: {avg_name} is null over {n} contacts")
        return avg * n

    offered = count(V2_QUEUED)
    handled = count(V2_HANDLED)
    abandoned = count(V2_ABANDONED)
    within_raw = values.get(V2_ANSWERED_IN_X)
    if within_raw is None:
        if handled:
            raise MissingFigure(f"{where}: {V2_ANSWERED_IN_X} is null over {handled} answered")
        within = 0
    else:
        within = min(handled, max(0, round(within_raw)))
    return Counters(
        offered=offered,
        answered=handled,
        answered_within_sl=within,
        abandoned=abandoned,
        handled=handled,
        handle_time_s=total(V2_AHT, handled),
        wait_time_s=total(V2_ASA, handled) + total(V2_ABANDON_TIME, abandoned),
    )


# --- GetCurrentUserData ---------------------------------------------------------------------

_CONNECTED = frozenset({"CONNECTED", "CONNECTED_ONHOLD"})
#: Routed to the agent and ringing or connecting: the agent is taken for this contact and
#: Connect routes them nothing else on that slot, so floorview counts them on contact.
_OFFERED = frozenset({"INCOMING", "PENDING", "CONNECTING"})
_ENDED = frozenset({"ENDED"})
#: The agent missed, rejected or failed a contact: Connect stops routing to them until they
#: clear it, so they are neither available nor busy. Shown as AUX with the state's name.
_FAILED = frozenset({"MISSED", "ERROR", "REJECTED"})
_STATE_ORDER = (_CONNECTED, _OFFERED, _ENDED, _FAILED)


@dataclass(frozen=True, slots=True)
class StatusType:
    name: str
    type: str  # ROUTABLE | CUSTOM | OFFLINE


def status_kind(status: Mapping[str, Any], types: Mapping[str, StatusType]) -> str:
    """ROUTABLE, CUSTOM or OFFLINE for an agent's Status, by StatusArn in ListAgentStatuses.

    A status the list does not hold (created since it was read) is judged by its name:
    Connect's built-in routable and offline statuses are "Available" and "Offline"; any
    other name is a custom (not routable) status.
    """
    arn = status.get("StatusArn")
    if arn and arn in types:
        return types[arn].type
    name = str(status.get("StatusName") or "")
    if name.casefold() == "available":
        return "ROUTABLE"
    if name.casefold() == "offline":
        return "OFFLINE"
    return "CUSTOM"


def _contact_start(contact: Mapping[str, Any]) -> datetime | None:
    value = contact.get("StateStartTimestamp") or contact.get("ConnectedToAgentTimestamp")
    return None if value is None else to_utc(value)


def _pick_contact(contacts: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The contact that decides the agent's state: any connected one before any offered,
    ended (after contact work) or failed one; the earliest-started within a kind."""
    for states in _STATE_ORDER:
        chosen = [c for c in contacts if c.get("AgentContactState") in states]
        if chosen:
            return min(chosen, key=lambda c: (_contact_start(c) or _LATEST))
    return None


_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Activity:
    state: AgentState
    aux_reason: str | None
    since: datetime
    contact: Contact | None
    presence: str | None


def agent_activity(
    user: Mapping[str, Any], types: Mapping[str, StatusType], as_of: datetime
) -> Activity:
    """An agent's state from one UserData item.

    The contacts decide first (CONNECTED/CONNECTED_ONHOLD and INCOMING/PENDING/CONNECTING
    -> ON_CONTACT; ENDED -> ACW; MISSED/ERROR/REJECTED -> AUX named after the state), since
    the contact's StateStartTimestamp (for ONHOLD, the reference says, that is when it was
    CONNECTED). With no contact, the Status does: ROUTABLE -> AVAILABLE, CUSTOM -> AUX with
    the status name, OFFLINE -> OFFLINE, since StatusStartTimestamp. An item with no Status
    reads as OFFLINE since ``as_of``. ``presence`` is the status the agent set in the CCP
    (and the next one, where Connect holds one until the contact ends).
    """
    status = user.get("Status") or {}
    status_name = status.get("StatusName")
    presence = str(status_name) if status_name else None
    if presence and user.get("NextStatus"):
        presence = f"{presence} (next: {user['NextStatus']})"
    contact = _pick_contact(user.get("Contacts") or ())
    if contact is not None:
        contact_state = contact.get("AgentContactState")
        since = _contact_start(contact) or as_of
        queue = (contact.get("Queue") or {}).get("Id")
        connected = contact.get("ConnectedToAgentTimestamp")
        started = to_utc(connected) if connected is not None else since
        in_hand = Contact(str(queue), started, None) if queue else None
        if contact_state in _FAILED:
            return Activity(AgentState.AUX, str(contact_state).title(), since, None, presence)
        state = AgentState.ACW if contact_state in _ENDED else AgentState.ON_CONTACT
        return Activity(state, None, since, in_hand, presence)
    start = status.get("StatusStartTimestamp")
    if not status or start is None:
        return Activity(AgentState.OFFLINE, None, as_of, None, presence)
    since = to_utc(start)
    kind = status_kind(status, types)
    if kind == "ROUTABLE":
        return Activity(AgentState.AVAILABLE, None, since, None, presence)
    if kind == "OFFLINE":
        return Activity(AgentState.OFFLINE, None, since, None, presence)
    return Activity(
        AgentState.AUX, str(status_name) if status_name else None, since, None, presence
    )


def deepest_group(path: Mapping[str, Any] | None) -> str | None:
    """The agent's own hierarchy group: the deepest level of a HierarchyPath."""
    if not path:
        return None
    for level in ("LevelFive", "LevelFour", "LevelThree", "LevelTwo", "LevelOne"):
        group = path.get(level) or {}
        if group.get("Id"):
            return str(group["Id"])
    return None


def user_name(user: Mapping[str, Any]) -> str:
    """A user's display name as Connect holds it: "First Last", else the Username."""
    info = user.get("IdentityInfo") or {}
    full = " ".join(str(p).strip() for p in (info.get("FirstName"), info.get("LastName")) if p)
    return full.strip() or str(user.get("Username") or user.get("Id") or "")


def make_agent(
    user_id: str,
    activity: Activity,
    *,
    name: str,
    team: str,
    queue_ids: tuple[str, ...],
    version: int,
) -> Agent:
    return Agent(
        id=user_id, name=name, team=team, state=activity.state,
        aux_reason=activity.aux_reason, state_since=activity.since, queue_ids=queue_ids,
        version=version, contact=activity.contact, today=None, presence=activity.presence,
    )


def instance_arn_from(resource_arn: str, instance_id: str) -> str | None:
    """The instance ARN from the ARN of a resource in it (a queue's, say):
    ``arn:aws:connect:REGION:ACCOUNT:instance/ID/queue/QID`` -> ``…:instance/ID``."""
    marker = f":instance/{instance_id}"
    at = resource_arn.find(marker)
    if not resource_arn.startswith("arn:") or at < 0:
        return None
    end = at + len(marker)
    if end < len(resource_arn) and resource_arn[end] != "/":
        return None
    return resource_arn[:end]
