"""The Genesys Cloud adapter against a fake Platform API (httpx.MockTransport).

Payload shapes (tests/data/vendors/genesys/*.json) follow the Platform API SDK models in
MyPureCloud/platform-client-sdk-python, build/docs/:

- token.json, token_error.json: the client-credentials answer of POST https://login.{region}
  /oauth/token (the SDK's ApiClient.get_client_credentials_token reads access_token; the
  error is the OAuth 2.0 error object, RFC 6749 §5.2).
- error_401.json, error_403.json: ErrorBody.md (message, code, status, contextId, details).
- queues.json: QueueEntityListing.md of Queue.md; mediaSettings is QueueMediaSettings.md,
  each MediaSettings.md with serviceLevel = ServiceLevel.md {percentage 0..1, durationMs}.
- presence_definitions.json: OrganizationPresenceDefinitionEntityListing.md of
  OrganizationPresenceDefinition.md (languageLabels, systemPresence).
- observations.json: QueueObservationQueryResponse.md -> QueueObservationDataContainer.md
  {group, data} -> ObservationMetricData.md {metric, stats, truncated, observations} ->
  ObservationValue.md {observationDate, conversationId, userId, ...}; StatisticalSummary.md.
- routing_activity.json: RoutingActivityResponse.md -> RoutingActivityData.md {group, data,
  truncated, entities} -> RoutingActivityEntityData.md and RoutingActivityMetricValue.md.
- users.json: UserEntityListing.md of User.md; team_*.json: Team.md.
- aggregates.json: ConversationAggregateQueryResponse -> ConversationAggregateDataContainer.md
  {group, data} -> StatisticalResponse.md {interval, metrics} -> AggregateMetricData
  {metric, stats: StatisticalSummary.md}. Durations (tAnswered, tAbandon, tHandle) are ms.
- user_queues_*.json: UserQueueEntityListing.md of UserQueue.md (joined flag).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from floorview.model import AgentState, Channel
from floorview.sources import genesys, genesys_parse
from floorview.sources.base import RejectedChange, SourceError, VersionConflict
from floorview.sources.credentials import CredentialError
from floorview.sources.http import HttpLimits, HttpStatusError
from floorview.sources.intervals import ACTUAL_FIELDS
from floorview.sources.vendor import AdapterConfig, membership_version

DATA = Path(__file__).parent / "data" / "vendors" / "genesys"
AS_OF = datetime(2026, 5, 14, 10, 15, tzinfo=UTC)
CLIENT_ID = "3f1d2c4b-client"
CLIENT_SECRET = "s3cr3t-Value-42"
API = "https://api.mypurecloud.ie"
LOGIN_HOST = "login.mypurecloud.ie"
FAST = HttpLimits(max_requests_per_s=10_000, burst=10_000)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


Handler = Callable[[httpx.Request], httpx.Response]


class FakeGenesys:
    """Issues tokens, checks bearer tokens, answers with the recorded payloads."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.valid: set[str] = set()
        self.issued = 0
        self.expires_in = 86399
        self.overrides: dict[tuple[str, str], Handler] = {}
        self.activity = load("routing_activity.json")
        self.joined: dict[str, Any] = {"u-ben": load("user_queues_joined.json")}
        self.unjoined: dict[str, Any] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key in self.overrides:
            return self.overrides[key](request)
        if request.url.host == LOGIN_HOST and key == ("POST", "/oauth/token"):
            return self.token(request)
        assert request.url.host == "api.mypurecloud.ie", request.url
        bearer = request.headers.get("authorization", "")
        if not bearer.startswith("Bearer ") or bearer[7:] not in self.valid:
            return httpx.Response(401, json=load("error_401.json"))
        return self.route(request)

    def token(self, request: httpx.Request) -> httpx.Response:
        self.issued += 1
        token = f"tok-{self.issued}"
        self.valid.add(token)
        body = load("token.json")
        body.update(access_token=token, expires_in=self.expires_in)
        return httpx.Response(200, json=body)

    def route(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        if (method, path) == ("GET", "/api/v2/routing/queues"):
            return httpx.Response(200, json=load("queues.json"))
        if (method, path) == ("GET", "/api/v2/presence/definitions"):
            return httpx.Response(200, json=load("presence_definitions.json"))
        if (method, path) == ("POST", "/api/v2/analytics/queues/observations/query"):
            return httpx.Response(200, json=load("observations.json"))
        if (method, path) == ("POST", "/api/v2/analytics/routing/activity/query"):
            return httpx.Response(200, json=self.filtered_activity(request))
        if (method, path) == ("POST", "/api/v2/analytics/conversations/aggregates/query"):
            return httpx.Response(200, json=load("aggregates.json"))
        if (method, path) == ("GET", "/api/v2/users"):
            wanted = set(request.url.params.get_list("id"))
            users = load("users.json")
            users["entities"] = [u for u in users["entities"] if u["id"] in wanted]
            return httpx.Response(200, json=users)
        if method == "GET" and path.startswith("/api/v2/teams/"):
            team = DATA / f"team_{path.rsplit('/', 1)[1]}.json"
            if not team.exists():
                return httpx.Response(404, json={"message": "team not found", "status": 404})
            return httpx.Response(200, json=json.loads(team.read_text()))
        if method == "GET" and path.startswith("/api/v2/users/") and path.endswith("/queues"):
            user = path.split("/")[4]
            joined = request.url.params["joined"] == "true"
            listing = (self.joined if joined else self.unjoined).get(user)
            if listing is None:
                if user.startswith("u-"):
                    return httpx.Response(200, json={"entities": [], "pageCount": 0})
                return httpx.Response(404, json={"message": "user not found", "status": 404})
            return httpx.Response(200, json=listing)
        if method == "PATCH" and path.startswith("/api/v2/users/") and path.endswith("/queues"):
            return httpx.Response(200, json={"entities": json.loads(request.content)})
        raise AssertionError(f"unexpected request {method} {request.url}")

    def filtered_activity(self, request: httpx.Request) -> Any:
        body = json.loads(request.content)
        users = [
            pr["value"] for pr in body["filter"].get("predicates", [])
            if pr["dimension"] == "userId"
        ]
        data = copy.deepcopy(self.activity)
        if users:
            for result in data["results"]:
                result["entities"] = [e for e in result["entities"] if e["userId"] in users]
        return data

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


def make_source(
    fake: FakeGenesys,
    clock: Clock | None = None,
    *,
    options: dict[str, Any] | None = None,
    secret: str = CLIENT_SECRET,
    now: Callable[[], datetime] = lambda: AS_OF,
    limits: HttpLimits = FAST,
) -> genesys.GenesysSource:
    opts: dict[str, Any] = {
        "queues": ["q-billing", "q-chat"],
        "queue_media": {"q-chat": "chat"},
        "time_zone": "Europe/Dublin",
        "client_id_env": "GC_ID",
        "client_secret_env": "GC_SECRET",
    }
    opts.update(options or {})
    config = AdapterConfig(name="genesys", url=API, options=opts, limits=limits,
                           environ={"GC_ID": CLIENT_ID, "GC_SECRET": secret})
    return genesys.from_config(config, transport=httpx.MockTransport(fake),
                               monotonic=clock or Clock(), now=now)


TOKEN = ("POST", "/oauth/token")
OBS = ("POST", "/api/v2/analytics/queues/observations/query")
ACTIVITY = ("POST", "/api/v2/analytics/routing/activity/query")
AGGREGATES = ("POST", "/api/v2/analytics/conversations/aggregates/query")


# --- OAuth --------------------------------------------------------------------------------------


async def test_token_request_is_basic_auth_with_a_form_body() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    await source.fetch_floor()
    [token] = fake.calls(*TOKEN)
    assert token.url == httpx.URL(f"https://{LOGIN_HOST}/oauth/token")
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token.headers["authorization"] == f"Basic {expected}"
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token.content.decode()) == {"grant_type": ["client_credentials"]}
    assert CLIENT_SECRET not in str(token.url)
    # Every API call carries the bearer token, never the client secret.
    for request in fake.requests[1:]:
        assert request.headers["authorization"] == "Bearer tok-1"
    await source.aclose()


