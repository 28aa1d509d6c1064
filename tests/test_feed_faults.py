"""The feed and the dashboard against a simulator that misbehaves, over a real loopback socket.

Each fault the simulator can inject must end as a visible state — DOWN with a reason, the
last good floor kept — and never as a crash or a hang; and the feed recovers when the
source does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from floorview.feed import Feed, Health
from floorview.sim.config import SimConfig
from floorview.sim.faults import parse_fault_spec
from floorview.sim.server import RunningSim, start_in_thread
from floorview.sources.rest import RestSource
from floorview.ui.app import FloorApp


@contextmanager
def faulty_sim(spec: str) -> Iterator[RunningSim]:
    running = start_in_thread(SimConfig(seed=5, speed=60.0, faults=parse_fault_spec(spec)))
    try:
        yield running
    finally:
        running.stop()


def feed_for(url: str, **source_kw: float) -> Feed:
    source = RestSource("sim", url, timeout_s=0.5, poll_deadline_s=1.5, **source_kw)  # type: ignore[arg-type]
    return Feed(source, 0.1, poll_deadline_s=1.5, circuit_failures=100)


@pytest.mark.parametrize(
    ("spec", "source_kw", "message"),
    [
        ("5xx=1.0", {}, "sim: /v1/floor answered HTTP 503"),
        ("429=1.0:retry=7", {}, "sim: /v1/floor answered HTTP 429"),
        ("timeout=1.0:30", {}, "sim: timed out fetching /v1/floor"),
        ("malformed=1.0", {}, "sim: /v1/floor did not return valid JSON"),
        ("truncated=1.0", {}, "sim: /v1/floor did not return valid JSON"),
        ("drift=1.0", {}, "sim: bad data at "),
        ("drop=1.0", {}, "sim: connection lost fetching /v1/floor"),
        ("trickle=1.0:50", {}, "sim: no complete answer"),
        ("huge=1.0:5", {"max_response_bytes": 1_000_000}, "sim: /v1/floor exceeded the 1 MB response cap"),
    ],
)
async def test_each_fault_is_a_visible_down_state(spec: str, source_kw: dict[str, float], message: str) -> None:
    with faulty_sim(spec) as sim:
        feed = feed_for(sim.url, **source_kw)
        try:
            assert await feed.poll_once() is None
        finally:
            await feed.source.aclose()
    status = feed.status()
    assert status.health is Health.DOWN
    assert status.last_error is not None and status.last_error.startswith(message), status.last_error
    if spec.startswith("429"):
        assert 6 < feed.next_delay_s() <= 7  # Retry-After honoured (less the time since)


async def test_feed_recovers_and_keeps_the_last_good_floor_between() -> None:
    # Half the requests fail in assorted ways; the seeded draw gives both outcomes in a few polls.
    with faulty_sim("5xx=0.2,drop=0.1,malformed=0.1,drift=0.1") as sim:
        feed = feed_for(sim.url)
        seen: list[Health] = []
        kept_floor = True
        try:
            for _ in range(30):
                before = feed.latest
                result = await feed.poll_once()
                seen.append(feed.status().health)
                if result is None and before is not None:
                    kept_floor &= feed.latest is before
        finally:
            await feed.source.aclose()
    assert Health.DOWN in seen and Health.OK in seen
    down_then_ok = any(a is Health.DOWN and b is Health.OK for a, b in itertools.pairwise(seen))
    assert down_then_ok  # recovered after a failure
    assert kept_floor


async def test_dashboard_stays_up_under_faults_and_says_so() -> None:
    with faulty_sim("5xx=0.3,drop=0.2,drift=0.2") as sim:
        source = RestSource("sim", sim.url, timeout_s=0.5, poll_deadline_s=1.5)
        app = FloorApp([Feed(source, 0.05, poll_deadline_s=1.5, circuit_failures=100)], tick_s=0.02)
        banners: set[str] = set()
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(400):
                banners.add(str(app.query_one("#freshness").render()))
                if app.snapshots_applied >= 3 and any("SOURCE DOWN" in b for b in banners):
                    break
                await pilot.pause(0.02)
            assert app.snapshots_applied >= 3
            assert any(b.startswith("✖ SOURCE DOWN: sim") for b in banners)
            assert app.query_one("#agents").row_count == 60  # never blanked
            await pilot.press("q")
