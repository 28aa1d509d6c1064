"""The floorview Textual app: renders feeds' snapshots; never does I/O of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from floorview.analytics.outlook import OutlookSettings, QueueOutlook, current_outlook
from floorview.feed import Feed, Health
from floorview.model import FloorSnapshot
from floorview.sources.base import DayPlan
from floorview.ui.header import FloorHeader
from floorview.ui.tables import AgentTable, QueueTable


class FloorApp(App[None]):
    TITLE = "floorview"
    CSS = """
    #boards { height: 1fr; }
    QueueTable { height: auto; max-height: 50%; }
    AgentTable { height: 1fr; }
    #problems { height: auto; color: $error; padding: 0 1; display: none; }
    #problems.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        feeds: Sequence[Feed],
        *,
        tick_s: float = 1.0,
        outlook: OutlookSettings | None = None,
    ) -> None:
        super().__init__()
        self.feeds = list(feeds)
        self.outlook_settings = outlook or OutlookSettings()
        self.outlook_error: str | None = None
        self.tick_s = tick_s
        self.snapshots_applied = 0
        # Held directly: timers and the poll workers may still fire while the app shuts
        # down, when a DOM query would no longer find them.
        self.header = FloorHeader(id="header")
        self.queue_table = QueueTable(id="queues")
        self.agent_table = AgentTable(id="agents")
        self.problems = Static(id="problems")

    def compose(self) -> ComposeResult:
        yield self.header
        with Vertical(id="boards"):
            yield self.queue_table
            yield self.agent_table
        yield self.problems
        yield Footer()

    def on_mount(self) -> None:
        self.agent_table.focus()
        self._refresh_status()
        for feed in self.feeds:
            self.run_worker(self._poll_forever(feed), group=f"poll:{feed.source.name}")
        # Ages keep counting between polls; this is what makes a stalled source visible.
        self.set_interval(self.tick_s, self._refresh_status)

    async def _poll_forever(self, feed: Feed) -> None:
        # One poll in flight per source: the next one is armed only after this one finishes.
        while True:
            snapshot = await feed.poll_once()
            if snapshot is not None:
                self._apply(snapshot, feed.plan)
            self._refresh_status()
            await asyncio.sleep(feed.next_delay_s())

    def _apply(self, snapshot: FloorSnapshot, plan: DayPlan | None) -> None:
        colours = self.get_css_variables()
        outlook: dict[str, QueueOutlook] = {}
        if plan is not None:
            try:
                outlook = current_outlook(snapshot, plan, self.outlook_settings)
                self.outlook_error = None
            except Exception as exc:  # the board stays up without its Need column
                self.outlook_error = f"re-forecast failed: {type(exc).__name__}: {exc}"
        with self.batch_update():
            self.queue_table.show(snapshot, outlook, colours)
            self.agent_table.show(snapshot, colours)
        self.snapshots_applied += 1

    def _refresh_status(self) -> None:
        statuses = [feed.status() for feed in self.feeds]
        latest = next((f.latest for f in self.feeds if f.latest is not None), None)
        self.header.show(latest, statuses)
        problems = self.problems
        lines = [s.last_error for s in statuses if s.last_error and s.health is not Health.OK]
        lines += [f"{f.source.name} plan: {f.plan_error}" for f in self.feeds if f.plan_error]
        if self.outlook_error:
            lines.append(self.outlook_error)
        problems.set_class(bool(lines), "shown")
        problems.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))

    async def on_unmount(self) -> None:
        for feed in self.feeds:
            await feed.source.aclose()
