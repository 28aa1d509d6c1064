"""The Twilio TaskRouter adapter against recorded payloads (tests/data/vendors/twilio/).

Payload shapes, field names and query parameters follow twilio/twilio-oai
``spec/json/twilio_taskrouter_v1.json`` (commit 00c8d368…): the response examples of
ListTaskQueue, CreateTaskQueueBulkRealTimeStatistics, FetchTaskQueueCumulativeStatistics,
ListWorker / FetchWorker / UpdateWorker (form field ``Attributes``, ``If-Match`` header,
``ETag`` response header), ListTask (``AssignmentStatus`` as an array, the
readAssignmentStatusMultiple example), ListTaskReservation (``worker_sid``,
``reservation_status``) and FetchWorkspace, each list with its ``meta`` block
(``next_page_url``). Counts as strings in ``tasks_by_status``: the spec's own description
of that field. The bulk call's ``queueSids`` body and 5 requests/s limit: twilio.com
changelog 2023-11-20 and docs/taskrouter/api/taskqueue-statistics. HTTP 412 on an If-Match
mismatch: twilio.com/docs/taskrouter/api/task ("Task Version"). Error bodies
(``code, message, more_info, status``) are Twilio's REST error format (error 20003, 20429).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from floorview.model import AgentState, Channel
from floorview.sources import twilio_parse as tp
from floorview.sources.base import RejectedChange, SourceError, VersionConflict
from floorview.sources.budget import TokenBucket
from floorview.sources.credentials import CredentialError
from floorview.sources.http import HttpLimits, HttpStatusError
from floorview.sources.twilio import TwilioSource, from_config
from floorview.sources.vendor import AdapterConfig, membership_version

DATA = Path(__file__).parent / "data" / "vendors" / "twilio"
BASE = "https://taskrouter.twilio.com"
AC = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0"
WS = "WS6b8a3f0c2d4e5f60718293a4b5c6d7e8"
WQ1, WQ2 = "WQ" + "a1" * 16, "WQ" + "b2" * 16
WK = ["WK" + f"{i:02d}" * 16 for i in range(1, 6)]
ALICE, BOB, CAROL, DAVE, ERIN = WK
WT1, WT2 = "WT" + "c3" * 16, "WT" + "d4" * 16
TOKEN = "tok-5e0c1a77d2"
NOW = datetime(2026, 5, 14, 14, 30, tzinfo=UTC)
NAMES = {ALICE: "alice", BOB: "bob", CAROL: "carol", DAVE: "dave", ERIN: "erin"}
ETAG = '"7c1f0b"'


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


Route = Callable[[httpx.Request], httpx.Response]


def ok(name: str, headers: dict[str, str] | None = None) -> Route:
    return lambda request: httpx.Response(200, json=load(name), headers=headers)


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Route:
    return lambda request: httpx.Response(code, json=body, headers=headers)


class FakeTwilio:
    """A MockTransport handler: routes are (method, path regex) -> response factory; every
    request is recorded and must carry the expected Basic credentials."""

    def __init__(self, routes: dict[tuple[str, str], Route], auth: str = "") -> None:
        self.routes = routes
        self.auth = auth or basic(AC, TOKEN)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers.get("authorization") == self.auth
        for (method, pattern), route in self.routes.items():
            if request.method == method and re.fullmatch(pattern, request.url.path):
                return route(request)
        return httpx.Response(404, json={"code": 20404, "message": "The requested resource "
                                         "was not found", "status": 404})

    def sent(self, method: str, pattern: str) -> list[httpx.Request]:
        return [r for r in self.requests
                if r.method == method and re.fullmatch(pattern, r.url.path)]


def workers_route(request: httpx.Request) -> httpx.Response:
    page = "workers_page1.json" if "PageToken" in request.url.params else "workers_page0.json"
    return httpx.Response(200, json=load(page))


def worker_route(request: httpx.Request) -> httpx.Response:
    sid = request.url.path.rsplit("/", 1)[1]
    return httpx.Response(200, json=load(f"worker_{NAMES[sid]}.json"), headers={"ETag": ETAG})


def routes(**overrides: Route) -> dict[tuple[str, str], Route]:
    ws = f"/v1/Workspaces/{WS}"
    table: dict[tuple[str, str], Route] = {
        ("GET", ws): ok("workspace.json"),
        ("GET", f"{ws}/TaskQueues"): ok("task_queues.json"),
        ("POST", f"{ws}/TaskQueues/RealTimeStatistics"): ok("bulk_realtime.json"),
        ("GET", f"{ws}/TaskQueues/{WQ1}/CumulativeStatistics"): ok("cumulative_sales.json"),
        ("GET", f"{ws}/TaskQueues/{WQ2}/CumulativeStatistics"): ok("cumulative_support.json"),
        ("GET", f"{ws}/Workers"): workers_route,
        ("GET", f"{ws}/Workers/WK[0-9a-f]{{32}}"): worker_route,
        ("GET", f"{ws}/Tasks"): ok("tasks.json"),
        ("GET", f"{ws}/Tasks/{WT1}/Reservations"): ok("reservations_sales_task.json"),
        ("GET", f"{ws}/Tasks/{WT2}/Reservations"): ok("reservations_support_task.json"),
    }
    for key, route in overrides.items():
        table[_KEYS[key]] = route
    return table


_KEYS = {
    "workspace": ("GET", f"/v1/Workspaces/{WS}"),
    "queues": ("GET", f"/v1/Workspaces/{WS}/TaskQueues"),
    "bulk": ("POST", f"/v1/Workspaces/{WS}/TaskQueues/RealTimeStatistics"),
    "cum1": ("GET", f"/v1/Workspaces/{WS}/TaskQueues/{WQ1}/CumulativeStatistics"),
    "cum2": ("GET", f"/v1/Workspaces/{WS}/TaskQueues/{WQ2}/CumulativeStatistics"),
    "workers": ("GET", f"/v1/Workspaces/{WS}/Workers"),
    "worker": ("GET", f"/v1/Workspaces/{WS}/Workers/WK[0-9a-f]{{32}}"),
    "tasks": ("GET", f"/v1/Workspaces/{WS}/Tasks"),
}


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make(
    fake: FakeTwilio, clock: Clock | None = None, environ: dict[str, str] | None = None,
    **options: Any,
) -> TwilioSource:
    opts: dict[str, Any] = {
        "workspace_sid": WS,
        "account_sid": AC,
        "auth_token_env": "TWILIO_TOKEN",
        # The config layer hands tables over as (key, value) pairs.
        "queue_skills": ((WQ1, "sales"), (WQ2, "support")),
        "time_zone": "Europe/London",
        **options,
    }
    config = AdapterConfig(
        name="twilio", url=None, options=opts,
        limits=HttpLimits(max_requests_per_s=1000.0, burst=1000),
        environ=environ if environ is not None else {"TWILIO_TOKEN": TOKEN},
    )
    source = from_config(config, transport=httpx.MockTransport(fake))
    source.clock = clock or Clock()
    source.bulk_budget = TokenBucket(1000.0, 1000)
    return source


# --- the floor ------------------------------------------------------------------------------


async def test_floor_figures_from_recorded_payloads() -> None:
    fake = FakeTwilio(routes())
    source = make(fake)
    snap = await source.fetch_floor()

    assert snap.source == "twilio"
    assert snap.site == "Acme Care"
    assert snap.as_of == NOW
    sales, support = snap.queues
    assert (sales.id, sales.name, sales.channel) == (WQ1, "Sales", Channel.VOICE)
    assert (sales.sl_threshold_s, sales.sl_target) == (20.0, 0.8)
    # pending 3 + reserved 1; assigned and wrapping tasks are not waiting.
    assert (sales.waiting, sales.oldest_wait_s) == (4, 95.0)
    t = sales.today
    assert (t.offered, t.answered, t.answered_within_sl, t.abandoned) == (120, 100, 85, 8)
    assert t.service_level == pytest.approx(85 / 108)
    # Queue time of every task that left the queue: accepted 900 s + canceled 240 s.
    assert t.wait_time_s == 1140.0
    # No handle time in TaskRouter: AHT is unknown, never 0 s.
    assert (t.handled, t.handle_time_s, t.aht_s) == (0, 0.0, None)
    # Counts written as strings, a status left out: still whole numbers, still 0.
    assert (support.waiting, support.oldest_wait_s) == (0, 0.0)
    assert (support.today.answered_within_sl, support.today.wait_time_s) == (30, 460.0)

    agents = {a.id: a for a in snap.agents}
    assert list(agents) == WK  # both pages, in order
    alice = agents[ALICE]
    assert (alice.name, alice.team, alice.state) == ("Alice Archer", "Tier 1", AgentState.ON_CONTACT)
    accepted = datetime(2026, 5, 14, 14, 25, 2, tzinfo=UTC)
    assert alice.state_since == accepted
    assert alice.contact is not None
    assert (alice.contact.queue_id, alice.contact.started_at) == (WQ1, accepted)
    assert alice.contact.sentiment is None
    assert alice.queue_ids == (WQ1,)  # "spanish" maps to no configured queue
    assert alice.version == membership_version([WQ1])
    assert alice.presence == "Available"
    bob = agents[BOB]
    assert (bob.state, bob.aux_reason, bob.team, bob.queue_ids) == (
        AgentState.AUX, "Break", "Tier 2", (WQ2,))
    assert bob.state_since == datetime(2026, 5, 14, 14, 21, tzinfo=UTC)
    assert agents[CAROL].state is AgentState.OFFLINE
    assert agents[CAROL].queue_ids == (WQ1, WQ2)
    dave = agents[DAVE]
    assert dave.state is AgentState.ACW
    assert dave.state_since == datetime(2026, 5, 14, 14, 27, 40, tzinfo=UTC)
    assert dave.contact is not None and dave.contact.queue_id == WQ2
    erin = agents[ERIN]  # her rejected reservation on alice's task does not make her busy
    assert (erin.state, erin.name, erin.team, erin.queue_ids) == (
        AgentState.AVAILABLE, "erin", "", ())
    assert erin.contact is None and erin.today is None
    assert snap.staffed_on(WQ1) == 1 and snap.available_on(WQ1) == 0


async def test_requests_sent() -> None:
    fake = FakeTwilio(routes())
    await make(fake).fetch_floor()
    ws = f"/v1/Workspaces/{WS}"

    (bulk,) = fake.sent("POST", f"{ws}/TaskQueues/RealTimeStatistics")
    assert json.loads(bulk.content) == {"queueSids": [WQ1, WQ2]}
    (cum,) = fake.sent("GET", f"{ws}/TaskQueues/{WQ1}/CumulativeStatistics")
    # Local midnight in Europe/London (BST) is 23:00 UTC the day before.
    assert dict(cum.url.params) == {
        "StartDate": "2026-05-13T23:00:00Z", "EndDate": "2026-05-14T14:30:00Z",
        "SplitByWaitTime": "20",
    }
    (tasks,) = fake.sent("GET", f"{ws}/Tasks")
    assert tasks.url.params.get_list("AssignmentStatus") == ["assigned", "wrapping"]
    assert tasks.url.params["PageSize"] == "1000"
    pages = fake.sent("GET", f"{ws}/Workers")
    assert [r.url.params.get("PageToken") for r in pages] == [None, "PAeyJzaWQiOiJXSzAzIn0"]
    assert pages[0].url.params["PageSize"] == "1000"
    # Attributes are left out of the list, so each worker is read once.
    assert len(fake.sent("GET", f"{ws}/Workers/WK.*")) == 5
    assert len(fake.requests) == 15


async def test_second_poll_reuses_what_does_not_change() -> None:
    fake = FakeTwilio(routes())
    clock = Clock()
    source = make(fake, clock)
    await source.fetch_floor()
    first = len(fake.requests)
    clock.now = NOW + timedelta(seconds=30)
    snap = await source.fetch_floor()
    again = fake.requests[first:]
    # Real-time only: bulk stats, two worker pages, tasks. Names, site, day figures,
    # reservation look-ups and attributes come from the caches.
    assert [(r.method, r.url.path.rsplit("/", 1)[1]) for r in again] == [
        ("POST", "RealTimeStatistics"), ("GET", "Workers"), ("GET", "Workers"), ("GET", "Tasks"),
    ]
    assert snap.agent_by_id[ALICE].state is AgentState.ON_CONTACT
    assert snap.queue_by_id[WQ1].today.offered == 120

    clock.now = NOW + timedelta(seconds=61)
    mark = len(fake.requests)
    await source.fetch_floor()
    refreshed = [r for r in fake.requests[mark:] if r.url.path.endswith("CumulativeStatistics")]
    assert len(refreshed) == 2
    assert refreshed[0].url.params["EndDate"] == "2026-05-14T14:31:01Z"


async def test_new_day_rereads_from_the_new_midnight() -> None:
    fake = FakeTwilio(routes())
    clock = Clock(datetime(2026, 5, 14, 22, 59, 50, tzinfo=UTC))  # 23:59:50 in London
    source = make(fake, clock)
    await source.fetch_floor()
    clock.now = datetime(2026, 5, 14, 23, 0, 10, tzinfo=UTC)
    mark = len(fake.requests)
    await source.fetch_floor()
    cums = [r for r in fake.requests[mark:] if r.url.path.endswith("CumulativeStatistics")]
    assert len(cums) == 2
    assert {r.url.params["StartDate"] for r in cums} == {"2026-05-14T23:00:00Z"}


async def test_site_option_skips_the_workspace_call() -> None:
    fake = FakeTwilio(routes())
    snap = await make(fake, site="Leeds floor").fetch_floor()
    assert snap.site == "Leeds floor"
    assert not fake.sent("GET", f"/v1/Workspaces/{WS}")


async def test_configured_queues_only_and_unknown_queue_is_an_error() -> None:
    fake = FakeTwilio(routes())
    snap = await make(fake, queues=(WQ2,)).fetch_floor()
    assert [q.id for q in snap.queues] == [WQ2]
    (bulk,) = fake.sent("POST", f"/v1/Workspaces/{WS}/TaskQueues/RealTimeStatistics")
    assert json.loads(bulk.content) == {"queueSids": [WQ2]}

    missing = "WQ" + "99" * 16
    with pytest.raises(SourceError, match=f"queue.*{missing} not in workspace"):
        await make(FakeTwilio(routes()), queues=(WQ1, missing)).fetch_floor()


async def test_task_channel_maps_the_channel_and_filters_day_figures() -> None:
    fake = FakeTwilio(routes())
    snap = await make(fake, task_channel="chat").fetch_floor()
    assert {q.channel for q in snap.queues} == {Channel.CHAT}
    cums = [r for r in fake.requests if r.url.path.endswith("CumulativeStatistics")]
    assert {r.url.params["TaskChannel"] for r in cums} == {"chat"}


async def test_bulk_statistics_go_in_batches_of_50_at_4_per_second() -> None:
    sids = [f"WQ{i:032x}" for i in range(120)]
    listing = load("task_queues.json")
    template = listing["task_queues"][0]
    listing["task_queues"] = [{**template, "sid": s, "friendly_name": f"Q{i}"}
                              for i, s in enumerate(sids)]

    def bulk(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["queueSids"]
        item = load("bulk_realtime.json")["task_queue_data"][0]
        return httpx.Response(200, json={"task_queue_data": [
            {**item, "task_queue_sid": s} for s in asked]})

    cum = load("cumulative_sales.json")
    fake = FakeTwilio({
        **routes(queues=lambda r: httpx.Response(200, json=listing), bulk=bulk),
        ("GET", f"/v1/Workspaces/{WS}/TaskQueues/WQ[0-9a-f]{{32}}/CumulativeStatistics"):
            lambda r: httpx.Response(200, json=cum),
    })
    source = make(fake)
    t = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        t[0] += s

    source.bulk_budget = TokenBucket(4.0, 1, clock=lambda: t[0], sleep=sleep)
    snap = await source.fetch_floor()

    batches = [json.loads(r.content)["queueSids"]
               for r in fake.sent("POST", f"/v1/Workspaces/{WS}/TaskQueues/RealTimeStatistics")]
    assert [len(b) for b in batches] == [50, 50, 20]
    assert [s for b in batches for s in b] == sids
    assert sum(slept) == pytest.approx(0.5)  # three calls at 4/s: two waits of 0.25 s
    # Day figures fill 20 queues a poll; the rest show once theirs are read.
    assert len(fake.sent("GET", ".*/CumulativeStatistics")) == 20
    assert [q.id for q in snap.queues] == sids[:20]


async def test_worker_attributes_are_read_at_most_8_a_poll() -> None:
    many = [f"WK{i:032x}" for i in range(12)]
    page = load("workers_page0.json")
    template = page["workers"][0]
    page["workers"] = [{**template, "sid": s, "friendly_name": f"w{i}"}
                       for i, s in enumerate(many)]
    page["meta"]["next_page_url"] = None
    single = load("worker_bob.json")

    def one(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**single, "sid": request.url.path.rsplit("/", 1)[1]})

    fake = FakeTwilio(routes(workers=lambda r: httpx.Response(200, json=page), worker=one))
    source = make(fake)
    snap = await source.fetch_floor()
    assert len(fake.sent("GET", ".*/Workers/WK.*")) == 8
    known = [a for a in snap.agents if a.queue_ids]
    assert len(known) == 8 and all(a.queue_ids == (WQ2,) for a in known)
    # Not read yet: no queues, no team, rather than guessed ones.
    assert all((a.queue_ids, a.team) == ((), "") for a in snap.agents if a not in known)
    snap = await source.fetch_floor()
    assert len(fake.sent("GET", ".*/Workers/WK.*")) == 12
    assert all(a.queue_ids == (WQ2,) for a in snap.agents)


async def test_attributes_in_the_list_are_used_without_a_fetch() -> None:
    page0, page1 = load("workers_page0.json"), load("workers_page1.json")
    for page in (page0, page1):
        for w in page["workers"]:
            w["attributes"] = load(f"worker_{w['friendly_name']}.json")["attributes"]

    def workers(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page1 if "PageToken" in request.url.params else page0)

    fake = FakeTwilio(routes(workers=workers))
    snap = await make(fake).fetch_floor()
    assert not fake.sent("GET", ".*/Workers/WK.*")
    assert snap.agent_by_id[BOB].queue_ids == (WQ2,)


async def test_task_lookups_are_bounded_and_unresolved_workers_go_by_activity() -> None:
    tasks = load("tasks.json")
    template = tasks["tasks"][0]
    tasks["tasks"] = [{**template, "sid": f"WT{i:032x}"} for i in range(10)]
    reservations = load("reservations_sales_task.json")
    fake = FakeTwilio({
        **routes(tasks=lambda r: httpx.Response(200, json=tasks)),
        ("GET", f"/v1/Workspaces/{WS}/Tasks/WT[0-9a-f]{{32}}/Reservations"):
            lambda r: httpx.Response(200, json=reservations),
    })
    source = make(fake)
    await source.fetch_floor()
    assert len(fake.sent("GET", ".*/Reservations")) == 8
    await source.fetch_floor()
    assert len(fake.sent("GET", ".*/Reservations")) == 10
    await source.fetch_floor()
    assert len(fake.sent("GET", ".*/Reservations")) == 10  # cached per task


async def test_paging_has_a_hard_cap() -> None:
    endless = load("workers_page0.json")

    def workers(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=endless)

    fake = FakeTwilio(routes(workers=workers))
    with pytest.raises(SourceError, match="Workers runs past 10 pages"):
        await make(fake).fetch_floor()
    assert len(fake.sent("GET", f"/v1/Workspaces/{WS}/Workers")) == 10


async def test_next_page_on_another_host_is_not_followed() -> None:
    page = load("workers_page0.json")
    page["meta"]["next_page_url"] = "https://collector.example.net/v1/Workers?PageToken=x"
    fake = FakeTwilio(routes(workers=lambda r: httpx.Response(200, json=page)))
    with pytest.raises(SourceError, match="another host"):
        await make(fake).fetch_floor()
    assert all(r.url.host == "taskrouter.twilio.com" for r in fake.requests)


# --- nulls, empties, units ------------------------------------------------------------------


def test_realtime_nulls_are_zero_only_where_nothing_waits() -> None:
    idle = {"task_queue_sid": WQ1, "tasks_by_status": None, "total_tasks": 0,
            "longest_task_waiting_age": None}
    assert tp.queue_realtime(idle, "q") == tp.Realtime(0, 0.0)
    busy = {"task_queue_sid": WQ1, "tasks_by_status": {"pending": 2},
            "longest_task_waiting_age": None}
    with pytest.raises(SourceError, match="longest_task_waiting_age: null while 2 tasks wait"):
        tp.queue_realtime(busy, "q")
    unknown = {"task_queue_sid": WQ1, "tasks_by_status": None, "total_tasks": 3}
    with pytest.raises(SourceError, match="tasks_by_status: null with total_tasks 3"):
        tp.queue_realtime(unknown, "q")
    with pytest.raises(SourceError, match="pending"):
        tp.queue_realtime({"tasks_by_status": {"pending": "lots"}}, "q")


def test_day_figure_nulls() -> None:
    quiet = load("cumulative_support.json") | {
        "reservations_accepted": 0, "tasks_canceled": 0,
        "wait_duration_until_accepted": None, "wait_duration_until_canceled": None,
        "split_by_wait_time": {"20": {"below": {"reservations_accepted": 0, "tasks_canceled": 0},
                                      "above": {"reservations_accepted": 0, "tasks_canceled": 0}}},
    }
    assert tp.queue_today(quiet, 20, "c").counters.wait_time_s == 0.0
    busy = load("cumulative_sales.json") | {"wait_duration_until_accepted": None}
    with pytest.raises(SourceError, match="wait_duration_until_accepted: no total while 100"):
        tp.queue_today(busy, 20, "c")
    no_split = load("cumulative_sales.json") | {"split_by_wait_time": None}
    with pytest.raises(SourceError, match="split_by_wait_time: no entry for 20 s"):
        tp.queue_today(no_split, 20, "c")
    other_threshold = load("cumulative_sales.json")
    with pytest.raises(SourceError, match="no entry for 30 s"):
        tp.queue_today(other_threshold, 30, "c")


def test_a_truncated_sl_split_is_scaled_to_all_accepted() -> None:
    big = load("cumulative_sales.json") | {"reservations_accepted": 20000}
    big["split_by_wait_time"] = {"20": {
        "below": {"reservations_accepted": 8000, "tasks_canceled": 10},
        "above": {"reservations_accepted": 2000, "tasks_canceled": 10}}}
    got = tp.queue_today(big, 20, "c")
    assert got.sl_estimated
    assert got.counters.answered_within_sl == 16000
    assert not tp.queue_today(load("cumulative_sales.json"), 20, "c").sl_estimated


async def test_null_at_the_adapter_fails_the_poll_naming_the_field() -> None:
    body = load("bulk_realtime.json")
    body["task_queue_data"][0]["longest_task_waiting_age"] = None
    fake = FakeTwilio(routes(bulk=lambda r: httpx.Response(200, json=body)))
    with pytest.raises(SourceError) as caught:
        await make(fake).fetch_floor()
    message = str(caught.value)
    assert message.startswith("twilio: TaskQueues/RealTimeStatistics: ")
    assert "task_queue_data[0].longest_task_waiting_age" in message


async def test_empty_answers_are_no_data_not_zeros(caplog: pytest.LogCaptureFixture) -> None:
    empty_stats = {"task_queue_data": [], "task_queue_response_count": 0}
    no_workers = load("workers_page0.json") | {"workers": []}
    no_workers["meta"]["next_page_url"] = None
    fake = FakeTwilio(routes(
        bulk=lambda r: httpx.Response(200, json=empty_stats),
        workers=lambda r: httpx.Response(200, json=no_workers),
    ))
    with caplog.at_level(logging.WARNING):
        snap = await make(fake).fetch_floor()
    assert snap.queues == () and snap.agents == ()
    assert f"no real-time statistics for queue {WQ1}" in caplog.text


# --- errors ---------------------------------------------------------------------------------


async def test_401_names_the_credentials() -> None:
    fake = FakeTwilio(routes(queues=status(401, load("error_401.json"))))
    with pytest.raises(HttpStatusError) as caught:
        await make(fake).fetch_floor()
    assert caught.value.status == 401
    assert "refused the credentials" in str(caught.value)
    assert caught.value.retry_after_s is None
    assert len(fake.requests) == 1  # static credentials: nothing to renew, no retry


async def test_403_names_the_permission() -> None:
    fake = FakeTwilio(routes(workers=status(403, {"code": 20403, "status": 403})))
    with pytest.raises(SourceError, match="Restricted API key needs TaskRouter read"):
        await make(fake).fetch_floor()


async def test_429_carries_retry_after() -> None:
    fake = FakeTwilio(routes(bulk=status(429, load("error_429.json"), {"Retry-After": "7"})))
    with pytest.raises(SourceError) as caught:
        await make(fake).fetch_floor()
    assert caught.value.retry_after_s == 7.0
    assert "HTTP 429" in str(caught.value)


@pytest.mark.parametrize("code", [500, 503])
async def test_5xx_fails_the_poll(code: int) -> None:
    fake = FakeTwilio(routes(tasks=status(code, {"code": 20500, "status": code})))
    with pytest.raises(SourceError, match=f"twilio: /v1/Workspaces/{WS}/Tasks answered HTTP {code}"):
        await make(fake).fetch_floor()


async def test_not_json_fails_the_poll() -> None:
    fake = FakeTwilio(routes(bulk=lambda r: httpx.Response(200, content=b"<html>")))
    with pytest.raises(SourceError, match="did not return valid JSON"):
        await make(fake).fetch_floor()


# --- one agent and the reassign write -------------------------------------------------------


class WriteFake(FakeTwilio):
    """Alice's worker resource: reads give the stored attributes and ETag, a POST stores."""

    def __init__(self, post: Route | None = None) -> None:
        self.attributes = load("worker_alice.json")["attributes"]
        self.etag = ETAG
        super().__init__(routes(worker=self.read))
        self.routes[("POST", f"/v1/Workspaces/{WS}/Workers/{ALICE}")] = post or self.write

    def resource(self) -> dict[str, Any]:
        return load("worker_alice.json") | {"attributes": self.attributes}

    def read(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith(ALICE):
            return worker_route(request)
        return httpx.Response(200, json=self.resource(), headers={"ETag": self.etag})

    def write(self, request: httpx.Request) -> httpx.Response:
        self.attributes = parse_qs(request.content.decode())["Attributes"][0]
        self.etag = '"7c1f0c"'
        return httpx.Response(200, json=self.resource(), headers={"ETag": self.etag})


async def test_reassign_rewrites_only_the_routing_skills() -> None:
    fake = WriteFake()
    source = make(fake)
    before = await source.fetch_agent(ALICE)
    assert before.queue_ids == (WQ1,)

    after = await source.set_agent_queues(ALICE, [WQ2], before.version)

    (post,) = fake.sent("POST", f"/v1/Workspaces/{WS}/Workers/{ALICE}")
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert post.headers["if-match"] == ETAG
    form = parse_qs(post.content.decode())
    assert list(form) == ["Attributes"]
    # Every byte outside "routing" as it was (spacing, key order, 1.50); unmanaged skill
    # "spanish" and its level kept; the removed managed skill's level dropped.
    assert form["Attributes"] == [
        '{"contact_uri": "client:alice", "full_name": "Alice Archer", "team_name": "Tier 1",\n'
        ' "routing": {"skills":["spanish","support"],"levels":{"spanish":2}},\n'
        ' "email": "alice@example.com", "score": 1.50}'
    ]
    assert after.queue_ids == (WQ2,)
    assert after.version == membership_version([WQ2])
    # Re-read after the write, not taken on trust.
    assert fake.sent("GET", f"/v1/Workspaces/{WS}/Workers/{ALICE}")[-1].url == post.url


async def test_reassign_adds_routing_when_there_is_none() -> None:
    fake = WriteFake()
    fake.attributes = '{"contact_uri":"client:alice"}'
    source = make(fake)
    agent = await source.set_agent_queues(ALICE, [WQ1, WQ2], membership_version([]))
    assert fake.attributes == '{"contact_uri":"client:alice","routing":{"skills":["sales","support"]}}'
    assert agent.queue_ids == (WQ1, WQ2)


async def test_reassign_to_the_same_queues_writes_nothing() -> None:
    fake = WriteFake()
    source = make(fake)
    agent = await source.set_agent_queues(ALICE, [WQ1], membership_version([WQ1]))
    assert agent.queue_ids == (WQ1,)
    assert not fake.sent("POST", ".*")


async def test_stale_version_is_a_conflict_and_nothing_is_written() -> None:
    fake = WriteFake()
    with pytest.raises(VersionConflict) as caught:
        await make(fake).set_agent_queues(ALICE, [WQ2], membership_version([WQ2]))
    assert caught.value.current is not None
    assert caught.value.current.queue_ids == (WQ1,)
    assert not fake.sent("POST", ".*")


async def test_412_from_if_match_is_a_conflict() -> None:
    fake = WriteFake(post=status(412, {"code": 20412, "message": "Precondition Failed",
                                       "status": 412}))
    with pytest.raises(VersionConflict, match="HTTP 412") as caught:
        await make(fake).set_agent_queues(ALICE, [WQ2], membership_version([WQ1]))
    assert caught.value.current is not None and caught.value.current.id == ALICE


async def test_queue_without_queue_skills_is_rejected_before_any_request() -> None:
    fake = WriteFake()
    other = "WQ" + "99" * 16
    with pytest.raises(RejectedChange,
                       match=f"queue {other} has no queue_skills entry in the config"):
        await make(fake).set_agent_queues(ALICE, [WQ1, other], membership_version([WQ1]))
    assert fake.requests == []


async def test_queues_sharing_a_skill_cannot_be_split() -> None:
    fake = WriteFake()
    shared = (("WQ" + "33" * 16, "sales"), (WQ1, "sales"), (WQ2, "support"))
    source = make(fake, queue_skills=shared)
    with pytest.raises(RejectedChange, match="share a skill"):
        await source.set_agent_queues(ALICE, [WQ1], membership_version(["WQ" + "33" * 16, WQ1]))
    assert not fake.sent("POST", ".*")


async def test_write_refused_403_names_the_permission() -> None:
    fake = WriteFake(post=status(403, {"code": 20403, "message": "Forbidden", "status": 403}))
    with pytest.raises(RejectedChange, match="write access to TaskRouter Workers"):
        await make(fake).set_agent_queues(ALICE, [WQ2], membership_version([WQ1]))


async def test_attributes_that_cannot_take_skills_are_rejected() -> None:
    fake = WriteFake()
    fake.attributes = '{"routing": {"skills": "sales"}}'
    with pytest.raises(RejectedChange, match=r"routing\.skills is not a list"):
        await make(fake).set_agent_queues(ALICE, [WQ2], membership_version([]))
    fake.attributes = '["not", "an", "object"]'
    with pytest.raises(RejectedChange, match="not a JSON object"):
        await make(fake).set_agent_queues(ALICE, [WQ2], membership_version([]))
    assert not fake.sent("POST", ".*")


async def test_unknown_or_malformed_agent_is_rejected() -> None:
    fake = FakeTwilio(routes(worker=status(404, {"code": 20404, "status": 404})))
    source = make(fake)
    with pytest.raises(RejectedChange, match="no worker"):
        await source.fetch_agent(ALICE)
    with pytest.raises(RejectedChange, match="not a TaskRouter worker SID"):
        await source.fetch_agent("../Activities")
    assert len(fake.requests) == 1


async def test_fetch_agent_keeps_the_last_polls_task_state() -> None:
    fake = FakeTwilio(routes())
    source = make(fake)
    await source.fetch_floor()
    alice = await source.fetch_agent(ALICE)
    assert alice.state is AgentState.ON_CONTACT and alice.queue_ids == (WQ1,)


async def test_a_plan_without_rows_and_no_tickets() -> None:
    source = make(FakeTwilio(routes()))
    plan = await source.fetch_plan(NOW.date())
    # Empty frames, not None: the re-forecast can still run on a forecast CSV alone.
    assert plan is not None and plan.forecast.empty and plan.actuals.empty
    assert {"queue", "start", "offered", "answered"} <= set(plan.actuals.columns)
    assert await source.fetch_tickets() is None


# --- config and credentials -----------------------------------------------------------------


async def test_api_key_credentials() -> None:
    key = "SK" + "5a" * 16
    fake = FakeTwilio(routes(), auth=basic(key, "key-secret"))
    source = make(fake, environ={"TW_KEY": "key-secret"}, api_key_sid=key,
                  api_key_secret_env="TW_KEY", auth_token_env=None)
    await source.fetch_floor()
    assert len(fake.requests) == 15


def test_missing_secret_is_a_credential_error() -> None:
    with pytest.raises(CredentialError, match="TWILIO_TOKEN is not set"):
        make(FakeTwilio(routes()), environ={})


@pytest.mark.parametrize(("options", "message"), [
    ({"workspace_sid": "WS123"}, "workspace_sid: expected a Twilio SID"),
    ({"account_sid": None}, "account_sid: expected a Twilio SID"),
    ({"queues": ("Sales",)}, "queues: expected a Twilio SID"),
    ({"queue_skills": {"Sales": "sales"}}, "queue_skills: expected a Twilio SID"),
    ({"queue_skills": {WQ1: ""}}, "queue_skills.WQ.*: expected a skill name"),
    ({"task_channel": "fax"}, "task_channel 'fax' is not one floorview can show"),
    ({"sl_threshold_s": 20.5}, "sl_threshold_s: Twilio splits wait times at whole seconds"),
    ({"sl_target": 80}, r"sl_target: expected a fraction in \(0, 1\]"),
    ({"time_zone": "Mars/Olympus"}, "time_zone: unknown time zone"),
])
def test_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make(FakeTwilio(routes()), **options)


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://taskrouter.example.com", False),
    ("http://127.0.0.1:8080", True),
    ("https://taskrouter.example.com/", True),
])
def test_credentials_only_over_https(url: str, allowed: bool) -> None:
    config = AdapterConfig(name="twilio", url=url, options={
        "workspace_sid": WS, "account_sid": AC, "auth_token_env": "T"}, environ={"T": TOKEN})
    if allowed:
        assert str(from_config(config).http.base_url).startswith(url.rstrip("/"))
    else:
        with pytest.raises(ValueError, match="only over https"):
            from_config(config)


