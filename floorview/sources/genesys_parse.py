"""Genesys Cloud JSON to canonical figures: pure functions, no I/O (see genesys.py).

Every Genesys duration is milliseconds on the wire; `duration_s` is the one place that turns
one into seconds. Field names follow the Platform API SDK models (MyPureCloud
platform-client-sdk-python, build/docs/*.md): QueueObservationQueryResponse,
RoutingActivityResponse, ConversationAggregateQueryResponse, QueueEntityListing,
OrganizationPresenceDefinitionEntityListing, UserEntityListing, UserQueueEntityListing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from floorview.model import Agent, AgentState, Channel, Contact, QueueToday
from floorview.sources import parse as p
from floorview.sources.intervals import ACTUAL_FIELDS, ACTUAL_OPTIONAL
from floorview.sources.vendor import membership_version, ms_to_s
from floorview.text import clean_text

log = logging.getLogger(__name__)

#: Analytics mediaType values this adapter can show, and the canonical channel of each.
MEDIA_CHANNELS: dict[str, Channel] = {
    "voice": Channel.VOICE,
    "callback": Channel.VOICE,
    "chat": Channel.CHAT,
    "message": Channel.CHAT,
    "email": Channel.EMAIL,
}
#: Where each media type's settings sit in a Queue's mediaSettings (QueueMediaSettings).
MEDIA_SETTINGS_KEYS = {
    "voice": "call", "callback": "callback", "chat": "chat", "message": "message",
    "email": "email",
}

NOT_RESPONDING_REASON = "Not responding"
_NEVER = datetime.min.replace(tzinfo=UTC)


# --- small readers ---------------------------------------------------------------------------


def duration_s(value: Any, where: str) -> float | None:
    """A Genesys duration, milliseconds on the wire, in seconds; None for a null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise p.SchemaError(where, f"expected milliseconds, got {value!r}"[:120])
    return ms_to_s(float(value))