async def test_login_url_is_derived_from_the_api_host_or_given() -> None:
    assert genesys.derive_login_url("https://api.mypurecloud.ie") == "https://login.mypurecloud.ie"
    assert genesys.derive_login_url("https://api.usw2.pure.cloud/") == "https://login.usw2.pure.cloud"
    with pytest.raises(ValueError, match="set login_url"):
        genesys.derive_login_url("https://gateway.example.com")
    fake = FakeGenesys()
    fake.overrides[("POST", "/custom/oauth/token")] = fake.token
    source = make_source(fake, options={"login_url": "https://sso.example.com/custom"})
    await source.fetch_floor()
    assert fake.calls("POST", "/custom/oauth/token")[0].url.host == "sso.example.com"


async def test_token_is_reused_across_polls() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    await source.fetch_floor()
    await source.fetch_floor()
    assert len(fake.calls(*TOKEN)) == 1
    assert len(fake.calls(*OBS)) == 2


async def test_token_is_renewed_before_it_expires() -> None:
    fake = FakeGenesys()
    fake.expires_in = 600  # margin: a tenth, 60 s
    clock = Clock()
    source = make_source(fake, clock)
    await source.fetch_floor()
    clock.t += 530
    await source.fetch_floor()
    assert len(fake.calls(*TOKEN)) == 1
    clock.t += 15  # 545 s after issue: inside the margin, still valid on the server
    await source.fetch_floor()
    assert len(fake.calls(*TOKEN)) == 2
    assert fake.calls(*OBS)[-1].headers["authorization"] == "Bearer tok-2"


