"""The home screen: queue board, alerts and escalations, agent board, a filter line."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from floorview.analytics.stress import StressFlag
from floorview.model import Agent
from floorview.ui.alert_table import AlertTable, EscalationTable
from floorview.ui.i18n import tr
from floorview.ui.tables import AgentTable, QueueTable


class FloorView(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.close_filter", "Close filter", show=False),
    ]
    DEFAULT_CSS = """
    FloorView QueueTable { height: auto; max-height: 40%; }
    FloorView #floor-lower { height: 1fr; }
    FloorView #side { height: auto; max-height: 35%; }
    FloorView AlertTable { height: auto; max-height: 100%; }
    FloorView #escalations-title { display: none; height: 1; padding: 0 1; text-style: bold; }
    FloorView EscalationTable { display: none; height: auto; }
    FloorView #agents-side { height: 1fr; }
    FloorView AgentTable { height: 1fr; }
    FloorView #agent-focus { height: 1; padding: 0 1; background: $panel; }
    FloorView #filter { display: none; height: 3; }
    FloorView #filter.shown { display: block; }
    /* Wide terminals: alerts and escalations beside the agents rather than above them. */
    FloorView.wide #side { dock: right; width: 40%; height: 1fr; max-height: 100%; }
    FloorView.wide AlertTable { height: 1fr; }
    FloorView.wide #escalations-title { display: block; }
    FloorView.wide EscalationTable { display: block; height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__(id="floor")
        self.queue_table = QueueTable(id="queues")
        self.alert_table = AlertTable(id="alert-list")
        self.escalation_table = EscalationTable(id="escalations")
        self.agent_table = AgentTable(id="agents")
        self.focus_line = Static(id="agent-focus")
        self.escalations_title = Static(id="escalations-title")
        self.filter_input = Input(id="filter", placeholder="team:… queue:… state:… name")

    def compose(self) -> ComposeResult:
        yield self.queue_table
        with Vertical(id="floor-lower"):
            with Vertical(id="side"):
                yield self.alert_table
                yield self.escalations_title
                yield self.escalation_table
            with Vertical(id="agents-side"):
                yield self.agent_table
                yield self.focus_line
        yield self.filter_input

    def relabel(self) -> None:
        self.escalations_title.update(tr("Escalations"))
        for table in (self.queue_table, self.alert_table, self.escalation_table,
                      self.agent_table):
            table.rebuild()

    def show_focus(
        self, agent: Agent | None, flag: StressFlag | None, shown: int, total: int,
        filter_text: str,
    ) -> None:
        """One line under the agent board: the focused agent's stress reasons, and what the
        filter hides."""
        line = Text(no_wrap=True, overflow="ellipsis")
        if filter_text:
            line.append(f"{tr('filter')} “{filter_text}”: ", style="bold")
            line.append(tr("{shown} of {total} agents", shown=shown, total=total) + "  ")
        if agent is not None and flag is not None:
            line.append("⚑ ", style="bold")
            line.append(agent.name, style="bold")
            line.append(": " + "; ".join(flag.reasons))
        self.focus_line.update(line, layout=False)  # one line high, whatever it says
