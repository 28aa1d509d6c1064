"""The forecast screen: one queue's day, forecast vs actual vs re-forecast, and staffing."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from floorview.analytics.dayview import QueueDay
from floorview.ui.forecast_chart import StaffingChart, VolumeChart, forecast_table, inputs_line
from floorview.ui.i18n import language, tr

#: Lines per chart, bars plus axis, legend and the now marker.
CHART_LINES = 12
COMPACT_CHART_LINES = 8


def forecast_body(
    day: QueueDay, source: str, colours: Mapping[str, str], *, compact: bool
) -> RenderableType:
    lang = language()
    title = Text(no_wrap=True, overflow="ellipsis")
    title.append(day.queue_name, style="bold")
    title.append(f" · {source} · {day.interval_start:%H:%M}Z · ", style="dim")
    title.append(tr("[ and ] step through the queues"), style="dim")
    height = COMPACT_CHART_LINES if compact else CHART_LINES
    return Group(
        title,
        inputs_line(day, lang),
        VolumeChart(day, height, lang, colours),
        StaffingChart(day, height, lang, colours),
        forecast_table(day, lang, around=3 if compact else 8, colours=colours),
    )


class ForecastView(VerticalScroll):
    DEFAULT_CSS = """
    ForecastView { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="forecast")
        self.body = Static()
        #: The row key (source/queue id) of the queue shown.
        self.queue_key: str | None = None

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, renderable: RenderableType | None) -> None:
        self.body.update(renderable if renderable is not None else Text(tr(
            "No forecast yet: the source's plan has not arrived."
        ), style="dim"))