async def test_concurrent_callers_share_one_token_request() -> None:
    fake = FakeGenesys()

    async def slow_token(request: httpx.Request) -> httpx.Response:
        # A real login takes a while: the other callers must wait for it, not start their own.
        await asyncio.sleep(0.05)
        return fake.token(request)

    fake.overrides[TOKEN] = slow_token  # type: ignore[assignment]
    source = make_source(fake)
    await asyncio.gather(source.fetch_floor(), source.fetch_floor(), source.fetch_floor())
    assert len(fake.calls(*TOKEN)) == 1
    assert len(fake.calls(*OBS)) == 3


async def test_a_401_renews_the_token_once_and_retries_the_call() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    await source.fetch_floor()
    fake.valid.clear()  # the server revoked tok-1 early
    snap = await source.fetch_floor()
    assert len(fake.calls(*TOKEN)) == 2
    # The refused request (the second poll's first call) is retried once, with the new token.
    obs_calls = fake.calls(*OBS)
    assert [r.headers["authorization"] for r in obs_calls] == ["Bearer tok-1", "Bearer tok-1",
                                                               "Bearer tok-2"]
    assert obs_calls[1].content == obs_calls[2].content
    assert snap.queue_by_id["q-billing"].waiting == 3


async def test_a_second_401_is_a_source_error() -> None:
    fake = FakeGenesys()
    fake.overrides[OBS] = lambda r: httpx.Response(401, json=load("error_401.json"))
    source = make_source(fake)
    with pytest.raises(SourceError, match=r"genesys: queue observations refused a fresh token \(HTTP 401\)"):
        await source.fetch_floor()
    assert len(fake.calls(*TOKEN)) == 2
    assert len(fake.calls(*OBS)) == 2


async def test_a_failed_login_says_so_without_the_secret() -> None:
    fake = FakeGenesys()
    fake.overrides[TOKEN] = lambda r: httpx.Response(401, json=load("token_error.json"))
    source = make_source(fake)
    with pytest.raises(SourceError) as info:
        await source.fetch_floor()
    assert str(info.value) == "genesys: login failed (HTTP 401): check client_id/client_secret"
    assert CLIENT_SECRET not in str(info.value)
    # No API call was tried without a token.
    assert all(r.url.host == LOGIN_HOST for r in fake.requests)


# --- failures -----------------------------------------------------------------------------------


async def test_429_passes_retry_after_to_the_feed() -> None:
    fake = FakeGenesys()
    fake.overrides[OBS] = lambda r: httpx.Response(
        429, headers={"Retry-After": "7"}, json={"message": "Rate limit exceeded", "status": 429})
    source = make_source(fake)
    with pytest.raises(HttpStatusError) as info:
        await source.fetch_floor()
    assert isinstance(info.value, SourceError)
    assert info.value.status == 429 and info.value.retry_after_s == 7.0
    assert "/api/v2/analytics/queues/observations/query answered HTTP 429" in str(info.value)


async def test_429_on_login_is_passed_on_too() -> None:
    fake = FakeGenesys()
    fake.overrides[TOKEN] = lambda r: httpx.Response(429, headers={"Retry-After": "30"})
    source = make_source(fake)
    with pytest.raises(SourceError) as info:
        await source.fetch_floor()
    assert info.value.retry_after_s == 30.0


async def test_5xx_is_a_source_error_naming_the_call() -> None:
    fake = FakeGenesys()
    fake.overrides[ACTIVITY] = lambda r: httpx.Response(503, json={"status": 503})
    source = make_source(fake)
    with pytest.raises(HttpStatusError) as info:
        await source.fetch_floor()
    assert info.value.status == 503 and info.value.retry_after_s is None
    assert str(info.value) == (
        "genesys: /api/v2/analytics/routing/activity/query answered HTTP 503")


async def test_403_names_the_missing_permission() -> None:
    fake = FakeGenesys()
    fake.overrides[AGGREGATES] = lambda r: httpx.Response(403, json=load("error_403.json"))
    source = make_source(fake)
    with pytest.raises(SourceError, match="analytics:conversationAggregate:view"):
        await source.fetch_floor()


async def test_an_unknown_queue_is_an_error_naming_it() -> None:
    fake = FakeGenesys()
    source = make_source(fake, options={"queues": ["q-billing", "q-gone"], "queue_media": {}})
    with pytest.raises(SourceError, match="queue 'q-gone' not found"):
        await source.fetch_floor()


# --- the floor ----------------------------------------------------------------------------------


