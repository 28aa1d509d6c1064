"""The only path from a key press to a write: check, write, journal, report.

A read-only display (the wall) refuses here, in code, whatever keys its UI shows: hiding
a key is a courtesy, this is the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from floorview.alerts import Alert, AlertState
from floorview.identity import Actor
from floorview.journal import Ack, Journal


class ActionRefused(Exception):
    """The action was not attempted; the message says why, for the user as is."""


@dataclass(frozen=True, slots=True)
class Permissions:
    can_write: bool = True
    #: Why not, when not: shown to whoever pressed the key.
    reason: str = ""


READ_ONLY = Permissions(False, "this display is read-only")


def _check(permissions: Permissions, journal: Journal | None) -> Journal:
    if not permissions.can_write:
        raise ActionRefused(permissions.reason or "this display is read-only")
    if journal is None:
        raise ActionRefused("no journal: acknowledgements need [journal] in the config")
    if journal.read_only:
        raise ActionRefused(f"the journal {journal.path} is open read-only")
    return journal


def acknowledge(
    alert: Alert,
    *,
    journal: Journal | None,
    actor: Actor,
    permissions: Permissions,
    at: datetime,
    note: str = "",
    expires_after_min: int | None = None,
) -> Ack:
    """Record "I have it" for ``alert``; every floorview sharing the journal shows it."""
    journal = _check(permissions, journal)
    if alert.state not in (AlertState.FIRING, AlertState.ACKNOWLEDGED):
        raise ActionRefused(f"only a firing alert can be acknowledged; this one is {alert.state}")
    expires_at = None if expires_after_min is None else at + timedelta(minutes=expires_after_min)
    try:
        return journal.acknowledge(
            alert.fingerprint,
            alert_title=alert.title,
            severity=alert.severity,
            actor=actor,
            at=at,
            note=note,
            expires_at=expires_at,
        )
    except Exception as exc:  # the journal's own messages name the file and the problem
        raise ActionRefused(f"acknowledgement not recorded: {exc}") from exc
