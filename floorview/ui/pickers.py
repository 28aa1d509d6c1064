"""Small keyboard dialogs: pick a column to sort by, pick the columns to show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, SelectionList
from textual.widgets.option_list import Option

from floorview.ui.i18n import tr

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 44; height: auto; max-height: 90%; border: thick $accent;
                    background: $surface; padding: 0 1; }}
{name} OptionList, {name} SelectionList {{ height: auto; max-height: 18; }}
"""


class SortPicker(ModalScreen[tuple[str, bool] | None]):
    """Choose a column; the column already sorted by, chosen again, reverses the order."""

    DEFAULT_CSS = _CSS.format(name="SortPicker")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, columns: Sequence[tuple[str, str]], current: str | None,
                 reverse: bool) -> None:
        super().__init__()
        self.columns, self.current, self.reverse = list(columns), current, reverse

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(tr("Sort"))
            options = []
            for key, label in self.columns:
                mark = ("  ▼" if self.reverse else "  ▲") if key == self.current else ""
                options.append(Option(f"{label or key}{mark}", id=key))
            yield OptionList(*options)

    def on_mount(self) -> None:
        keys = [k for k, _ in self.columns]
        option_list = self.query_one(OptionList)
        option_list.focus()
        if self.current in keys:
            option_list.highlighted = keys.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        self.dismiss((key, not self.reverse if key == self.current else False))


class ColumnPicker(ModalScreen[list[str] | None]):
    """Tick the columns to show; Enter toggles, Escape closes and applies."""

    DEFAULT_CSS = _CSS.format(name="ColumnPicker")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "done", "Done"),
        Binding("ctrl+s", "done", "Done", show=False),
    ]

    def __init__(self, columns: Sequence[tuple[str, str]], hidden: set[str]) -> None:
        super().__init__()
        self.columns, self.hidden = list(columns), hidden

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(tr("Columns"))
            yield SelectionList[str](
                *((label or key, key, key not in self.hidden) for key, label in self.columns)
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_done(self) -> None:
        shown = set(self.query_one(SelectionList).selected)
        self.dismiss([key for key, _ in self.columns if key not in shown])
