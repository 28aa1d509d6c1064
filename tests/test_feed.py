import asyncio
import random
import time
from datetime import UTC, date, datetime

from fakes import Clock, ScriptedSource, recorded_floor

from floorview.feed import MAX_BACKOFF_S, Feed, Health
from floorview.model import FloorSnapshot, Ticket
from floorview.sources.base import DayPlan, SourceError
from floorview.sources.http import FetchError

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
    # The circuit would open after 5 failures; kept shut here to watch the backoff alone.
    feed = Feed(
        ScriptedSource(["x"] * 12 + [FLOOR]), 1.0, rng=random.Random(7), circuit_failures=100
    )
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


class CountingSource(ScriptedSource):
    """A scripted source that counts how often it is called."""

    def __init__(self, outcomes: list[FloorSnapshot | str | Exception]) -> None:
        super().__init__([])
        self.calls = 0
        self._script = list(outcomes)

    async def fetch_floor(self) -> FloorSnapshot:
        self.calls += 1
        outcome = self._script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, str):
            raise SourceError(outcome)
        return outcome


async def test_circuit_opens_after_k_failures_and_leaves_the_source_alone() -> None:
    clock = Clock()
    source = CountingSource(["acd: down"] * 3)
    feed = Feed(source, 2.0, clock=clock, circuit_failures=3, circuit_reset_s=30.0)
    for _ in range(2):
        assert await feed.poll_once() is None
        assert not feed.status().circuit_open
    assert await feed.poll_once() is None  # the third failure in a row opens it
    assert source.calls == 3

    status = feed.status()
    assert status.circuit_open and status.health is Health.DOWN and status.failures == 3
    assert status.retry_in_s == 30.0
    assert status.last_error == "acd: down; circuit open after 3 failures, next try in 30 s"
    assert feed.next_delay_s() == 30.0  # the app sleeps until the trial, not a backoff guess

    clock.now += 10
    for _ in range(5):  # polls while open return at once without calling the source
        assert await feed.poll_once() is None
    assert source.calls == 3
    assert feed.status().retry_in_s == 20.0
    assert feed.status().last_error is not None
    assert feed.status().last_error.endswith("next try in 20 s")


async def test_half_open_trial_failure_reopens_and_success_closes() -> None:
    clock = Clock()
    source = CountingSource(["acd: down", "acd: down", "acd: still down", FLOOR, FLOOR])
    feed = Feed(source, 2.0, clock=clock, circuit_failures=2, circuit_reset_s=30.0)
    await feed.poll_once()
    await feed.poll_once()
    assert feed.status().circuit_open

    clock.now += 30  # cool-down over: half-open, the next poll is one trial
    assert not feed.status().circuit_open
    assert feed.next_delay_s() == 0.0
    assert await feed.poll_once() is None  # the trial fails ...
    assert source.calls == 3
    status = feed.status()
    assert status.circuit_open and status.retry_in_s == 30.0  # ... and reopens it
    assert status.last_error is not None and status.last_error.startswith("acd: still down;")
    assert await feed.poll_once() is None and source.calls == 3

    clock.now += 30
    assert await feed.poll_once() is FLOOR  # a successful trial closes it
    status = feed.status()
    assert not status.circuit_open and status.health is Health.OK and status.failures == 0
    assert status.last_error is None and status.retry_in_s is None
    assert feed.next_delay_s() == 2.0
    assert await feed.poll_once() is FLOOR and source.calls == 5


async def test_retry_after_sets_the_least_delay_and_the_circuit_cool_down() -> None:
    clock = Clock()
    limited = FetchError("acd: /v1/floor answered HTTP 429; retrying in 45 s", retry_after_s=45.0)
    source = CountingSource([limited, FLOOR, limited, limited])
    feed = Feed(source, 2.0, clock=clock, rng=random.Random(1), circuit_failures=2)
    assert await feed.poll_once() is None
    # Exactly what the server asked (not a jittered guess that could come in under it).
    assert feed.next_delay_s() == 45.0
    assert feed.status().retry_in_s == 45.0
    clock.now += 10
    assert feed.next_delay_s() == 35.0

    clock.now += 35
    assert await feed.poll_once() is FLOOR
    assert feed.next_delay_s() == 2.0  # a success forgets the old Retry-After

    await feed.poll_once()
    await feed.poll_once()  # opens the circuit
    assert feed.status().circuit_open
    assert feed.next_delay_s() == 45.0  # the 30 s cool-down stretched to the Retry-After


