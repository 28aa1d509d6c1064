"""The `genesys` source: Genesys Cloud (Platform API v2) as a floorview telephony source.

What it reads (docs/adapters/genesys.md has the full mapping):

- queues, live: ``POST /api/v2/analytics/queues/observations/query``: oWaiting (count and
  the detail's observationDate: the oldest wait) and oInteracting (detail: which agent holds
  which queue's contact since when), filtered on the configured queues and media types.
- agents, live: ``POST /api/v2/analytics/routing/activity/query`` (paged) with oMemberUsers
  details: one entity per (agent, queue) with routingStatus, systemPresence,
  organizationPresenceId, their dates, queueMembershipStatus and teamId.
- today and interval actuals: ``POST /api/v2/analytics/conversations/aggregates/query``,
  local midnight (option ``time_zone``) to now at PT15M, at most once a minute.
- look-ups, cached for ten minutes: queue names and service-level settings
  (``GET /api/v2/routing/queues?id=``), presence labels (``GET /api/v2/presence/definitions``),
  agent names (``GET /api/v2/users?id=``, 100 a call) and team names (``GET /api/v2/teams/{id}``).

Units: every Genesys duration is milliseconds (genesys_parse.duration_s converts them all);
times are ISO 8601 and become aware UTC datetimes.

Choices where Genesys gives no figure (the model needs one):

- A configured queue absent from the observation results, or without an oWaiting count,
  has nobody waiting (observations are current counts). Its oldest wait is then 0 s, and also
  when Genesys sends a count but no detail (logged at DEBUG).
- A queue with no aggregate rows today had no contacts: its counters are 0, so our service
  level, abandon rate and AHT are None, not 0 %. A metric absent from an interval counts 0.
  An interval with answered contacts but no oServiceLevel numerator counts none within SL,
  with a WARNING in the log.
- An agent with no routingStatusDate/presenceDate/activityDate is in state since ``as_of``.
- An agent whose name lookup found nothing is shown by id; an unknown team is "".

Service level. Ours is answered_within_sl / (answered + abandoned), every abandon a miss.
answered_within_sl is oServiceLevel's numerator (answers within the queue's own threshold,
mediaSettings.<media>.serviceLevel.durationMs, which we also report as sl_threshold_s);
answered is tAnswered's count, abandoned tAbandon's. Genesys's own oServiceLevel ratio uses a
denominator that the org's analytics settings change: short abandons and all abandons may be
left out and flow-outs added, so the Genesys UI can show a higher (or lower) figure than ours.

States. IDLE -> available; INTERACTING, COMMUNICATING -> on contact (Genesys reports wrap-up
inside INTERACTING, so ACW never appears); NOT_RESPONDING -> AUX "Not responding"; OFF_QUEUE
-> offline if the system presence is Offline, else AUX with the org presence's label (Break,
Meal, ...). ``Agent.presence`` always carries the presence label, since presence and routing
status differ (an agent can be "Available" in presence and NOT_RESPONDING in routing).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx

from floorview.model import Agent, Contact, FloorSnapshot, Queue
from floorview.sources import genesys_parse as g
from floorview.sources import parse as p
from floorview.sources.base import DayPlan, RejectedChange, SourceError, VersionConflict
from floorview.sources.credentials import Secret, load_secrets
from floorview.sources.http import HttpAnswer, HttpFetcher, HttpLimits
from floorview.sources.intervals import empty_forecast
from floorview.sources.vendor import AdapterConfig, membership_version, zone_option
from floorview.text import clean_text

log = logging.getLogger(__name__)

#: Genesys allows an OAuth client 300 requests a minute by default (org.app.user.rate.per.
#: minute); 5/s would use all of it. The config's genesys default (config.KIND_DEFAULTS).
RECOMMENDED_MAX_REQUESTS_PER_S = 4.0
#: Renew a token this long before it expires (at most a tenth of its lifetime).
TOKEN_MARGIN_S = 300.0
#: Today's counters come from an aggregate query at most this often.
AGGREGATES_TTL_S = 60.0
#: Queue settings, presence labels, agent and team names are re-read after this long.
LOOKUP_TTL_S = 600.0
#: Bounds on look-ups per poll: a first poll of a large floor fills the caches over a few.
MAX_USER_BATCHES_PER_POLL = 3
MAX_TEAM_LOOKUPS_PER_POLL = 10
USER_BATCH = 100
ACTIVITY_PAGE_SIZE = 100
USER_QUEUES_PAGE_SIZE = 100
MAX_QUEUES = 100

DEFAULT_SITE = "Genesys Cloud"
DEFAULT_SL_TARGET = 0.8
DEFAULT_SL_THRESHOLD_S = 20.0
DEFAULT_MAX_PAGES = 20

# Permissions named in messages (Platform API SDK docs, "Requires ANY permissions").
PERM_OBSERVATIONS = "analytics:queueObservation:view"
PERM_AGGREGATES = "analytics:conversationAggregate:view"
PERM_QUEUES = "routing:queue:view"
PERM_PRESENCE = "presence:presenceDefinition:view"
PERM_TEAMS = "groups:team:view"
PERM_MEMBERS = "routing:queueMember:manage (or routing:queue:join)"



class AccessDenied(SourceError):
    """Genesys refused the request as such (401 with a fresh token, or 403)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class _Cached:
    value: str
    at: float


