"""One collector, many viewers: real HTTP over loopback, simulator -> collector -> viewers."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from floorview.alerts import AlertRules
from floorview.collector.access import AccessError, Tokens, load_tokens
from floorview.collector.server import create_app, start_server
from floorview.collector.service import Collector
from floorview.feed import Feed, Health
from floorview.journal import Journal
from floorview.model import AgentState
from floorview.monitor import Monitor
from floorview.sim.config import SimConfig
from floorview.sim.server import RunningSim, start_in_thread
from floorview.sources.collector_source import CollectorSource
from floorview.sources.rest import RestSource

VIEWER = "v" * 32
SUPERVISOR = "s" * 32
ADMIN = "a" * 32
POLL_S = 0.2
WINDOW_S = 10.0


def tokens_file(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "tokens.toml"
    path.write_text(
        f'[[tokens]]\nname = "wall-3"\nrole = "viewer"\ntoken = "{VIEWER}"\n\n'
        f'[[tokens]]\nname = "ops-host"\nrole = "supervisor"\ntoken = "{SUPERVISOR}"\n\n'
        f'[[tokens]]\nname = "admin"\nrole = "admin"\ntoken = "{ADMIN}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


class Running:
    def __init__(self, sim: RunningSim, collector: Collector, url: str, port: int) -> None:
        self.sim, self.collector, self.url, self.port = sim, collector, url, port


async def start_collector(
    sim: RunningSim, tokens: Tokens, journal: Journal | None, port: int = 0,
    collector: Collector | None = None,
) -> tuple[Collector, object, asyncio.Task[None], int]:
    if collector is None:
        # A fixed seed: the poll jitter is then the same in every run being compared.
        feed = Feed(RestSource("acd", sim.url), POLL_S, rng=random.Random(1))
        collector = Collector([feed], Monitor(AlertRules(for_s=0.0), journal))
        collector.start()
    server, task, bound = await start_server(create_app(collector, tokens), "127.0.0.1", port)
    return collector, server, task, bound


async def stop_server(server: object, task: asyncio.Task[None]) -> None:
    server.should_exit = True  # type: ignore[attr-defined]
    await asyncio.wait_for(task, 10)


async def read_stream(url: str, token: str, floors: list[int], stop: asyncio.Event) -> None:
    """A headless viewer: counts the floors the stream brings until told to stop."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=None) as client,
        client.stream("GET", "/v1/stream") as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("event: floor"):
                floors[0] += 1
            if stop.is_set():
                return


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    running = start_in_thread(SimConfig(seed=11, speed=60.0))
    try:
        yield running
    finally:
        running.stop()


class CollectorThread:
    """The collector in a thread of its own, as in production it is a process of its own:
    the viewers' parsing must not slow its polling, or fewer polls would look like less
    load."""

    def __init__(self, sim: RunningSim, tokens: Tokens) -> None:
        self.ready = threading.Event()
        self.port = 0
        self._sim, self._tokens = sim, tokens
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        assert self.ready.wait(10), "the collector did not start"

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        collector, server, task, self.port = await start_collector(self._sim, self._tokens, None)
        self.ready.set()
        await self._stop.wait()
        await collector.stop()
        await stop_server(server, task)

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


async def sim_requests_with_viewers(tmp_path: Path, viewers: int, seconds: float) -> tuple[int, int]:
    running = start_in_thread(SimConfig(seed=11, speed=60.0))
    try:
        thread = CollectorThread(running, load_tokens(tokens_file(tmp_path)))
        url = f"http://127.0.0.1:{thread.port}"
        stop = asyncio.Event()
        counts = [[0] for _ in range(viewers)]
        readers = [asyncio.create_task(read_stream(url, VIEWER, c, stop)) for c in counts]
        await asyncio.sleep(seconds)
        thread.stop()
        served = sum(1 for c in counts if c[0] >= seconds / POLL_S / 2)
        stop.set()
        for r in readers:
            r.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        return sum(running.app.state.requests.values()), served
    finally:
        running.stop()


async def test_fifty_viewers_cost_the_vendor_what_one_does(tmp_path: Path) -> None:
    one, served_one = await sim_requests_with_viewers(tmp_path / "1", 1, WINDOW_S)
    fifty, served_fifty = await sim_requests_with_viewers(tmp_path / "50", 50, WINDOW_S)
    print(f"\nsimulator requests in {WINDOW_S:g} s: 1 viewer {one}, 50 viewers {fifty}")
    assert (served_one, served_fifty) == (1, 50)  # every viewer got a live floor
    assert one >= WINDOW_S / POLL_S * 0.8  # the collector really polled
    assert abs(fifty - one) <= 0.05 * one


