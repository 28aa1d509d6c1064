import random

from fakes import Clock, ScriptedSource, recorded_floor

from floorview.feed import MAX_BACKOFF_S, Feed, Health

FLOOR = recorded_floor()


async def test_health_moves_through_ok_stale_down_and_keeps_last_good_data() -> None:
    clock = Clock()
    feed = Feed(ScriptedSource([FLOOR, "acd: timed out", FLOOR]), 2.0, clock=clock)
    assert feed.status().health is Health.CONNECTING

    assert await feed.poll_once() is FLOOR
    assert feed.status().health is Health.OK and feed.status().age_s == 0

    clock.now += 4.5  # past 2x the poll interval with no new data
    assert feed.status().health is Health.STALE

    assert await feed.poll_once() is None
    status = feed.status()
    assert status.health is Health.DOWN
    assert status.last_error == "acd: timed out"
    assert status.age_s == 4.5
    assert feed.latest is FLOOR  # the screen keeps the last good floor

    clock.now += 1
    await feed.poll_once()
    assert feed.status().health is Health.OK and feed.status().last_error is None


async def test_backoff_grows_with_failures_and_resets() -> None:
    feed = Feed(ScriptedSource(["x"] * 12 + [FLOOR]), 1.0, rng=random.Random(7))
    assert feed.next_delay_s() == 1.0
    delays = []
    for _ in range(12):
        await feed.poll_once()
        delays.append(feed.next_delay_s())
    assert all(1.0 <= d <= MAX_BACKOFF_S for d in delays)
    assert max(delays[6:]) > 8  # jittered, but the ceiling has grown well past the interval
    await feed.poll_once()
    assert feed.next_delay_s() == 1.0


class BrokenSource(ScriptedSource):
    async def fetch_floor(self):  # type: ignore[no-untyped-def]
        raise KeyError("adapter bug")


async def test_an_adapter_bug_is_a_failed_poll_not_a_crash() -> None:
    feed = Feed(BrokenSource([]), 1.0)
    assert await feed.poll_once() is None
    status = feed.status()
    assert status.health is Health.DOWN
    assert status.last_error == "acd: unexpected KeyError: 'adapter bug'"
