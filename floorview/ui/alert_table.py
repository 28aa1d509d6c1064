"""The alert list: worst first, each with its reason in words and who has it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from floorview.alerts import Alert, AlertState
from floorview.ui.format import age, literal, right
from floorview.ui.tables import Column, LiveTable

CRITICAL = 2


def state_text(alert: Alert, colours: dict[str, str]) -> Text:
    if alert.state is AlertState.ACKNOWLEDGED and alert.ack is not None:
        text = literal(f"✓ {alert.ack.who}", colours.get("success", ""))
    elif alert.state is AlertState.FIRING:
        text = Text("FIRING", style=f"bold {colours.get('error', '')}".strip())
    elif alert.state is AlertState.RESOLVED:
        text = Text("resolved", style="dim")
    else:
        text = Text("pending", style="dim")
    if alert.flapping:
        text.append(" ~", style="dim")  # flapping: on and off, not announced each time
    return text


def alert_text(alert: Alert) -> Text:
    """Title, then why; an API string (a queue name, a ticket subject) stays literal."""
    text = literal(alert.title, "bold" if alert.state is AlertState.FIRING else "")
    text.append(" — ")
    text.append(alert.reason, style="dim")
    if alert.ack is not None and alert.ack.note:
        text.append(f" · note: {alert.ack.note}", style="italic")
    if alert.stale:
        text.append(" · based on stale data", style="reverse")
    return text


class AlertTable(LiveTable):
    COLUMNS = (
        Column("severity", "", 2),
        Column("state", "State", 12),
        Column("alert", "Alert", 40),
        Column("age", "Age", 4),
    )
    FLEX = "alert"

    def show(self, alerts: Sequence[Alert], now: datetime, colours: dict[str, str]) -> None:
        self.apply_rows("", ((a.fingerprint, self._cells(a, now, colours)) for a in alerts))
        # Worst first, as the monitor ordered them; a new alert does not sink to the bottom.
        self.order_rows([a.fingerprint for a in alerts])
        self.display = bool(alerts)

    @staticmethod
    def _cells(alert: Alert, now: datetime, colours: dict[str, str]) -> tuple[Text, ...]:
        critical = alert.severity >= CRITICAL
        # Two marks or one: severity readable without colour.
        severity = Text("▲▲" if critical else "▲", style=colours.get(
            "error" if critical else "warning", ""
        ))
        return (
            severity,
            state_text(alert, colours),
            alert_text(alert),
            right(age(max(0.0, (now - alert.started_at).total_seconds()))),
        )

    def alert_key(self) -> str | None:
        return self.cursor_key
