import pytest
from fakes import Clock
from hypothesis import given
from hypothesis import strategies as st

from floorview.sources.budget import TokenBucket


class FakeTime:
    """A clock and a sleep on the same fake time line; sleeping advances the clock."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.now += seconds

    def bucket(self, rate_per_s: float, burst: int) -> TokenBucket:
        return TokenBucket(rate_per_s, burst, clock=self.clock, sleep=self.sleep)


def test_starts_full_and_spends_the_burst_at_once() -> None:
    t = FakeTime()
    bucket = t.bucket(2.0, 3)
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_s() == pytest.approx(0.5)


def test_refills_at_the_rate_and_never_past_the_burst() -> None:
    t = FakeTime()
    bucket = t.bucket(2.0, 3)
    for _ in range(3):
        bucket.try_take()
    t.clock.now += 0.25
    assert bucket.tokens == pytest.approx(0.5) and not bucket.try_take()
    t.clock.now += 0.25
    assert bucket.try_take()
    t.clock.now += 3600
    assert bucket.tokens == 3.0


def test_a_clock_stepping_back_does_not_drain_the_bucket() -> None:
    t = FakeTime()
    bucket = t.bucket(1.0, 2)
    t.clock.now -= 100
    assert bucket.tokens == 2.0


async def test_acquire_waits_for_a_token_instead_of_sending() -> None:
    t = FakeTime()
    bucket = t.bucket(5.0, 1)
    assert await bucket.acquire()
    assert t.sleeps == []
    assert await bucket.acquire()
    assert t.sleeps == [pytest.approx(0.2)]
    assert await bucket.acquire()
    assert sum(t.sleeps) == pytest.approx(0.4)


async def test_acquire_gives_up_at_once_when_the_wait_is_too_long() -> None:
    t = FakeTime()
    bucket = t.bucket(0.5, 1)
    assert await bucket.acquire(max_wait_s=0)
    assert not await bucket.acquire(max_wait_s=1.9)  # the next token is 2 s away
    assert t.sleeps == [] and t.clock.now == 1000.0  # no time spent, no token taken
    assert await bucket.acquire(max_wait_s=2.0)
    assert t.sleeps == [pytest.approx(2.0)]


@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 20),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_never_more_than_burst_plus_rate_times_elapsed(
    rate: float, burst: int, gaps: list[float]
) -> None:
    t = FakeTime()
    bucket = t.bucket(rate, burst)
    start = t.clock.now
    sent = 0
    for gap in gaps:
        t.clock.now += gap
        while bucket.try_take():
            sent += 1
        # The vendor's documented limit, over the whole window so far.
        assert sent <= burst + rate * (t.clock.now - start) + 1e-6
    assert sent >= burst  # the first burst always goes out at once


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate_per_s"):
        TokenBucket(0, 1)
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(1, 0)
