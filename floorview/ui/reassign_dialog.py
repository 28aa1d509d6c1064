"""The dialog behind `r`: choose a queue change for some agents, see its effect, confirm.

Confirmation is deliberate: focus starts on Cancel, Escape cancels, Enter or `y` alone never
commits, and a move of more than a few agents asks for their number to be typed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from floorview.analytics.whatif import QueueEffect
from floorview.model import Agent
from floorview.ui.format import STATE_LABELS, age, percent

#: Above this many agents the count must be typed to confirm.
TYPE_COUNT_ABOVE = 3

Changes = dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ReassignRequest:
    #: agent id -> the queues after the change (only agents whose queues change).
    changes: Changes
    remove: str | None
    add: str | None


def _seconds(value: float | None) -> str:
    # An infinite wait is a real answer (the queue cannot keep up), so it gets a word.
    if value is None:
        return "—"
    return "unbounded" if math.isinf(value) else f"{value:.0f}s"


def effects_table(effects: Sequence[QueueEffect]) -> Table:
    table = Table(box=None, pad_edge=False, expand=False)
    for header in ("Queue", "Staff", "SL now → after", "Wait", "Aband"):
        table.add_column(header, no_wrap=True)
    for e in effects:
        arrow = ("▲" if e.staffed_after > e.staffed_before
                 else "▼" if e.staffed_after < e.staffed_before else "=")
        table.add_row(
            Text(e.name),  # an API string: never markup
            f"{e.staffed_before}→{e.staffed_after} {arrow}",
            f"{percent(e.sl_before)} → {percent(e.sl_after)}"
            + ("" if e.target_sl is None else f" (target {percent(e.target_sl)})"),
            f"{_seconds(e.asa_before_s)} → {_seconds(e.asa_after_s)}",
            f"{percent(e.abandon_before)} → {percent(e.abandon_after)}",
        )
    return table


def agents_text(agents: Sequence[Agent], as_of: datetime, data_age_s: float | None) -> Text:
    text = Text()
    for a in agents:
        glyph, word = STATE_LABELS[a.state]
        text.append(f"{glyph} ")
        text.append(a.name, style="bold")  # appended as plain text: never parsed as markup
        text.append(f"  {word}, in state {age(a.time_in_state_s(as_of))}\n")
    text.append(f"data {age(data_age_s)} old", style="dim")
    return text


class ReassignDialog(ModalScreen[ReassignRequest | None]):
    DEFAULT_CSS = """
    ReassignDialog { align: center middle; }
    #re-box {
        width: 96; max-width: 100%; height: auto; max-height: 100%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    #re-title { text-style: bold; }
    #re-agents { height: auto; max-height: 6; }
    #re-choice { height: auto; }
    #re-choice Select { width: 1fr; }
    #re-preview { height: auto; margin-top: 1; }
    #re-confirm { display: none; }
    #re-confirm.shown { display: block; }
    #re-buttons { height: auto; align-horizontal: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        agents: Sequence[Agent],
        queues: Mapping[str, str],
        preview: Callable[[str | None, str | None], tuple[Changes, list[QueueEffect]]],
        *,
        as_of: datetime,
        data_age_s: float | None,
    ) -> None:
        """``queues``: id -> name. ``preview(remove, add)`` gives the changes and effects."""
        super().__init__()
        self.agents = list(agents)
        self.queues = dict(queues)
        self.preview_fn = preview
        self.as_of = as_of
        self.data_age_s = data_age_s
        self.changes: Changes = {}

    def compose(self) -> ComposeResult:
        n = len(self.agents)
        shared = [q for q in self.queues if all(q in a.queue_ids for a in self.agents)]
        with Vertical(id="re-box"):
            yield Label(f"Reassign {n} agent{'s' if n != 1 else ''}", id="re-title")
            with VerticalScroll(id="re-agents"):
                yield Static(agents_text(self.agents, self.as_of, self.data_age_s))
            with Horizontal(id="re-choice"):
                yield Select(
                    [(self.queues[q], q) for q in shared], prompt="remove from (none)",
                    id="re-remove",
                )
                yield Select(
                    [(name, q) for q, name in self.queues.items()], prompt="add to (none)",
                    id="re-add",
                )
            yield Static(Text("Choose a queue to leave and/or to join.", style="dim"),
                         id="re-preview")
            yield Input(placeholder=f"type {n} to confirm moving {n} agents", id="re-confirm")
            with Horizontal(id="re-buttons"):
                yield Button("Cancel", id="re-cancel")
                yield Button("Reassign", variant="error", id="re-ok", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#re-confirm", Input).set_class(
            len(self.agents) > TYPE_COUNT_ABOVE, "shown"
        )
        # Cancel first: a stray Enter from the last screen must not move anybody.
        self.query_one("#re-cancel", Button).focus()

    def _choice(self, widget_id: str) -> str | None:
        value = self.query_one(widget_id, Select).value
        return value if isinstance(value, str) else None

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        remove, add = self._choice("#re-remove"), self._choice("#re-add")
        preview = self.query_one("#re-preview", Static)
        if remove is None and add is None:
            self.changes = {}
            preview.update(Text("Choose a queue to leave and/or to join.", style="dim"))
        else:
            self.changes, effects = self.preview_fn(remove, add)
            if not self.changes:
                preview.update(Text("No agent's queues would change.", style="dim"))
            else:
                preview.update(effects_table(effects))
        self._arm()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._arm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # Enter in the count box is not a confirmation

    def _arm(self) -> None:
        typed = self.query_one("#re-confirm", Input).value.strip()
        counted = len(self.agents) <= TYPE_COUNT_ABOVE or typed == str(len(self.agents))
        self.query_one("#re-ok", Button).disabled = not (self.changes and counted)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "re-ok" or not self.changes:
            self.dismiss(None)
            return
        self.dismiss(
            ReassignRequest(dict(self.changes), self._choice("#re-remove"),
                            self._choice("#re-add"))
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no, with focus on No: a stray Enter changes nothing."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    #cf-box { width: 70; max-width: 100%; height: auto; padding: 1 2;
              border: thick $warning; background: $surface; }
    #cf-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="cf-box"):
            yield Label(Text(self.question))
            with Horizontal(id="cf-buttons"):
                yield Button("Cancel", id="cf-no")
                yield Button(self.yes, variant="error", id="cf-yes")

    def on_mount(self) -> None:
        self.query_one("#cf-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "cf-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
