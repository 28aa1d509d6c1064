"""Alerts: rules turn a snapshot and its analytics into breaches; the lifecycle turns
breaches over time into alerts (pending, firing, acknowledged, resolved)."""

from floorview.alerts.lifecycle import AckInfo, AckLike, Alert, AlertBook, AlertState
from floorview.alerts.rules import (
    AlertRules,
    Breach,
    Escalation,
    escalations,
    evaluate,
    source_breach,
)

__all__ = [
    "AckInfo",
    "AckLike",
    "Alert",
    "AlertBook",
    "AlertRules",
    "AlertState",
    "Breach",
    "Escalation",
    "escalations",
    "evaluate",
    "source_breach",
]