async def test_canary_secret_never_logged_or_raised(caplog: pytest.LogCaptureFixture) -> None:
    canary = "CANARY-3f9d61c0-do-not-print"
    header = basic(AC, canary)
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []

    good = FakeTwilio(routes(), auth=header)
    source = make(good, environ={"TWILIO_TOKEN": canary})
    await source.fetch_floor()
    await source.fetch_agent(ALICE)
    for fake, action in [
        (FakeTwilio(routes(queues=status(401, load("error_401.json"))), auth=header),
         lambda s: s.fetch_floor()),
        (FakeTwilio(routes(bulk=status(429, load("error_429.json"), {"Retry-After": "3"})),
                    auth=header), lambda s: s.fetch_floor()),
        (FakeTwilio({**routes(), ("POST", f"/v1/Workspaces/{WS}/Workers/{ALICE}"):
                     status(403, {"code": 20403, "status": 403})}, auth=header),
         lambda s: s.set_agent_queues(ALICE, [WQ2], membership_version([WQ1]))),
    ]:
        failing = make(fake, environ={"TWILIO_TOKEN": canary})
        with pytest.raises(SourceError) as caught:
            await action(failing)
        errors.append(caught.value)
    with pytest.raises(CredentialError) as missing:
        make(good, environ={"OTHER": canary})
    errors.append(missing.value)

    assert caplog.records, "logging at DEBUG should have captured something"
    encoded = header.split()[1]
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.__dict__)
        assert canary not in text and encoded not in text
    for error in errors:
        assert canary not in str(error) and encoded not in str(error)
        assert canary not in repr(error) and encoded not in repr(error)
    assert canary not in repr(source.http.__dict__)