def derive_login_url(api_url: str) -> str:
    """https://api.mypurecloud.ie -> https://login.mypurecloud.ie (as the SDKs derive it)."""
    parts = urlsplit(api_url)
    host = parts.hostname or ""
    if not host.startswith("api."):
        raise ValueError(
            f"url {api_url!r}: cannot derive the login host (expected api.<region>); "
            "set login_url"
        )
    netloc = parts.netloc.replace(host, "login." + host[4:], 1)
    return urlunsplit((parts.scheme, netloc, "", "", ""))


def _base_url(value: str, key: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{key} {value!r}: expected https://host")
    path = parts.path.rstrip("/")
    # Requests go to {url}/api/v2/...: a url given with the /api/v2 suffix keeps working.
    if path.endswith("/api/v2"):
        path = path[: -len("/api/v2")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _in_clause(dimension: str, values: Iterable[str]) -> dict[str, Any]:
    return {
        "type": "or",
        "predicates": [
            {"type": "dimension", "dimension": dimension, "operator": "matches", "value": v}
            for v in values
        ],
    }


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _vendor_message(answer: HttpAnswer) -> str:
    """Genesys's ErrorBody.message, for a refused write, cleaned and short."""
    try:
        data = answer.json()
    except SourceError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return clean_text(message)[:200] if isinstance(message, str) else ""


class GenesysSource:
    """Polls one Genesys Cloud org for the configured queues and their members."""

    def __init__(
        self,
        name: str,
        *,
        api_url: str,
        login_url: str,
        queues: Sequence[str],
        queue_media: Mapping[str, str],
        client_id: Secret,
        client_secret: Secret,
        time_zone: ZoneInfo,
        site: str = DEFAULT_SITE,
        sl_target: float = DEFAULT_SL_TARGET,
        sl_threshold_s: float = DEFAULT_SL_THRESHOLD_S,
        locale: str = "en_US",
        max_pages: int = DEFAULT_MAX_PAGES,
        limits: HttpLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.name = name
        self.http = HttpFetcher(name, api_url, limits=limits, transport=transport)
        self._token_url = login_url.rstrip("/") + "/oauth/token"
        self._queues = tuple(queues)
        self._queue_media = dict(queue_media)
        self._client_id = client_id
        self._client_secret = client_secret
        self._tz = time_zone
        self._site = site
        self._sl_target = sl_target
        self._sl_threshold_s = sl_threshold_s
        self._locale = locale
        self._max_pages = max_pages
        self._monotonic = monotonic
        self._now = now or (lambda: datetime.now(UTC))
        # Only one token request at a time: concurrent callers wait for it and share it.
        self._token_lock = asyncio.Lock()
        self._token: Secret | None = None
        self._token_renew_at = 0.0
        self._queue_config: dict[str, g.QueueConfig] = {}
        self._queue_config_at: float | None = None
        self._presence: dict[str, str] = {}
        self._presence_at: float | None = None
        self._names: dict[str, _Cached] = {}
        self._teams: dict[str, _Cached] = {}
        self._teams_denied = False
        self._today: tuple[date, float, dict[str, list[g.IntervalActual]]] | None = None
        self._past_days: dict[date, dict[str, list[g.IntervalActual]]] = {}

    # --- auth ---------------------------------------------------------------------------------

    def _token_fresh(self) -> bool:
        return self._token is not None and self._monotonic() < self._token_renew_at

    async def _bearer(self) -> Secret:
        if self._token_fresh():
            assert self._token is not None
            return self._token
        async with self._token_lock:
            if self._token_fresh():  # another caller renewed it while we waited
                assert self._token is not None
                return self._token
            return await self._login()

    async def _renew(self, stale: Secret) -> Secret:
        """A new token after ``stale`` was refused, unless another caller already got one."""
        async with self._token_lock:
            if self._token is not None and self._token is not stale and self._token_fresh():
                return self._token
            self._token = None
            return await self._login()

    async def _login(self) -> Secret:
        pair = f"{self._client_id.reveal()}:{self._client_secret.reveal()}".encode()
        # The secret goes in the Authorization header only, never in the URL (httpx logs
        # request URLs) or the form body.
        answer = await self.http.request(
            "POST",
            self._token_url,
            form={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")},
            answers=frozenset({400, 401, 403}),
        )
        if answer.status != 200:
            raise SourceError(
                f"{self.name}: login failed (HTTP {answer.status}): check client_id/client_secret"
            )
        data = answer.json()
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceError(f"{self.name}: login answered without an access_token")
        expires_in = data.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or (
            expires_in <= 0
        ):
            expires_in = 3600.0  # not stated: assume an hour, and a 401 renews it anyway
        margin = min(TOKEN_MARGIN_S, float(expires_in) * 0.1)
        self._token = Secret(token)
        self._token_renew_at = self._monotonic() + float(expires_in) - margin
        log.debug("%s: new access token, renewing in %.0f s", self.name, expires_in - margin)
        return self._token

    async def _api(
        self,
        method: str,
        path: str,
        *,
        what: str,
        permission: str,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        answers: frozenset[int] = frozenset(),
    ) -> HttpAnswer:
        """One API call with the bearer token: a 401 renews the token once and retries once."""
        token = await self._bearer()
        allowed = answers | {401, 403}
        answer = await self.http.request(
            method, path, params=params, json_body=json_body,
            headers={"Authorization": f"Bearer {token.reveal()}"}, answers=allowed,
        )
        if answer.status == 401:
            token = await self._renew(token)
            answer = await self.http.request(
                method, path, params=params, json_body=json_body,
                headers={"Authorization": f"Bearer {token.reveal()}"}, answers=allowed,
            )
            if answer.status == 401:
                raise AccessDenied(
                    f"{self.name}: {what} refused a fresh token (HTTP 401); check the OAuth "
                    "client is active and has a role",
                    status=401,
                )
        if answer.status == 403 and 403 not in answers:
            raise AccessDenied(
                f"{self.name}: {what} refused (HTTP 403): the OAuth client's role needs "
                f"{permission}",
                status=403,
            )
        return answer

    async def _api_json(self, method: str, path: str, *, what: str, permission: str,
                        params: Mapping[str, str] | None = None, json_body: Any = None) -> Any:
        return (await self._api(method, path, what=what, permission=permission, params=params,
                                json_body=json_body)).json()

    def _schema(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except p.SchemaError as exc:
            raise SourceError(f"{self.name}: {exc}") from None

    # --- cached look-ups ----------------------------------------------------------------------

    def _expired(self, at: float | None) -> bool:
        return at is None or self._monotonic() - at >= LOOKUP_TTL_S

    async def _ensure_queue_config(self) -> None:
        if not self._expired(self._queue_config_at):
            return
        query = urlencode([("pageSize", str(MAX_QUEUES)), *[("id", q) for q in self._queues]])
        data = await self._api_json("GET", f"/api/v2/routing/queues?{query}",
                                    what="GET /api/v2/routing/queues", permission=PERM_QUEUES)
        config = self._schema(lambda: g.parse_queues(data, self._queue_media))
        missing = [q for q in self._queues if q not in config]
        if missing:
            raise SourceError(
                f"{self.name}: queue {missing[0]!r} not found in Genesys (check the queues "
                "option and the OAuth client's division access)"
            )
        self._queue_config, self._queue_config_at = config, self._monotonic()

    async def _ensure_presence(self) -> None:
        if not self._expired(self._presence_at):
            return
        data = await self._api_json("GET", "/api/v2/presence/definitions",
                                    what="GET /api/v2/presence/definitions",
                                    permission=PERM_PRESENCE)
        self._presence = self._schema(lambda: g.parse_presence_definitions(data, self._locale))
        self._presence_at = self._monotonic()

    async def _ensure_names(self, user_ids: Iterable[str], team_ids: Iterable[str]) -> None:
        now = self._monotonic()
        stale_users = sorted(
            u for u in set(user_ids)
            if u not in self._names or now - self._names[u].at >= LOOKUP_TTL_S
        )
        # Users never looked up first: a stale name is still a name.
        stale_users.sort(key=lambda u: u in self._names)
        batches = [stale_users[i:i + USER_BATCH] for i in range(0, len(stale_users), USER_BATCH)]
        for batch in batches[:MAX_USER_BATCHES_PER_POLL]:
            query = urlencode([("pageSize", str(USER_BATCH)), ("state", "any"),
                               *[("id", u) for u in batch]])
            data = await self._api_json("GET", f"/api/v2/users?{query}",
                                        what="GET /api/v2/users",
                                        permission="access to the agents' division")
            found = self._schema(lambda d=data: g.parse_names(d, "users"))
            for user in batch:
                # Not returned (deleted, other division): shown by id until the next refresh.
                self._names[user] = _Cached(found.get(user, ""), now)
        if self._teams_denied:
            return
        stale_teams = [
            t for t in sorted(set(team_ids))
            if t not in self._teams or now - self._teams[t].at >= LOOKUP_TTL_S
        ]
        stale_teams.sort(key=lambda t: t in self._teams)
        for team_id in stale_teams[:MAX_TEAM_LOOKUPS_PER_POLL]:
            try:
                answer = await self._api(
                    "GET", f"/api/v2/teams/{quote(team_id, safe='')}",
                    what="GET /api/v2/teams/{id}", permission=PERM_TEAMS,
                    answers=frozenset({404}),
                )
            except AccessDenied as exc:
                if exc.status != 403:
                    raise
                # Team names are a label, not a figure: the floor goes on without them.
                log.warning("%s; teams are shown empty", exc)
                self._teams_denied = True
                return
            name = ""
            if answer.status == 200:
                team = answer.json()
                if isinstance(team, dict) and isinstance(team.get("name"), str):
                    name = clean_text(team["name"])
            self._teams[team_id] = _Cached(name, now)

    # --- queries ------------------------------------------------------------------------------

    async def _observations(self) -> tuple[dict[str, g.QueueLive], dict[str, Contact]]:
        body = {
            "filter": {
                "type": "and",
                "clauses": [
                    _in_clause("queueId", self._queues),
                    _in_clause("mediaType", sorted(set(self._queue_media.values()))),
                ],
            },
            "metrics": ["oWaiting", "oInteracting"],
            "detailMetrics": ["oWaiting", "oInteracting"],
        }
        data = await self._api_json("POST", "/api/v2/analytics/queues/observations/query",
                                    what="queue observations", permission=PERM_OBSERVATIONS,
                                    json_body=body)
        return self._schema(lambda: g.parse_observations(data, self._queue_media))

    async def _activity(self, user_id: str | None = None) -> list[g.ActivityEntity]:
        queue_clause = _in_clause("queueId", self._queues)
        if user_id is None:
            filt: dict[str, Any] = queue_clause
        else:
            filt = {"type": "and", "clauses": [queue_clause],
                    "predicates": [{"type": "dimension", "dimension": "userId",
                                    "operator": "matches", "value": user_id}]}
        body = {
            "metrics": [{"metric": "oMemberUsers", "details": True}],
            "groupBy": ["queueId"],
            "filter": filt,
        }
        entities: list[g.ActivityEntity] = []
        for page in range(1, self._max_pages + 1):
            data = await self._api_json(
                "POST", "/api/v2/analytics/routing/activity/query",
                params={"pageSize": str(ACTIVITY_PAGE_SIZE), "pageNumber": str(page)},
                what="routing activity", permission=PERM_OBSERVATIONS, json_body=body,
            )
            got, seen, truncated = self._schema(lambda d=data: g.parse_activity(d))
            if truncated:
                log.warning("%s: routing activity page %d was truncated by Genesys", self.name,
                            page)
            entities.extend(got)
            # Whether Genesys pages each group or the whole answer, a page short of
            # pageSize entities is the last one.
            if seen < ACTIVITY_PAGE_SIZE:
                return entities
        raise SourceError(
            f"{self.name}: routing activity has more than {self._max_pages} pages of "
            f"{ACTIVITY_PAGE_SIZE} agents; raise max_pages"
        )

    def _day_window(self, day: date, as_of: datetime) -> tuple[datetime, datetime]:
        start = datetime.combine(day, datetime.min.time(), self._tz)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), self._tz)
        return start, min(end, as_of.replace(microsecond=0))

    async def _aggregates(self, day: date, as_of: datetime) -> dict[str, list[g.IntervalActual]]:
        start, end = self._day_window(day, as_of)
        if end <= start:
            return {}
        body = {
            "interval": f"{_utc_text(start)}/{_utc_text(end)}",
            "granularity": "PT15M",
            "timeZone": self._tz.key,
            "groupBy": ["queueId", "mediaType"],
            "filter": {
                "type": "and",
                "clauses": [
                    _in_clause("queueId", self._queues),
                    _in_clause("mediaType", sorted(set(self._queue_media.values()))),
                ],
            },
            "metrics": ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel"],
        }
        data = await self._api_json("POST", "/api/v2/analytics/conversations/aggregates/query",
                                    what="conversation aggregates", permission=PERM_AGGREGATES,
                                    json_body=body)
        return self._schema(lambda: g.parse_aggregates(data, self._queue_media))

    async def _today_rows(self, as_of: datetime) -> dict[str, list[g.IntervalActual]]:
        day = as_of.astimezone(self._tz).date()
        cached = self._today
        if cached is not None and cached[0] == day and (
            self._monotonic() - cached[1] < AGGREGATES_TTL_S
        ):
            return cached[2]
        rows = await self._aggregates(day, as_of)
        self._today = (day, self._monotonic(), rows)
        return rows

    # --- Source -------------------------------------------------------------------------------

    async def fetch_floor(self) -> FloorSnapshot:
        as_of = self._now()
        await self._ensure_queue_config()
        await self._ensure_presence()
        live, contacts = await self._observations()
        entities = await self._activity()
        today = await self._today_rows(as_of)
        by_user = g.group_entities(entities)
        await self._ensure_names(by_user, (e.team_id for e in entities if e.team_id))
        queues = tuple(self._queue(q, live.get(q), today.get(q, []), as_of)
                       for q in self._queues)
        names, teams = self._name_maps()
        agents = tuple(
            g.build_agent(user, ents, queue_order=self._queues, joined=None, names=names,
                          teams=teams, presence_labels=self._presence, contacts=contacts,
                          as_of=as_of)
            for user, ents in by_user.items()
        )
        agents = tuple(sorted(agents, key=lambda a: (a.name.casefold(), a.id)))
        return FloorSnapshot(source=self.name, as_of=as_of, site=self._site, queues=queues,
                             agents=agents)

    def _queue(self, queue_id: str, live: g.QueueLive | None,
               rows: Sequence[g.IntervalActual], as_of: datetime) -> Queue:
        config = self._queue_config[queue_id]
        waiting = live.waiting if live is not None else 0
        oldest_wait_s = 0.0
        if live is not None and live.oldest_since is not None and waiting:
            oldest_wait_s = max(0.0, (as_of - live.oldest_since).total_seconds())
        elif waiting:
            log.debug("%s: %s has %d waiting but no oWaiting detail", self.name, queue_id,
                      waiting)
        return Queue(
            id=queue_id,
            name=config.name,
            channel=g.MEDIA_CHANNELS[self._queue_media[queue_id]],
            sl_threshold_s=config.sl_threshold_s if config.sl_threshold_s is not None
            else self._sl_threshold_s,
            sl_target=config.sl_target if config.sl_target is not None else self._sl_target,
            waiting=waiting,
            oldest_wait_s=oldest_wait_s,
            today=g.today_totals(rows),
        )

    def _name_maps(self) -> tuple[dict[str, str], dict[str, str]]:
        return ({u: c.value for u, c in self._names.items()},
                {t: c.value for t, c in self._teams.items()})

    async def fetch_plan(self, day: date) -> DayPlan | None:
        as_of = self._now()
        today = as_of.astimezone(self._tz).date()
        if day == today:
            rows = await self._today_rows(as_of)
        elif day < today:
            if day not in self._past_days:
                if len(self._past_days) >= 7:
                    self._past_days.pop(next(iter(self._past_days)))
                self._past_days[day] = await self._aggregates(day, as_of)
            rows = self._past_days[day]
        else:
            rows = {}
        # Typed even with no rows: the re-forecast reads start with .dt.
        return DayPlan(day, as_of, empty_forecast(), g.actuals_frame(rows))

    async def _joined_queues(self, agent_id: str, joined: bool) -> dict[str, bool]:
        """The agent's queue memberships (GET /api/v2/users/{id}/queues, paged), all of them,
        with joined=true or joined=false."""
        path = f"/api/v2/users/{quote(agent_id, safe='')}/queues"
        out: dict[str, bool] = {}
        for page in range(1, self._max_pages + 1):
            answer = await self._api(
                "GET", path, what="GET /api/v2/users/{id}/queues", permission=PERM_MEMBERS,
                params={"pageSize": str(USER_QUEUES_PAGE_SIZE), "pageNumber": str(page),
                        "joined": "true" if joined else "false"},
                answers=frozenset({404}),
            )
            if answer.status == 404:
                raise RejectedChange(f"{self.name}: no agent {agent_id!r} in Genesys")
            data = answer.json()
            got, pages = self._schema(lambda d=data: g.parse_user_queues(d))
            for queue_id, flag in got.items():
                out[queue_id] = flag and joined
            if not got or len(got) < USER_QUEUES_PAGE_SIZE or (
                pages is not None and page >= pages
            ):
                return out
        raise SourceError(f"{self.name}: agent {agent_id!r} has more than {self._max_pages} "
                          "pages of queues")

    def _joined_ids(self, memberships: Mapping[str, bool]) -> tuple[str, ...]:
        return tuple(q for q in self._queues if memberships.get(q))

    async def _read_agent(self, agent_id: str, joined: Sequence[str]) -> Agent:
        await self._ensure_queue_config()
        await self._ensure_presence()
        entities = await self._activity(agent_id)
        mine = [e for e in entities if e.user_id == agent_id]
        if not mine:
            raise RejectedChange(
                f"{self.name}: agent {agent_id!r} is not a member of any of this source's queues"
            )
        await self._ensure_names([agent_id], [e.team_id for e in mine if e.team_id])
        names, teams = self._name_maps()
        # No contact: the re-read asks no observation query; the next poll shows it again.
        return g.build_agent(agent_id, mine, queue_order=self._queues, joined=joined,
                             names=names, teams=teams, presence_labels=self._presence,
                             contacts={}, as_of=self._now())

    async def fetch_agent(self, agent_id: str) -> Agent:
        joined = self._joined_ids(await self._joined_queues(agent_id, joined=True))
        return await self._read_agent(agent_id, joined)

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        unknown = [q for q in queues if q not in self._queue_media]
        if unknown:
            raise RejectedChange(f"{self.name}: {unknown[0]!r} is not one of this source's queues")
        joined = self._joined_ids(await self._joined_queues(agent_id, joined=True))
        if membership_version(joined) != expected_version:
            current = await self._read_agent(agent_id, joined)
            raise VersionConflict(
                f"{self.name}: agent {agent_id!r} changed since it was read "
                f"(version {expected_version} expected)",
                current,
            )
        want = set(queues)
        to_join = [q for q in self._queues if q in want and q not in joined]
        to_leave = [q for q in joined if q not in want]
        if to_join:
            members = await self._joined_queues(agent_id, joined=False)
            outside = [q for q in to_join if q not in members]
            if outside:
                names = ", ".join(self._queue_label(q) for q in outside)
                raise RejectedChange(
                    f"{self.name}: agent {agent_id!r} is not a member of {names}; Genesys lets "
                    "an agent join only queues they belong to: add the membership in Genesys "
                    "Admin > Queues > Members"
                )
        body = [{"id": q, "joined": True} for q in to_join] + [
            {"id": q, "joined": False} for q in to_leave
        ]
        if body:
            await self._write_memberships(agent_id, body)
        return await self._read_agent(agent_id, self._ordered(want))

    def _ordered(self, queue_ids: Iterable[str]) -> tuple[str, ...]:
        wanted = set(queue_ids)
        return tuple(q for q in self._queues if q in wanted)

    def _queue_label(self, queue_id: str) -> str:
        config = self._queue_config.get(queue_id)
        return f"{config.name!r} ({queue_id})" if config else repr(queue_id)

    async def _write_memberships(self, agent_id: str, body: list[dict[str, Any]]) -> None:
        what = "PATCH /api/v2/users/{id}/queues"
        try:
            answer = await self._api(
                "PATCH", f"/api/v2/users/{quote(agent_id, safe='')}/queues",
                what=what, permission=PERM_MEMBERS, json_body=body,
                answers=frozenset({202, 204, 400, 404, 409, 422}),
            )
        except AccessDenied as exc:
            raise RejectedChange(
                f"{self.name}: {what} refused (HTTP {exc.status}): the OAuth client's role "
                f"needs {PERM_MEMBERS}"
            ) from None
        if answer.status not in (200, 202, 204):
            detail = _vendor_message(answer)
            raise RejectedChange(
                f"{self.name}: Genesys refused the queue change for agent {agent_id!r} "
                f"(HTTP {answer.status})" + (f": {detail}" if detail else "")
            )

    async def fetch_tickets(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.http.aclose()


# --- config ---------------------------------------------------------------------------------


def _str_opt(config: AdapterConfig, key: str, default: str | None = None) -> str | None:
    value = config.opt(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{key}: expected a non-empty string")
    return value.strip() if isinstance(value, str) else None


def _number_opt(config: AdapterConfig, key: str, default: float, lo: float, hi: float) -> float:
    value = config.opt(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValueError(f"{key}: expected a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def _table(value: Any, key: str) -> dict[str, Any]:
    """A TOML table, as a mapping or as the config layer's frozen tuple of pairs."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | list) and all(
        isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[0], str)
        for pair in value
    ):
        return dict(value)
    raise ValueError(f"{key}: expected a table of queue id = media type")


def _media_opt(value: Any, key: str) -> str:
    if not isinstance(value, str) or value not in g.MEDIA_CHANNELS:
        allowed = ", ".join(g.MEDIA_CHANNELS)
        raise ValueError(f"{key}: {value!r} is not one of {allowed}")
    return value


def from_config(
    config: AdapterConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] | None = None,
) -> GenesysSource:
    url = config.url or _str_opt(config, "url")
    if not url:
        raise ValueError("url: required (the API base, e.g. https://api.mypurecloud.ie)")
    api_url = _base_url(url, "url")
    login_opt = _str_opt(config, "login_url")
    login_url = _base_url(login_opt, "login_url") if login_opt else derive_login_url(api_url)

    queues = config.opt("queues")
    if not isinstance(queues, list | tuple) or not queues or not all(
        isinstance(q, str) and q.strip() for q in queues
    ):
        raise ValueError("queues: required, a list of Genesys queue ids")
    queues = list(dict.fromkeys(q.strip() for q in queues))
    if len(queues) > MAX_QUEUES:
        raise ValueError(f"queues: at most {MAX_QUEUES} queues per source")
    media = _media_opt(config.opt("media_type", "voice"), "media_type")
    per_queue = _table(config.opt("queue_media"), "queue_media")
    for queue_id in per_queue:
        if queue_id not in queues:
            raise ValueError(f"queue_media: {queue_id!r} is not in queues")
    queue_media = {q: _media_opt(per_queue.get(q, media), f"queue_media.{q}") for q in queues}

    zone = zone_option(config)
    max_pages = config.opt("max_pages", DEFAULT_MAX_PAGES)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or not 1 <= max_pages <= 1000:
        raise ValueError(f"max_pages: expected a whole number from 1 to 1000, got {max_pages!r}")

    secrets = load_secrets(config.name, ["client_id", "client_secret"], config.options,
                           environ=config.environ)
    # The budget is the config's (its genesys default is RECOMMENDED_MAX_REQUESTS_PER_S).
    return GenesysSource(
        config.name,
        api_url=api_url,
        login_url=login_url,
        queues=queues,
        queue_media=queue_media,
        client_id=secrets["client_id"],
        client_secret=secrets["client_secret"],
        time_zone=zone,
        site=_str_opt(config, "site", DEFAULT_SITE) or DEFAULT_SITE,
        sl_target=_number_opt(config, "sl_target", DEFAULT_SL_TARGET, 0.0, 1.0),
        sl_threshold_s=_number_opt(config, "sl_threshold_s", DEFAULT_SL_THRESHOLD_S, 1.0, 3600.0),
        locale=_str_opt(config, "locale", "en_US") or "en_US",
        max_pages=max_pages,
        limits=config.limits,
        transport=transport,
        monotonic=monotonic,
        now=now,
    )
