"""The alerts screen: every alert (pending and resolved too), and the history of the one
under the cursor."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from floorview.alerts import Alert
from floorview.journal import AuditEntry
from floorview.ui.alert_table import AlertBoard
from floorview.ui.i18n import tr


def alert_history(alert: Alert, trail: Sequence[AuditEntry]) -> RenderableType:
    """The lifecycle's own times, then what the journal holds about the alert (acks)."""
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(alert.title, style="bold")
    reason = Text(alert.reason)
    times = Text(f"{tr('History')}: ", style="bold")
    steps = [(tr("started"), alert.started_at), (tr("fired"), alert.fired_at),
             (tr("resolved"), alert.resolved_at), (tr("cleared"), alert.cleared_at)]
    times.append(" · ".join(f"{word} {when:%H:%M:%S}" for word, when in steps
                            if when is not None), style="")
    lines: list[RenderableType] = [head, reason, times]
    if alert.ack is not None:
        ack = Text(f"✓ {tr('acknowledged')} {alert.ack.at:%H:%M:%S} ", no_wrap=True,
                   overflow="ellipsis")
        ack.append(alert.ack.who, style="bold")
        if alert.ack.note:
            ack.append(f" — {alert.ack.note}", style="italic")
        lines.append(ack)
    for entry in trail:
        row = Text(f"#{entry.id} {entry.at:%H:%M:%S} {entry.who} {entry.action} {entry.result}",
                   style="dim", no_wrap=True, overflow="ellipsis")
        if entry.detail:
            row.append(f": {entry.detail}")
        lines.append(row)
    return Group(*lines)


class AlertsView(Vertical):
    DEFAULT_CSS = """
    AlertsView AlertBoard { height: 1fr; }
    AlertsView #alert-detail { height: auto; max-height: 40%; padding: 0 1;
                               border-top: solid $panel; }
    """

    def __init__(self) -> None:
        super().__init__(id="alerts")
        self.board = AlertBoard(id="alert-board")
        self.detail = Static(id="alert-detail")

    def compose(self) -> ComposeResult:
        yield self.board
        yield self.detail

    def show_detail(self, alert: Alert | None, trail: Sequence[AuditEntry]) -> None:
        self.detail.update(Text(tr("No alerts."), style="dim") if alert is None
                           else alert_history(alert, trail))


def trail_of(entries: Sequence[AuditEntry], fingerprint: str, n: int = 5) -> list[AuditEntry]:
    return [e for e in reversed(entries) if e.subject == fingerprint][:n]