async def test_retry_after_never_shortens_the_poll_interval() -> None:
    short = FetchError("acd: slow down", retry_after_s=1.0)
    feed = Feed(CountingSource([short]), 5.0, clock=Clock())
    await feed.poll_once()
    assert feed.next_delay_s() == 5.0


class PlanLimitedSource(CountingSource):
    async def fetch_plan(self, day: date) -> DayPlan | None:
        raise FetchError("acd: /v1/forecast answered HTTP 429; retrying in 20 s", retry_after_s=20.0)


async def test_a_rate_limited_plan_fetch_holds_back_the_next_floor_poll() -> None:
    clock = Clock()
    feed = Feed(PlanLimitedSource([FLOOR]), 2.0, clock=clock)
    assert await feed.poll_once() is FLOOR
    assert feed.plan_error == "acd: /v1/forecast answered HTTP 429; retrying in 20 s"
    assert feed.status().health is Health.OK  # the floor itself is fine
    assert feed.next_delay_s() == 20.0


class HangingSource(ScriptedSource):
    async def fetch_floor(self) -> FloorSnapshot:
        await asyncio.sleep(3600)
        raise AssertionError("never")


async def test_a_hanging_source_fails_at_the_poll_deadline() -> None:
    feed = Feed(HangingSource([]), 1.0, poll_deadline_s=0.05)
    started = time.monotonic()
    assert await feed.poll_once() is None
    assert time.monotonic() - started < 1.0
    assert feed.status().last_error == "acd: no complete answer within the 0.05 s poll deadline"


class TimeoutRaisingSource(ScriptedSource):
    async def fetch_floor(self) -> FloorSnapshot:
        raise TimeoutError("socket")


async def test_a_sources_own_timeout_error_is_not_blamed_on_the_deadline() -> None:
    feed = Feed(TimeoutRaisingSource([]), 1.0)
    assert await feed.poll_once() is None
    assert feed.status().last_error == "acd: unexpected TimeoutError: socket"


class FlakyTicketsSource(CountingSource):
    def __init__(self, outcomes: list[FloorSnapshot | str | Exception]) -> None:
        super().__init__(outcomes)
        self.ticket_answers: list[tuple[Ticket, ...] | str] = []

    async def fetch_tickets(self) -> tuple[Ticket, ...] | None:
        answer = self.ticket_answers.pop(0)
        if isinstance(answer, str):
            raise SourceError(answer)
        return answer


async def test_tickets_are_fetched_on_their_own_schedule_and_kept_through_a_failure() -> None:
    clock = Clock()
    ticket = Ticket("T-1", "Refund", "high", "open", "gold", datetime(2026, 11, 23, 8, tzinfo=UTC),
                    None, None, "Billing")
    source = FlakyTicketsSource([FLOOR] * 3)
    source.ticket_answers = [(ticket,), "acd: /v1/tickets answered HTTP 503"]
    feed = Feed(source, 2.0, clock=clock, tickets_interval_s=30.0)
    await feed.poll_once()
    assert feed.tickets == (ticket,) and feed.tickets_error is None
    clock.now += 10
    await feed.poll_once()  # not due: no fetch (the script would run out)
    clock.now += 25
    assert await feed.poll_once() is FLOOR
    assert feed.tickets == (ticket,)  # the last good list stays
    assert feed.tickets_error == "acd: /v1/tickets answered HTTP 503"
    assert feed.status().health is Health.OK  # the floor itself is fine