async def test_a_viewer_token_cannot_write_whatever_it_sends(
    sim: RunningSim, tmp_path: Path
) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        collector, server, task, port = await start_collector(
            sim, load_tokens(tokens_file(tmp_path)), journal
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                if collector.alerts:
                    break
                await asyncio.sleep(0.05)
            fingerprint = collector.alerts[0].fingerprint
            agent = sim.app.state.sim.agents[0].plan.id
            async with httpx.AsyncClient(base_url=url) as client:
                crafted = {"Authorization": f"Bearer {VIEWER}", "X-Floorview-Role": "supervisor",
                           "X-Floorview-User": "root"}
                ack = await client.post(f"/v1/alerts/{fingerprint}/ack", headers=crafted,
                                        json={"note": "mine"})
                put = await client.put(f"/v1/agents/{agent}/queues", headers=crafted,
                                       json={"queues": ["q-sales"], "expected_version": 1})
                get = await client.get(f"/v1/agents/{agent}", headers=crafted)
                assert (ack.status_code, put.status_code, get.status_code) == (403, 403, 403)
                assert "wall-3 is a viewer" in ack.json()["detail"]
                anonymous = await client.get("/v1/floor")
                wrong = await client.get("/v1/floor", headers={"Authorization": "Bearer nope"})
                assert (anonymous.status_code, wrong.status_code) == (401, 401)
                metrics = await client.get("/metrics", headers=crafted)
                assert metrics.status_code == 403
                assert journal.audit_entries() == []  # nothing written for any of them
                # A supervisor's ack is recorded with the person and the host that vouched.
                ok = await client.post(
                    f"/v1/alerts/{fingerprint}/ack", json={"note": "on it"},
                    headers={"Authorization": f"Bearer {SUPERVISOR}",
                             "X-Floorview-User": "maria"},
                )
                assert ok.status_code == 200 and ok.json()["who"] == "maria"
                (entry,) = journal.audit_entries()
                assert (entry.who, entry.host, entry.action) == ("maria", "ops-host", "ack")
                floor = await client.get("/v1/floor", headers={"Authorization": f"Bearer {VIEWER}"})
                again = await client.get("/v1/floor", headers={
                    "Authorization": f"Bearer {VIEWER}", "If-None-Match": floor.headers["etag"]})
                assert again.status_code in (200, 304)  # 304 unless a poll came in between
                assert floor.headers["cache-control"] == "public, max-age=1"
        finally:
            await collector.stop()
            await stop_server(server, task)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_viewer_that_loses_the_collector_goes_stale_and_comes_back(
    sim: RunningSim, tmp_path: Path
) -> None:
    tokens = load_tokens(tokens_file(tmp_path))
    port = free_port()
    collector, server, task, _ = await start_collector(sim, tokens, None, port)
    viewer = Feed(
        CollectorSource("floor", f"http://127.0.0.1:{port}", token=VIEWER, user="wall",
                        poll_deadline_s=1.5),
        0.2, poll_deadline_s=1.5, circuit_failures=10**9,  # as make_feed sets it
    )
    try:
        assert await viewer.poll_once() is not None
        assert viewer.status().health is Health.OK
        await stop_server(server, task)  # the collector goes away (polling goes on)
        for _ in range(6):
            await viewer.poll_once()
        assert viewer.status().health in (Health.STALE, Health.DOWN)
        assert "collector stream" in (viewer.status().last_error or "")
        _, server, task, _ = await start_collector(sim, tokens, None, port, collector)
        for _ in range(40):
            if await viewer.poll_once() is not None:
                break
        assert viewer.status().health is Health.OK
        assert isinstance(viewer.source, CollectorSource) and viewer.source.reconnects >= 1
    finally:
        await viewer.source.aclose()
        await collector.stop()
        await stop_server(server, task)


def test_a_tokens_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tokens_file(tmp_path)
    path.chmod(0o644)
    if os.name == "posix":
        with pytest.raises(AccessError, match="chmod 600"):
            load_tokens(path)
    path.chmod(0o600)
    path.write_text('[[tokens]]\nname = "x"\nrole = "boss"\ntoken = "' + "t" * 32 + '"\n')
    with pytest.raises(AccessError, match=r"tokens\[0\]\.role: must be viewer, supervisor"):
        load_tokens(path)


async def test_a_reassignment_from_a_viewer_is_carried_out_and_audited_by_the_collector(
    sim: RunningSim, tmp_path: Path
) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        collector, server, task, port = await start_collector(
            sim, load_tokens(tokens_file(tmp_path)), journal
        )
        viewer = CollectorSource("floor", f"http://127.0.0.1:{port}", token=SUPERVISOR,
                                 user="maria")
        try:
            for _ in range(200):
                if collector.sources["acd"].feed.latest is not None:
                    break
                await asyncio.sleep(0.05)
            floor = collector.sources["acd"].feed.latest
            assert floor is not None
            on_shift = next(a for a in floor.agents if a.state is not AgentState.OFFLINE)
            agent = await viewer.fetch_agent(on_shift.id)
            after = ("q-sales",) if agent.queue_ids != ("q-sales",) else ("q-billing",)
            moved = await viewer.set_agent_queues(agent.id, after, agent.version)
            assert moved.queue_ids == after
            # The simulator itself has the new queues: the collector wrote them.
            assert (await RestSource("check", sim.url).fetch_agent(agent.id)).queue_ids == after
            intent, outcome = journal.audit_entries()
            assert (intent.result, outcome.result) == ("intent", "ok")
            assert (outcome.who, outcome.host, outcome.action) == ("maria", "ops-host", "reassign")
        finally:
            await viewer.aclose()
            await collector.stop()
            await stop_server(server, task)


async def test_a_dashboard_on_a_viewer_token_says_read_only(
    sim: RunningSim, tmp_path: Path
) -> None:
    from floorview.ui.app import FloorApp
    from floorview.ui.header import FloorHeader

    collector, server, task, port = await start_collector(
        sim, load_tokens(tokens_file(tmp_path)), None
    )
    feed = Feed(CollectorSource("floor", f"http://127.0.0.1:{port}", token=VIEWER,
                                user="wall"), 0.2)
    app = FloorApp([feed], tick_s=0.05)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(200):
                if not app.permissions.can_write and app.snapshots_applied:
                    break
                await pilot.pause(0.05)
            assert not app.permissions.can_write
            assert "READ-ONLY" in str(app.query_one(FloorHeader).render())
            assert app.snapshots_applied >= 1  # and it shows the floor
    finally:
        await collector.stop()
        await stop_server(server, task)
