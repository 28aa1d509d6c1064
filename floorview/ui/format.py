"""Turn model values into short, fixed-width text; a missing value is an em dash, never 0."""

from __future__ import annotations

from rich.text import Text

from floorview.model import AgentState

MISSING = "—"

STATE_LABELS: dict[AgentState, tuple[str, str]] = {
    # A glyph beside every word so state never depends on colour alone.
    AgentState.AVAILABLE: ("●", "Available"),
    AgentState.ON_CONTACT: ("◆", "On contact"),
    AgentState.ACW: ("◐", "Wrap-up"),
    AgentState.AUX: ("■", "Aux"),
    AgentState.OFFLINE: ("○", "Offline"),
}


def duration(seconds: float | None) -> str:
    """m:ss under an hour, h:mm:ss above, days and hours from two days (a vendor's agent
    logged in since last week must not overflow its cell)."""
    if seconds is None:
        return MISSING
    s = int(seconds)
    h, rem = divmod(s, 3600)
    if h >= 48:
        return f"{h // 24}d{h % 24:02d}h"
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def percent(ratio: float | None) -> str:
    return MISSING if ratio is None else f"{ratio * 100:.0f}%"


def age(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def rich_colours(variables: dict[str, str]) -> dict[str, str]:
    """Textual's theme variables as Rich styles: an ANSI theme's `ansi_green` is Textual's
    name for what Rich calls `green`, and Rich refuses the former when a cell is drawn."""
    return {
        key: value.removeprefix("ansi_") if value.startswith("ansi_") else value
        for key, value in variables.items()
    }


def literal(value: str, style: str = "") -> Text:
    """API strings go to widgets only as Text, so `[b]` in a name is shown, not interpreted."""
    return Text(value, style=style, no_wrap=True, overflow="ellipsis")


def right(value: str, style: str = "") -> Text:
    return Text(value, style=style, justify="right", no_wrap=True)
