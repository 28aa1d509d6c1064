"""The help screen, made from the key registry (with any remapping) and the definitions
the figures are computed by."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from floorview.ui.i18n import tr
from floorview.ui.keymap import ACTIONS, key_label

#: (figure, definition) in English; each is translated when shown.
FIGURES: tuple[tuple[str, str], ...] = (
    ("SL today", "Answered within the queue's threshold / (answered + abandoned), since the "
     "source's midnight; ▼ marks a figure below the queue's target."),
    ("SL intvl", "The same, for the 15-minute interval in progress so far, from the source's "
     "interval counters (refreshed every minute)."),
    ("Aband", "Abandoned / (answered + abandoned) today."),
    ("ASA", "Mean wait of contacts that left the queue today (answered or abandoned)."),
    ("AHT", "Handle time (talk + wrap-up) / handled contacts today."),
    ("Staff", "Logged-in agents who take the queue (available, on contact or wrap-up)."),
    ("Avail", "Of those, agents available now."),
    ("Sched", "Agents the schedule has on the queue this interval."),
    ("Need", "Agents the intraday re-forecast says this interval needs to meet the target "
     "(Erlang A where caller patience is known, else Erlang C)."),
    ("Gap", "Need minus agents serving the queue now; ▲ means short."),
    ("Last hour", "The most contacts waiting in each 5 minutes of the last hour."),
    ("Occ 60m", "(on contact + wrap-up) / (on contact + wrap-up + available) over the last "
     "60 minutes this dashboard watched; ~ marks a window not seen whole."),
    ("Occ today", "The same since midnight, from the source's own counters."),
    ("⚑", "A stress flag: a reason to check in with the agent (shown on focus), not a score."),
    ("Due", "Time until a ticket breaches its SLA; a minus sign and ✖ mean overdue."),
)


def help_body(keymap: Mapping[str, str]) -> RenderableType:
    keys = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    keys.add_column(tr("Key"), no_wrap=True)
    keys.add_column(tr("Action"), no_wrap=True)
    keys.add_column("", ratio=1)
    keys.add_column("[keys]", no_wrap=True, style="dim")
    for action in ACTIONS:
        # The id is what a config's [keys] table remaps.
        keys.add_row(key_label(keymap.get(action.id, action.key)), tr(action.label),
                     Text(tr(action.help), style="dim"), action.id)
    figures = Table(box=None, pad_edge=False, show_header=False)
    figures.add_column(no_wrap=True)
    figures.add_column(ratio=1)
    for name, meaning in FIGURES:
        figures.add_row(Text(tr(name), style="bold"), Text(tr(meaning)))
    return Group(
        Text(tr("Keys"), style="bold underline"), keys, Text(""),
        Text(tr("What the figures mean"), style="bold underline"), figures,
    )


class HelpView(VerticalScroll):
    DEFAULT_CSS = """
    HelpView { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="help")
        self.body = Static()

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, keymap: Mapping[str, str]) -> None:
        self.body.update(help_body(keymap))
