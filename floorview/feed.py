"""Polls one source on a schedule and remembers how healthy and how fresh its data is.

The feed never raises to its caller: a failed poll keeps the last good snapshot and records
the error, so the screen can show old numbers marked with their age instead of blanking.

A failing source is left alone progressively: exponential backoff with full jitter after
each failure, a wait of at least what the server's Retry-After asks, and after
``circuit_failures`` failures in a row a circuit that opens for ``circuit_reset_s``, during
which the source is not called at all. When the cool-down ends the next poll is a single
trial (half-open): success closes the circuit, failure opens it for another cool-down.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from floorview.model import FloorSnapshot, Ticket
from floorview.sources.base import DayPlan, Source, SourceError

#: Longest pause between retries of a failing source (while its circuit is closed).
MAX_BACKOFF_S = 60.0
#: The forecast and interval actuals change every 15 minutes; no need to fetch them often.
PLAN_INTERVAL_S = 60.0
#: Escalated tickets move on the scale of minutes to an SLA breach, not seconds.
TICKETS_INTERVAL_S = 30.0
#: Defaults of the per-source config keys of the same names (floorview/config.py).
POLL_DEADLINE_S = 10.0
CIRCUIT_FAILURES = 5
CIRCUIT_RESET_S = 30.0

T = TypeVar("T")


class Health(StrEnum):
    CONNECTING = "connecting"  # no answer yet
    OK = "ok"
    STALE = "stale"  # last good data older than 2x the poll interval
    DOWN = "down"  # the last poll failed


@dataclass(frozen=True, slots=True)
class FeedStatus:
    source: str
    health: Health
    age_s: float | None  # seconds since the last good snapshot arrived
    last_error: str | None  # while the circuit is open, also says so and when it will retry
    failures: int  # consecutive failed polls
    circuit_open: bool = False  # the source is not being called until the cool-down ends
    retry_in_s: float | None = None  # seconds to the next attempt while failing, if known


def _retry_after_s(exc: BaseException) -> float | None:
    value = exc.retry_after_s if isinstance(exc, SourceError) else None
    if value is not None and math.isfinite(value) and value > 0:
        return float(value)
    return None


class Feed:
    def __init__(
        self,
        source: Source,
        poll_interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        plan_interval_s: float = PLAN_INTERVAL_S,
        tickets_interval_s: float = TICKETS_INTERVAL_S,
        poll_deadline_s: float | None = POLL_DEADLINE_S,
        circuit_failures: int = CIRCUIT_FAILURES,
        circuit_reset_s: float = CIRCUIT_RESET_S,
    ) -> None:
        if circuit_failures < 1:
            raise ValueError(f"circuit_failures must be at least 1, got {circuit_failures!r}")
        self.source = source
        self.poll_interval_s = poll_interval_s
        self.plan_interval_s = plan_interval_s
        self.poll_deadline_s = poll_deadline_s
        self.circuit_failures = circuit_failures
        self.circuit_reset_s = circuit_reset_s
        self.latest: FloorSnapshot | None = None
        self.plan: DayPlan | None = None
        self.plan_error: str | None = None
        self._plan_fetched_at: float | None = None
        self.tickets_interval_s = tickets_interval_s
        #: Escalated tickets from the last good fetch (None: none yet, or no ticket system).
        self.tickets: Sequence[Ticket] | None = None
        self.tickets_error: str | None = None
        self._tickets_fetched_at: float | None = None
        self._clock = clock
        self._rng = rng or random.Random()
        self._received_at: float | None = None
        self._last_error: str | None = None
        self._failures = 0
        # Clock times (self._clock): the circuit stays open until _open_until; the server
        # asked for no request before _hold_until; the last delay handed out ends at _next_at.
        self._open_until: float | None = None
        self._hold_until: float | None = None
        self._next_at: float | None = None

    @property
    def circuit_open(self) -> bool:
        return self._open_until is not None and self._clock() < self._open_until

    async def poll_once(self) -> FloorSnapshot | None:
        """Fetch once; returns the new snapshot, or None if this poll failed or the circuit
        is open (then the source is not called)."""
        if self.circuit_open:
            return None
        try:
            snapshot = await self._within_deadline(self.source.fetch_floor())
        except SourceError as exc:
            self._failed(str(exc), _retry_after_s(exc))
            return None
        # A wall display outlives adapter bugs: an unexpected error is a failed poll too.
        except Exception as exc:
            self._failed(f"{self.source.name}: unexpected {type(exc).__name__}: {exc}", None)
            return None
        self.latest = snapshot
        self._received_at = self._clock()
        self._failures = 0
        self._last_error = None
        self._open_until = None
        self._hold_until = None
        if self._plan_due(snapshot):
            await self._fetch_plan(snapshot)
        if self._tickets_due():
            await self._fetch_tickets()
        return snapshot

    async def _within_deadline(self, call: Awaitable[T]) -> T:
        # The source should enforce its own deadline (sources/http.py does, per request); this
        # one covers any source, and a plan fetch of several requests, as a whole.
        if self.poll_deadline_s is None:
            return await call
        deadline = asyncio.timeout(self.poll_deadline_s)
        try:
            async with deadline:
                return await call
        except TimeoutError:
            if not deadline.expired():
                raise
            raise SourceError(
                f"{self.source.name}: no complete answer within the "
                f"{self.poll_deadline_s:g} s poll deadline"
            ) from None

    def _failed(self, message: str, retry_after_s: float | None) -> None:
        now = self._clock()
        self._failures += 1
        self._last_error = message
        self._next_at = None  # unknown until next_delay_s hands out the next wait
        self._hold_until = None if retry_after_s is None else now + retry_after_s
        # A failed half-open trial lands here too (failures > K): it reopens the circuit.
        if self._failures >= self.circuit_failures:
            self._open_until = max(now + self.circuit_reset_s, self._hold_until or now)

    def _plan_due(self, snapshot: FloorSnapshot) -> bool:
        if self._plan_fetched_at is None:
            return True
        if self.plan is not None and self.plan.day != snapshot.as_of.date():
            return True  # a new day: yesterday's plan says nothing about today
        return self._clock() - self._plan_fetched_at >= self.plan_interval_s

    async def _fetch_plan(self, snapshot: FloorSnapshot) -> None:
        # A missing plan degrades the board (no re-forecast column), never the floor itself.
        self._plan_fetched_at = self._clock()
        try:
            self.plan = await self._within_deadline(self.source.fetch_plan(snapshot.as_of.date()))
            self.plan_error = None
        except Exception as exc:  # the plan is optional; the floor goes on without it
            self.plan_error = str(exc)
            # A rate limit hit by the plan's requests holds back the floor's requests too:
            # the vendor counts them against the same client.
            if (retry_after := _retry_after_s(exc)) is not None:
                self._hold_until = self._clock() + retry_after

    def _tickets_due(self) -> bool:
        fetched = self._tickets_fetched_at
        return fetched is None or self._clock() - fetched >= self.tickets_interval_s

    async def _fetch_tickets(self) -> None:
        # Like the plan: the escalation list keeps its last good answer and says why it is
        # old, and a failing ticket system never fails the floor.
        self._tickets_fetched_at = self._clock()
        try:
            tickets = await self._within_deadline(self.source.fetch_tickets())
        except Exception as exc:
            self.tickets_error = str(exc) or type(exc).__name__
            if (retry_after := _retry_after_s(exc)) is not None:
                self._hold_until = self._clock() + retry_after
            return
        self.tickets = tickets
        self.tickets_error = None

    def next_delay_s(self) -> float:
        """Seconds until the next poll_once should run.

        The poll interval while healthy; exponential backoff with full jitter while failing;
        until the end of the cool-down while the circuit is open; never less than a
        Retry-After the source passed on, which replaces the backoff guess when given.
        """
        now = self._clock()
        if not self._failures:
            delay = self.poll_interval_s
        elif self._open_until is not None:
            delay = max(0.0, self._open_until - now)
        elif self._hold_until is not None:
            delay = self.poll_interval_s  # the server said when; no need to guess
        else:
            ceiling = min(MAX_BACKOFF_S, self.poll_interval_s * 2 ** min(self._failures, 10))
            delay = max(self.poll_interval_s, self._rng.uniform(0, ceiling))
        if self._hold_until is not None:
            delay = max(delay, self._hold_until - now)
        self._next_at = now + delay
        return delay

    def status(self) -> FeedStatus:
        now = self._clock()
        age = None if self._received_at is None else max(0.0, now - self._received_at)
        if self._failures:
            health = Health.DOWN
        elif age is None:
            health = Health.CONNECTING
        elif age > 2 * self.poll_interval_s:
            health = Health.STALE
        else:
            health = Health.OK
        circuit_open = self.circuit_open
        retry_in = None
        last_error = self._last_error
        if circuit_open and self._open_until is not None:
            retry_in = self._open_until - now
            last_error = (
                f"{last_error}; circuit open after {self._failures} failures, "
                f"next try in {math.ceil(retry_in)} s"
            )
        elif self._failures and self._next_at is not None:
            retry_in = max(0.0, self._next_at - now)
        return FeedStatus(
            self.source.name, health, age, last_error, self._failures, circuit_open, retry_in
        )
