"""Polls one source on a schedule and remembers how healthy and how fresh its data is.

The feed never raises to its caller: a failed poll keeps the last good snapshot and records
the error, so the screen can show old numbers marked with their age instead of blanking.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from floorview.model import FloorSnapshot
from floorview.sources.base import DayPlan, Source, SourceError

#: Longest pause between retries of a failing source.
MAX_BACKOFF_S = 60.0
#: The forecast and interval actuals change every 15 minutes; no need to fetch them often.
PLAN_INTERVAL_S = 60.0


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
    last_error: str | None
    failures: int


class Feed:
    def __init__(
        self,
        source: Source,
        poll_interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        plan_interval_s: float = PLAN_INTERVAL_S,
    ) -> None:
        self.source = source
        self.poll_interval_s = poll_interval_s
        self.plan_interval_s = plan_interval_s
        self.latest: FloorSnapshot | None = None
        self.plan: DayPlan | None = None
        self.plan_error: str | None = None
        self._plan_fetched_at: float | None = None
        self._clock = clock
        self._rng = rng or random.Random()
        self._received_at: float | None = None
        self._last_error: str | None = None
        self._failures = 0

    async def poll_once(self) -> FloorSnapshot | None:
        """Fetch once; returns the new snapshot, or None if this poll failed."""
        try:
            snapshot = await self.source.fetch_floor()
        except SourceError as exc:
            self._failures += 1
            self._last_error = str(exc)
            return None
        # A wall display outlives adapter bugs: an unexpected error is a failed poll too.
        except Exception as exc:
            self._failures += 1
            self._last_error = f"{self.source.name}: unexpected {type(exc).__name__}: {exc}"
            return None
        self.latest = snapshot
        self._received_at = self._clock()
        self._failures = 0
        self._last_error = None
        if self._plan_due(snapshot):
            await self._fetch_plan(snapshot)
        return snapshot

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
            self.plan = await self.source.fetch_plan(snapshot.as_of.date())
            self.plan_error = None
        except Exception as exc:  # the plan is optional; the floor goes on without it
            self.plan_error = str(exc)

    def next_delay_s(self) -> float:
        """The poll interval while healthy; exponential backoff with full jitter when failing."""
        if not self._failures:
            return self.poll_interval_s
        ceiling = min(MAX_BACKOFF_S, self.poll_interval_s * 2 ** min(self._failures, 10))
        return max(self.poll_interval_s, self._rng.uniform(0, ceiling))

    def status(self) -> FeedStatus:
        age = None if self._received_at is None else max(0.0, self._clock() - self._received_at)
        if self._failures:
            health = Health.DOWN
        elif age is None:
            health = Health.CONNECTING
        elif age > 2 * self.poll_interval_s:
            health = Health.STALE
        else:
            health = Health.OK
        return FeedStatus(self.source.name, health, age, self._last_error, self._failures)
