"""Every key action in one registry: it makes the bindings, the palette and the help.

An action's id is what a config's ``[keys]`` table remaps (``acknowledge = "A"``); Textual's
keymap does the remapping, by the binding ids made here, so a remapped key shows the same
in the footer, the palette and the help screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding

from floorview.ui.i18n import tr


@dataclass(frozen=True, slots=True)
class KeyAction:
    id: str
    key: str
    #: The Textual action string the key runs.
    action: str
    #: Short, for the footer and the palette (English; translated when shown).
    label: str
    #: One sentence for the help screen and the palette.
    help: str
    footer: bool = True
    #: Changes the floor or the journal: hidden from the palette on a read-only terminal.
    writes: bool = False


ACTIONS: tuple[KeyAction, ...] = (
    # In footer order: on 80 columns the footer shows what fits, left first.
    KeyAction("help", "question_mark", "show_view('help')", "Help",
              "This screen: every key and what each figure means."),
    KeyAction("screen.floor", "1", "show_view('floor')", "Floor",
              "Queues, agents, alerts and escalations, live."),
    KeyAction("screen.forecast", "2", "show_view('forecast')", "Forecast",
              "The queue under the cursor: forecast, actual and re-forecast by interval."),
    KeyAction("screen.agent", "3", "show_view('agent')", "Agent",
              "The agent under the cursor: today's states, contacts, stress, actions."),
    KeyAction("screen.alerts", "4", "show_view('alerts')", "Alerts",
              "Every alert with its state, owner, note and history."),
    KeyAction("screen.incident", "6", "show_view('incident')", "Incident",
              "Pinned queues: their trend since the pin, and what more agents would do.",
              footer=False),
    KeyAction("screen.help", "5", "show_view('help')", "Help",
              "This screen: every key and what each figure means.", footer=False),
    KeyAction("quit", "q", "quit", "Quit", "Leave floorview."),
    KeyAction("columns", "c", "columns", "Columns",
              "Choose which columns the focused board shows.", footer=False),
    KeyAction("acknowledge", "a", "acknowledge", "Ack",
              "Acknowledge the alert under the cursor, with a note.", writes=True),
    KeyAction("reassign", "r", "reassign", "Reassign",
              "Move the selected agents (or the one under the cursor) between queues.",
              writes=True),
    KeyAction("filter", "slash", "filter", "Filter",
              "Show only agents matching words, or team:, queue:, state: terms."),
    KeyAction("sort", "s", "sort", "Sort",
              "Sort the focused board by a column; the same column again reverses it."),
    KeyAction("select", "space", "toggle_select", "Select agent",
              "Pick or unpick the agent under the cursor for a reassignment.", footer=False),
    KeyAction("undo-move", "u", "undo_move", "Undo move",
              "Put back the agents of the last move made here, after a confirmation.",
              footer=False, writes=True),
    KeyAction("stop-move", "x", "stop_move", "Stop move",
              "Stop a move under way after the agent in hand.", footer=False, writes=True),
    KeyAction("queue.next", "right_square_bracket", "step_queue(1)", "Next queue",
              "Forecast screen: the next queue.", footer=False),
    KeyAction("queue.previous", "left_square_bracket", "step_queue(-1)", "Previous queue",
              "Forecast screen: the previous queue.", footer=False),
    KeyAction("pin", "i", "pin_queue", "Pin queue",
              "Pin or unpin the queue under the cursor for the incident screen (6).",
              footer=False),
    KeyAction("bridge", "b", "bridge_summary", "Summary",
              "Write the incident-bridge summary (Markdown) to a file and copy it.",
              footer=False),
    KeyAction("screenshot", "S", "save_svg", "Screenshot",
              "Save this screen as an SVG file.", footer=False),
    KeyAction("theme", "t", "next_theme", "Theme", "Switch to the next theme.", footer=False),
    KeyAction("language", "l", "next_language", "Language",
              "Switch the labels between English and Simplified Chinese.", footer=False),
    KeyAction("palette", "ctrl+p", "command_palette", "Commands",
              "Search every action by name.", footer=False),
)

BY_ID: dict[str, KeyAction] = {a.id: a for a in ACTIONS}


def bindings(actions: Iterable[KeyAction] = ACTIONS) -> list[Binding]:
    return [
        Binding(a.key, a.action, a.label, show=a.footer, id=a.id,
                # The palette must open from any widget, an Input included.
                priority=a.id == "palette")
        for a in actions
    ]


def keys_in_use(overrides: Mapping[str, str]) -> dict[str, str]:
    """Action id -> the key(s) it runs on once ``overrides`` apply."""
    return {a.id: overrides.get(a.id, a.key) for a in ACTIONS}


def clashes(overrides: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(key, action id, action id) for each key two actions would share."""
    owner: dict[str, str] = {}
    out: list[tuple[str, str, str]] = []
    for action_id, keys in keys_in_use(overrides).items():
        for key in (k.strip() for k in keys.split(",")):
            key = normalise_key(key)
            if key in owner and not _same_target(owner[key], action_id):
                out.append((key, owner[key], action_id))
            owner.setdefault(key, action_id)
    return out


def _same_target(a: str, b: str) -> bool:
    # `?` and `5` both open help: two keys for one thing is fine, one key for two is not.
    return BY_ID[a].action == BY_ID[b].action


_NAMED = {"?": "question_mark", "/": "slash", " ": "space", "[": "left_square_bracket",
          "]": "right_square_bracket"}


def normalise_key(key: str) -> str:
    return _NAMED.get(key, key)


def key_label(key: str) -> str:
    """How a key is written for a person: `?` rather than question_mark."""
    reverse = {v: k for k, v in _NAMED.items() if k != " "}
    return ", ".join(reverse.get(k.strip(), k.strip()) for k in key.split(","))


def described(action: KeyAction) -> tuple[str, str]:
    return tr(action.label), tr(action.help)
