"""Twilio TaskRouter payloads to canonical figures: pure functions, no I/O.

Field names and shapes follow twilio/twilio-oai ``spec/json/twilio_taskrouter_v1.json``;
floorview/sources/twilio.py does the requests and documents the choices made here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from json.decoder import scanstring
from typing import Any

from floorview.model import AgentState, Channel, QueueToday
from floorview.sources import parse as p
from floorview.text import clean_text

WORKSPACE_SID = re.compile(r"WS[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
QUEUE_SID = re.compile(r"WQ[0-9a-fA-F]{32}")
WORKER_SID = re.compile(r"WK[0-9a-fA-F]{32}")
TASK_SID = re.compile(r"WT[0-9a-fA-F]{32}")

#: TaskChannel unique names (Flex's defaults and common custom ones) to floorview channels.
CHANNELS: Mapping[str, Channel] = {
    "voice": Channel.VOICE,
    "chat": Channel.CHAT,
    "sms": Channel.CHAT,
    "messaging": Channel.CHAT,
    "whatsapp": Channel.CHAT,
    "messenger": Channel.CHAT,
    "email": Channel.EMAIL,
}

#: Worker attribute keys read as the team name, first match wins (Flex Insights reads
#: ``team_name``; plain TaskRouter set-ups often use ``team``).
TEAM_KEYS = ("team_name", "team")
#: Worker attribute key Flex uses for a display name; ``friendly_name`` is the fallback.
FULL_NAME_KEY = "full_name"

#: Reservation statuses that mean the worker took the task (task_reservation_enum_status).
TAKEN_STATUSES = frozenset({"accepted", "wrapping", "completed"})


def channel_for(task_channel: str | None) -> Channel:
    if task_channel is None:
        return Channel.VOICE
    try:
        return CHANNELS[task_channel.casefold()]
    except KeyError:
        known = ", ".join(CHANNELS)
        raise ValueError(
            f"task_channel {task_channel!r} is not one floorview can show; use one of {known}"
        ) from None


def whole_count(value: Any, where: str) -> int:
    """A count Twilio writes as a number or, in ``tasks_by_status``, a numeric string."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 16:
        return int(value)
    return p.count({"v": value}, "v", where)


# --- real-time statistics -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Realtime:
    waiting: int
    oldest_wait_s: float


def queue_realtime(item: dict[str, Any], where: str) -> Realtime:
    """One ``task_queue_data`` entry of the bulk RealTimeStatistics answer.

    Waiting = pending + reserved: a reserved task is still in the queue, ringing an agent
    who has not accepted it. A status absent from ``tasks_by_status`` has no tasks (the
    spec's own example object lists only the statuses present).
    """
    by_status = item.get("tasks_by_status")
    if by_status is None:
        total = item.get("total_tasks")
        if total != 0:
            raise p.SchemaError(f"{where}.tasks_by_status", f"null with total_tasks {total!r}")
        waiting = 0
    else:
        status = p.obj(by_status, f"{where}.tasks_by_status")
        waiting = sum(
            whole_count(status[key], f"{where}.tasks_by_status.{key}")
            for key in ("pending", "reserved")
            if status.get(key) is not None
        )
    if item.get("longest_task_waiting_age") is None:
        if waiting:
            raise p.SchemaError(
                f"{where}.longest_task_waiting_age", f"null while {waiting} tasks wait"
            )
        oldest = 0.0  # nothing waits: an age of 0 is the fact, not a stand-in
    else:
        oldest = p.number(item, "longest_task_waiting_age", where)
    return Realtime(waiting, oldest)


# --- cumulative statistics ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Today:
    counters: QueueToday
    #: The SL split covered fewer reservations than were accepted (Twilio computes it over
    #: at most 10,000 tasks/reservations per threshold), so within-SL was scaled up.
    sl_estimated: bool


