"""The `twilio` source: a Twilio TaskRouter workspace (Flex's routing engine) as a floor.

Shapes and names come from twilio/twilio-oai ``spec/json/twilio_taskrouter_v1.json``; the
mapping lives in floorview/sources/twilio_parse.py. Full notes: docs/adapters/twilio.md.

Requests per poll, each through the source's HttpFetcher (budget, deadline, size cap):

- ``GET /v1/Workspaces/{WS}`` once, for the site name (only if option ``site`` is unset);
- ``GET …/TaskQueues?PageSize=1000`` every 10 minutes (names; every queue if option
  ``queues`` is unset);
- ``POST …/TaskQueues/RealTimeStatistics`` with ``{"queueSids": […]}``, one per 50 queues,
  also paced by this adapter's own 4/s bucket (Twilio allows 5/s for this call);
- ``GET …/Workers?PageSize=1000`` and ``GET …/Tasks?AssignmentStatus=assigned&
  AssignmentStatus=wrapping&PageSize=1000``, following ``meta.next_page_url`` for at most
  10 pages each (more is an error, not a silently short list);
- ``GET …/TaskQueues/{WQ}/CumulativeStatistics`` per queue, at most once a minute each: up
  to 20 per poll for queues with no figures for today yet, then up to 3 refreshes;
- ``GET …/Tasks/{WT}/Reservations`` for at most 8 newly seen tasks in hand (the Task list
  has no worker field; the accepted reservation names the worker; cached per task);
- ``GET …/Workers/{WK}`` for at most 8 workers whose attributes the list left out (the spec:
  attributes "will only be displayed in FETCH actions that return a single resource");
  cached 10 minutes, re-read after a write.

Choices where the model needs a number and TaskRouter has none:

- waiting = ``tasks_by_status`` pending + reserved (a reserved task still waits for the
  agent to accept); a status missing from the object has no tasks. oldest_wait_s =
  ``longest_task_waiting_age`` (seconds since the task was created, so a transferred task
  brings its earlier wait). Null figures are 0 only where nothing waits; otherwise the
  poll fails naming the field.
- Today (since local midnight in ``time_zone``): offered = ``tasks_entered``; answered =
  ``reservations_accepted``; abandoned = ``tasks_canceled``; answered_within_sl =
  ``split_by_wait_time[threshold].below.reservations_accepted`` (scaled to all accepted
  reservations when the split covers fewer; Twilio computes it over at most 10,000);
  wait_time_s = ``wait_duration_until_accepted.total`` + ``wait_duration_until_canceled
  .total``: the queue time of every task that left the queue, as the model defines it.
  Floorview's SL is within / (answered + abandoned); Flex's own SLA metric is set per
  queue-channel with optional short-abandon exclusion and its own daily reset time, so the
  two can differ. TaskRouter keeps no handle time: handled and handle_time_s are 0, so AHT
  shows as unknown rather than as 0 s. A queue whose day figures are not read yet (more
  than 20 queues on the first poll or just after midnight) is left out of that snapshot.
- Agent state: an activity in ``offline_activities`` is OFFLINE; else a task in hand (the
  worker's accepted reservation on an assigned or wrapping task) is ON_CONTACT or ACW, with
  the activity name as presence; else ``available`` gives AVAILABLE, and anything else is
  AUX with the activity name as aux_reason. Until a task's worker is looked up (8 a poll)
  its worker shows by activity alone.
- Queue membership = the queues whose ``queue_skills`` skill is in the worker's
  ``attributes.routing.skills``; a worker whose attributes are not read yet has none.
  Version = membership_version(queue_ids). Reassign rewrites ``routing.skills`` (a
  read-modify-write of the attributes JSON, every byte outside ``routing`` unchanged),
  sending If-Match with the ETag the read returned; HTTP 412 is a conflict.
- fetch_plan returns None: interval actuals would take one CumulativeStatistics call per
  queue per 15 minutes of the day.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from floorview.model import (
    Agent,
    AgentState,
    Channel,
    Contact,
    FloorSnapshot,
    Queue,
    QueueToday,
)
from floorview.sources import parse as p
from floorview.sources import twilio_parse as tp
from floorview.sources.base import DayPlan, RejectedChange, SourceError, VersionConflict
from floorview.sources.budget import TokenBucket
from floorview.sources.credentials import load_secrets
from floorview.sources.http import BudgetExhausted, HttpAnswer, HttpFetcher, HttpStatusError
from floorview.sources.intervals import empty_actuals, empty_forecast
from floorview.sources.vendor import AdapterConfig, membership_version, zone_option

log = logging.getLogger(__name__)

DEFAULT_URL = "https://taskrouter.twilio.com"
PAGE_SIZE = 1000
#: Pages per list per poll: 10,000 workers or tasks. Past it the poll fails loudly.
MAX_PAGES = 10
QUEUE_LIST_TTL = timedelta(minutes=10)
#: The bulk RealTimeStatistics call: 50 SIDs a request, 5 requests/s (Twilio changelog,
#: 2023-11-20); we keep a margin below the limit, as Flex's own UI shares it.
BULK_BATCH = 50
BULK_RATE_PER_S = 4.0
TODAY_MAX_AGE = timedelta(minutes=1)
TODAY_FILL_PER_POLL = 20
TODAY_REFRESH_PER_POLL = 3
RESERVATION_LOOKUPS_PER_POLL = 8
ATTRIBUTE_FETCHES_PER_POLL = 8
ATTRIBUTES_TTL = timedelta(minutes=10)
DEFAULT_SL_THRESHOLD_S = 20
DEFAULT_SL_TARGET = 0.8
DEFAULT_OFFLINE = ("Offline",)

_AUTH_HINTS = {
    401: "Twilio refused the credentials (check account_sid, api_key_sid and the secret)",
    403: "the credentials may not read this TaskRouter resource "
         "(a Restricted API key needs TaskRouter read permissions)",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TwilioSettings:
    workspace_sid: str
    queues: tuple[str, ...] | None
    #: TaskQueue SID -> the routing.skills entry that puts a worker in it.
    queue_skills: Mapping[str, str]
    task_channel: str | None
    channel: Channel
    sl_threshold_s: int
    sl_target: float
    time_zone: ZoneInfo
    site: str | None
    #: offline_activities, casefolded.
    offline: frozenset[str]

    @property
    def managed_skills(self) -> frozenset[str]:
        return frozenset(self.queue_skills.values())


def _sid(value: Any, pattern: re.Pattern[str], key: str, prefix: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        raise ValueError(f"{key}: expected a Twilio SID ({prefix} and 32 hex digits), "
                         f"got {str(value)[:40]!r}")
    return value.strip()


def _pairs(value: Any, key: str) -> Iterable[tuple[Any, Any]]:
    # The config layer hands tables over as tuples of (key, value) pairs.
    if isinstance(value, Mapping):
        return value.items()
    if isinstance(value, list | tuple) and all(
        isinstance(item, list | tuple) and len(item) == 2 for item in value
    ):
        return value
    raise ValueError(f"{key}: expected a table of TaskQueue SID = \"skill\"")


def settings_from(config: AdapterConfig) -> TwilioSettings:
    """The options, checked; ValueError names the key of a bad one."""
    workspace = _sid(config.opt("workspace_sid"), tp.WORKSPACE_SID, "workspace_sid", "WS")
    queues_opt = config.opt("queues")
    queues = None
    if queues_opt is not None:
        if isinstance(queues_opt, str) or not isinstance(queues_opt, Iterable):
            raise ValueError("queues: expected a list of TaskQueue SIDs")
        queues = tuple(dict.fromkeys(_sid(q, tp.QUEUE_SID, "queues", "WQ") for q in queues_opt))
    skills: dict[str, str] = {}
    for q, skill in _pairs(config.opt("queue_skills", {}), "queue_skills"):
        sid = _sid(q, tp.QUEUE_SID, "queue_skills", "WQ")
        if not isinstance(skill, str) or not skill.strip():
            raise ValueError(f"queue_skills.{sid}: expected a skill name")
        skills[sid] = skill.strip()
    task_channel = config.opt("task_channel")
    if task_channel is not None and (not isinstance(task_channel, str) or not task_channel):
        raise ValueError("task_channel: expected a TaskChannel unique name such as \"voice\"")
    threshold = config.opt("sl_threshold_s", DEFAULT_SL_THRESHOLD_S)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not (
        threshold >= 1 and threshold == int(threshold)
    ):
        raise ValueError(
            f"sl_threshold_s: Twilio splits wait times at whole seconds, got {threshold!r}"
        )
    target = config.opt("sl_target", DEFAULT_SL_TARGET)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise ValueError(f"sl_target: expected a fraction in (0, 1], got {target!r}")
    zone = zone_option(config)
    site = config.opt("site")
    offline = config.opt("offline_activities", DEFAULT_OFFLINE)
    if isinstance(offline, str) or not all(isinstance(a, str) for a in offline):
        raise ValueError("offline_activities: expected a list of activity names")
    return TwilioSettings(
        workspace_sid=workspace,
        queues=queues,
        queue_skills=skills,
        task_channel=task_channel,
        channel=tp.channel_for(task_channel),
        sl_threshold_s=int(threshold),
        sl_target=float(target),
        time_zone=zone,
        site=str(site) if site else None,
        offline=frozenset(a.casefold() for a in offline),
    )


def _base_url(url: str | None) -> str:
    text = (url or DEFAULT_URL).rstrip("/")
    parsed = httpx.URL(text)
    if parsed.scheme == "https":
        return text
    loopback = parsed.host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(parsed.host).is_loopback
    if parsed.scheme == "http" and loopback:
        return text
    # Basic auth carries the secret itself: never over plain HTTP to another machine.
    raise ValueError(f"url: Twilio credentials go only over https, got {text!r}")


def from_config(
    config: AdapterConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> TwilioSource:
    settings = settings_from(config)
    account = _sid(config.opt("account_sid"), tp.ACCOUNT_SID, "account_sid", "AC")
    key_sid = config.opt("api_key_sid")
    if key_sid is not None:
        user = _sid(key_sid, tp.API_KEY_SID, "api_key_sid", "SK")
        secret_name = "api_key_secret"
    else:
        user, secret_name = account, "auth_token"
    secret = load_secrets(config.name, [secret_name], config.options, environ=config.environ)
    token = base64.b64encode(f"{user}:{secret[secret_name].reveal()}".encode()).decode()
    http = HttpFetcher(
        config.name, _base_url(config.url), limits=config.limits, transport=transport,
        headers={"Authorization": f"Basic {token}"},
    )
    return TwilioSource(config.name, settings, http)


# --- the source -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Attrs:
    attrs: dict[str, Any] | None
    read_at: datetime


@dataclass(frozen=True, slots=True)
class _DayFigures:
    day: date
    fetched_at: datetime
    today: QueueToday


@dataclass(frozen=True, slots=True)
class _Taken:
    """Who took a task, from its reservations (worker None: no reservation says so)."""

    worker_sid: str | None
    started_at: datetime | None


@dataclass(frozen=True, slots=True)
class _HeldTask:
    sid: str
    wrapping: bool
    queue_id: str
    created: datetime
    updated: datetime | None


class TwilioSource:
    """Polls one TaskRouter workspace; see the module docstring for what it reads."""

    def __init__(
        self,
        name: str,
        settings: TwilioSettings,
        http: HttpFetcher,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.name = name
        self.settings = settings
        self.http = http
        self.clock = clock
        #: Paces the bulk statistics call below Twilio's 5 requests/s for it.
        self.bulk_budget = TokenBucket(BULK_RATE_PER_S, 1)
        self._ws = f"/v1/Workspaces/{settings.workspace_sid}"
        self._site: str | None = settings.site
        self._queues: dict[str, str] | None = None
        self._queues_at: datetime | None = None
        self._today: dict[str, _DayFigures] = {}
        self._attrs: dict[str, _Attrs] = {}
        self._taken: dict[str, _Taken] = {}
        #: Tasks in hand per worker as of the last poll (fetch_agent's state).
        self._in_hand: dict[str, list[tp.InHand]] = {}

    # --- requests ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        answers: frozenset[int] = frozenset(),
    ) -> HttpAnswer:
        try:
            return await self.http.request(
                method, path, params=params, json_body=json_body, answers=answers
            )
        except HttpStatusError as exc:
            hint = _AUTH_HINTS.get(exc.status)
            if hint is None:
                raise
            raise HttpStatusError(
                f"{exc}: {hint}", status=exc.status, retry_after_s=exc.retry_after_s
            ) from None

    def _bad(self, what: str, exc: p.SchemaError) -> SourceError:
        return SourceError(f"{self.name}: {what}: {exc}")

    def _next_page(self, url: str, what: str) -> str:
        target = httpx.URL(url)
        if target.is_relative_url:
            return url
        base = self.http.base_url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            # The client sends the Basic credentials with every request.
            raise SourceError(
                f"{self.name}: {what}: next_page_url points at another host "
                f"({target.host[:60]}); not following it"
            )
        return url

    async def _list(
        self, path: str, key: str, what: str, params: Mapping[str, str] | None
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url, query = path, params
        for _ in range(MAX_PAGES):
            answer = await self._call("GET", url, params=query)
            try:
                data = p.obj(answer.json(), what)
                page = p.array(data, key, what)
                base = len(items)
                items.extend(p.obj(item, f"{what}.{key}[{base + i}]")
                             for i, item in enumerate(page))
            except p.SchemaError as exc:
                raise self._bad(what, exc) from None
            meta = data.get("meta")
            following = meta.get("next_page_url") if isinstance(meta, dict) else None
            if not following:
                return items
            url, query = self._next_page(str(following), what), None
        raise SourceError(
            f"{self.name}: {what} runs past {MAX_PAGES} pages of {PAGE_SIZE}; "
            f"not showing a partial list"
        )

    # --- the floor --------------------------------------------------------------------------

    async def fetch_floor(self) -> FloorSnapshot:
        started = self.clock()
        names = await self._queue_names(started)
        site = self._site if self._site is not None else await self._workspace_name()
        sids = list(names)
        realtime = await self._realtime(sids)
        workers = await self._list(
            f"{self._ws}/Workers", "workers", "Workers", {"PageSize": str(PAGE_SIZE)}
        )
        tasks = await self._list(
            f"{self._ws}/Tasks?AssignmentStatus=assigned&AssignmentStatus=wrapping"
            f"&PageSize={PAGE_SIZE}",
            "tasks", "Tasks", None,
        )
        today = await self._day_figures(sids, started)
        in_hand = await self._tasks_in_hand(tasks)
        await self._read_missing_attributes(workers, started)
        as_of = self.clock()
        queues = []
        for sid, name in names.items():
            figures, counters = realtime.get(sid), today.get(sid)
            if figures is None:
                log.warning("%s: no real-time statistics for queue %s; left out", self.name, sid)
                continue
            if counters is None:
                continue  # its day figures are read on a coming poll
            queues.append(Queue(
                id=sid, name=name, channel=self.settings.channel,
                sl_threshold_s=float(self.settings.sl_threshold_s),
                sl_target=self.settings.sl_target,
                waiting=figures.waiting, oldest_wait_s=figures.oldest_wait_s, today=counters,
            ))
        agents = []
        for i, worker in enumerate(workers):
            sid = worker.get("sid")
            cached = self._attrs.get(sid) if isinstance(sid, str) else None
            agents.append(self._agent(
                worker, None if cached is None else cached.attrs,
                in_hand.get(sid, []) if isinstance(sid, str) else [], as_of, f"Workers[{i}]",
            ))
        unread = sum(1 for a in agents if self._attrs.get(a.id) is None)
        log.debug("%s: %d queues, %d workers (%d without attributes yet), %d tasks in hand",
                  self.name, len(queues), len(agents), unread, len(tasks))
        return FloorSnapshot(
            source=self.name, as_of=as_of, site=site, queues=tuple(queues), agents=tuple(agents)
        )

    async def _workspace_name(self) -> str:
        answer = await self._call("GET", self._ws)
        try:
            data = p.obj(answer.json(), "Workspace")
            name = p.opt_text(data, "friendly_name", "Workspace")
        except p.SchemaError as exc:
            raise self._bad("Workspace", exc) from None
        self._site = name or self.settings.workspace_sid
        return self._site

    async def _queue_names(self, now: datetime) -> dict[str, str]:
        if (
            self._queues is not None and self._queues_at is not None
            and now - self._queues_at < QUEUE_LIST_TTL
        ):
            return self._queues
        items = await self._list(
            f"{self._ws}/TaskQueues", "task_queues", "TaskQueues", {"PageSize": str(PAGE_SIZE)}
        )
        names: dict[str, str] = {}
        try:
            for i, item in enumerate(items):
                where = f"TaskQueues[{i}]"
                sid = p.text(item, "sid", where)
                if not tp.QUEUE_SID.fullmatch(sid):  # it goes into request paths
                    raise p.SchemaError(f"{where}.sid", f"not a TaskQueue SID: {sid[:40]!r}")
                names[sid] = p.opt_text(item, "friendly_name", where) or sid
        except p.SchemaError as exc:
            raise self._bad("TaskQueues", exc) from None
        wanted = self.settings.queues
        if wanted is not None:
            missing = [q for q in wanted if q not in names]
            if missing:
                raise SourceError(
                    f"{self.name}: queue(s) {', '.join(missing)} not in workspace "
                    f"{self.settings.workspace_sid}"
                )
            names = {q: names[q] for q in wanted}
        self._queues, self._queues_at = names, now
        return names

    async def _realtime(self, sids: Sequence[str]) -> dict[str, tp.Realtime]:
        out: dict[str, tp.Realtime] = {}
        what = "TaskQueues/RealTimeStatistics"
        for start in range(0, len(sids), BULK_BATCH):
            deadline = self.http.limits.poll_deadline_s
            if not await self.bulk_budget.acquire(max_wait_s=deadline):
                raise BudgetExhausted(
                    f"{self.name}: the {BULK_RATE_PER_S:g}/s budget of {what} had no token "
                    f"within {deadline:g} s",
                    retry_after_s=self.bulk_budget.wait_s(),
                )
            answer = await self._call(
                "POST", f"{self._ws}/TaskQueues/RealTimeStatistics",
                json_body={"queueSids": list(sids[start:start + BULK_BATCH])},
            )
            try:
                data = p.obj(answer.json(), what)
                for i, raw in enumerate(p.array(data, "task_queue_data", what)):
                    where = f"task_queue_data[{start + i}]"
                    item = p.obj(raw, where)
                    out[p.text(item, "task_queue_sid", where)] = tp.queue_realtime(item, where)
            except p.SchemaError as exc:
                raise self._bad(what, exc) from None
        return out

    async def _day_figures(self, sids: Sequence[str], now: datetime) -> dict[str, QueueToday]:
        zone = self.settings.time_zone
        day = now.astimezone(zone).date()
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        keep = set(sids)
        self._today = {q: f for q, f in self._today.items() if q in keep and f.day == day}
        missing = [q for q in sids if q not in self._today]
        stale = sorted(
            (q for q in self._today if now - self._today[q].fetched_at >= TODAY_MAX_AGE),
            key=lambda q: self._today[q].fetched_at,
        )
        todo = missing[:TODAY_FILL_PER_POLL] + stale[:TODAY_REFRESH_PER_POLL]
        params = {
            "StartDate": _iso(midnight),
            "EndDate": _iso(now),
            "SplitByWaitTime": str(self.settings.sl_threshold_s),
        }
        if self.settings.task_channel is not None:
            params["TaskChannel"] = self.settings.task_channel
        for q in todo:
            what = f"TaskQueues/{q}/CumulativeStatistics"
            answer = await self._call(
                "GET", f"{self._ws}/TaskQueues/{q}/CumulativeStatistics", params=params
            )
            try:
                got = tp.queue_today(p.obj(answer.json(), what), self.settings.sl_threshold_s, what)
            except p.SchemaError as exc:
                raise self._bad(what, exc) from None
            if got.sl_estimated:
                log.info("%s: %s: SL split covers fewer reservations than accepted; "
                         "within-SL scaled", self.name, q)
            self._today[q] = _DayFigures(day, now, got.counters)
        if len(missing) > TODAY_FILL_PER_POLL:
            log.info("%s: %d queues wait for today's figures; shown from coming polls",
                     self.name, len(missing) - TODAY_FILL_PER_POLL)
        return {q: f.today for q, f in self._today.items()}

    async def _tasks_in_hand(
        self, tasks: Sequence[dict[str, Any]]
    ) -> dict[str, list[tp.InHand]]:
        held: dict[str, _HeldTask] = {}
        try:
            for i, task in enumerate(tasks):
                where = f"Tasks[{i}]"
                status = task.get("assignment_status")
                if status not in ("assigned", "wrapping"):
                    continue
                sid = p.text(task, "sid", where)
                if not tp.TASK_SID.fullmatch(sid):  # it goes into a request path
                    raise p.SchemaError(f"{where}.sid", f"not a Task SID: {sid[:40]!r}")
                held[sid] = _HeldTask(
                    sid=sid,
                    wrapping=status == "wrapping",
                    queue_id=p.text(task, "task_queue_sid", where),
                    created=p.timestamp(task, "date_created", where),
                    updated=p.opt_timestamp(task, "date_updated", where),
                )
        except p.SchemaError as exc:
            raise self._bad("Tasks", exc) from None
        self._taken = {sid: t for sid, t in self._taken.items() if sid in held}
        unknown = [sid for sid in held if sid not in self._taken]
        for sid in unknown[:RESERVATION_LOOKUPS_PER_POLL]:
            self._taken[sid] = await self._who_took(held[sid])
        out: dict[str, list[tp.InHand]] = {}
        for sid, task in held.items():
            taken = self._taken.get(sid)
            if taken is None or taken.worker_sid is None:
                continue
            out.setdefault(taken.worker_sid, []).append(tp.InHand(
                queue_id=task.queue_id,
                started_at=taken.started_at or task.created,
                wrapping=task.wrapping,
                wrapping_since=task.updated if task.wrapping else None,
            ))
        self._in_hand = out
        return out

    async def _who_took(self, task: _HeldTask) -> _Taken:
        what = f"Tasks/{task.sid}/Reservations"
        answer = await self._call(
            "GET", f"{self._ws}/Tasks/{task.sid}/Reservations", params={"PageSize": "50"},
            answers=frozenset({404}),
        )
        if answer.status == 404:
            return _Taken(None, None)  # completed between the list and this look-up
        try:
            data = p.obj(answer.json(), what)
            for i, raw in enumerate(p.array(data, "reservations", what)):
                where = f"{what}[{i}]"
                item = p.obj(raw, where)
                status = item.get("reservation_status")
                if status not in tp.TAKEN_STATUSES:
                    continue
                # An accepted reservation's last update is its acceptance; a later one
                # (wrapping, completed) only dates its creation, when the offer was made.
                when = p.opt_timestamp(
                    item, "date_updated" if status == "accepted" else "date_created", where
                )
                return _Taken(p.text(item, "worker_sid", where), when)
        except p.SchemaError as exc:
            raise self._bad(what, exc) from None
        return _Taken(None, None)

    async def _read_missing_attributes(
        self, workers: Sequence[dict[str, Any]], now: datetime
    ) -> None:
        seen: set[str] = set()
        missing: list[str] = []
        for worker in workers:
            sid = worker.get("sid")
            if not isinstance(sid, str):
                continue
            seen.add(sid)
            raw = worker.get("attributes")
            if isinstance(raw, str):
                self._attrs[sid] = _Attrs(tp.parse_attributes(raw), now)
            elif sid not in self._attrs:
                missing.append(sid)
        self._attrs = {sid: a for sid, a in self._attrs.items() if sid in seen}
        stale = sorted(
            (sid for sid, a in self._attrs.items() if now - a.read_at >= ATTRIBUTES_TTL),
            key=lambda sid: self._attrs[sid].read_at,
        )
        for sid in (missing + stale)[:ATTRIBUTE_FETCHES_PER_POLL]:
            if tp.WORKER_SID.fullmatch(sid):
                await self._read_worker(sid)

    async def _read_worker(self, sid: str) -> tuple[dict[str, Any], str | None] | None:
        """The worker resource and its ETag (None if Twilio has no such worker); caches its
        attributes."""
        answer = await self._call("GET", f"{self._ws}/Workers/{sid}", answers=frozenset({404}))
        if answer.status == 404:
            self._attrs.pop(sid, None)
            return None
        try:
            data = p.obj(answer.json(), "Worker")
        except p.SchemaError as exc:
            raise self._bad("Worker", exc) from None
        self._attrs[sid] = _Attrs(tp.parse_attributes(data.get("attributes")), self.clock())
        return data, answer.headers.get("etag")

    def _agent(
        self,
        worker: dict[str, Any],
        attrs: dict[str, Any] | None,
        tasks: Sequence[tp.InHand],
        as_of: datetime,
        where: str,
    ) -> Agent:
        try:
            sid = p.text(worker, "sid", where)
            friendly = p.opt_text(worker, "friendly_name", where) or sid
            activity = p.opt_text(worker, "activity_name", where)
            available = worker.get("available")
            hand = tp.pick_in_hand(tasks)
            state = tp.worker_state(
                activity, available if isinstance(available, bool) else None,
                self.settings.offline, hand,
            )
            contact = None
            if state.state is AgentState.ON_CONTACT and hand is not None:
                since = hand.started_at
            elif state.state is AgentState.ACW and hand is not None:
                since = hand.wrapping_since or hand.started_at
            else:
                since = (
                    p.opt_timestamp(worker, "date_status_changed", where)
                    or p.opt_timestamp(worker, "date_updated", where)
                    or p.opt_timestamp(worker, "date_created", where)
                    or as_of
                )
            if hand is not None and state.state in (AgentState.ON_CONTACT, AgentState.ACW):
                contact = Contact(queue_id=hand.queue_id, started_at=hand.started_at,
                                  sentiment=None)
        except p.SchemaError as exc:
            raise self._bad("Workers", exc) from None
        queue_ids = (
            () if attrs is None
            else tp.queue_ids_for(tp.skills_of(attrs), self.settings.queue_skills)
        )
        return Agent(
            id=sid,
            name=tp.name_of(friendly, attrs),
            team=tp.team_of(attrs),
            state=state.state,
            aux_reason=state.aux_reason,
            state_since=since,
            queue_ids=queue_ids,
            version=membership_version(queue_ids),
            contact=contact,
            today=None,
            presence=state.presence,
        )

    # --- plan, tickets ----------------------------------------------------------------------

    async def fetch_plan(self, day: date) -> DayPlan | None:
        # No interval history (one statistics call per queue per interval), but a plan with
        # no rows still lets the re-forecast run on the forecast CSV alone: ratios stay 1.
        return DayPlan(day, self.clock(), empty_forecast(), empty_actuals())

    async def fetch_tickets(self) -> None:
        return None

    # --- one agent, and the reassign write --------------------------------------------------

    def _worker_sid(self, agent_id: str) -> str:
        if not tp.WORKER_SID.fullmatch(agent_id):
            raise RejectedChange(f"{self.name}: {agent_id[:40]!r} is not a TaskRouter worker SID")
        return agent_id

    async def _worker(self, sid: str) -> tuple[dict[str, Any], str | None]:
        got = await self._read_worker(sid)
        if got is None:
            raise RejectedChange(
                f"{self.name}: no worker {sid} in workspace {self.settings.workspace_sid}"
            )
        return got

    async def fetch_agent(self, agent_id: str) -> Agent:
        sid = self._worker_sid(agent_id)
        worker, _ = await self._worker(sid)
        cached = self._attrs.get(sid)
        return self._agent(worker, None if cached is None else cached.attrs,
                           self._in_hand.get(sid, []), self.clock(), "Worker")

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        skills = self.settings.queue_skills
        wanted = list(dict.fromkeys(queues))
        for q in wanted:
            if q not in skills:
                raise RejectedChange(
                    f"{self.name}: queue {q[:40]} has no queue_skills entry in the config"
                )
        sid = self._worker_sid(agent_id)
        worker, etag = await self._worker(sid)
        raw = worker.get("attributes")
        raw = raw if isinstance(raw, str) else "{}"
        attrs = tp.parse_attributes(raw)
        if attrs is None:
            raise RejectedChange(
                f"{self.name}: worker {sid}'s attributes are not a JSON object; not rewriting them"
            )
        current = self._agent(worker, attrs, self._in_hand.get(sid, []), self.clock(), "Worker")
        if current.version != expected_version:
            raise VersionConflict(
                f"{self.name}: worker {sid}'s queues changed since they were read; "
                f"nothing was written", current,
            )
        try:
            routing = tp.new_routing(attrs, self.settings.managed_skills,
                                     [skills[q] for q in wanted])
        except tp.AttributesRefused as exc:
            raise RejectedChange(f"{self.name}: cannot change worker {sid}: {exc}") from None
        implied = set(tp.queue_ids_for(routing["skills"], skills))
        if implied != set(wanted):
            extra = ", ".join(sorted(implied ^ set(wanted)))
            raise RejectedChange(
                f"{self.name}: queue(s) {extra} share a skill in queue_skills with a requested "
                f"queue; TaskRouter cannot give the worker one without the other"
            )
        if set(current.queue_ids) == implied:
            return current
        body = tp.replace_member(raw, "routing", routing)
        return await self._write(sid, body, etag)

    async def _write(self, sid: str, attributes: str, etag: str | None) -> Agent:
        path = f"{self._ws}/Workers/{sid}"
        try:
            answer = await self.http.request(
                "POST", path, form={"Attributes": attributes},
                headers={"If-Match": etag} if etag else None,
                answers=frozenset({400, 404, 412}),
            )
        except HttpStatusError as exc:
            if exc.status in (401, 403):
                raise RejectedChange(
                    f"{self.name}: Twilio refused the change to worker {sid} "
                    f"(HTTP {exc.status}): the credentials need write access to TaskRouter "
                    f"Workers (an auth token, a Standard API key, or a Restricted key with "
                    f"TaskRouter Workers update permission)"
                ) from None
            raise
        if answer.status == 412:
            raise VersionConflict(
                f"{self.name}: worker {sid} changed while it was being written (HTTP 412); "
                f"nothing was written", await self.fetch_agent(sid),
            )
        if answer.status == 404:
            raise RejectedChange(f"{self.name}: worker {sid} no longer exists")
        if answer.status == 400:
            raise RejectedChange(
                f"{self.name}: Twilio refused worker {sid}'s new attributes (HTTP 400): "
                f"{_vendor_message(answer)}"
            )
        self._attrs.pop(sid, None)
        return await self.fetch_agent(sid)

    async def aclose(self) -> None:
        await self.http.aclose()


def _vendor_message(answer: HttpAnswer) -> str:
    try:
        data = answer.json()
    except SourceError:
        return "no reason given"
    message = data.get("message") if isinstance(data, dict) else None
    return p.text({"m": message}, "m", "error") if isinstance(message, str) else "no reason given"
