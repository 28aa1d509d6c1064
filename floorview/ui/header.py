"""The one-line status bar: site, source clock, each source's health and data age, the
screen in view and mode badges (READ-ONLY)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from floorview.feed import FeedStatus, Health
from floorview.model import FloorSnapshot
from floorview.ui.format import age, literal, rich_colours
from floorview.ui.i18n import tr

HEALTH_STYLE = {
    Health.OK: ("OK", "success"),
    Health.CONNECTING: ("CONNECTING", "warning"),
    Health.STALE: ("STALE", "warning"),
    Health.DOWN: ("DOWN", "error"),
}

VIEW_LABELS = {"floor": "Floor", "forecast": "Forecast", "agent": "Agent", "alerts": "Alerts",
               "help": "Help", "incident": "Incident"}


class FloorHeader(Static):
    DEFAULT_CSS = """
    FloorHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def show(
        self,
        snapshot: FloorSnapshot | None,
        statuses: list[FeedStatus],
        view: str | None = None,
        can_write: bool = True,
    ) -> None:
        colours = rich_colours(self.app.get_css_variables())
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("floorview", style="bold")
        if view is not None and view != "floor":
            line.append(f" › {tr(VIEW_LABELS.get(view, view))}", style="bold")
        if not can_write:
            line.append(" ")
            line.append(f" {tr('READ-ONLY')} ", style="reverse bold")
        if snapshot is not None:
            line.append(" · ")
            line.append_text(literal(snapshot.site, "bold"))
            line.append(f" · {snapshot.as_of:%H:%M:%S}Z")
        for status in statuses:
            word, colour = HEALTH_STYLE[status.health]
            line.append(" · ")
            line.append_text(literal(status.source))
            line.append(" ")
            line.append(word, style=f"bold {colours.get(colour, '')}")
            if status.age_s is not None:
                line.append(f" {age(status.age_s)} ago")
        # One line, whatever it says: no layout pass (which would repaint every scrollbar).
        self.update(line, layout=False)
