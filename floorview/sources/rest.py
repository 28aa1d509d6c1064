"""The `rest` source: floorview's own Floor API (docs/floor-api.md), spoken by the simulator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from floorview.model import (
    Agent,
    AgentState,
    AgentToday,
    Channel,
    Contact,
    FloorSnapshot,
    Queue,
    QueueToday,
    Ticket,
)
from floorview.sources import parse as p
from floorview.sources.base import DayPlan, RejectedChange, SourceError, VersionConflict
from floorview.sources.floor_decode import decode_floor
from floorview.sources.http import (
    DEFAULT_BURST,
    DEFAULT_MAX_REQUESTS_PER_S,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POLL_DEADLINE_S,
    DEFAULT_TIMEOUT_S,
    HttpFetcher,
    HttpLimits,
    loads_json,
)
from floorview.sources.intervals import parse_actuals, parse_forecast

E = TypeVar("E", Channel, AgentState)


def _enum(kind: type[E], data: dict[str, Any], key: str, where: str) -> E:
    value = p.field(data, key, where)
    try:
        return kind(value)
    except ValueError:
        allowed = "|".join(m.value for m in kind)
        raise p.SchemaError(f"{where}.{key}", f"{value!r} is not one of {allowed}"[:160]) from None


def parse_queue_today(data: Any, where: str) -> QueueToday:
    d = p.obj(data, where)
    return QueueToday(
        offered=p.count(d, "offered", where),
        answered=p.count(d, "answered", where),
        answered_within_sl=p.count(d, "answered_within_sl", where),
        abandoned=p.count(d, "abandoned", where),
        handled=p.count(d, "handled", where),
        handle_time_s=p.number(d, "handle_time_s", where),
        wait_time_s=p.number(d, "wait_time_s", where),
    )


def parse_queue(data: Any, where: str) -> Queue:
    d = p.obj(data, where)
    return Queue(
        id=p.text(d, "id", where),
        name=p.text(d, "name", where),
        channel=_enum(Channel, d, "channel", where),
        sl_threshold_s=p.number(d, "sl_threshold_s", where),
        sl_target=p.number(d, "sl_target", where),
        waiting=p.count(d, "waiting", where),
        oldest_wait_s=p.number(d, "oldest_wait_s", where),
        today=parse_queue_today(p.field(d, "today", where), f"{where}.today"),
    )


def parse_contact(data: Any, where: str) -> Contact | None:
    if data is None:
        return None
    d = p.obj(data, where)
    sentiment = d.get("sentiment")
    return Contact(
        queue_id=p.text(d, "queue", where),
        started_at=p.timestamp(d, "started_at", where),
        sentiment=None if sentiment is None else p.number(d, "sentiment", where, lo=-1.0),
    )


def parse_agent_today(data: Any, where: str) -> AgentToday | None:
    if data is None:
        return None
    d = p.obj(data, where)
    return AgentToday(
        on_contact_s=p.number(d, "on_contact_s", where),
        acw_s=p.number(d, "acw_s", where),
        available_s=p.number(d, "available_s", where),
        aux_s=p.number(d, "aux_s", where),
        contacts=p.count(d, "contacts", where),
    )


def parse_agent(data: Any, where: str) -> Agent:
    d = p.obj(data, where)
    queues = p.array(d, "queues", where)
    queue_ids = tuple(p.text_item(q, f"{where}.queues[{i}]") for i, q in enumerate(queues))
    return Agent(
        id=p.text(d, "id", where),
        name=p.text(d, "name", where),
        team=p.text(d, "team", where),
        state=_enum(AgentState, d, "state", where),
        aux_reason=p.opt_text(d, "aux_reason", where),
        state_since=p.timestamp(d, "state_since", where),
        queue_ids=queue_ids,
        version=p.count(d, "version", where),
        contact=parse_contact(d.get("contact"), f"{where}.contact"),
        today=parse_agent_today(d.get("today"), f"{where}.today"),
        presence=p.opt_text(d, "presence", where),
    )


def parse_ticket(data: Any, where: str) -> Ticket:
    d = p.obj(data, where)
    return Ticket(
        id=p.text(d, "id", where),
        subject=p.text(d, "subject", where),
        priority=p.text(d, "priority", where),
        status=p.text(d, "status", where),
        customer_tier=p.text(d, "customer_tier", where),
        created_at=p.timestamp(d, "created_at", where),
        sla_due_at=p.opt_timestamp(d, "sla_due_at", where),
        assignee=p.opt_text(d, "assignee", where),
        group=p.text(d, "group", where),
    )


def parse_tickets(data: Any) -> tuple[Ticket, ...]:
    """A ``/v1/tickets`` body; a few hundred tickets at most, so the strict reader alone."""
    tickets = p.array(p.obj(data, "tickets"), "tickets", "tickets")
    return tuple(parse_ticket(t, f"tickets[{i}]") for i, t in enumerate(tickets))


def parse_floor(data: Any, source: str) -> FloorSnapshot:
    """The strict reader: every field checked in Python, errors name the field's path."""
    d = p.obj(data, "floor")
    queues = p.array(d, "queues", "floor")
    agents = p.array(d, "agents", "floor")
    return FloorSnapshot(
        source=source,
        as_of=p.timestamp(d, "as_of", "floor"),
        site=p.text(d, "site", "floor"),
        queues=tuple(parse_queue(q, f"queues[{i}]") for i, q in enumerate(queues)),
        agents=tuple(parse_agent(a, f"agents[{i}]") for i, a in enumerate(agents)),
    )


