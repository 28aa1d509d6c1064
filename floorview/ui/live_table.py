"""A DataTable applied as a diff: rows keyed by entity, only changed cells rewritten.

Rows are keyed ``source/id``, so the cursor stays on the same agent however the floor
reorders, and a refresh where little changed sends little down an SSH link. On top of
that: columns that come and go with the terminal's width or the user's choice, sorting by
any column on the entity's own values (not on the text shown), and a brief flash of a
changed figure so the eye finds what moved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from floorview.ui.i18n import tr

#: How long a changed figure stays highlighted.
FLASH_S = 1.5


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    #: The narrowest table this column is shown in: at 80x24 the essentials stay.
    min_width: int = 0


#: What a row builder gives per row: the cells, and per column a value to sort by.
Cells = tuple[Text, ...]
Row = tuple[Cells, tuple[Any, ...]]


def _same(old: object, new: Text) -> bool:
    # Text.__eq__ ignores the base style, and a colour change alone must still repaint.
    return isinstance(old, Text) and old == new and old.style == new.style


def _sort_key(value: Any) -> tuple[int, Any]:
    # Missing values last whichever way the column is sorted.
    return (1, 0) if value is None else (0, value)


class LiveTable(DataTable[Text]):
    COLUMNS: Sequence[Column] = ()
    #: The column that takes up the width left over by the fixed ones, if any.
    FLEX: str | None = None
    #: Columns whose changes flash.
    FLASH: frozenset[str] = frozenset()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        #: Column keys the user chose to hide.
        self.hidden: set[str] = set()
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._rows: dict[str, Cells] = {}
        self._values: dict[str, tuple[Any, ...]] = {}
        #: The order the rows were given in: the order when no sort is chosen.
        self._given: list[str] = []
        self._shown: list[Column] = []
        self._flashed_now: list[tuple[str, str, Text]] = []
        self._index = {c.key: i for i, c in enumerate(self.COLUMNS)}

    # --- columns --------------------------------------------------------------------------

    def wanted_columns(self, width: int) -> list[Column]:
        return [
            c for c in self.COLUMNS
            if c.key not in self.hidden and width >= c.min_width
        ] or list(self.COLUMNS[:1])

    def on_mount(self) -> None:
        self.rebuild()

    def on_resize(self) -> None:
        if self.wanted_columns(self.size.width) != self._shown:
            self.rebuild()
        else:
            self._fit_flex()

    def rebuild(self) -> None:
        """Columns anew (width, user choice or language changed), rows from what was last
        applied."""
        followed = self.cursor_key
        self.clear(columns=True)
        self._shown = self.wanted_columns(self.size.width)
        for col in self._shown:
            self.add_column(tr(col.label), key=col.key, width=col.width)
        self._fit_flex()
        for key in self._ordered(self._given):
            self.add_row(*self._pick(self._rows[key]), key=key)
        if followed is not None and followed in self.rows:
            self.move_cursor(row=self.get_row_index(followed), animate=False)

    def _fit_flex(self) -> None:
        if self.FLEX is None or self.FLEX not in self.columns:
            return
        spec = next(c for c in self._shown if c.key == self.FLEX)
        fixed = sum(c.width for c in self._shown if c.key != self.FLEX)
        padding = 2 * self.cell_padding * len(self._shown)
        # One cell spare for the vertical scrollbar.
        width = max(spec.width, self.size.width - fixed - padding - 2)
        column = self.columns[self.FLEX]  # type: ignore[index]
        if column.width != width:
            column.width = width
            self._require_update_dimensions = True
            self.refresh()

    def _pick(self, cells: Cells) -> Cells:
        return tuple(cells[self._index[c.key]] for c in self._shown)

    def set_hidden(self, hidden: Collection[str]) -> None:
        self.hidden = set(hidden) & set(self._index)
        self.rebuild()

    def sort_by(self, column: str | None, reverse: bool = False) -> None:
        self.sort_column = column if column in self._index else None
        self.sort_reverse = reverse
        self.order_rows(self._ordered(self._given))

    # --- rows -----------------------------------------------------------------------------

    def apply_rows(self, prefix: str, rows: Iterable[tuple[str, Row]]) -> None:
        """Make the rows whose key starts with ``prefix`` exactly ``rows``, touching only
        the cells that changed."""
        wanted = dict(rows)
        followed = self.cursor_key
        gone = [k for k in self._given if k.startswith(prefix) and k not in wanted]
        for key in gone:
            del self._rows[key], self._values[key]
            if key in self.rows:
                self.remove_row(key)
        shown = {c.key for c in self._shown}
        for key, (cells, values) in wanted.items():
            old = self._rows.get(key)
            self._rows[key], self._values[key] = cells, values
            if key not in self.rows:
                self.add_row(*self._pick(cells), key=key)
                continue
            for col in self.COLUMNS:
                i = self._index[col.key]
                if col.key not in shown or (old is not None and _same(old[i], cells[i])):
                    continue
                new = cells[i]
                if col.key in self.FLASH and old is not None and old[i].plain != new.plain:
                    new = self._flash(key, col.key, new)
                self.update_cell(key, col.key, new)
        if self._flashed_now:
            # One timer per refresh, not per cell: a busy floor changes hundreds of states.
            batch, self._flashed_now = self._flashed_now, []
            self.set_timer(FLASH_S, lambda: self._unflash(batch))
        others = [k for k in self._given if not k.startswith(prefix)]
        self._given = others + list(wanted)
        self.order_rows(self._ordered(self._given))
        if followed is not None and followed in self.rows:
            row = self.get_row_index(followed)
            if row != self.cursor_coordinate.row:
                self.move_cursor(row=row, animate=False)

    def _ordered(self, keys: list[str]) -> list[str]:
        if self.sort_column is None:
            return keys
        i = self._index[self.sort_column]
        present = [k for k in keys if self._values[k][i] is not None]
        missing = [k for k in keys if self._values[k][i] is None]
        present.sort(key=lambda k: _sort_key(self._values[k][i]), reverse=self.sort_reverse)
        return present + missing

    def order_rows(self, keys: Sequence[str]) -> None:
        """Put the rows in the order of ``keys`` (all of them)."""
        if [row.key.value for row in self.ordered_rows] == list(keys) or not self._shown:
            return
        followed = self.cursor_key
        # DataTable sorts by cell values only; each row's first cell is its own object, so
        # its identity names the row.
        first = self._shown[0].key
        rank = {id(self.get_cell(key, first)): i for i, key in enumerate(keys)}
        self.sort(first, key=lambda cell: rank.get(id(cell), len(rank)))
        if followed is not None and followed in self.rows:
            self.move_cursor(row=self.get_row_index(followed), animate=False)

    def _flash(self, key: str, column: str, cell: Text) -> Text:
        flashed = cell.copy()
        flashed.stylize("reverse")
        self._flashed_now.append((key, column, flashed))
        return flashed

    def _unflash(self, batch: list[tuple[str, str, Text]]) -> None:
        for key, column, flashed in batch:
            cells = self._rows.get(key)
            if cells is None or key not in self.rows or column not in self.columns:
                continue
            with contextlib.suppress(RowDoesNotExist):  # removed between the two updates
                # Only if the flash is still what is shown: a newer value has its own.
                if self.get_cell(key, column) is flashed:
                    self.update_cell(key, column, cells[self._index[column]])

    # --- reading --------------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def cells_of(self, key: str) -> dict[str, str]:
        """Column key -> the text a row holds (shown or not): what tests and copy-outs read."""
        return {c.key: self._rows[key][self._index[c.key]].plain for c in self.COLUMNS}

    @property
    def shown_columns(self) -> list[str]:
        return [c.key for c in self._shown]

    def row_keys(self) -> list[str]:
        return [row.key.value for row in self.ordered_rows if row.key.value is not None]
