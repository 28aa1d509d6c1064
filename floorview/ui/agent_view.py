"""The agent screen: one agent's day, from the dashboard's timeline and the journal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from floorview.analytics.stress import StressFlag
from floorview.analytics.timeline import ContactRecord, Segment, Timelines
from floorview.journal import AuditEntry
from floorview.model import Agent, AgentState, FloorSnapshot
from floorview.ui.format import MISSING, STATE_LABELS, duration, percent
from floorview.ui.i18n import tr

RECENT_CONTACTS = 8


def strip(segments: Sequence[Segment], start: datetime, end: datetime, width: int) -> str:
    """The day as one line of state glyphs: each cell is the state held longest in its
    slice of [start, end]; a blank is time the dashboard did not see."""
    if width <= 0 or end <= start:
        return ""
    step = (end - start) / width
    cells = []
    for i in range(width):
        lo, hi = start + step * i, start + step * (i + 1)
        held: dict[AgentState, float] = {}
        for seg in segments:
            overlap = (min(seg.end, hi) - max(seg.start, lo)).total_seconds()
            if overlap > 0:
                held[seg.state] = held.get(seg.state, 0.0) + overlap
        cells.append(STATE_LABELS[max(held, key=held.__getitem__)][0] if held else " ")
    return "".join(cells)


def _sentiment(value: float | None) -> str:
    if value is None:
        return MISSING
    # A mark beside a negative figure: a minus sign alone is easy to miss across a room.
    return f"{'▼' if value < -0.2 else ' '}{value:+.1f}"


def agent_detail(
    agent: Agent,
    snapshot: FloorSnapshot,
    timelines: Timelines | None,
    flag: StressFlag | None,
    actions: Sequence[AuditEntry],
    width: int,
    colours: Mapping[str, str],
) -> RenderableType:
    names = {q.id: q.name for q in snapshot.queues}
    now = snapshot.as_of
    glyph, word = STATE_LABELS[agent.state]
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(agent.name, style="bold")
    head.append(f" · {agent.team} · {glyph} {tr(word)}")
    if agent.aux_reason:
        head.append(f" ({agent.aux_reason})")
    head.append(f" {duration(agent.time_in_state_s(now))}")
    if agent.presence:
        # Genesys keeps presence apart from routing state: "Available" yet NOT_RESPONDING
        # is the case a supervisor has to see both of.
        head.append(f" · {tr('presence')}: ")
        head.append(agent.presence)
    queues = Text(f"{tr('Queues')}: ", style="bold", no_wrap=True, overflow="ellipsis")
    queues.append(", ".join(names.get(q, q) for q in agent.queue_ids) or MISSING)

    parts: list[RenderableType] = [head, queues]
    figures = Text(no_wrap=True, overflow="ellipsis")
    rolling = None if timelines is None else timelines.rolling(agent.id, now)
    occupancy = None if rolling is None else rolling.occupancy
    figures.append(f"{tr('occupancy')} 60m {percent(occupancy)}")
    if agent.today is not None:
        figures.append(f" · {tr('Occ today')} {percent(agent.today.occupancy)}"
                       f" · {tr('contacts')} {agent.today.contacts}")
    parts.append(figures)

    parts.append(Text("\n" + tr("Today's states"), style="bold"))
    segments = [] if timelines is None else timelines.segments(agent.id)
    if segments:
        start = segments[0].start
        cells = max(10, width - 16)
        parts.append(Text(f"{start:%H:%M} " + strip(segments, start, now, cells)
                          + f" {now:%H:%M}", no_wrap=True))
        legend = "  ".join(f"{g} {tr(w)}" for g, w in STATE_LABELS.values())
        parts.append(Text(legend, style="dim", no_wrap=True, overflow="ellipsis"))
    else:
        parts.append(Text(MISSING))

    parts.append(Text(f"\n{tr('Stress')}", style="bold"))
    if flag is None:
        parts.append(Text(tr("No stress signals."), style="dim"))
    else:
        for reason in flag.reasons:
            parts.append(Text(f"⚑ {reason}", style=colours.get("warning", "")))

    parts.append(Text(f"\n{tr('Recent contacts')}", style="bold"))
    recent: list[ContactRecord] = (
        [] if timelines is None else timelines.recent_contacts(agent.id, RECENT_CONTACTS)
    )
    contacts = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
    for header in (tr("Time"), tr("Queue"), tr("Contact"), tr("sentiment")):
        contacts.add_column(header, no_wrap=True)
    for c in reversed(recent):
        contacts.add_row(f"{c.started_at:%H:%M}", Text(names.get(c.queue_id, c.queue_id)),
                         duration(c.talk_s), _sentiment(c.sentiment))
    if agent.contact is not None:
        c = agent.contact
        contacts.add_row(f"{c.started_at:%H:%M}", Text(names.get(c.queue_id, c.queue_id)),
                         f"{duration((now - c.started_at).total_seconds())}…",
                         _sentiment(c.sentiment))
    parts.append(contacts if contacts.row_count else Text(MISSING))

    parts.append(Text(f"\n{tr('Recent actions')}", style="bold"))
    if not actions:
        parts.append(Text(tr("No actions on this agent in the journal."), style="dim"))
    for entry in actions:
        line = Text(f"#{entry.id} {entry.at:%H:%M:%S} {entry.who} {entry.action} "
                    f"{entry.result}: ", no_wrap=True, overflow="ellipsis")
        line.append(entry.detail)
        parts.append(line)
    return Group(*parts)


class AgentView(VerticalScroll):
    DEFAULT_CSS = """
    AgentView { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="agent")
        self.body = Static()
        #: The row key (source/id) of the agent shown.
        self.agent_key: str | None = None

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, renderable: RenderableType | None) -> None:
        self.body.update(renderable if renderable is not None else Text(
            tr("No agent chosen: put the cursor on an agent on the Floor and press 3.")
        ))


def recent_actions(entries: Sequence[AuditEntry], source: str, agent_id: str,
                   n: int = 6) -> list[AuditEntry]:
    subject = f"agent:{source}/{agent_id}"
    return [e for e in reversed(entries) if e.subject == subject][:n]


def since(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)
