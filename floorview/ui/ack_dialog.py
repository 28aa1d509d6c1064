"""The dialog behind `a`: acknowledge one alert, with an optional note and an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

#: (label, minutes); None keeps the ack until the alert resolves or gets worse.
EXPIRIES: tuple[tuple[str, int | None], ...] = (
    ("15 min", 15),
    ("30 min", 30),
    ("1 h", 60),
    ("4 h", 240),
    ("until resolved", None),
)
DEFAULT_EXPIRY = 1
NOTE_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class AckRequest:
    note: str
    expires_after_min: int | None


class AckDialog(ModalScreen[AckRequest | None]):
    """Who acknowledges is never asked: the journal takes it from the OS and SSH session."""

    DEFAULT_CSS = """
    AckDialog { align: center middle; }
    #ack-box {
        width: 70; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    #ack-title { text-style: bold; }
    #ack-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #ack-expiry { height: auto; width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, reason: str, who: str) -> None:
        super().__init__()
        self.alert_title = title
        self.reason = reason
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical(id="ack-box"):
            # API text (queue and agent names) goes in as Text: never parsed as markup.
            yield Label(Text(f"Acknowledge: {self.alert_title}"), id="ack-title")
            yield Label(Text(self.reason))
            yield Label(Text(f"as {self.who}"))
            yield Input(placeholder="note (optional)", max_length=NOTE_MAX_CHARS, id="ack-note")
            with RadioSet(id="ack-expiry"):
                for i, (label, _) in enumerate(EXPIRIES):
                    yield RadioButton(label, value=i == DEFAULT_EXPIRY)
            with Horizontal(id="ack-buttons"):
                yield Button("Cancel", id="ack-cancel")
                yield Button("Acknowledge", variant="warning", id="ack-ok")

    def on_mount(self) -> None:
        self.query_one("#ack-note", Input).focus()

    def _request(self) -> AckRequest:
        note = self.query_one("#ack-note", Input).value.strip()
        pressed = self.query_one("#ack-expiry", RadioSet).pressed_index
        minutes = EXPIRIES[pressed if pressed >= 0 else DEFAULT_EXPIRY][1]
        return AckRequest(note, minutes)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # An ack writes nothing to the ACD and changes no one's work: Enter in the note is
        # confirmation enough, unlike a reassignment.
        event.stop()
        self.dismiss(self._request())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._request() if event.button.id == "ack-ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