async def test_floor_figures_in_canonical_units() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    snap = await source.fetch_floor()
    assert snap.source == "genesys" and snap.site == "Genesys Cloud" and snap.as_of == AS_OF
    assert [q.id for q in snap.queues] == ["q-billing", "q-chat"]

    billing = snap.queue_by_id["q-billing"]
    assert billing.name == "Billing" and billing.channel is Channel.VOICE
    # mediaSettings.call.serviceLevel: durationMs 30000 -> 30 s, percentage 0.85.
    assert billing.sl_threshold_s == 30.0 and billing.sl_target == 0.85
    # The voice group: 3 waiting (the chat group's 5 on the same queue is not this queue).
    assert billing.waiting == 3
    # Oldest observationDate 10:11:20 -> 220 s before as_of.
    assert billing.oldest_wait_s == 220.0
    today = billing.today
    assert (today.offered, today.answered, today.answered_within_sl, today.abandoned) == (
        15, 13, 11, 2)
    assert today.handled == 13
    assert today.handle_time_s == pytest.approx(3600.0)  # (2100000 + 1500000) ms
    assert today.wait_time_s == pytest.approx(216.0)  # tAnswered 126000 + tAbandon 90000 ms
    assert today.service_level == pytest.approx(11 / 15)
    assert today.aht_s == pytest.approx(3600.0 / 13)

    chat = snap.queue_by_id["q-chat"]
    assert chat.name == "Web chat" and chat.channel is Channel.CHAT
    # No serviceLevel on the queue: the options' defaults.
    assert chat.sl_threshold_s == 20.0 and chat.sl_target == 0.8
    assert chat.waiting == 0 and chat.oldest_wait_s == 0.0
    # No conversations today: counts are 0 and the ratios are None, not 0 %.
    assert chat.today.offered == 0 and chat.today.service_level is None
    assert chat.today.aht_s is None


async def test_agents_state_presence_team_queues_and_contact() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    snap = await source.fetch_floor()
    assert [a.name for a in snap.agents] == [
        "Ana Souza", "Ben Okafor", "Cara Lin", "Dev Patel", "Eve Martin"]

    ana = snap.agent_by_id["u-ana"]
    assert ana.state is AgentState.ON_CONTACT and ana.aux_reason is None
    assert ana.team == "Billing Team A"
    assert ana.state_since == datetime(2026, 5, 14, 10, 12, 30, tzinfo=UTC)
    # Member of q-chat but not joined to it: serves Billing only.
    assert ana.queue_ids == ("q-billing",)
    assert ana.version == membership_version(["q-billing"])
    assert ana.contact is not None and ana.contact.queue_id == "q-billing"
    assert ana.contact.started_at == datetime(2026, 5, 14, 10, 12, 31, tzinfo=UTC)
    assert ana.contact.sentiment is None and ana.today is None

    ben = snap.agent_by_id["u-ben"]
    assert ben.state is AgentState.AVAILABLE and ben.queue_ids == ("q-billing", "q-chat")
    assert ben.contact is None

    eve = snap.agent_by_id["u-eve"]
    assert eve.state is AgentState.OFFLINE and eve.queue_ids == ()
    assert eve.team == ""  # no teamId
    # Off queue: time in state runs from the presence change.
    assert eve.state_since == datetime(2026, 5, 13, 17, 2, tzinfo=UTC)

    # Ana and Ben; Dev (not responding) is AUX and Eve offline: not staffed.
    assert snap.staffed_on("q-billing") == 2
    assert snap.available_on("q-chat") == 1
    assert snap.effective_on("q-billing") == 2  # Ben idle + Ana on a Billing contact


async def test_presence_and_routing_status_are_both_shown() -> None:
    fake = FakeGenesys()
    snap = await make_source(fake).fetch_floor()
    dev = snap.agent_by_id["u-dev"]
    # Routing says not responding while presence still says On Queue: both are kept.
    assert dev.state is AgentState.AUX and dev.aux_reason == "Not responding"
    assert dev.presence == "On Queue"
    assert dev.team == "Chat Squad"
    cara = snap.agent_by_id["u-cara"]
    assert cara.state is AgentState.AUX and cara.aux_reason == "Break"
    assert cara.presence == "Break"
    assert cara.state_since == datetime(2026, 5, 14, 10, 5, tzinfo=UTC)
    assert snap.agent_by_id["u-ben"].presence == "On Queue"
    assert snap.agent_by_id["u-eve"].presence == "Offline"


def test_state_mapping_table() -> None:
    m = genesys_parse.map_state
    assert m("IDLE", "ON_QUEUE", "On Queue") == (AgentState.AVAILABLE, None)
    assert m("INTERACTING", "ON_QUEUE", "On Queue") == (AgentState.ON_CONTACT, None)
    assert m("COMMUNICATING", "AVAILABLE", "Available") == (AgentState.ON_CONTACT, None)
    assert m("NOT_RESPONDING", "ON_QUEUE", "On Queue") == (AgentState.AUX, "Not responding")
    assert m("OFF_QUEUE", "MEAL", "Lunch") == (AgentState.AUX, "Lunch")
    assert m("OFF_QUEUE", "Offline", "Offline") == (AgentState.OFFLINE, None)
    assert m(None, None, None) == (AgentState.AUX, "Off queue")
    assert m("SOMETHING_NEW", "AVAILABLE", None) == (AgentState.AUX, "SOMETHING_NEW")


async def test_presence_labels_are_cleaned_and_localised() -> None:
    labels = genesys_parse.parse_presence_definitions(load("presence_definitions.json"), "de")
    assert labels["p-break"] == "Pause"
    assert labels["p-meal"] == "Meal"  # no "de" label: en_US
    assert "\x1b" not in labels["p-coaching"] and labels["p-coaching"].startswith("Coaching")


