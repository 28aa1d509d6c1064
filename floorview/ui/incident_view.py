"""The incident screen: queues pinned with `i`, their minute-by-minute trend since the pin,
and what moving N more agents onto each would do this interval (the reassign preview's
maths: ``whatif.project``)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from floorview.analytics.history import sparkline
from floorview.analytics.outlook import IntervalPlan
from floorview.analytics.whatif import project
from floorview.model import FloorSnapshot
from floorview.ui.format import MISSING, duration, percent
from floorview.ui.i18n import tr

#: An incident is followed for up to this many minutes.
KEEP_MIN = 8 * 60
#: The what-if rows: this many more agents on the queue.
MORE_AGENTS = (1, 2, 3, 5)


@dataclass(slots=True)
class Minute:
    at: datetime
    waiting: int
    oldest_s: float
    sl_today: float | None
    available: int
    serving: int


@dataclass(slots=True)
class Pinned:
    since: datetime
    minutes: deque[Minute] = field(default_factory=lambda: deque(maxlen=KEEP_MIN))


class IncidentLog:
    """Pinned queues (row keys ``source/queue``) and their minutes since the pin."""

    def __init__(self) -> None:
        self.pinned: dict[str, Pinned] = {}

    def toggle(self, key: str, now: datetime) -> bool:
        """Pin or unpin; True if now pinned."""
        if key in self.pinned:
            del self.pinned[key]
            return False
        self.pinned[key] = Pinned(now)
        return True

    def observe(self, snapshot: FloorSnapshot) -> None:
        minute = snapshot.as_of.replace(second=0, microsecond=0)
        for key, pin in self.pinned.items():
            source, _, queue_id = key.partition("/")
            q = snapshot.queue_by_id.get(queue_id)
            if source != snapshot.source or q is None:
                continue
            row = Minute(minute, q.waiting, q.oldest_wait_s if q.waiting else 0.0,
                         q.today.service_level, snapshot.available_on(q.id),
                         snapshot.effective_on(q.id))
            if pin.minutes and pin.minutes[-1].at == minute:
                last = pin.minutes[-1]
                # The worst of the minute for what waits, the latest for the rest.
                row.waiting = max(row.waiting, last.waiting)
                row.oldest_s = max(row.oldest_s, last.oldest_s)
                pin.minutes[-1] = row
            else:
                pin.minutes.append(row)


def _what_if(interval: IntervalPlan | None, queue_id: str, serving: int) -> list[Text]:
    if interval is None or queue_id not in interval.queues:
        return [Text(tr("No re-forecast for this queue this interval."), style="dim")]
    now = project(interval, [queue_id], [serving])
    out = []
    for n in MORE_AGENTS:
        after = project(interval, [queue_id], [serving + n])
        wait = after.asa_s[0]
        line = Text(f"+{n}: ")
        line.append(f"SL {percent(_num(now.service_level[0]))} → ")
        line.append(percent(_num(after.service_level[0])), style="bold")
        line.append(f", {tr('wait')} "
                    f"{'∞' if math.isinf(wait) else duration(wait)}")
        out.append(line)
    return out


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def incident_body(
    log: IncidentLog,
    names: dict[str, str],
    intervals: dict[str, IntervalPlan | None],
) -> RenderableType:
    if not log.pinned:
        return Text(tr("No queue pinned: on the Floor, put the cursor on a queue and press i."),
                    style="dim")
    parts: list[RenderableType] = []
    for key, pin in log.pinned.items():
        source, _, queue_id = key.partition("/")
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(names.get(key, queue_id), style="bold")
        title.append(f" · {tr('since')} {pin.since:%H:%M}Z")
        minutes = list(pin.minutes)
        if minutes:
            spark = sparkline([m.waiting for m in minutes[-60:]])
            title.append(f"  {tr('waiting')} {spark}")
        parts.append(title)
        table = Table(box=None, pad_edge=False, header_style="dim")
        for header in (tr("Time"), tr("Wait"), tr("Oldest"), tr("SL today"), tr("Avail"),
                       tr("Serving")):
            table.add_column(header, justify="right", no_wrap=True)
        for m in minutes[-10:]:
            table.add_row(f"{m.at:%H:%M}", str(m.waiting),
                          duration(m.oldest_s) if m.waiting else MISSING,
                          percent(m.sl_today), str(m.available), str(m.serving))
        parts.append(table)
        serving = minutes[-1].serving if minutes else 0
        parts.append(Text(tr("Moving agents in, this interval:"), style="bold"))
        parts.extend(_what_if(intervals.get(source), queue_id, serving))
        parts.append(Text(""))
    return Group(*parts)


class IncidentView(VerticalScroll):
    DEFAULT_CSS = """
    IncidentView { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="incident")
        self.body = Static()

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, renderable: RenderableType) -> None:
        self.body.update(renderable)