def _duration_total(d: dict[str, Any], key: str, n: int, where: str) -> float:
    stats = d.get(key)
    if isinstance(stats, dict) and stats.get("total") is not None:
        return p.number(stats, "total", f"{where}.{key}")
    if n == 0:
        return 0.0  # no task counts towards it: a total of 0 is the fact
    raise p.SchemaError(f"{where}.{key}", f"no total while {n} tasks count towards it")


def queue_today(d: dict[str, Any], threshold_s: int, where: str) -> Today:
    """A TaskQueue CumulativeStatistics answer (asked with SplitByWaitTime=threshold_s)."""
    answered = p.count(d, "reservations_accepted", where)
    abandoned = p.count(d, "tasks_canceled", where)
    split = d.get("split_by_wait_time")
    key = str(threshold_s)
    entry = split.get(key) if isinstance(split, dict) else None
    if not isinstance(entry, dict):
        raise p.SchemaError(f"{where}.split_by_wait_time", f"no entry for {key} s")
    below = p.obj(entry.get("below"), f"{where}.split_by_wait_time.{key}.below")
    above = p.obj(entry.get("above"), f"{where}.split_by_wait_time.{key}.above")
    within = p.count(below, "reservations_accepted", f"{where}.split_by_wait_time.{key}.below")
    late = p.count(above, "reservations_accepted", f"{where}.split_by_wait_time.{key}.above")
    split_total = within + late
    estimated = False
    if split_total < answered:
        if split_total == 0:
            raise p.SchemaError(
                f"{where}.split_by_wait_time.{key}",
                f"counts no accepted reservations of {answered}",
            )
        within = round(within * answered / split_total)
        estimated = True
    within = min(within, answered)
    wait = _duration_total(d, "wait_duration_until_accepted", answered, where)
    wait += _duration_total(d, "wait_duration_until_canceled", abandoned, where)
    counters = QueueToday(
        offered=p.count(d, "tasks_entered", where),
        answered=answered,
        answered_within_sl=within,
        abandoned=abandoned,
        # TaskRouter keeps no handle time; tasks_completed without it would make AHT 0 s,
        # so both stay 0 and AHT shows as unknown.
        handled=0,
        handle_time_s=0.0,
        wait_time_s=wait,
    )
    return Today(counters, estimated)


# --- workers --------------------------------------------------------------------------------


def parse_attributes(raw: Any) -> dict[str, Any] | None:
    """A worker's ``attributes`` JSON string as an object; None if absent or not an object."""
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def skills_of(attrs: Mapping[str, Any]) -> list[Any]:
    routing = attrs.get("routing")
    skills = routing.get("skills") if isinstance(routing, dict) else None
    return list(skills) if isinstance(skills, list) else []


def queue_ids_for(skills: Iterable[Any], queue_skills: Mapping[str, str]) -> tuple[str, ...]:
    held = {s for s in skills if isinstance(s, str)}
    return tuple(q for q, skill in queue_skills.items() if skill in held)


def team_of(attrs: Mapping[str, Any] | None) -> str:
    for key in TEAM_KEYS:
        value = attrs.get(key) if attrs else None
        if isinstance(value, str) and value.strip():
            return clean_text(value)
    return ""


def name_of(friendly_name: str, attrs: Mapping[str, Any] | None) -> str:
    value = attrs.get(FULL_NAME_KEY) if attrs else None
    if isinstance(value, str) and value.strip():
        return clean_text(value)
    return friendly_name


@dataclass(frozen=True, slots=True)
class InHand:
    """A task a worker holds: assigned (on contact) or wrapping (after-contact work)."""

    queue_id: str
    started_at: datetime
    wrapping: bool
    #: When it went to wrapping (the task's date_updated), for ACW time-in-state.
    wrapping_since: datetime | None = None


def pick_in_hand(tasks: Sequence[InHand]) -> InHand | None:
    """The task that decides a multitasking worker's state: an assigned one over a wrapping
    one, and among those the one taken first."""
    if not tasks:
        return None
    return min(tasks, key=lambda t: (t.wrapping, t.started_at))


@dataclass(frozen=True, slots=True)
class WorkerState:
    state: AgentState
    aux_reason: str | None
    presence: str | None


