"""The agent screen's head line: state, reason, and the vendor's presence beside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from floorview.model import Agent, AgentState, Channel, FloorSnapshot, Queue, QueueToday
from floorview.ui.agent_view import agent_detail

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _render(agent: Agent) -> str:
    queue = Queue("q1", "Billing", Channel.VOICE, 20.0, 0.8, 0, 0.0,
                  QueueToday(0, 0, 0, 0, 0, 0.0, 0.0))
    snapshot = FloorSnapshot("genesys", NOW, "site", (queue,), (agent,))
    console = Console(width=120, record=True, color_system=None)
    console.print(agent_detail(agent, snapshot, None, None, (), 120, {}))
    return console.export_text()


def _agent(presence: str | None) -> Agent:
    return Agent("u1", "Ana Díaz", "Team A", AgentState.AUX, "Not responding",
                 NOW - timedelta(minutes=3), ("q1",), 1, None, None, presence)


def test_presence_is_shown_beside_the_routing_state_literally() -> None:
    text = _render(_agent("[bold]Available[/]"))
    head = text.splitlines()[0]
    assert "(Not responding)" in head
    assert "presence: [bold]Available[/]" in head


def test_no_presence_no_label() -> None:
    assert "presence" not in _render(_agent(None)).splitlines()[0]
