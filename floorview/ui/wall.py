"""The wall display's headline: the floor's four figures in digits readable across a room.

Waiting (all queues), the longest wait, service level today (all queues together) and
agents available. A figure in breach is marked with a word beside it, not colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Label

from floorview.model import AgentState, FloorSnapshot
from floorview.ui.format import duration
from floorview.ui.i18n import tr

#: Seconds between pages on a wall that cannot show everything at once.
DEFAULT_PAGE_S = 20.0
#: The pages a wall rotates through, in order.
WALL_PAGES = ("floor", "alerts", "forecast")


@dataclass(frozen=True, slots=True)
class Headline:
    waiting: int
    longest_wait_s: float | None
    service_level: float | None
    #: The SL target the floor is held to: the strictest of its queues'.
    target: float | None
    available: int

    @property
    def sl_breached(self) -> bool:
        return (self.service_level is not None and self.target is not None
                and self.service_level < self.target)


def headline(snapshots: Sequence[FloorSnapshot]) -> Headline:
    queues = [q for s in snapshots for q in s.queues]
    within = sum(q.today.answered_within_sl for q in queues)
    closed = sum(q.today.answered + q.today.abandoned for q in queues)
    waiting = [q for q in queues if q.waiting]
    return Headline(
        waiting=sum(q.waiting for q in queues),
        longest_wait_s=max((q.oldest_wait_s for q in waiting), default=None),
        service_level=within / closed if closed else None,
        target=max((q.sl_target for q in queues), default=None),
        available=sum(1 for s in snapshots for a in s.agents
                      if a.state is AgentState.AVAILABLE),
    )


class Figure(Vertical):
    DEFAULT_CSS = """
    Figure { width: 1fr; height: auto; padding: 0 2; }
    Figure Label { width: 100%; text-style: bold; }
    Figure Digits { width: auto; }
    Figure.breach Digits { color: $error; }
    Figure.breach Label { color: $error; }
    """

    def __init__(self, label: str, id: str) -> None:
        super().__init__(id=id)
        self.label_text = label
        self.label = Label(tr(label))
        self.digits = Digits("—")

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.digits

    def show(self, value: str, breach: bool, word: str = "") -> None:
        self.set_class(breach, "breach")
        # The word says it without colour, for anyone who cannot tell red from green.
        self.label.update(tr(self.label_text) + (f"  ▼ {word}" if breach and word else ""))
        self.digits.update(value)


class WallHeadline(Horizontal):
    DEFAULT_CSS = """
    WallHeadline { height: auto; background: $panel; }
    """

    def __init__(self) -> None:
        super().__init__(id="headline")
        self.waiting = Figure("Waiting", "h-waiting")
        self.longest = Figure("Longest wait", "h-longest")
        self.sl = Figure("SL today %", "h-sl")
        self.available = Figure("Available", "h-available")

    def compose(self) -> ComposeResult:
        yield self.waiting
        yield self.longest
        yield self.sl
        yield self.available

    def show(self, h: Headline) -> None:
        self.waiting.show(str(h.waiting), False)
        self.longest.show(duration(h.longest_wait_s) if h.longest_wait_s else "0:00", False)
        # Digits draws digits and a few signs: no "%" and no em dash.
        sl = "-" if h.service_level is None else f"{h.service_level * 100:.0f}"
        self.sl.show(sl, h.sl_breached, tr("below target"))
        self.available.show(str(h.available), h.available == 0 and h.waiting > 0,
                            tr("none free"))