def test_durations_are_milliseconds_converted_in_one_place() -> None:
    assert genesys_parse.duration_s(30000, "x") == 30.0
    assert genesys_parse.duration_s(1500, "x") == 1.5
    assert genesys_parse.duration_s(0, "x") == 0.0
    assert genesys_parse.duration_s(None, "x") is None
    for bad in ("30000", True, float("nan")):
        with pytest.raises(SourceError, match="expected milliseconds"):
            genesys_parse.duration_s(bad, "x")


def test_one_interval_in_our_definitions() -> None:
    stats = {
        "tAnswered": {"count": 4, "sum": 12_500},
        "tAbandon": {"count": 1, "sum": 45_000},
        "tHandle": {"count": 3, "sum": 900_000},
        "nOffered": {"count": 6},
        "oServiceLevel": {"numerator": 3, "denominator": 4, "ratio": 0.75},
    }
    row = genesys_parse.interval_actual("q", AS_OF, stats, "t")
    assert row.wait_time_s == 57.5 and row.handle_time_s == 900.0
    assert (row.offered, row.answered, row.answered_within_sl, row.abandoned, row.handled) == (
        6, 4, 3, 1, 3)
    # A numerator above answered cannot be: clamped.
    stats["oServiceLevel"] = {"numerator": 9}
    assert genesys_parse.interval_actual("q", AS_OF, stats, "t").answered_within_sl == 4


async def test_nulls_and_empty_results_are_not_made_up() -> None:
    fake = FakeGenesys()
    fake.overrides[OBS] = lambda r: httpx.Response(200, json={"results": []})
    fake.overrides[AGGREGATES] = lambda r: httpx.Response(200, json={})
    activity = load("routing_activity.json")
    entity = activity["results"][0]["entities"][1]  # Ben
    for key in ("routingStatusDate", "presenceDate", "activityDate", "organizationPresenceId"):
        entity[key] = None
    fake.activity = activity
    snap = await make_source(fake).fetch_floor()
    billing = snap.queue_by_id["q-billing"]
    assert billing.waiting == 0 and billing.oldest_wait_s == 0.0
    assert billing.today.offered == 0 and billing.today.service_level is None
    ben = snap.agent_by_id["u-ben"]
    # Ben's q-chat entity still has dates; the q-billing one (all null) is not "latest".
    assert ben.state is AgentState.AVAILABLE
    assert genesys_parse.parse_observations({"results": None}, {"q": "voice"}) == ({}, {})


async def test_an_agent_without_any_date_is_in_state_since_as_of() -> None:
    entity = genesys_parse.ActivityEntity(
        user_id="u-x", queue_id="q", joined=True, routing_status="IDLE",
        routing_status_date=None, system_presence=None, organization_presence_id=None,
        presence_date=None, activity_date=None, team_id=None)
    agent = genesys_parse.build_agent(
        "u-x", [entity], queue_order=["q"], joined=None, names={}, teams={},
        presence_labels={}, contacts={}, as_of=AS_OF)
    assert agent.state_since == AS_OF and agent.time_in_state_s(AS_OF) == 0.0
    assert agent.name == "u-x" and agent.presence is None and agent.queue_ids == ("q",)


async def test_waiting_count_without_detail_has_no_oldest_age() -> None:
    fake = FakeGenesys()
    obs = load("observations.json")
    obs["results"][0]["data"][0]["observations"] = []
    obs["results"][0]["data"][0]["stats"] = {"count": None}
    fake.overrides[OBS] = lambda r: httpx.Response(200, json=obs)
    snap = await make_source(fake).fetch_floor()
    assert snap.queue_by_id["q-billing"].waiting == 0


async def test_bad_vendor_data_is_an_error_naming_the_field() -> None:
    fake = FakeGenesys()
    agg = load("aggregates.json")
    agg["results"][0]["data"][0]["metrics"][1]["stats"]["sum"] = "96000"
    fake.overrides[AGGREGATES] = lambda r: httpx.Response(200, json=agg)
    with pytest.raises(SourceError, match=r"aggregates.results\[0\].data\[0\].tAnswered.stats.sum"):
        await make_source(fake).fetch_floor()


# --- requests sent ------------------------------------------------------------------------------


async def test_observation_and_activity_requests() -> None:
    fake = FakeGenesys()
    await make_source(fake).fetch_floor()
    obs = json.loads(fake.calls(*OBS)[0].content)
    assert obs["metrics"] == ["oWaiting", "oInteracting"]
    assert obs["detailMetrics"] == ["oWaiting", "oInteracting"]
    queue_clause, media_clause = obs["filter"]["clauses"]
    assert [pr["value"] for pr in queue_clause["predicates"]] == ["q-billing", "q-chat"]
    assert {pr["dimension"] for pr in queue_clause["predicates"]} == {"queueId"}
    assert sorted(pr["value"] for pr in media_clause["predicates"]) == ["chat", "voice"]
    [activity] = fake.calls(*ACTIVITY)
    assert activity.url.params["pageSize"] == "100" and activity.url.params["pageNumber"] == "1"
    body = json.loads(activity.content)
    assert body["metrics"] == [{"metric": "oMemberUsers", "details": True}]
    assert body["groupBy"] == ["queueId"]
    [queues] = fake.calls("GET", "/api/v2/routing/queues")
    assert queues.url.params.get_list("id") == ["q-billing", "q-chat"]
    [users] = fake.calls("GET", "/api/v2/users")
    assert sorted(users.url.params.get_list("id")) == ["u-ana", "u-ben", "u-cara", "u-dev",
                                                       "u-eve"]