# --- the attribute splice -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ('{"a": 1.50, "routing": {"skills": []}, "z": "é"}',
     '{"a": 1.50, "routing": {"skills":["x"]}, "z": "é"}'),
    ("{}", '{"routing":{"skills":["x"]}}'),
    ('{ "a" : [1, 2] \n}', '{ "a" : [1, 2],"routing":{"skills":["x"]} \n}'),
    # JSON's last duplicate is the one in effect; that is the one replaced.
    ('{"routing": 1, "routing": 2}', '{"routing": 1, "routing": {"skills":["x"]}}'),
])
def test_replace_member_keeps_every_other_byte(raw: str, expected: str) -> None:
    out = tp.replace_member(raw, "routing", {"skills": ["x"]})
    assert out == expected
    assert json.loads(out)["routing"] == {"skills": ["x"]}


@pytest.mark.parametrize("raw", ["[]", '{"a": 1', '{"a": 1} x', '{a: 1}', ""])
def test_replace_member_refuses_what_is_not_one_object(raw: str) -> None:
    with pytest.raises(ValueError):
        tp.replace_member(raw, "routing", {})


def test_new_routing_keeps_unmanaged_skills_first() -> None:
    attrs = {"routing": {"skills": ["vip", "sales", 7], "levels": {"sales": 1, "vip": 2},
                         "other": True}}
    out = tp.new_routing(attrs, frozenset({"sales", "support"}), ["support", "support"])
    assert out == {"skills": ["vip", 7, "support"], "levels": {"vip": 2}, "other": True}


async def test_a_sid_that_is_not_one_never_reaches_a_request_path() -> None:
    listing = load("task_queues.json")
    listing["task_queues"][0]["sid"] = "WQ/../../Workers"
    fake = FakeTwilio(routes(queues=lambda r: httpx.Response(200, json=listing)))
    with pytest.raises(SourceError, match=r"TaskQueues\[0\]\.sid: not a TaskQueue SID"):
        await make(fake).fetch_floor()
    assert len(fake.requests) == 1
