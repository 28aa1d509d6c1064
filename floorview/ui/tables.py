"""The queue board and the agent board: DataTables updated in place by row key.

Rows are keyed by ``source/id`` and only changed cells are rewritten, so a refresh costs
little on an SSH link and the cursor stays on the same agent however the floor changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from floorview.analytics.outlook import QueueOutlook
from floorview.model import Agent, AgentState, FloorSnapshot, Queue
from floorview.ui.format import MISSING, STATE_LABELS, duration, literal, percent, right


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int


def _same(old: object, new: Text) -> bool:
    # Text.__eq__ ignores the base style, and a colour change alone must still repaint.
    return isinstance(old, Text) and old == new and old.style == new.style


class LiveTable(DataTable[Text]):
    """A DataTable with fixed columns that applies rows as a diff."""

    COLUMNS: Sequence[Column] = ()
    #: The column that takes up the width left over by the fixed ones, if any.
    FLEX: str | None = None

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for col in self.COLUMNS:
            self.add_column(col.label, key=col.key, width=col.width)

    def on_resize(self) -> None:
        if self.FLEX is None:
            return
        fixed = sum(c.width for c in self.COLUMNS if c.key != self.FLEX)
        padding = 2 * self.cell_padding * len(self.COLUMNS)
        spec = next(c for c in self.COLUMNS if c.key == self.FLEX)
        # One cell spare for the vertical scrollbar.
        width = max(spec.width, self.size.width - fixed - padding - 2)
        column = self.columns[self.FLEX]
        if column.width != width:
            column.width = width
            # A column width change only; the table recomputes its virtual size on idle.
            self._require_update_dimensions = True
            self.refresh()

    def apply_rows(self, prefix: str, rows: Iterable[tuple[str, tuple[Text, ...]]]) -> None:
        """Make the rows whose key starts with ``prefix`` exactly ``rows``, touching only diffs."""
        wanted = dict(rows)
        # Removing a row above the cursor shifts indices; keep the cursor on its entity.
        followed = self.cursor_key
        existing = {k.value for k in self.rows if k.value and k.value.startswith(prefix)}
        for gone in existing - wanted.keys():
            self.remove_row(gone)
        keys = [c.key for c in self.COLUMNS]
        for row_key, cells in wanted.items():
            try:
                current = self.get_row(row_key)
            except RowDoesNotExist:
                self.add_row(*cells, key=row_key)
                continue
            for key, old, new in zip(keys, current, cells, strict=True):
                if not _same(old, new):
                    self.update_cell(row_key, key, new)
        if followed is not None and followed in self.rows:
            row = self.get_row_index(followed)
            if row != self.cursor_coordinate.row:
                self.move_cursor(row=row, animate=False)

    def order_rows(self, keys: Sequence[str]) -> None:
        """Put the rows in the order of ``keys`` (all of them, as after apply_rows)."""
        if [row.key.value for row in self.ordered_rows] == list(keys):
            return
        followed = self.cursor_key
        # DataTable sorts by cell values only; each row's first cell is its own object, so
        # its identity names the row.
        first = self.COLUMNS[0].key
        rank = {id(self.get_cell(key, first)): i for i, key in enumerate(keys)}
        self.sort(first, key=lambda cell: rank.get(id(cell), len(rank)))
        if followed is not None and followed in self.rows:
            self.move_cursor(row=self.get_row_index(followed), animate=False)

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value


class QueueTable(LiveTable):
    COLUMNS = (
        Column("name", "Queue", 14),
        Column("waiting", "Wait", 4),
        Column("oldest", "Oldest", 6),
        Column("sl", "SL today", 8),
        Column("abandon", "Aband", 5),
        Column("staffed", "Staff", 5),
        Column("available", "Avail", 5),
        Column("scheduled", "Sched", 5),
        Column("required", "Need", 5),
    )

    def show(
        self,
        snapshot: FloorSnapshot,
        outlook: Mapping[str, QueueOutlook],
        colours: dict[str, str],
        *,
        masked: bool = False,
    ) -> None:
        prefix = f"{snapshot.source}/"
        self.apply_rows(
            prefix,
            (
                (
                    prefix + q.id,
                    _mask(self._cells(q, snapshot, outlook.get(q.id), colours), masked),
                )
                for q in snapshot.queues
            ),
        )

    @staticmethod
    def _cells(
        q: Queue, snapshot: FloorSnapshot, outlook: QueueOutlook | None, colours: dict[str, str]
    ) -> tuple[Text, ...]:
        sl = q.today.service_level
        if sl is None:
            sl_text = right(MISSING)
        else:
            ok = sl >= q.sl_target
            # A word-free mark beside the number so a breach is visible without colour.
            mark = " " if ok else "▼"
            style = colours.get("success" if ok else "error", "")
            sl_text = right(f"{mark}{percent(sl)}", style)
        abandon = q.today.abandon_rate
        abandon_style = colours.get("warning", "") if abandon is not None and abandon > 0.05 else ""
        return (
            literal(q.name, "bold"),
            right(str(q.waiting), "bold" if q.waiting else ""),
            right(duration(q.oldest_wait_s) if q.waiting else MISSING),
            sl_text,
            right(percent(abandon), abandon_style),
            right(str(snapshot.staffed_on(q.id))),
            right(str(snapshot.available_on(q.id))),
            right(MISSING if outlook is None else f"{outlook.scheduled:.0f}"),
            _required(outlook, colours),
        )


MASK = "░░"


def _mask(cells: tuple[Text, ...], masked: bool, keep: int = 1) -> tuple[Text, ...]:
    """Hide every figure but the first ``keep`` cells (the names) when data is too old."""
    if not masked:
        return cells
    return cells[:keep] + tuple(right(MASK, "dim") for _ in cells[keep:])


def _required(outlook: QueueOutlook | None, colours: dict[str, str]) -> Text:
    if outlook is None:
        return right(MISSING)
    short = outlook.gap > 0
    # ▲ says "short of agents now" without relying on colour.
    return right(
        f"{'▲' if short else ' '}{outlook.required}",
        colours.get("error", "") if short else "",
    )


class AgentTable(LiveTable):
    COLUMNS = (
        Column("name", "Agent", 18),
        Column("state", "State", 14),
        Column("time", "Time", 8),
        Column("queues", "Queues", 27),
    )
    FLEX = "queues"

    def show(
        self,
        snapshot: FloorSnapshot,
        colours: dict[str, str],
        *,
        masked: bool = False,
        flagged: Mapping[str, object] | None = None,
        selected: Collection[str] = (),
    ) -> None:
        """``flagged``: agents with a stress flag (their reasons are in the alert list);
        ``selected``: row keys picked for a reassignment."""
        prefix = f"{snapshot.source}/"
        names = {q.id: q.name for q in snapshot.queues}
        flagged = flagged or {}
        self.apply_rows(
            prefix,
            (
                (
                    prefix + a.id,
                    _mask(
                        self._cells(
                            a, snapshot, names, colours, a.id in flagged,
                            prefix + a.id in selected,
                        ),
                        masked,
                    ),
                )
                for a in snapshot.agents
            ),
        )

    @staticmethod
    def _cells(
        a: Agent,
        snapshot: FloorSnapshot,
        names: dict[str, str],
        colours: dict[str, str],
        flagged: bool = False,
        selected: bool = False,
    ) -> tuple[Text, ...]:
        glyph, word = STATE_LABELS[a.state]
        if a.state is AgentState.AUX and a.aux_reason:
            word = a.aux_reason.capitalize()
        style = {
            AgentState.AVAILABLE: colours.get("success", ""),
            AgentState.ON_CONTACT: colours.get("primary", ""),
            AgentState.ACW: colours.get("secondary", ""),
            AgentState.AUX: colours.get("warning", ""),
            AgentState.OFFLINE: "dim",
        }[a.state]
        state = Text(f"{glyph} ", style=style)
        state.append_text(literal(word, style))
        queues = ", ".join(names.get(q, q) for q in a.queue_ids)
        name = literal(a.name)
        if flagged:
            # A check-in prompt, not a ranking: one mark, no score.
            name = Text("⚑ ", style=colours.get("warning", ""), no_wrap=True,
                        overflow="ellipsis").append_text(name)
        if selected:
            name = Text("✓ ", style="reverse", no_wrap=True, overflow="ellipsis").append_text(
                name
            )
        return (
            name,
            state,
            right(duration(a.time_in_state_s(snapshot.as_of))),
            literal(queues, "dim"),
        )