async def test_routing_activity_is_paged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(genesys, "ACTIVITY_PAGE_SIZE", 3)
    fake = FakeGenesys()
    full = load("routing_activity.json")
    entities = [(r["group"], e) for r in full["results"] for e in r["entities"]]  # 7

    def paged(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["pageNumber"])
        size = int(request.url.params["pageSize"])
        chunk = entities[(page - 1) * size: page * size]
        results: dict[str, dict[str, Any]] = {}
        for group, e in chunk:
            results.setdefault(group["queueId"], {"group": group, "entities": []})[
                "entities"].append(e)
        return httpx.Response(200, json={"entityIdDimension": "userId",
                                         "results": list(results.values())})

    fake.overrides[ACTIVITY] = paged
    snap = await make_source(fake).fetch_floor()
    pages = [r.url.params["pageNumber"] for r in fake.requests
             if r.url.path == ACTIVITY[1]]
    assert pages == ["1", "2", "3"]  # 3 + 3 + 1 entities
    assert len(snap.agents) == 5
    assert snap.agent_by_id["u-ben"].queue_ids == ("q-billing", "q-chat")


async def test_routing_activity_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(genesys, "ACTIVITY_PAGE_SIZE", 1)
    fake = FakeGenesys()
    with pytest.raises(SourceError, match="more than 2 pages"):
        await make_source(fake, options={"max_pages": 2}).fetch_floor()
    assert len(fake.calls(*ACTIVITY)) == 2


async def test_aggregates_cover_local_today_and_are_cached_for_a_minute() -> None:
    fake = FakeGenesys()
    clock = Clock()
    source = make_source(fake, clock)
    await source.fetch_floor()
    clock.t += 30
    await source.fetch_floor()
    assert len(fake.calls(*AGGREGATES)) == 1
    clock.t += 31
    await source.fetch_floor()
    assert len(fake.calls(*AGGREGATES)) == 2
    body = json.loads(fake.calls(*AGGREGATES)[0].content)
    # Local midnight in Dublin (UTC+1 in May) to now.
    assert body["interval"] == "2026-05-13T23:00:00.000Z/2026-05-14T10:15:00.000Z"
    assert body["granularity"] == "PT15M" and body["timeZone"] == "Europe/Dublin"
    assert body["groupBy"] == ["queueId", "mediaType"]
    assert body["metrics"] == ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel"]
    # Look-ups are cached: one of each across three polls.
    assert len(fake.calls("GET", "/api/v2/presence/definitions")) == 1
    assert len(fake.calls("GET", "/api/v2/users")) == 1
    assert len(fake.calls("GET", "/api/v2/teams/t-1")) == 1


async def test_lookups_are_refreshed_after_ten_minutes() -> None:
    fake = FakeGenesys()
    clock = Clock()
    source = make_source(fake, clock)
    await source.fetch_floor()
    clock.t += 601
    await source.fetch_floor()
    assert len(fake.calls("GET", "/api/v2/users")) == 2
    assert len(fake.calls("GET", "/api/v2/routing/queues")) == 2


async def test_team_lookup_refused_leaves_teams_empty() -> None:
    fake = FakeGenesys()
    fake.overrides[("GET", "/api/v2/teams/t-1")] = lambda r: httpx.Response(403, json=load("error_403.json"))
    fake.overrides[("GET", "/api/v2/teams/t-2")] = lambda r: httpx.Response(403, json=load("error_403.json"))
    source = make_source(fake)
    snap = await source.fetch_floor()
    assert snap.agent_by_id["u-ana"].team == ""
    await source.fetch_floor()
    # Refused once: not asked again on every poll.
    assert len(fake.calls("GET", "/api/v2/teams/t-1")) + len(
        fake.calls("GET", "/api/v2/teams/t-2")) == 1


async def test_fetch_plan_gives_interval_actuals_and_an_empty_forecast() -> None:
    fake = FakeGenesys()
    plan = await make_source(fake).fetch_plan(date(2026, 5, 14))
    assert plan is not None and plan.day == date(2026, 5, 14) and plan.as_of == AS_OF
    assert list(plan.forecast.columns) == ["queue", "start", "volume", "aht_s",
                                           "scheduled_agents"]
    assert plan.forecast.empty
    actuals = plan.actuals
    assert set(ACTUAL_FIELDS) <= set(actuals.columns)
    assert list(actuals["queue"]) == ["q-billing", "q-billing"]
    first = actuals.iloc[0]
    assert first["start"] == datetime(2026, 5, 14, 8, 0, tzinfo=UTC)
    assert first["offered"] == 10 and first["answered_within_sl"] == 6
    assert first["handle_time_s"] == 2100.0 and first["wait_time_s"] == 186.0
    future = await make_source(FakeGenesys()).fetch_plan(date(2026, 5, 15))
    assert future is not None and future.actuals.empty