def parse_floor_body(body: bytes, source: str) -> FloorSnapshot:
    """A ``/v1/floor`` response body: the fast reader, else the strict one to say why.

    Raises InvalidJson for a body that is not JSON and SchemaError for a floor that is not
    valid, as the strict reader finds them.
    """
    snapshot = decode_floor(body, source)
    if snapshot is None:
        snapshot = parse_floor(loads_json(body, f"{source}: /v1/floor"), source)
    return snapshot


class RestSource:
    """Polls one Floor API endpoint with a shared async HTTP client."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
        poll_deadline_s: float = DEFAULT_POLL_DEADLINE_S,
        max_requests_per_s: float = DEFAULT_MAX_REQUESTS_PER_S,
        burst: int = DEFAULT_BURST,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        limits = HttpLimits(
            timeout_s=timeout_s,
            poll_deadline_s=poll_deadline_s,
            max_requests_per_s=max_requests_per_s,
            burst=burst,
            max_response_bytes=max_response_bytes,
        )
        # One fetcher, so the floor, forecast and intervals requests share one budget.
        self.http = HttpFetcher(name, base_url, limits=limits, transport=transport,
                                headers=headers)

    async def _get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.http.get_json(path, params)

    async def fetch_floor(self) -> FloorSnapshot:
        body = await self.http.get_bytes("/v1/floor")
        try:
            return parse_floor_body(body, self.name)
        except p.SchemaError as exc:
            raise SourceError(f"{self.name}: {exc}") from None

    async def fetch_plan(self, day: date) -> DayPlan | None:
        params = {"date": day.isoformat()}
        forecast = await self._get_json("/v1/forecast", params)
        actuals = await self._get_json("/v1/intervals", params)
        try:
            as_of = p.timestamp(p.obj(actuals, "intervals"), "as_of", "intervals")
            return DayPlan(day, as_of, parse_forecast(forecast), parse_actuals(actuals))
        except p.SchemaError as exc:
            raise SourceError(f"{self.name}: {exc}") from None

    async def fetch_agent(self, agent_id: str) -> Agent:
        path = f"/v1/agents/{quote(agent_id, safe='')}"
        status, data = await self.http.send_json("GET", path, None, answers=frozenset({404}))
        if status == 404:
            raise RejectedChange(f"{self.name}: no agent {agent_id!r}")
        return self._agent(data, "agent")

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        path = f"/v1/agents/{quote(agent_id, safe='')}/queues"
        body = {"queues": list(queues), "expected_version": expected_version}
        status, data = await self.http.send_json(
            "PUT", path, body, answers=frozenset({404, 409, 422})
        )
        if status == 409:
            current = data.get("agent") if isinstance(data, dict) else None
            raise VersionConflict(
                f"{self.name}: agent {agent_id!r} changed since it was read "
                f"(version {expected_version} expected)",
                None if current is None else self._agent(current, "conflict.agent"),
            )
        if status in (404, 422):
            detail = data.get("detail") if isinstance(data, dict) else None
            raise RejectedChange(f"{self.name}: change to agent {agent_id!r} refused: {detail}")
        return self._agent(data, "agent")

    def _agent(self, data: Any, where: str) -> Agent:
        try:
            return parse_agent(data, where)
        except p.SchemaError as exc:
            raise SourceError(f"{self.name}: {exc}") from None

    async def fetch_tickets(self) -> tuple[Ticket, ...]:
        data = await self._get_json("/v1/tickets", {"escalated": "true"})
        try:
            return parse_tickets(data)
        except p.SchemaError as exc:
            raise SourceError(f"{self.name}: {exc}") from None

    async def aclose(self) -> None:
        await self.http.aclose()
