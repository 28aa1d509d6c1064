"""The alert list, the full alerts board and the escalation list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.text import Text

from floorview.alerts import Alert, AlertState, Escalation
from floorview.ui.format import MISSING, age, literal, right
from floorview.ui.i18n import tr
from floorview.ui.live_table import Column, LiveTable, Row

CRITICAL = 2
_STATE_RANK = {AlertState.FIRING: 0, AlertState.PENDING: 1, AlertState.ACKNOWLEDGED: 2,
               AlertState.RESOLVED: 3}


def severity_text(severity: int, colours: Mapping[str, str]) -> Text:
    critical = severity >= CRITICAL
    # Two marks or one: severity readable without colour.
    return Text("▲▲" if critical else "▲",
                style=colours.get("error" if critical else "warning", ""))


def state_text(alert: Alert, colours: Mapping[str, str]) -> Text:
    if alert.state is AlertState.ACKNOWLEDGED and alert.ack is not None:
        text = literal(f"✓ {alert.ack.who}", colours.get("success", ""))
    elif alert.state is AlertState.FIRING:
        text = Text(tr("FIRING"), style=f"bold {colours.get('error', '')}".strip())
    elif alert.state is AlertState.RESOLVED:
        text = Text(tr("resolved"), style="dim")
    else:
        text = Text(tr("pending"), style="dim")
    if alert.flapping:
        text.append(" ~", style="dim")  # flapping: on and off, not announced each time
    return text


def alert_text(alert: Alert) -> Text:
    """Title, then why; an API string (a queue name, a ticket subject) stays literal."""
    text = literal(alert.title, "bold" if alert.state is AlertState.FIRING else "")
    text.append(" — ")
    text.append(alert.reason, style="dim")
    if alert.ack is not None and alert.ack.note:
        text.append(f" · {tr('note')}: {alert.ack.note}", style="italic")
    if alert.stale:
        text.append(f" · {tr('based on stale data')}", style="reverse")
    return text


def _age_s(alert: Alert, now: datetime) -> float:
    return max(0.0, (now - alert.started_at).total_seconds())


class AlertTable(LiveTable):
    """The floor's alert panel: what needs someone, worst first."""

    COLUMNS = (
        Column("severity", "", 2),
        Column("state", "State", 12),
        Column("alert", "Alert", 20),
        Column("age", "Age", 4),
    )
    FLEX = "alert"

    def show(self, alerts: Sequence[Alert], now: datetime, colours: Mapping[str, str]) -> None:
        self.apply_rows("", ((a.fingerprint, self._row(a, now, colours)) for a in alerts))
        if self.sort_column is None:
            # Worst first, as the monitor ordered them; a new alert does not sink.
            self.order_rows([a.fingerprint for a in alerts])
        self.display = bool(alerts) or self.has_class("always")

    @staticmethod
    def _row(alert: Alert, now: datetime, colours: Mapping[str, str]) -> Row:
        seconds = _age_s(alert, now)
        return (
            (severity_text(alert.severity, colours), state_text(alert, colours),
             alert_text(alert), right(age(seconds))),
            (-alert.severity, _STATE_RANK[alert.state], alert.title.casefold(), seconds),
        )


class AlertBoard(LiveTable):
    """The Alerts screen: every alert, with who has it, their note and until when."""

    COLUMNS = (
        Column("severity", "", 2),
        Column("state", "State", 12),
        Column("alert", "Alert", 30),
        Column("since", "Since", 8, min_width=100),
        Column("age", "Age", 4),
        Column("owner", "Acknowledged by", 16, min_width=120),
        Column("note", "note", 24, min_width=140),
        Column("expires", "Expires", 8, min_width=120),
    )
    FLEX = "alert"

    def show(self, alerts: Sequence[Alert], now: datetime, colours: Mapping[str, str]) -> None:
        self.apply_rows("", ((a.fingerprint, self._row(a, now, colours)) for a in alerts))
        if self.sort_column is None:
            self.order_rows([a.fingerprint for a in alerts])

    @staticmethod
    def _row(alert: Alert, now: datetime, colours: Mapping[str, str]) -> Row:
        seconds = _age_s(alert, now)
        ack = alert.ack
        title = literal(alert.title, "bold" if alert.state is AlertState.FIRING else "")
        if alert.stale:
            title.append(" ·stale", style="reverse")
        expires = None if ack is None else ack.expires_at
        return (
            (
                severity_text(alert.severity, colours),
                state_text(alert, colours),
                title,
                right(f"{alert.started_at:%H:%M:%S}"),
                right(age(seconds)),
                literal(MISSING if ack is None else ack.who),
                literal(MISSING if ack is None or not ack.note else ack.note, "italic"),
                right(MISSING if expires is None else f"{expires:%H:%M}"),
            ),
            (
                -alert.severity, _STATE_RANK[alert.state], alert.title.casefold(),
                alert.started_at, seconds, None if ack is None else ack.who.casefold(),
                None if ack is None else ack.note.casefold() or None, expires,
            ),
        )


def due_text(due_in_s: float) -> str:
    """Time to breach: "12m", or "-1:05:00" once overdue (minus, not colour, says late)."""
    if due_in_s <= 0:
        return "-" + _clock(-due_in_s)
    return _clock(due_in_s)


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}"


class EscalationTable(LiveTable):
    """Tickets near or past their SLA, soonest breach first."""

    COLUMNS = (
        Column("due", "Due", 8),
        Column("priority", "Pri", 6),
        Column("subject", "Subject", 16),
        Column("owner", "Owner", 14, min_width=60),
        Column("group", "Group", 10, min_width=90),
    )
    FLEX = "subject"

    def show(
        self, source: str, escalations: Sequence[Escalation], colours: Mapping[str, str]
    ) -> None:
        prefix = f"{source}/"
        self.apply_rows(
            prefix, ((prefix + e.ticket.id, self._row(e, colours)) for e in escalations)
        )

    @staticmethod
    def _row(e: Escalation, colours: Mapping[str, str]) -> Row:
        t = e.ticket
        late = e.overdue
        subject = literal(f"{t.id} ", "dim")
        subject.append_text(literal(t.subject))
        return (
            (
                right(("✖" if late else " ") + due_text(e.due_in_s),
                      f"bold {colours.get('error', '')}".strip() if late
                      else colours.get("warning", "")),
                literal(t.priority),
                subject,
                literal(t.assignee or tr("unassigned"), "" if t.assignee else "italic"),
                literal(t.group, "dim"),
            ),
            (e.due_in_s, t.priority.casefold(), t.subject.casefold(),
             (t.assignee or "").casefold() or None, t.group.casefold()),
        )
