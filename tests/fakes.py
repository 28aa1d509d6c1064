"""Small stand-ins for the unit tests of logic that sits above a real source."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from floorview.model import Agent, FloorSnapshot, Ticket
from floorview.sources.base import DayPlan, SourceError
from floorview.sources.rest import parse_floor

DATA = Path(__file__).parent / "data"


def recorded_floor(source: str = "acd") -> FloorSnapshot:
    return parse_floor(json.loads((DATA / "floor_v1.json").read_text()), source)


class ScriptedSource:
    """Answers each fetch with the next scripted outcome (a snapshot or an error message);
    once the script runs out it waits, like a source whose next poll has not come back,
    until ``send`` supplies another."""

    def __init__(self, outcomes: list[FloorSnapshot | str], name: str = "acd") -> None:
        self.name = name
        self.tickets: tuple[Ticket, ...] | None = None
        self._outcomes: asyncio.Queue[FloorSnapshot | str] = asyncio.Queue()
        for outcome in outcomes:
            self.send(outcome)

    def send(self, outcome: FloorSnapshot | str) -> None:
        self._outcomes.put_nowait(outcome)

    async def fetch_floor(self) -> FloorSnapshot:
        outcome = await self._outcomes.get()
        if isinstance(outcome, str):
            raise SourceError(outcome)
        return outcome

    async def fetch_plan(self, day: date) -> DayPlan | None:
        return None

    async def fetch_tickets(self) -> tuple[Ticket, ...] | None:
        return self.tickets

    async def fetch_agent(self, agent_id: str) -> Agent:
        raise SourceError(f"{self.name}: scripted source has no agent lookup")

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        raise SourceError(f"{self.name}: scripted source takes no writes")


    async def aclose(self) -> None:
        pass


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def wait_until(pilot: Any, predicate: Callable[[], bool]) -> None:
    """Let the app run until ``predicate`` holds (10 s at most)."""
    for _ in range(1000):
        if predicate():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")


def frozen_sim_feed(seed: int = 7) -> Any:
    """A Feed on the seeded simulator served in-process with a clock that never moves: the
    floor stays at 10:30:00Z, so screens drawn from it are the same every run."""
    from datetime import time

    import httpx

    from floorview.feed import Feed
    from floorview.sim.api import create_app
    from floorview.sim.config import SimConfig
    from floorview.sim.engine import Simulator
    from floorview.sources.rest import RestSource

    sim = Simulator(SimConfig(seed=seed, start=time(10, 30)))
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: 0.0))
    source = RestSource("sim", "http://sim.test", transport=transport)
    return Feed(source, 3600.0, clock=lambda: 0.0)


async def first_floor_with_plan(pilot: Any) -> None:
    """Wait until the app has drawn the first floor and the plan has come with it."""
    for _ in range(500):
        if pilot.app.snapshots_applied and pilot.app.feeds[0].plan is not None:
            break
        await pilot.pause(0.01)
    await pilot.pause()