async def test_fetch_plan_for_a_past_day_asks_for_the_whole_day() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    await source.fetch_plan(date(2026, 5, 12))
    await source.fetch_plan(date(2026, 5, 12))
    [call] = fake.calls(*AGGREGATES)
    assert json.loads(call.content)["interval"] == (
        "2026-05-11T23:00:00.000Z/2026-05-12T23:00:00.000Z")


# --- reassign -----------------------------------------------------------------------------------


async def test_reassign_writes_only_the_changed_queues() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    snap = await source.fetch_floor()
    ben = snap.agent_by_id["u-ben"]
    agent = await source.set_agent_queues("u-ben", ["q-billing"], ben.version)
    [patch] = fake.calls("PATCH", "/api/v2/users/u-ben/queues")
    assert json.loads(patch.content) == [{"id": "q-chat", "joined": False}]
    assert patch.headers["content-type"] == "application/json"
    assert agent.queue_ids == ("q-billing",)
    assert agent.version == membership_version(["q-billing"])
    assert agent.name == "Ben Okafor" and agent.state is AgentState.AVAILABLE
    reads = fake.calls("GET", "/api/v2/users/u-ben/queues")
    assert reads[0].url.params["joined"] == "true" and reads[0].url.params["pageSize"] == "100"


async def test_reassign_joins_a_queue_the_agent_belongs_to() -> None:
    fake = FakeGenesys()
    fake.joined["u-cara"] = {"entities": [{"id": "q-chat", "name": "Web chat", "joined": True}],
                             "pageCount": 1}
    fake.unjoined["u-cara"] = load("user_queues_unjoined.json")
    source = make_source(fake)
    cara = await source.fetch_agent("u-cara")
    assert cara.queue_ids == ("q-chat",)
    agent = await source.set_agent_queues("u-cara", ["q-chat", "q-billing"], cara.version)
    [patch] = fake.calls("PATCH", "/api/v2/users/u-cara/queues")
    assert json.loads(patch.content) == [{"id": "q-billing", "joined": True}]
    assert agent.queue_ids == ("q-billing", "q-chat")


async def test_reassign_to_a_queue_without_membership_is_rejected() -> None:
    fake = FakeGenesys()
    fake.joined["u-cara"] = {"entities": [{"id": "q-chat", "joined": True}], "pageCount": 1}
    source = make_source(fake)
    version = membership_version(["q-chat"])
    with pytest.raises(RejectedChange, match="add the membership in Genesys Admin"):
        await source.set_agent_queues("u-cara", ["q-billing"], version)
    assert not fake.calls("PATCH", "/api/v2/users/u-cara/queues")


async def test_reassign_conflict_writes_nothing() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    stale = membership_version(["q-billing"])  # Ben has since joined q-chat as well
    with pytest.raises(VersionConflict) as info:
        await source.set_agent_queues("u-ben", ["q-chat"], stale)
    assert info.value.current is not None
    assert info.value.current.queue_ids == ("q-billing", "q-chat")
    assert info.value.current.version == membership_version(["q-billing", "q-chat"])
    assert not fake.calls("PATCH", "/api/v2/users/u-ben/queues")


async def test_reassign_refused_names_the_permission() -> None:
    fake = FakeGenesys()
    fake.overrides[("PATCH", "/api/v2/users/u-ben/queues")] = lambda r: httpx.Response(
        403, json=load("error_403.json"))
    source = make_source(fake)
    with pytest.raises(RejectedChange, match="routing:queueMember:manage"):
        await source.set_agent_queues("u-ben", ["q-billing"],
                                      membership_version(["q-billing", "q-chat"]))


async def test_reassign_bad_request_quotes_genesys() -> None:
    fake = FakeGenesys()
    fake.overrides[("PATCH", "/api/v2/users/u-ben/queues")] = lambda r: httpx.Response(
        400, json={"message": "Queue membership is managed by a group", "status": 400})
    source = make_source(fake)
    with pytest.raises(RejectedChange, match=r"HTTP 400\): Queue membership is managed by a group"):
        await source.set_agent_queues("u-ben", ["q-billing"],
                                      membership_version(["q-billing", "q-chat"]))


async def test_reassign_to_an_unconfigured_queue_is_rejected() -> None:
    fake = FakeGenesys()
    with pytest.raises(RejectedChange, match="'q-sales' is not one of this source's queues"):
        await make_source(fake).set_agent_queues("u-ben", ["q-sales"], 0)
    assert fake.requests == []


