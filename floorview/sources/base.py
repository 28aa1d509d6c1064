"""The one interface every source adapter implements."""

from __future__ import annotations

from typing import Protocol

from floorview.model import FloorSnapshot


class SourceError(Exception):
    """A source could not give a usable floor; the message is shown to the user as is."""


class Source(Protocol):
    name: str

    async def fetch_floor(self) -> FloorSnapshot:
        """One consistent floor, or raise SourceError."""
        ...

    async def aclose(self) -> None: ...
