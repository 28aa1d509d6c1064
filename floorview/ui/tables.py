"""The queue board and the agent board (LiveTables: keyed rows, diffs only)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from rich.text import Text

from floorview.analytics.history import WaitingHistory, sparkline
from floorview.analytics.outlook import QueueOutlook
from floorview.analytics.stress import StressFlag
from floorview.analytics.timeline import Rolling
from floorview.model import Agent, AgentState, FloorSnapshot, Queue
from floorview.ui.format import MISSING, STATE_LABELS, duration, literal, percent, right
from floorview.ui.i18n import tr
from floorview.ui.live_table import Cells, Column, LiveTable, Row

__all__ = ["MASK", "AgentFilter", "AgentTable", "Column", "LiveTable", "QueueTable"]

MASK = "░░"
SPARK_WIDTH = 12


def _mask(row: Row, masked: bool, keep: int = 1) -> Row:
    """Hide every figure but the first ``keep`` cells (the names) when data is too old."""
    if not masked:
        return row
    cells, values = row
    return cells[:keep] + tuple(right(MASK, "dim") for _ in cells[keep:]), values


@dataclass(frozen=True, slots=True)
class QueueExtras:
    """What the queue board shows beyond the snapshot itself, for one source."""

    outlook: Mapping[str, QueueOutlook]
    #: Queue id -> SL of the interval in progress so far (from the source's intervals).
    sl_interval: Mapping[str, float]
    history: WaitingHistory | None = None


class QueueTable(LiveTable):
    COLUMNS = (
        Column("name", "Queue", 14),
        Column("waiting", "Wait", 4),
        Column("oldest", "Oldest", 6),
        Column("sl", "SL today", 8),
        Column("sl_interval", "SL intvl", 8, min_width=100),
        Column("abandon", "Aband", 5),
        Column("asa", "ASA", 5, min_width=120),
        Column("aht", "AHT", 5, min_width=120),
        Column("staffed", "Staff", 5),
        Column("available", "Avail", 5),
        Column("scheduled", "Sched", 5, min_width=100),
        Column("required", "Need", 5),
        Column("gap", "Gap", 4),
        Column("spark", "Last hour", SPARK_WIDTH, min_width=140),
    )
    FLASH = frozenset({"waiting", "sl", "sl_interval", "abandon", "available", "gap"})

    def show(
        self,
        snapshot: FloorSnapshot,
        extras: QueueExtras,
        colours: Mapping[str, str],
        *,
        masked: bool = False,
    ) -> None:
        prefix = f"{snapshot.source}/"
        self.apply_rows(
            prefix,
            (
                (prefix + q.id, _mask(self._row(q, snapshot, extras, prefix, colours), masked))
                for q in snapshot.queues
            ),
        )

    @staticmethod
    def _row(
        q: Queue,
        snapshot: FloorSnapshot,
        extras: QueueExtras,
        prefix: str,
        colours: Mapping[str, str],
    ) -> Row:
        outlook = extras.outlook.get(q.id)
        sl = q.today.service_level
        sl_now = extras.sl_interval.get(q.id)
        abandon = q.today.abandon_rate
        closed = q.today.answered + q.today.abandoned
        asa = q.today.wait_time_s / closed if closed else None
        staffed, available = snapshot.staffed_on(q.id), snapshot.available_on(q.id)
        spark = ""
        if extras.history is not None:
            spark = sparkline(extras.history.buckets(prefix + q.id, snapshot.as_of, SPARK_WIDTH))
        cells: Cells = (
            literal(q.name, "bold"),
            right(str(q.waiting), "bold" if q.waiting else ""),
            right(duration(q.oldest_wait_s) if q.waiting else MISSING),
            _sl_text(sl, q.sl_target, colours),
            _sl_text(sl_now, q.sl_target, colours),
            right(percent(abandon),
                  colours.get("warning", "") if abandon is not None and abandon > 0.05 else ""),
            right(duration(asa)),
            right(duration(q.today.aht_s)),
            right(str(staffed)),
            right(str(available)),
            right(MISSING if outlook is None else f"{outlook.scheduled:.0f}"),
            right(MISSING if outlook is None else str(outlook.required)),
            _gap_text(outlook, colours),
            Text(spark, style=colours.get("accent", ""), no_wrap=True),
        )
        values = (
            q.name.casefold(), q.waiting, q.oldest_wait_s if q.waiting else None, sl, sl_now,
            abandon, asa, q.today.aht_s, staffed, available,
            None if outlook is None else outlook.scheduled,
            None if outlook is None else outlook.required,
            None if outlook is None else outlook.gap,
            q.waiting,
        )
        return cells, values


def _sl_text(sl: float | None, target: float, colours: Mapping[str, str]) -> Text:
    if sl is None:
        return right(MISSING)
    ok = sl >= target
    # A mark beside the number so a breach is visible without colour.
    mark = " " if ok else "▼"
    return right(f"{mark}{percent(sl)}", colours.get("success" if ok else "error", ""))


def _gap_text(outlook: QueueOutlook | None, colours: Mapping[str, str]) -> Text:
    if outlook is None:
        return right(MISSING)
    gap = round(outlook.gap)
    if gap > 0:
        # ▲ says "short of agents now" without relying on colour.
        return right(f"▲{gap}", f"bold {colours.get('error', '')}".strip())
    return right(f"{gap:+d}" if gap else "0", colours.get("success", ""))


@dataclass(frozen=True, slots=True)
class AgentFilter:
    """Words match name, team or queue; ``team:``, ``queue:`` and ``state:`` terms match
    that field only. Every term must match (AND), case-insensitively."""

    text: str = ""

    def terms(self) -> list[tuple[str, str]]:
        out = []
        for word in self.text.split():
            field, sep, value = word.partition(":")
            if sep and field.lower() in ("team", "queue", "state") and value:
                out.append((field.lower(), value.casefold()))
            else:
                out.append(("", word.casefold()))
        return out

    def predicate(self, snapshot: FloorSnapshot) -> Callable[[Agent], bool]:
        terms = self.terms()
        if not terms:
            return lambda _agent: True
        names = {q.id: q.name.casefold() for q in snapshot.queues}

        def state_words(a: Agent) -> str:
            words = [a.state.value, tr(STATE_LABELS[a.state][1]).casefold(),
                     STATE_LABELS[a.state][1].casefold()]
            if a.aux_reason:
                words.append(a.aux_reason.casefold())
            return " ".join(words)

        def matches(a: Agent) -> bool:
            queues = " ".join(names.get(q, q.casefold()) for q in a.queue_ids)
            for field, value in terms:
                if field == "team" and value not in a.team.casefold():
                    return False
                if field == "queue" and value not in queues:
                    return False
                if field == "state" and value not in state_words(a):
                    return False
                if not field and not any(
                    value in s for s in (a.name.casefold(), a.team.casefold(), queues)
                ):
                    return False
            return True

        return matches


@dataclass(frozen=True, slots=True)
class AgentExtras:
    """What the agent board shows beyond the snapshot itself, for one source."""

    flagged: Mapping[str, StressFlag]
    rolling: Mapping[str, Rolling]
    selected: Collection[str] = ()
    keep: Callable[[Agent], bool] | None = None


class AgentRow(NamedTuple):
    """Everything an agent's row shows, compared with == to find the rows that changed."""

    agent: Agent
    as_of: datetime
    flag: StressFlag | None
    rolling: Rolling | None
    selected: bool
    masked: bool


