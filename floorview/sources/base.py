"""The one interface every source adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import pandas as pd

from floorview.model import Agent, FloorSnapshot, Ticket


class SourceError(Exception):
    """A source could not give a usable floor; the message is shown to the user as is.

    ``retry_after_s`` is how long the source (a server's Retry-After, or our own request
    budget) asks us to wait before the next request; None leaves it to the feed's backoff.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class VersionConflict(SourceError):
    """The agent changed since the caller read it: nothing was written."""

    def __init__(self, message: str, current: Agent | None = None) -> None:
        super().__init__(message)
        self.current = current


class RejectedChange(SourceError):
    """The source refused the change as such (unknown agent or queue, bad request)."""


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A day's forecast and the actuals so far, as interval frames (sources/intervals.py)."""

    day: date
    as_of: datetime
    forecast: pd.DataFrame
    actuals: pd.DataFrame


class Source(Protocol):
    name: str

    async def fetch_floor(self) -> FloorSnapshot:
        """One consistent floor, or raise SourceError."""
        ...

    async def fetch_plan(self, day: date) -> DayPlan | None:
        """The day's forecast and interval actuals; None if the source has no plan."""
        ...

    async def fetch_agent(self, agent_id: str) -> Agent:
        """One agent as the source has it now (the re-read before a write)."""
        ...

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        """Write the agent's queues if its version is still ``expected_version``; the
        updated agent, or VersionConflict / RejectedChange / SourceError."""
        ...

    async def fetch_tickets(self) -> Sequence[Ticket] | None:
        """Unsolved escalated tickets; None if the source has no ticket system."""
        ...

    async def aclose(self) -> None: ...


class TicketSource(Protocol):
    """A ticket system alone (Zendesk, Request Tracker): the escalation list's feed."""

    name: str

    async def fetch_tickets(self) -> Sequence[Ticket]:
        """Unsolved tickets that count as escalated, or raise SourceError."""
        ...

    async def aclose(self) -> None: ...


class WithTickets:
    """A telephony source whose escalation list comes from a separate ticket system.

    Everything but tickets goes to ``telephony``; the feed polls both as one source, so a
    ticket system that fails marks only the escalation list stale (Feed.tickets_error).
    """

    def __init__(self, telephony: Source, tickets: TicketSource) -> None:
        self.telephony = telephony
        self.tickets = tickets
        self.name = telephony.name

    async def fetch_floor(self) -> FloorSnapshot:
        return await self.telephony.fetch_floor()

    async def fetch_plan(self, day: date) -> DayPlan | None:
        return await self.telephony.fetch_plan(day)

    async def fetch_agent(self, agent_id: str) -> Agent:
        return await self.telephony.fetch_agent(agent_id)

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        return await self.telephony.set_agent_queues(agent_id, queues, expected_version)

    async def fetch_tickets(self) -> Sequence[Ticket] | None:
        return await self.tickets.fetch_tickets()

    async def aclose(self) -> None:
        try:
            await self.telephony.aclose()
        finally:
            await self.tickets.aclose()
