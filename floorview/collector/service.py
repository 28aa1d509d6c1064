"""The collector's state: one poll loop per source, analytics and alerts once, the latest of
everything ready to serve, and a version that stream clients wait on.

Nothing here speaks HTTP to viewers (server.py does); the sources are polled exactly as the
dashboard polls them (Feed: budgets, backoff, circuit breaker), so the vendor sees one
floorview whatever the number of people watching.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from floorview.alerts import Alert
from floorview.analytics.outlook import OutlookCache, OutlookSettings, current_outlook
from floorview.feed import Feed, FeedStatus
from floorview.model import FloorSnapshot
from floorview.monitor import Monitor
from floorview.sources.floor_encode import floor_doc, forecast_doc, intervals_doc, tickets_doc


@dataclass(slots=True)
class Served:
    """One document as it goes on the wire: its bytes and their ETag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, document: object) -> Served:
        body = msgspec.json.encode(document)
        return cls(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


@dataclass(slots=True)
class SourceState:
    feed: Feed
    floor: Served | None = None
    forecast: Served | None = None
    intervals: Served | None = None
    tickets: Served | None = None
    #: The plan object the served plan documents were made from.
    plan_seen: object = None
    outlook_cache: OutlookCache = field(default_factory=OutlookCache)
    polls: int = 0


class Collector:
    def __init__(
        self,
        feeds: Sequence[Feed],
        monitor: Monitor,
        outlook: OutlookSettings | None = None,
    ) -> None:
        self.sources = {f.source.name: SourceState(f) for f in feeds}
        self.monitor = monitor
        self.outlook = outlook or OutlookSettings()
        self.alerts: list[Alert] = []
        #: Bumped on every new floor; stream clients wait for it to move.
        self.version = 0
        self._changed = asyncio.Condition()
        self.viewers = 0
        self.problems: dict[str, str] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def first(self) -> str:
        return next(iter(self.sources))

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        for state in self.sources.values():
            self._tasks.append(asyncio.create_task(self._poll_forever(state)))
        self._tasks.append(asyncio.create_task(self._tick_forever()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):  # shutting down
                await task
        for state in self.sources.values():
            await state.feed.source.aclose()

    async def _poll_forever(self, state: SourceState) -> None:
        feed = state.feed
        while True:
            snapshot = await feed.poll_once()
            if snapshot is not None:
                self._observe(state, snapshot)
            await asyncio.sleep(feed.next_delay_s())

    async def _tick_forever(self) -> None:
        # Alert timers and ages move on between polls, as on the dashboard.
        while True:
            self._tick()
            await asyncio.sleep(1.0)

    def _observe(self, state: SourceState, snapshot: FloorSnapshot) -> None:
        feed = state.feed
        outlook = {}
        if feed.plan is not None:
            try:
                outlook = current_outlook(snapshot, feed.plan, self.outlook, state.outlook_cache)
                self.problems.pop(f"{snapshot.source} outlook", None)
            except Exception as exc:  # served without Need rather than not at all
                self.problems[f"{snapshot.source} outlook"] = f"{type(exc).__name__}: {exc}"
        try:
            self.monitor.observe(snapshot, outlook=outlook, tickets=feed.tickets)
        except Exception as exc:
            self.problems[f"{snapshot.source} alerts"] = f"{type(exc).__name__}: {exc}"
        state.floor = Served.of(floor_doc(snapshot))
        if feed.plan is not None and feed.plan is not state.plan_seen:
            state.plan_seen = feed.plan
            state.forecast = Served.of(forecast_doc(feed.plan))
            state.intervals = Served.of(intervals_doc(feed.plan))
        if feed.tickets is not None:
            state.tickets = Served.of(tickets_doc(feed.tickets, snapshot.as_of))
        state.polls += 1
        self._tick()
        self.version += 1
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _tick(self) -> None:
        self.alerts = self.monitor.tick(self.statuses())
        self.monitor.take_news()  # viewers announce; the collector has no screen

    async def wait_for(self, version: int, timeout_s: float) -> int:
        """The version after ``version`` once there is one, or the same after the timeout."""
        if self.version != version:
            return self.version
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.version != version), timeout_s
                )
        return self.version

    # --- reading ------------------------------------------------------------------------

    def statuses(self) -> list[FeedStatus]:
        return [s.feed.status() for s in self.sources.values()]

    def alert_docs(self) -> list[dict[str, object]]:
        return [_alert_doc(a) for a in self.alerts]

    def now(self) -> datetime:
        return self.monitor.now


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _alert_doc(a: Alert) -> dict[str, object]:
    return {
        "fingerprint": a.fingerprint, "rule": a.rule, "subject_kind": a.subject_kind,
        "subject_id": a.subject_id, "subject_name": a.subject_name, "title": a.title,
        "reason": a.reason, "severity": a.severity, "state": a.state.value,
        "started_at": _iso(a.started_at), "fired_at": _iso(a.fired_at),
        "resolved_at": _iso(a.resolved_at), "flapping": a.flapping, "stale": a.stale,
        "ack": None if a.ack is None else {
            "who": a.ack.who, "at": _iso(a.ack.at), "note": a.ack.note,
            "expires_at": _iso(a.ack.expires_at),
        },
    }