def worker_state(
    activity_name: str | None,
    available: bool | None,
    offline: frozenset[str],
    in_hand: InHand | None,
) -> WorkerState:
    """Offline activities win; then a task in hand (a multitasking workspace leaves the
    worker in an available activity, a single-tasking one moves them to an unavailable
    "Busy"); then the activity's ``available`` flag."""
    activity = activity_name or ""
    if activity.casefold() in offline:
        return WorkerState(AgentState.OFFLINE, None, None)
    if in_hand is not None:
        state = AgentState.ACW if in_hand.wrapping else AgentState.ON_CONTACT
        return WorkerState(state, None, activity_name)
    if available is True:
        return WorkerState(AgentState.AVAILABLE, None, None)
    return WorkerState(AgentState.AUX, activity_name, None)


# --- the reassign write ---------------------------------------------------------------------


class AttributesRefused(ValueError):
    """The worker's attributes cannot take the change (routing or skills of the wrong type)."""


def new_routing(
    attrs: Mapping[str, Any], managed: frozenset[str], wanted: Sequence[str]
) -> dict[str, Any]:
    """``attrs["routing"]`` with skills = the skills queue_skills does not manage, in their
    order, then ``wanted``; levels of managed skills that go are dropped too."""
    routing = attrs.get("routing", {})
    if not isinstance(routing, dict):
        raise AttributesRefused("attributes.routing is not an object")
    skills = routing.get("skills", [])
    if not isinstance(skills, list):
        raise AttributesRefused("attributes.routing.skills is not a list")
    kept = [s for s in skills if not (isinstance(s, str) and s in managed)]
    new_skills = kept + [s for s in dict.fromkeys(wanted) if s not in kept]
    out = dict(routing)
    out["skills"] = new_skills
    levels = routing.get("levels")
    if isinstance(levels, dict):
        gone = managed - set(wanted)
        out["levels"] = {k: v for k, v in levels.items() if k not in gone}
    return out


_WS = " \t\n\r"


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def replace_member(raw: str, key: str, value: Any) -> str:
    """``raw`` (a JSON object's text) with the top-level member ``key`` set to ``value``.

    Every other byte stays as it was, so attributes floorview does not own keep their
    spelling, order and whitespace; only ``key``'s value is written anew (compact). A key
    that is absent is appended. Raises ValueError if ``raw`` is not one JSON object.
    """
    decoder = json.JSONDecoder()
    new_text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    i = _skip(raw, 0)
    if raw[i : i + 1] != "{":
        raise ValueError("not a JSON object")
    i = _skip(raw, i + 1)
    last_span: tuple[int, int] | None = None
    members = 0
    if raw[i : i + 1] == "}":
        close = i
    else:
        while True:
            if raw[i : i + 1] != '"':
                raise ValueError("expected a member name")
            name, i = scanstring(raw, i + 1)
            i = _skip(raw, i)
            if raw[i : i + 1] != ":":
                raise ValueError("expected ':'")
            i = _skip(raw, i + 1)
            _, end = decoder.raw_decode(raw, i)
            if name == key:
                last_span = (i, end)  # JSON's last duplicate wins, as in json.loads
            members += 1
            i = _skip(raw, end)
            if raw[i : i + 1] == ",":
                i = _skip(raw, i + 1)
                continue
            if raw[i : i + 1] == "}":
                close = i
                break
            raise ValueError("expected ',' or '}'")
    if raw[close + 1 :].strip(_WS):
        raise ValueError("text after the object")
    if last_span is not None:
        start, end = last_span
        return raw[:start] + new_text + raw[end:]
    member = json.dumps(key, ensure_ascii=False) + ":" + new_text
    # Appended after the last member, before any whitespace that preceded the brace.
    insert_at = close
    while insert_at > 0 and raw[insert_at - 1] in _WS:
        insert_at -= 1
    return raw[:insert_at] + ("," if members else "") + member + raw[insert_at:]