class AgentTable(LiveTable):
    COLUMNS = (
        Column("name", "Agent", 18),
        Column("state", "State", 13),
        Column("time", "Time", 8),
        Column("on_queue", "On queue", 12, min_width=70),
        Column("contact", "Contact", 7, min_width=90),
        Column("occ60", "Occ 60m", 8),
        Column("occ_today", "Occ today", 9, min_width=82),
        Column("team", "Team", 12, min_width=126),
        Column("queues", "Queues", 20, min_width=112),
    )
    FLEX = "queues"
    FLASH = frozenset({"state"})

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._names: dict[str, str] = {}
        self._colours: Mapping[str, str] = {}

    def show(
        self,
        snapshot: FloorSnapshot,
        extras: AgentExtras,
        colours: Mapping[str, str],
        *,
        masked: bool = False,
    ) -> None:
        prefix = f"{snapshot.source}/"
        # Names of every source's queues: rows of several sources share one table.
        self._names.update((q.id, q.name) for q in snapshot.queues)
        if colours != self._colours:
            self._colours = dict(colours)
            self.invalidate()  # a theme change recolours rows whose data did not change
        keep = extras.keep or (lambda _agent: True)
        flagged, rolling, selected = extras.flagged, extras.rolling, extras.selected
        as_of = snapshot.as_of
        self.apply_rows(
            prefix,
            (
                (prefix + a.id, AgentRow(a, as_of, flagged.get(a.id), rolling.get(a.id),
                                         prefix + a.id in selected, masked))
                for a in snapshot.agents
                if keep(a)
            ),
            render=self._render,
            value=_agent_value,
        )

    def _render(self, row: AgentRow) -> Cells:
        cells = self._cells_for(row)
        if row.masked:
            return _mask((cells, ()), True)[0]
        return cells

    def _cells_for(self, row: AgentRow) -> Cells:
        a, as_of, names, colours = row.agent, row.as_of, self._names, self._colours
        glyph, word = STATE_LABELS[a.state]
        word = tr(word)
        if a.state is AgentState.AUX and a.aux_reason:
            word = a.aux_reason.capitalize()
        style = {
            AgentState.AVAILABLE: colours.get("success", ""),
            AgentState.ON_CONTACT: colours.get("primary", ""),
            AgentState.ACW: colours.get("secondary", ""),
            AgentState.AUX: colours.get("warning", ""),
            AgentState.OFFLINE: "dim",
        }[a.state]
        state = Text(f"{glyph} ", style=style, no_wrap=True, overflow="ellipsis")
        state.append_text(literal(word, style))
        name = literal(a.name)
        if row.flag is not None:
            # A check-in prompt, not a ranking: one mark, no score; the reason shows on focus.
            name = Text("⚑ ", style=colours.get("warning", ""), no_wrap=True,
                        overflow="ellipsis").append_text(name)
        if row.selected:
            name = Text("✓ ", style="reverse", no_wrap=True, overflow="ellipsis").append_text(
                name
            )
        contact = a.contact
        on_queue = None if contact is None else names.get(contact.queue_id, contact.queue_id)
        contact_s = None if contact is None else max(
            0.0, (as_of - contact.started_at).total_seconds()
        )
        rolling = row.rolling
        occ60 = None if rolling is None else rolling.occupancy
        # A window the dashboard has not watched whole is marked: its figure is a part-hour.
        occ60_text = percent(occ60) + ("~" if rolling is not None and rolling.partial else " ")
        occ_today = None if a.today is None else a.today.occupancy
        queues = ", ".join(names.get(q, q) for q in a.queue_ids)
        return (
            name,
            state,
            right(duration(a.time_in_state_s(as_of))),
            literal(on_queue or MISSING),
            right(duration(contact_s)),
            right(occ60_text),
            right(percent(occ_today)),
            literal(a.team, "dim"),
            literal(queues, "dim"),
        )


def _agent_value(row: AgentRow, column: int) -> Any:
    """The sort value of one column, worked out only for the column sorted by."""
    a = row.agent
    if column == 0:
        return a.name.casefold()
    if column == 1:
        return _STATE_ORDER[a.state]
    if column == 2:
        return a.time_in_state_s(row.as_of)
    if column == 3:
        return None if a.contact is None else a.contact.queue_id
    if column == 4:
        return None if a.contact is None else (row.as_of - a.contact.started_at).total_seconds()
    if column == 5:
        return None if row.rolling is None else row.rolling.occupancy
    if column == 6:
        return None if a.today is None else a.today.occupancy
    if column == 7:
        return a.team.casefold()
    return ",".join(a.queue_ids)


# Sorting by state groups the floor the way a supervisor scans it: who is free first.
_STATE_ORDER = {
    AgentState.AVAILABLE: 0, AgentState.ON_CONTACT: 1, AgentState.ACW: 2, AgentState.AUX: 3,
    AgentState.OFFLINE: 4,
}
