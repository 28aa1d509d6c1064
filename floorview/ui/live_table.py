"""A table drawn with Textual's line API that repaints only the cells that changed.

Textual's DataTable repaints every visible cell on any update; on a 2,000-agent floor that
was ~280 ms and ~36 KB to the terminal per refresh at 160x48 (benchmarks/bench_ui.py). Here
rows are keyed by entity (``source/id``), a refresh compares each row's cells with the last
ones and marks dirty only the changed cells' screen regions, and a row's cells are turned
into a line of segments only when that row is on screen. So the cursor stays on the same
agent however the floor reorders, and a refresh where little changed sends little down an
SSH link.

On top of that: columns that come and go with the table's width or the user's choice,
sorting by any column on the entity's own values (not on the text shown), and a brief flash
of a changed figure so the eye finds what moved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from floorview.ui.i18n import tr

#: How long a changed figure stays highlighted.
FLASH_S = 1.5
#: Blank cells either side of every column.
PAD = 1


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    #: The narrowest table this column is shown in: at 80x24 the essentials stay.
    min_width: int = 0


@dataclass(slots=True)
class ShownColumn:
    """A column on screen: its label in the current language, width and position."""

    key: str
    label: Text
    width: int
    x: int = 0


#: What a row builder gives per row: the cells, and per column a value to sort by.
Cells = tuple[Text, ...]
Row = tuple[Cells, tuple[Any, ...]]


def _same(old: Text, new: Text) -> bool:
    # Text.__eq__ ignores the base style, and a colour change alone must still repaint.
    return old == new and old.style == new.style


def _same_row(old: Row, new: Row) -> bool:
    return len(old[0]) == len(new[0]) and all(map(_same, old[0], new[0]))


def _same_payload(old: Any, new: Any) -> bool:
    return bool(old == new)


def _built_cells(row: Row) -> Cells:
    return row[0]


def _built_value(row: Row, i: int) -> Any:
    return row[1][i]


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, 0) if value is None else (0, value)


class LiveTable(ScrollView, can_focus=True):
    COLUMNS: Sequence[Column] = ()
    #: The column that takes up the width left over by the fixed ones, if any.
    FLEX: str | None = None
    #: Columns whose changes flash.
    FLASH: frozenset[str] = frozenset()

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "live-table--header", "live-table--cursor", "live-table--even-row",
    }
    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow-x: hidden;
        overflow-y: auto;
        & > .live-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .live-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .live-table--even-row { background: $surface-darken-1 40%; }
        & > .live-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .live-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class RowHighlighted(Message):
        """The cursor moved to another row (or another row came under it)."""

        def __init__(self, table: LiveTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LiveTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        #: Column keys the user chose to hide.
        self.hidden: set[str] = set()
        self.sort_column: str | None = None
        self.sort_reverse = False
        #: Row key -> what the row was built from (see apply_rows).
        self._rows: dict[str, Any] = {}
        self._render_row: Callable[[Any], Cells] = _built_cells
        self._row_value: Callable[[Any, int], Any] = _built_value
        #: What is on screen per row: the cells, with any flash applied.
        self._shown_cells: dict[str, Cells] = {}
        #: The order the rows were given in: the order when no sort is chosen.
        self._given: list[str] = []
        #: The order on screen, and each key's place in it.
        self._order: list[str] = []
        self._place: dict[str, int] = {}
        self._shown: list[ShownColumn] = []
        self._index = {c.key: i for i, c in enumerate(self.COLUMNS)}
        self._line_cache: dict[str, Strip] = {}
        self._cursor = 0
        self._flashed_now: list[tuple[str, str, Text]] = []
        self._last_highlighted: str | None = None

    # --- columns --------------------------------------------------------------------------

    def wanted_columns(self, width: int) -> list[Column]:
        return [
            c for c in self.COLUMNS if c.key not in self.hidden and width >= c.min_width
        ] or list(self.COLUMNS[:1])

    def on_mount(self) -> None:
        self.rebuild()

    def on_resize(self, event: events.Resize) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        """Lay the columns out anew: the width, the user's choice or the language changed."""
        width = self.size.width
        wanted = self.wanted_columns(width)
        shown = [ShownColumn(c.key, Text(tr(c.label), no_wrap=True, overflow="ellipsis"),
                             c.width) for c in wanted]
        if self.FLEX is not None:
            # One cell spare for the vertical scrollbar.
            spare = width - sum(c.width + 2 * PAD for c in shown) - 1
            for col in shown:
                if col.key == self.FLEX and spare > 0:
                    col.width += spare
        x = 0
        for col in shown:
            col.x = x
            x += col.width + 2 * PAD
        self._shown = shown
        self._shown_cells.clear()  # labels and states are in the current language
        self._line_cache.clear()
        self._resize_virtual()
        self.refresh()

    def _resize_virtual(self) -> None:
        # One line for the header, one per row; never wider than the widget.
        self.virtual_size = Size(self.size.width, len(self._order) + 1)

    def invalidate(self) -> None:
        """Draw every row again from its data (the theme changed)."""
        self._shown_cells.clear()
        self._line_cache.clear()
        self.refresh()

    def set_hidden(self, hidden: Collection[str]) -> None:
        self.hidden = set(hidden) & set(self._index)
        self.rebuild()

    def sort_by(self, column: str | None, reverse: bool = False) -> None:
        self.sort_column = column if column in self._index else None
        self.sort_reverse = reverse
        self._reorder(self._ordered(self._given))

    @property
    def shown_columns(self) -> list[str]:
        return [c.key for c in self._shown]

    @property
    def columns(self) -> dict[str, ShownColumn]:
        return {c.key: c for c in self._shown}

    # --- rows -----------------------------------------------------------------------------

    def apply_rows(
        self,
        prefix: str,
        rows: Iterable[tuple[str, Any]],
        *,
        render: Callable[[Any], Cells] | None = None,
        value: Callable[[Any, int], Any] | None = None,
    ) -> None:
        """Make the rows whose key starts with ``prefix`` exactly ``rows``, repainting only
        the cells that changed.

        A row is either a built :data:`Row` (cells and sort values), or, with ``render`` and
        ``value``, whatever those two turn into cells and into the sort value of a column.
        The second is for big boards: a row is compared with ``==`` and turned into cells
        only while it is on screen, so a 2,000-agent refresh builds ~40 rows of Text, not
        2,000.
        """
        wanted = dict(rows)
        self._render_row = render or _built_cells
        self._row_value = value or _built_value
        same = _same_payload if render is not None else _same_row
        for key in [k for k in self._given if k.startswith(prefix) and k not in wanted]:
            del self._rows[key]
            self._shown_cells.pop(key, None)
            self._line_cache.pop(key, None)
        top, visible = self.scroll_offset.y, max(1, self.size.height - 1)
        dirty: list[tuple[str, int]] = []
        for key, payload in wanted.items():
            old = self._rows.get(key)
            self._rows[key] = payload
            if old is None or same(old, payload):
                continue
            place = self._place.get(key)
            on_screen = self._shown_cells.get(key)
            if on_screen is None or place is None or not top <= place < top + visible:
                # Off screen: drawn from the new row when it scrolls into view.
                self._shown_cells.pop(key, None)
                self._line_cache.pop(key, None)
                continue
            dirty.extend((key, i) for i in self._update_shown(key, on_screen, payload))
        if self._flashed_now:
            # One timer per refresh, not per cell: a busy floor changes hundreds of states.
            batch, self._flashed_now = self._flashed_now, []
            self.set_timer(FLASH_S, lambda: self._unflash(batch))
        others = [k for k in self._given if not k.startswith(prefix)]
        self._given = others + list(wanted)
        if not self._reorder(self._ordered(self._given)):
            columns = self.columns
            for key, i in dirty:
                col = columns.get(self.COLUMNS[i].key)
                if col is not None:
                    self._refresh_cell(key, col)

    def _update_shown(self, key: str, on_screen: Cells, payload: Any) -> list[int]:
        """The row's new cells on screen (changed figures flashing); the changed columns."""
        cells = self._render_row(payload)
        shown = list(on_screen)
        changed = []
        for i, new in enumerate(cells):
            old = on_screen[i]
            if _same(old, new):
                continue
            changed.append(i)
            column = self.COLUMNS[i].key
            if column in self.FLASH and old.plain != new.plain and "reverse" not in str(
                old.spans
            ):
                new = self._flash(key, column, new)
            shown[i] = new
        if changed:
            self._shown_cells[key] = tuple(shown)
            self._line_cache.pop(key, None)
        return changed

    def _cells(self, key: str) -> Cells:
        cells = self._shown_cells.get(key)
        if cells is None:
            cells = self._shown_cells[key] = self._render_row(self._rows[key])
        return cells

    def _ordered(self, keys: list[str]) -> list[str]:
        if self.sort_column is None:
            return keys
        i = self._index[self.sort_column]
        value, rows = self._row_value, self._rows
        values = {k: value(rows[k], i) for k in keys}
        present = [k for k in keys if values[k] is not None]
        missing = [k for k in keys if values[k] is None]
        present.sort(key=lambda k: _sort_key(values[k]), reverse=self.sort_reverse)
        return present + missing

    def order_rows(self, keys: Sequence[str]) -> None:
        """Put the rows in the order of ``keys`` (all of them)."""
        self._reorder(list(keys))

    def _reorder(self, order: list[str]) -> bool:
        """Show the rows in ``order``; True if that changed what is on screen (then all of
        it is repainted, and the cursor kept on its row)."""
        if order == self._order:
            return False
        followed = self.cursor_key
        self._order = order
        self._place = {k: i for i, k in enumerate(order)}
        self._resize_virtual()
        if followed is not None and followed in self._place:
            self._cursor = self._place[followed]
        self._cursor = max(0, min(self._cursor, len(order) - 1))
        self._scroll_to_cursor()
        self.refresh()
        self._announce()
        return True

    def _refresh_cell(self, key: str, col: ShownColumn) -> None:
        y = self._place[key] - self.scroll_offset.y + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(col.x, y, col.width + 2 * PAD, 1))

    def _flash(self, key: str, column: str, cell: Text) -> Text:
        flashed = cell.copy()
        flashed.stylize("reverse")
        self._flashed_now.append((key, column, flashed))
        return flashed

    def _unflash(self, batch: list[tuple[str, str, Text]]) -> None:
        columns = self.columns
        for key, column, flashed in batch:
            shown = self._shown_cells.get(key)
            i = self._index[column]
            # Only if the flash is still what is shown: a newer value has its own.
            if shown is None or shown[i] is not flashed:
                continue
            settled = self._render_row(self._rows[key])[i]
            self._shown_cells[key] = (*shown[:i], settled, *shown[i + 1:])
            self._line_cache.pop(key, None)
            if column in columns:
                self._refresh_cell(key, columns[column])

    # --- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header_line(width)
        row = self.scroll_offset.y + y - 1
        if row >= len(self._order):
            return Strip.blank(width, self.rich_style)
        key = self._order[row]
        line = self._line_cache.get(key)
        if line is None:
            line = self._line_cache[key] = self._row_line(key, width)
        # A style applied to a strip goes under the cells' own: the cursor's background
        # would lose to a stripe's, so a row gets one or the other.
        if row == self._cursor:
            line = line.apply_style(self.get_component_rich_style("live-table--cursor"))
        elif row % 2 == 1:
            line = line.apply_style(self.get_component_rich_style("live-table--even-row"))
        # Adjacent segments of one style as one: the terminal is sent a style per segment,
        # so a padded cell would cost three where one does (bench_ui: bytes per refresh).
        return line.apply_style(self.rich_style).simplify()

    def _cells_line(self, cells: Iterable[Text], width: int) -> Strip:
        console = self.app.console
        segments: list[Segment] = []
        pad = Segment(" " * PAD)
        for col, cell in zip(self._shown, cells, strict=True):
            options = console.options.update(width=col.width, no_wrap=True, height=1)
            segments.append(pad)
            segments.extend(console.render_lines(cell, options, pad=True)[0])
            segments.append(pad)
        return Strip(segments).adjust_cell_length(width)

    def _row_line(self, key: str, width: int) -> Strip:
        cells = self._cells(key)
        return self._cells_line((cells[self._index[c.key]] for c in self._shown), width)

    def _header_line(self, width: int) -> Strip:
        style = self.get_component_rich_style("live-table--header")
        return self._cells_line((c.label for c in self._shown), width).apply_style(
            self.rich_style + style
        ).simplify()

    def on_unmount(self) -> None:
        self._line_cache.clear()

    # --- the cursor ------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self._cursor + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(row=self._cursor + step * max(1, self.size.height - 2))

    def action_cursor_to(self, row: int) -> None:
        self.move_cursor(row=row if row >= 0 else len(self._order) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(row=self.scroll_offset.y + event.y - 1)

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        if row == self._cursor:
            return
        old, self._cursor = self._cursor, row
        for r in (old, row):
            self.refresh_line(r + 1)
        self._scroll_to_cursor()
        self._announce()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False)

    def _announce(self) -> None:
        key = self.cursor_key
        if key != self._last_highlighted:
            self._last_highlighted = key
            self.post_message(self.RowHighlighted(self, key))

    # --- reading --------------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        return self._order[self._cursor] if self._order else None

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def rows(self) -> dict[str, int]:
        """Row key -> its place on screen."""
        return self._place

    def get_row_index(self, key: str) -> int:
        return self._place[key]

    def get_row(self, key: str) -> list[Text]:
        """The cells on screen for the shown columns."""
        cells = self._cells(key)
        return [cells[self._index[c.key]] for c in self._shown]

    def get_cell(self, key: str, column: str) -> Text:
        return self._cells(key)[self._index[column]]

    def cells_of(self, key: str) -> dict[str, str]:
        """Column key -> the text a row holds (shown or not): what tests and copy-outs read."""
        cells = self._render_row(self._rows[key])
        return {c.key: cells[self._index[c.key]].plain for c in self.COLUMNS}

    def sort_value(self, key: str, column: str) -> Any:
        return self._row_value(self._rows[key], self._index[column])

    def row_keys(self) -> list[str]:
        return list(self._order)
