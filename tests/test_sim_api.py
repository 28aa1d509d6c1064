"""The Floor API as the simulator serves it: in-process over ASGI, and once over loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sim.server import start_in_thread
from floorview.sources.rest import RestSource, parse_floor

DATE = "2026-11-23"
QUEUE_KEYS = {"id", "name", "channel", "sl_threshold_s", "sl_target", "waiting", "oldest_wait_s", "today"}
COUNT_KEYS = {"offered", "answered", "answered_within_sl", "abandoned", "handled", "handle_time_s", "wait_time_s"}
AGENT_KEYS = {"id", "name", "team", "state", "aux_reason", "state_since", "queues", "version", "contact", "today"}
TICKET_KEYS = {"id", "subject", "priority", "status", "customer_tier", "created_at", "sla_due_at", "assignee", "group", "escalated"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def make_client(config: SimConfig, clock: FakeClock) -> httpx.AsyncClient:
    app = create_app(Simulator(config), clock=clock)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(SimConfig(seed=7, start=dt.time(10, 15), speed=10), clock) as c:
        yield c


async def get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_floor_follows_the_clock_at_the_configured_speed(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    floor = await get(client, "/v1/floor")
    assert floor["api_version"] == 1 and floor["site"] == "Simulated floor"
    assert floor["as_of"] == f"{DATE}T10:15:00Z"
    assert all(set(q) == QUEUE_KEYS and set(q["today"]) == COUNT_KEYS for q in floor["queues"])
    assert all(set(a) == AGENT_KEYS for a in floor["agents"])
    assert parse_floor(floor, "sim").as_of == dt.datetime(2026, 11, 23, 10, 15, tzinfo=dt.UTC)
    clock.now += 12.5
    later = await get(client, "/v1/floor")
    assert later["as_of"] == f"{DATE}T10:17:05Z"
    clock.now += 0.0123
    assert (await get(client, "/v1/floor"))["as_of"] == f"{DATE}T10:17:05.123Z"


async def test_same_seed_same_answers_whatever_the_polling(clock: FakeClock) -> None:
    config = SimConfig(seed=21, start=dt.time(9, 0), speed=60)
    other_clock = FakeClock()
    async with make_client(config, clock) as busy, make_client(config, other_clock) as idle:
        for _ in range(40):
            clock.now += 1.5
            await busy.get("/v1/floor")
        other_clock.now += 60
        floor = await get(idle, "/v1/floor")
        assert await get(busy, "/v1/floor") == floor
        assert await get(busy, "/v1/intervals") == await get(idle, "/v1/intervals")
    different_clock = FakeClock()
    async with make_client(SimConfig(seed=22, start=dt.time(9), speed=60), different_clock) as c:
        different_clock.now += 60
        different = await get(c, "/v1/floor")
    assert different["as_of"] == floor["as_of"] and different["agents"] != floor["agents"]


async def test_intervals_up_to_the_one_in_progress(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/intervals", date=DATE)
    assert body["date"] == DATE and body["interval_s"] == 900
    assert body["as_of"] == f"{DATE}T10:15:00Z"
    rows = body["intervals"]
    assert len(rows) == 42 * 6  # 00:00 up to and including 10:15
    assert rows[-1]["start"] == f"{DATE}T10:15:00Z"
    assert all(set(r) == COUNT_KEYS | {"queue", "start", "staffed_avg", "agents_effective"} for r in rows)
    assert await get(client, "/v1/intervals") == body
    assert (await get(client, "/v1/intervals", date="2026-11-22"))["intervals"] == []


async def test_forecast_for_the_whole_day(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/forecast", date=DATE)
    assert body["date"] == DATE and body["interval_s"] == 900
    rows = body["intervals"]
    assert len(rows) == 96 * 6
    assert all(set(r) == {"queue", "start", "volume", "aht_s", "scheduled_agents"} for r in rows)
    assert rows[0]["start"] == f"{DATE}T00:00:00Z" and rows[-1]["start"] == f"{DATE}T23:45:00Z"
    tomorrow = await get(client, "/v1/forecast", date="2026-11-24")
    assert tomorrow["intervals"][0]["start"] == "2026-11-24T00:00:00Z"


@pytest.mark.parametrize("path", ["/v1/intervals", "/v1/forecast"])
async def test_a_bad_date_is_422(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, params={"date": "23/11/2026"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_date"


async def test_tickets_show_their_text_literally(client: httpx.AsyncClient) -> None:
    body = await get(client, "/v1/tickets")
    assert body["as_of"] == f"{DATE}T10:15:00Z"
    tickets = body["tickets"]
    assert all(set(t) == TICKET_KEYS for t in tickets)
    subjects = {t["subject"] for t in tickets}
    assert "[bold]Refund[/bold] not received" in subjects
    assert any("\u4e00" <= ch <= "\u9fff" for s in subjects for ch in s)
    assert {t["status"] for t in tickets} <= {"new", "open", "pending"}
    assert {t["priority"] for t in tickets} <= {"low", "normal", "high", "urgent"}
    assert {t["customer_tier"] for t in tickets} <= {"standard", "gold", "platinum"}
    assert any(t["sla_due_at"] is None for t in tickets) or all(t["priority"] != "low" for t in tickets)
    escalated = (await get(client, "/v1/tickets", escalated="true"))["tickets"]
    assert escalated and all(t["escalated"] for t in escalated)
    assert {t["id"] for t in escalated} < {t["id"] for t in tickets}
    # The raw bytes carry the characters themselves, not \u escapes.
    raw = (await client.get("/v1/tickets")).content.decode("utf-8")
    assert "退款" in raw


async def test_reassigning_an_agent(client: httpx.AsyncClient) -> None:
    floor = await get(client, "/v1/floor")
    agent = floor["agents"][4]
    url = f"/v1/agents/{agent['id']}/queues"
    new_queues = ["q-sales", "q-chat"]

    ok = await client.put(url, json={"queues": new_queues, "expected_version": agent["version"]})
    assert ok.status_code == 200
    assert ok.json()["queues"] == new_queues
    assert ok.json()["version"] == agent["version"] + 1
    again = await get(client, "/v1/floor")
    assert next(a for a in again["agents"] if a["id"] == agent["id"])["queues"] == new_queues

    stale = await client.put(url, json={"queues": ["q-tech"], "expected_version": agent["version"]})
    assert stale.status_code == 409
    assert stale.json()["error"] == "version_conflict"
    assert stale.json()["agent"]["version"] == agent["version"] + 1
    assert stale.json()["agent"]["queues"] == new_queues

    missing = await client.put("/v1/agents/a-999/queues", json={"queues": [], "expected_version": 1})
    assert missing.status_code == 404 and "error" in missing.json()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"queues": ["q-nope"], "expected_version": 1}, "unknown_queue"),
        ({"queues": "q-sales", "expected_version": 1}, "invalid_body"),
        ({"queues": [1], "expected_version": 1}, "invalid_body"),
        ({"queues": ["q-sales"]}, "invalid_body"),
        ({"queues": ["q-sales"], "expected_version": True}, "invalid_body"),
        ({"queues": ["q-sales"], "expected_version": "1"}, "invalid_body"),
        (["q-sales"], "invalid_body"),
        (b"{not json", "invalid_body"),
    ],
)
async def test_a_bad_reassignment_is_422(client: httpx.AsyncClient, body: Any, code: str) -> None:
    if isinstance(body, bytes):
        response = await client.put("/v1/agents/a-001/queues", content=body)
    else:
        response = await client.put("/v1/agents/a-001/queues", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == code and response.json()["detail"]
    floor = await get(client, "/v1/floor")
    assert floor["agents"][0]["version"] == 1


async def test_unknown_paths_and_methods_answer_in_the_error_format(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = await client.post("/v1/floor")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


async def test_requests_are_counted_per_path(clock: FakeClock) -> None:
    app = create_app(Simulator(SimConfig(start=dt.time(9))), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        for _ in range(3):
            await c.get("/v1/floor")
        await c.get("/v1/health")
    assert app.state.requests["/v1/floor"] == 3
    assert app.state.requests["/v1/health"] == 1


def test_served_over_loopback() -> None:
    running = start_in_thread(SimConfig(seed=3, speed=30))
    try:
        assert running.url.startswith("http://127.0.0.1:")
        assert not running.url.endswith(":0")
        with httpx.Client(base_url=running.url, timeout=5) as c:
            floor = c.get("/v1/floor").json()
            assert len(floor["agents"]) == 60
            agent = floor["agents"][0]
            put = c.put(
                f"/v1/agents/{agent['id']}/queues",
                json={"queues": ["q-billing"], "expected_version": agent["version"]},
            )
            assert put.status_code == 200 and put.json()["version"] == agent["version"] + 1
            assert c.get("/v1/health").json()["status"] == "ok"
        assert running.app.state.requests["/v1/floor"] == 1
    finally:
        running.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{running.url}/v1/health", timeout=1)


async def test_the_rest_source_reads_a_frozen_simulator() -> None:
    running = start_in_thread(SimConfig(seed=4, speed=100), clock=lambda: 42.0)
    try:
        source = RestSource("sim", running.url)
        try:
            snap = await source.fetch_floor()
        finally:
            await source.aclose()
        assert snap.as_of == dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
        assert snap.site == "Simulated floor" and len(snap.agents) == 60
        assert snap.agent_by_id["a-001"].name == "王芳"
    finally:
        running.stop()