def _items(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """A list that Genesys may leave out when it is empty (absent or null both mean [])."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise p.SchemaError(f"{where}.{key}", f"expected a list, got {type(value).__name__}")
    return value


def _opt_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise p.SchemaError(f"{where}.{key}", f"expected a string, got {type(value).__name__}")
    return value


def _group(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    group = item.get("group")
    return {} if group is None else p.obj(group, f"{where}.group")


def _stat(stats: Mapping[str, Any] | None, key: str, where: str) -> float | None:
    if stats is None or stats.get(key) is None:
        return None
    return p.number(stats, key, where)


def _matches(group: Mapping[str, Any], queue_media: Mapping[str, str]) -> str | None:
    """The configured queue a result group belongs to, or None for another queue/media."""
    queue_id = group.get("queueId")
    if not isinstance(queue_id, str) or queue_id not in queue_media:
        return None
    media = group.get("mediaType")
    # A group without mediaType is the whole queue: accept it rather than drop the queue.
    if media is not None and media != queue_media[queue_id]:
        return None
    return queue_id


# --- queue configuration ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueConfig:
    id: str
    name: str
    sl_threshold_s: float | None
    sl_target: float | None


def parse_queues(data: Any, queue_media: Mapping[str, str]) -> dict[str, QueueConfig]:
    """A QueueEntityListing: name and the media type's serviceLevel of each queue."""
    d = p.obj(data, "queues")
    out: dict[str, QueueConfig] = {}
    for i, raw in enumerate(_items(d, "entities", "queues")):
        where = f"queues.entities[{i}]"
        q = p.obj(raw, where)
        queue_id = p.text(q, "id", where)
        if queue_id not in queue_media:
            continue
        threshold = target = None
        settings = q.get("mediaSettings")
        key = MEDIA_SETTINGS_KEYS[queue_media[queue_id]]
        media = p.obj(settings, f"{where}.mediaSettings").get(key) if settings else None
        if media is not None:
            level = p.obj(media, f"{where}.mediaSettings.{key}").get("serviceLevel")
            if level is not None:
                lw = f"{where}.mediaSettings.{key}.serviceLevel"
                level = p.obj(level, lw)
                threshold = duration_s(level.get("durationMs"), f"{lw}.durationMs")
                if level.get("percentage") is not None:
                    target = p.number(level, "percentage", lw)
                    if target > 1.0:
                        raise p.SchemaError(f"{lw}.percentage", f"expected 0..1, got {target!r}")
        name = _opt_str(q, "name", where)
        out[queue_id] = QueueConfig(queue_id, clean_text(name) if name else queue_id,
                                    threshold, target)
    return out


# --- presence, users, teams --------------------------------------------------------------------


def presence_label(definition: Mapping[str, Any], locale: str) -> str | None:
    labels = definition.get("languageLabels")
    if isinstance(labels, dict) and labels:
        for key in (locale, "en_US"):
            if isinstance(labels.get(key), str) and labels[key]:
                return clean_text(labels[key])
        for value in labels.values():
            if isinstance(value, str) and value:
                return clean_text(value)
    for key in ("name", "systemPresence"):
        if isinstance(definition.get(key), str) and definition[key]:
            return system_presence_label(definition[key])
    return None


def system_presence_label(system_presence: str) -> str:
    """A readable label for a system presence ("ON_QUEUE" -> "On Queue") when the org's own
    definition is unknown."""
    return clean_text(system_presence.replace("_", " ").title())


def parse_presence_definitions(data: Any, locale: str) -> dict[str, str]:
    """An OrganizationPresenceDefinitionEntityListing as {definition id: label}."""
    d = p.obj(data, "presence definitions")
    out: dict[str, str] = {}
    for i, raw in enumerate(_items(d, "entities", "presence definitions")):
        where = f"presence definitions.entities[{i}]"
        definition = p.obj(raw, where)
        label = presence_label(definition, locale)
        if label is not None:
            out[p.text(definition, "id", where)] = label
    return out


def parse_names(data: Any, what: str) -> dict[str, str]:
    """A listing of {id, name} entities (UserEntityListing) as {id: name}."""
    d = p.obj(data, what)
    out: dict[str, str] = {}
    for i, raw in enumerate(_items(d, "entities", what)):
        where = f"{what}.entities[{i}]"
        entity = p.obj(raw, where)
        name = _opt_str(entity, "name", where)
        out[p.text(entity, "id", where)] = clean_text(name) if name else ""
    return out


def parse_user_queues(data: Any) -> tuple[dict[str, bool], int | None]:
    """One UserQueueEntityListing page: {queue id: joined} and the page count, if given."""
    d = p.obj(data, "user queues")
    out: dict[str, bool] = {}
    for i, raw in enumerate(_items(d, "entities", "user queues")):
        where = f"user queues.entities[{i}]"
        entry = p.obj(raw, where)
        joined = entry.get("joined")
        if joined is not None and not isinstance(joined, bool):
            raise p.SchemaError(f"{where}.joined", f"expected true or false, got {joined!r}")
        # The listing asked for joined=true/false; an entry without the flag is as asked.
        out[p.text(entry, "id", where)] = joined if joined is not None else True
    pages = d.get("pageCount")
    return out, pages if isinstance(pages, int) and not isinstance(pages, bool) else None


# --- observations: waiting, oldest wait, contacts in hand --------------------------------------


@dataclass(frozen=True, slots=True)
class QueueLive:
    waiting: int
    oldest_since: datetime | None


def _oldest(observations: Sequence[Any], where: str) -> datetime | None:
    # Observations come oldest first, and a truncated list keeps the oldest half; taking
    # the minimum does not depend on either.
    times = [
        p.opt_timestamp(p.obj(o, f"{where}[{i}]"), "observationDate", f"{where}[{i}]")
        for i, o in enumerate(observations)
    ]
    present = [t for t in times if t is not None]
    return min(present) if present else None


def _queue_data(
    data: Any, what: str, queue_media: Mapping[str, str]
) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(queue id, data item, its path) for each ``results[].data[]`` item of an analytics
    answer grouped by queue, skipping results for queues or media not watched."""
    d = p.obj(data, what)
    for i, raw in enumerate(_items(d, "results", what)):
        where = f"{what}.results[{i}]"
        result = p.obj(raw, where)
        queue_id = _matches(_group(result, where), queue_media)
        if queue_id is None:
            continue
        for j, item in enumerate(_items(result, "data", where)):
            iw = f"{where}.data[{j}]"
            yield queue_id, p.obj(item, iw), iw


def parse_observations(
    data: Any, queue_media: Mapping[str, str]
) -> tuple[dict[str, QueueLive], dict[str, Contact]]:
    """A QueueObservationQueryResponse: waiting and the oldest wait per queue (oWaiting and
    its detail), and each interacting user's contact (oInteracting detail: userId and
    observationDate, the queue being the result's group)."""
    live: dict[str, QueueLive] = {}
    contacts: dict[str, Contact] = {}
    for queue_id, metric_data, iw in _queue_data(data, "observations", queue_media):
        metric = metric_data.get("metric")
        stats = metric_data.get("stats")
        stats = None if stats is None else p.obj(stats, f"{iw}.stats")
        observations = _items(metric_data, "observations", iw)
        if metric == "oWaiting":
            waiting = _stat(stats, "count", f"{iw}.stats")
            if waiting is None:
                # Observations are current counts: no count means nobody is waiting.
                waiting = float(len(observations))
            live[queue_id] = QueueLive(
                int(waiting), _oldest(observations, f"{iw}.observations")
            )
        elif metric == "oInteracting":
            for k, o in enumerate(observations):
                ow = f"{iw}.observations[{k}]"
                obs = p.obj(o, ow)
                user_id = _opt_str(obs, "userId", ow)
                started = p.opt_timestamp(obs, "observationDate", ow)
                if user_id is None or started is None:
                    continue
                held = contacts.get(user_id)
                # An agent on several interactions (chats): the oldest is the one shown.
                if held is None or started < held.started_at:
                    contacts[user_id] = Contact(queue_id, started, None)
    return live, contacts


# --- routing activity: agents ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityEntity:
    user_id: str
    queue_id: str | None
    joined: bool
    routing_status: str | None
    routing_status_date: datetime | None
    system_presence: str | None
    organization_presence_id: str | None
    presence_date: datetime | None
    activity_date: datetime | None
    team_id: str | None


def parse_activity(data: Any) -> tuple[list[ActivityEntity], int, bool]:
    """One RoutingActivityResponse page: its entities, how many there were (for paging) and
    whether any result said it was truncated."""
    d = p.obj(data, "routing activity")
    out: list[ActivityEntity] = []
    seen = 0
    truncated = False
    for i, raw in enumerate(_items(d, "results", "routing activity")):
        where = f"routing activity.results[{i}]"
        result = p.obj(raw, where)
        truncated = truncated or result.get("truncated") is True
        group_queue = _group(result, where).get("queueId")
        for j, e in enumerate(_items(result, "entities", where)):
            seen += 1
            ew = f"{where}.entities[{j}]"
            entity = p.obj(e, ew)
            status = _opt_str(entity, "queueMembershipStatus", ew)
            out.append(ActivityEntity(
                user_id=p.text(entity, "userId", ew),
                queue_id=_opt_str(entity, "queueId", ew) or (
                    group_queue if isinstance(group_queue, str) else None),
                joined=(status or "").lower() == "active",
                routing_status=_opt_str(entity, "routingStatus", ew),
                routing_status_date=p.opt_timestamp(entity, "routingStatusDate", ew),
                system_presence=_opt_str(entity, "systemPresence", ew),
                organization_presence_id=_opt_str(entity, "organizationPresenceId", ew),
                presence_date=p.opt_timestamp(entity, "presenceDate", ew),
                activity_date=p.opt_timestamp(entity, "activityDate", ew),
                team_id=_opt_str(entity, "teamId", ew),
            ))
    return out, seen, truncated


def map_state(
    routing_status: str | None, system_presence: str | None, presence: str | None
) -> tuple[AgentState, str | None]:
    """Genesys routing status (and, off queue, presence) as our state and AUX reason.

    Wrap-up is part of INTERACTING in Genesys, so ACW is never reported.
    """
    status = (routing_status or "").upper()
    if status == "IDLE":
        return AgentState.AVAILABLE, None
    if status in ("INTERACTING", "COMMUNICATING"):
        return AgentState.ON_CONTACT, None
    if status == "NOT_RESPONDING":
        return AgentState.AUX, NOT_RESPONDING_REASON
    if (system_presence or "").upper() == "OFFLINE":
        return AgentState.OFFLINE, None
    if status in ("OFF_QUEUE", ""):
        return AgentState.AUX, presence or "Off queue"
    return AgentState.AUX, clean_text(routing_status or "")


def build_agent(
    user_id: str,
    entities: Sequence[ActivityEntity],
    *,
    queue_order: Sequence[str],
    joined: Iterable[str] | None,
    names: Mapping[str, str],
    teams: Mapping[str, str],
    presence_labels: Mapping[str, str],
    contacts: Mapping[str, Contact],
    as_of: datetime,
) -> Agent:
    """One agent from their routing-activity entities (one per queue they belong to).

    ``joined`` overrides the entities' membership status (the re-read before a write uses
    the users API, which is current where analytics may lag a few seconds).
    """
    # Routing status and presence are per user; the freshest entity carries the latest.
    latest = max(entities, key=lambda e: e.activity_date or _NEVER)
    presence: str | None = None
    if latest.organization_presence_id is not None:
        presence = presence_labels.get(latest.organization_presence_id)
    if presence is None and latest.system_presence:
        presence = system_presence_label(latest.system_presence)
    state, aux = map_state(latest.routing_status, latest.system_presence, presence)
    if (latest.routing_status or "").upper() in ("OFF_QUEUE", ""):
        since = latest.presence_date or latest.routing_status_date
    else:
        since = latest.routing_status_date or latest.presence_date
    # No date at all: time in state cannot be known; 0 s (now) is shown rather than guessed.
    since = since or latest.activity_date or as_of
    wanted = set(joined) if joined is not None else {e.queue_id for e in entities if e.joined}
    queue_ids = tuple(q for q in queue_order if q in wanted)
    contact = contacts.get(user_id) if state is AgentState.ON_CONTACT else None
    team_id = next((e.team_id for e in entities if e.team_id), None)
    return Agent(
        id=user_id,
        name=names.get(user_id) or user_id,
        team=teams.get(team_id, "") if team_id else "",
        state=state,
        aux_reason=aux,
        state_since=since,
        queue_ids=queue_ids,
        version=membership_version(queue_ids),
        contact=contact,
        today=None,
        presence=presence,
    )


def group_entities(entities: Iterable[ActivityEntity]) -> dict[str, list[ActivityEntity]]:
    """Entities per user, one per (user, queue): pages may repeat an entity."""
    by_user: dict[str, dict[str | None, ActivityEntity]] = {}
    for e in entities:
        by_user.setdefault(e.user_id, {})[e.queue_id] = e
    return {user: list(per_queue.values()) for user, per_queue in by_user.items()}


# --- conversation aggregates: today and interval actuals --------------------------------------


@dataclass(frozen=True, slots=True)
class IntervalActual:
    queue: str
    start: datetime
    offered: int
    answered: int
    answered_within_sl: int
    abandoned: int
    handled: int
    handle_time_s: float
    wait_time_s: float


def _metric_stats(metrics: Sequence[Any], where: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k, raw in enumerate(metrics):
        mw = f"{where}[{k}]"
        m = p.obj(raw, mw)
        name = _opt_str(m, "metric", mw)
        if name is None:
            continue
        stats = m.get("stats")
        out[name] = {} if stats is None else p.obj(stats, f"{mw}.stats")
    return out


def _count(stats: Mapping[str, dict[str, Any]], metric: str, where: str) -> int:
    # Genesys leaves a metric out of an interval no conversation contributed to: that is a
    # count of 0, not a missing figure.
    value = _stat(stats.get(metric), "count", f"{where}.{metric}.stats")
    return 0 if value is None else int(value)


def _sum_s(stats: Mapping[str, dict[str, Any]], metric: str, where: str) -> float:
    s = stats.get(metric)
    value = None if s is None else duration_s(s.get("sum"), f"{where}.{metric}.stats.sum")
    return 0.0 if value is None else value


def interval_actual(queue_id: str, start: datetime, stats: Mapping[str, dict[str, Any]],
                    where: str) -> IntervalActual:
    """One interval's figures in our definitions, from Genesys metrics (ms -> s)."""
    answered = _count(stats, "tAnswered", where)
    within_raw = _stat(stats.get("oServiceLevel"), "numerator", f"{where}.oServiceLevel.stats")
    if within_raw is None:
        if answered:
            log.warning("%s: %d answered but no oServiceLevel numerator; counted as none "
                        "within SL", where, answered)
        within = 0
    else:
        # The numerator counts answers within the queue's own threshold, which is ours
        # (sl_threshold_s comes from the same queue setting); it cannot exceed answered.
        within = min(answered, round(within_raw))
    return IntervalActual(
        queue=queue_id,
        start=start,
        offered=_count(stats, "nOffered", where),
        answered=answered,
        answered_within_sl=within,
        abandoned=_count(stats, "tAbandon", where),
        handled=_count(stats, "tHandle", where),
        handle_time_s=_sum_s(stats, "tHandle", where),
        # Our wait time is that of contacts that left the queue answered or abandoned: the
        # time to answer plus the time to abandon. tWait would add flow-outs.
        wait_time_s=_sum_s(stats, "tAnswered", where) + _sum_s(stats, "tAbandon", where),
    )


def parse_aggregates(
    data: Any, queue_media: Mapping[str, str]
) -> dict[str, list[IntervalActual]]:
    """A ConversationAggregateQueryResponse (granularity PT15M) as interval rows per queue."""
    out: dict[str, list[IntervalActual]] = {}
    for queue_id, interval, iw in _queue_data(data, "aggregates", queue_media):
        span = p.text(interval, "interval", iw)
        start_text = span.split("/", 1)[0]
        try:
            start = p.timestamp({"interval": start_text}, "interval", iw)
        except p.SchemaError:
            raise p.SchemaError(f"{iw}.interval", f"not an ISO 8601 interval: {span[:60]!r}"
                                ) from None
        stats = _metric_stats(_items(interval, "metrics", iw), f"{iw}.metrics")
        out.setdefault(queue_id, []).append(interval_actual(queue_id, start, stats, iw))
    for rows in out.values():
        rows.sort(key=lambda r: r.start)
    return out


def today_totals(rows: Iterable[IntervalActual]) -> QueueToday:
    """Sum of a day's intervals; a queue with no rows had no contacts: all zero (our
    service level and AHT are then None, not 0%)."""
    rows = list(rows)
    return QueueToday(
        offered=sum(r.offered for r in rows),
        answered=sum(r.answered for r in rows),
        answered_within_sl=sum(r.answered_within_sl for r in rows),
        abandoned=sum(r.abandoned for r in rows),
        handled=sum(r.handled for r in rows),
        handle_time_s=sum(r.handle_time_s for r in rows),
        wait_time_s=sum(r.wait_time_s for r in rows),
    )


def actuals_frame(rows_by_queue: Mapping[str, Sequence[IntervalActual]]) -> pd.DataFrame:
    """Interval actuals with the Floor API's columns (intervals.ACTUAL_FIELDS; the optional
    staffing columns are NaN: Genesys conversation aggregates carry no staffing)."""
    records: list[dict[str, Any]] = []
    for rows in rows_by_queue.values():
        for r in rows:
            record: dict[str, Any] = {"queue": r.queue, "start": r.start}
            for name in ACTUAL_FIELDS:
                record[name] = float(getattr(r, name))
            for name in ACTUAL_OPTIONAL:
                record[name] = float("nan")
            records.append(record)
    frame = pd.DataFrame(records, columns=["queue", "start", *ACTUAL_FIELDS, *ACTUAL_OPTIONAL])
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    return frame