async def test_unknown_agent_is_rejected() -> None:
    fake = FakeGenesys()
    with pytest.raises(RejectedChange, match="no agent 'x-404'"):
        await make_source(fake).fetch_agent("x-404")
    with pytest.raises(RejectedChange, match="not a member of any"):
        await make_source(fake).fetch_agent("u-nobody")


async def test_the_same_membership_writes_nothing() -> None:
    fake = FakeGenesys()
    source = make_source(fake)
    agent = await source.set_agent_queues("u-ben", ["q-chat", "q-billing"],
                                          membership_version(["q-billing", "q-chat"]))
    assert agent.queue_ids == ("q-billing", "q-chat")
    assert not fake.calls("PATCH", "/api/v2/users/u-ben/queues")


# --- config -------------------------------------------------------------------------------------


def _config(**options: Any) -> AdapterConfig:
    base: dict[str, Any] = {"queues": ["q-1"], "client_id_env": "A", "client_secret_env": "B"}
    base.update(options)
    return AdapterConfig(name="gc", url=base.pop("url", API), options=base,
                         environ={"A": "id", "B": "secret"})


def test_config_defaults_and_budget() -> None:
    source = genesys.from_config(_config())
    assert source._token_url == "https://login.mypurecloud.ie/oauth/token"
    assert source._queue_media == {"q-1": "voice"}
    assert source._site == "Genesys Cloud" and source._tz.key == "UTC"
    custom = AdapterConfig(name="gc", url=API + "/api/v2/", options=_config().options,
                           limits=HttpLimits(max_requests_per_s=2.0),
                           environ={"A": "id", "B": "secret"})
    source = genesys.from_config(custom)
    # The config's budget is used as given (its genesys default is 4/s, under 300/min).
    assert source.http.limits.max_requests_per_s == 2.0
    assert genesys.RECOMMENDED_MAX_REQUESTS_PER_S * 60 < 300
    assert str(source.http.base_url) == API


def test_queue_media_accepts_the_config_layers_frozen_table() -> None:
    source = genesys.from_config(_config(queues=("q-1", "q-2"),
                                         queue_media=(("q-2", "email"),)))
    assert source._queue_media == {"q-1": "voice", "q-2": "email"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": None}, "url: required"),
        ({"url": "ftp://api.x"}, "expected https://host"),
        ({"queues": []}, "queues: required"),
        ({"queues": "q-1"}, "queues: required"),
        ({"media_type": "fax"}, "'fax' is not one of"),
        ({"queue_media": {"q-2": "chat"}}, "'q-2' is not in queues"),
        ({"time_zone": "Mars/Base"}, "not an IANA time zone"),
        ({"sl_target": 80}, "sl_target: expected a number from 0 to 1"),
        ({"max_pages": 0}, "max_pages"),
        ({"url": "https://gc.example.com"}, "set login_url"),
    ],
)
def test_bad_options_are_value_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        genesys.from_config(_config(**options))


def test_missing_secret_is_a_credential_error() -> None:
    config = AdapterConfig(name="gc", url=API, options={"queues": ["q"], "client_id_env": "A",
                                                        "client_secret_env": "B"},
                           environ={"A": "id"})
    with pytest.raises(CredentialError, match="client_secret_env"):
        genesys.from_config(config)


# --- secrets never leak -------------------------------------------------------------------------


async def test_client_secret_canary_never_reaches_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    canary = "CANARY-7f3a9c1e-do-not-log"
    encoded = base64.b64encode(f"{CLIENT_ID}:{canary}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []

    fake = FakeGenesys()
    source = make_source(fake, secret=canary)
    await source.fetch_floor()
    await source.fetch_plan(date(2026, 5, 14))
    await source.set_agent_queues("u-ben", ["q-billing"], membership_version(["q-billing",
                                                                              "q-chat"]))
    # Failures: a refused login, a token refused twice, a refused write, a 429.
    failing = [
        (TOKEN, lambda r: httpx.Response(401, json=load("token_error.json"))),
        (OBS, lambda r: httpx.Response(401, json=load("error_401.json"))),
        (OBS, lambda r: httpx.Response(429, headers={"Retry-After": "3"})),
    ]
    for key, handler in failing:
        fake = FakeGenesys()
        fake.overrides[key] = handler
        with pytest.raises(SourceError) as info:
            await make_source(fake, secret=canary).fetch_floor()
        messages.append(str(info.value))
        messages.append(repr(info.value))
    fake = FakeGenesys()
    fake.overrides[("PATCH", "/api/v2/users/u-ben/queues")] = lambda r: httpx.Response(403)
    with pytest.raises(RejectedChange) as rejected:
        await make_source(fake, secret=canary).set_agent_queues(
            "u-ben", ["q-billing"], membership_version(["q-billing", "q-chat"]))
    messages.append(str(rejected.value))

    assert any("login failed" in m for m in messages)
    logged = [r.getMessage() for r in caplog.records]
    assert logged, "expected httpx to log requests at DEBUG/INFO"
    for text in logged + messages:
        assert canary not in text
        assert encoded not in text
        assert "tok-1" not in text  # nor the access token
    assert repr(source._client_secret) == "Secret('***')"
