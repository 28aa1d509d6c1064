"""The `rest` source: floorview's own Floor API (docs/floor-api.md), spoken by the simulator."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, TypeVar

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
)
from floorview.sources import parse as p
from floorview.sources.base import DayPlan, SourceError
from floorview.sources.http import (
    DEFAULT_BURST,
    DEFAULT_MAX_REQUESTS_PER_S,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_POLL_DEADLINE_S,
    DEFAULT_TIMEOUT_S,
    HttpFetcher,
    HttpLimits,
)
from floorview.sources.intervals import parse_actuals, parse_forecast
from floorview.text import clean_text

E = TypeVar("E", Channel, AgentState)

_CHANNELS: dict[str, Channel] = {m.value: m for m in Channel}
_STATES: dict[str, AgentState] = {m.value: m for m in AgentState}
_EXACT = p.EXACT_INT
_INF = math.inf
_fromisoformat = datetime.fromisoformat


def _enum(kind: type[E], data: dict[str, Any], key: str, where: str) -> E:
    value = p.field(data, key, where)
    try:
        return kind(value)
    except ValueError:
        allowed = "|".join(m.value for m in kind)
        raise p.SchemaError(f"{where}.{key}", f"{value!r} is not one of {allowed}"[:160]) from None


# A floor of 5000 agents is 100 000 fields, read on every poll. Each parse_* below first
# tries a fast reader that accepts only what is plainly valid, with exact type checks and
# no path strings, and raises on anything else; the strict reader then reads the value
# again and says precisely what is wrong and where. So a fast reader may reject too much
# (that only costs time) but must never accept what the strict one rejects, nor read a
# value differently: each check mirrors one in floorview/sources/parse.py, and
# tests/test_rest_source.py holds both readers to the same result on a simulated floor.
# The model's frozen dataclasses are built with positional arguments, in field order,
# because keywords cost a third more per object.


class _Unsure(Exception):
    """The fast reader does not vouch for this value; the strict reader decides."""


def _num(value: Any) -> float:
    if type(value) is float:
        if 0.0 <= value < _INF:
            return value
    elif type(value) is int and 0 <= value < _EXACT:
        return float(value)
    raise _Unsure


def _count(value: Any) -> int:
    if type(value) is int and 0 <= value <= _EXACT:
        return value
    raise _Unsure


# Queue ids and teams repeat on every agent, and names, ids and most state_since times are
# the same from one poll to the next: each distinct string is read once, which saves a
# tenth of a big floor's parse and lets snapshots share the strings. Both readers are pure,
# so a memo cannot change a result. It starts afresh when full (room for the strings of a
# 20 000-agent floor), and keeps no long strings, so a source sending fresh or huge strings
# on every poll costs time, not memory.
_MEMO_ENTRIES = 50_000
_MEMO_KEY_CHARS = 200
_texts: dict[str, str] = {}
_times: dict[str, datetime] = {}


def _text(value: Any) -> str:
    # An unhashable value raises TypeError here: unsure by another name.
    cleaned = _texts.get(value)
    if cleaned is None:
        if type(value) is not str:
            raise _Unsure
        cleaned = clean_text(value)
        if len(value) <= _MEMO_KEY_CHARS:
            if len(_texts) >= _MEMO_ENTRIES:
                _texts.clear()
            _texts[value] = cleaned
    return cleaned


def _time(value: Any) -> datetime:
    parsed = _times.get(value)
    if parsed is None:
        # A wrong type or a bad string raises TypeError or ValueError, as above.
        parsed = _fromisoformat(value)
        if parsed.tzinfo is None:
            raise _Unsure
        parsed = parsed.astimezone(UTC)
        if len(value) <= _MEMO_KEY_CHARS:
            if len(_times) >= _MEMO_ENTRIES:
                _times.clear()
            _times[value] = parsed
    return parsed


def _fast_queue_today(d: Any) -> QueueToday:
    if type(d) is not dict:
        raise _Unsure
    return QueueToday(
        _count(d["offered"]),
        _count(d["answered"]),
        _count(d["answered_within_sl"]),
        _count(d["abandoned"]),
        _count(d["handled"]),
        _num(d["handle_time_s"]),
        _num(d["wait_time_s"]),
    )


def _fast_queue(d: Any) -> Queue:
    if type(d) is not dict:
        raise _Unsure
    return Queue(
        _text(d["id"]),
        _text(d["name"]),
        _CHANNELS[d["channel"]],
        _num(d["sl_threshold_s"]),
        _num(d["sl_target"]),
        _count(d["waiting"]),
        _num(d["oldest_wait_s"]),
        _fast_queue_today(d["today"]),
    )


def _fast_contact(d: Any) -> Contact:
    if type(d) is not dict:
        raise _Unsure
    sentiment = d.get("sentiment")
    if sentiment is not None:
        if type(sentiment) is float:
            if not -1.0 <= sentiment < _INF:
                raise _Unsure
        elif type(sentiment) is int and -1 <= sentiment < _EXACT:
            sentiment = float(sentiment)
        else:
            raise _Unsure
    return Contact(_text(d["queue"]), _time(d["started_at"]), sentiment)


def _fast_agent_today(d: Any) -> AgentToday:
    if type(d) is not dict:
        raise _Unsure
    on_contact, acw, available, aux = d["on_contact_s"], d["acw_s"], d["available_s"], d["aux_s"]
    # Durations come as floats from any source that measures them; ints take the long way.
    if not (
        type(on_contact) is float and 0.0 <= on_contact < _INF
        and type(acw) is float and 0.0 <= acw < _INF
        and type(available) is float and 0.0 <= available < _INF
        and type(aux) is float and 0.0 <= aux < _INF
    ):
        on_contact, acw, available, aux = _num(on_contact), _num(acw), _num(available), _num(aux)
    return AgentToday(on_contact, acw, available, aux, _count(d["contacts"]))


def _fast_agent(d: Any) -> Agent:
    if type(d) is not dict:
        raise _Unsure
    queues = d["queues"]
    if type(queues) is not list:
        raise _Unsure
    try:
        # After the first few agents every queue id is known.
        queue_ids = tuple(map(_texts.__getitem__, queues))
    except (KeyError, TypeError):
        queue_ids = tuple([_text(q) for q in queues])
    aux_reason = d.get("aux_reason")
    contact = d.get("contact")
    today = d.get("today")
    return Agent(
        _text(d["id"]),
        _text(d["name"]),
        _text(d["team"]),
        _STATES[d["state"]],
        None if aux_reason is None else _text(aux_reason),
        _time(d["state_since"]),
        queue_ids,
        _count(d["version"]),
        None if contact is None else _fast_contact(contact),
        None if today is None else _fast_agent_today(today),
    )


def parse_queue_today(data: Any, where: str) -> QueueToday:
    try:
        return _fast_queue_today(data)
    except Exception:  # whatever it was, the strict reader finds it and names it
        return _strict_queue_today(data, where)


def _strict_queue_today(data: Any, where: str) -> QueueToday:
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
    try:
        return _fast_queue(data)
    except Exception:  # whatever it was, the strict reader finds it and names it
        return _strict_queue(data, where)


def _strict_queue(data: Any, where: str) -> Queue:
    d = p.obj(data, where)
    return Queue(
        id=p.text(d, "id", where),
        name=p.text(d, "name", where),
        channel=_enum(Channel, d, "channel", where),
        sl_threshold_s=p.number(d, "sl_threshold_s", where),
        sl_target=p.number(d, "sl_target", where),
        waiting=p.count(d, "waiting", where),
        oldest_wait_s=p.number(d, "oldest_wait_s", where),
        today=_strict_queue_today(p.field(d, "today", where), f"{where}.today"),
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
    try:
        return _fast_agent(data)
    except Exception:  # whatever it was, the strict reader finds it and names it
        return _strict_agent(data, where)


def _strict_agent(data: Any, where: str) -> Agent:
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
    )


def parse_floor(data: Any, source: str) -> FloorSnapshot:
    d = p.obj(data, "floor")
    queues = p.array(d, "queues", "floor")
    agents = p.array(d, "agents", "floor")
    as_of = p.timestamp(d, "as_of", "floor")
    site = p.text(d, "site", "floor")
    parsed_queues = []
    for i, q in enumerate(queues):
        try:
            parsed_queues.append(_fast_queue(q))
        except Exception:  # only now is the path worth building
            parsed_queues.append(_strict_queue(q, f"queues[{i}]"))
    parsed_agents = []
    for i, a in enumerate(agents):
        try:
            parsed_agents.append(_fast_agent(a))
        except Exception:  # only now is the path worth building
            parsed_agents.append(_strict_agent(a, f"agents[{i}]"))
    return FloorSnapshot(source, as_of, site, tuple(parsed_queues), tuple(parsed_agents))


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
        self.http = HttpFetcher(name, base_url, limits=limits, transport=transport)

    async def _get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.http.get_json(path, params)

    async def fetch_floor(self) -> FloorSnapshot:
        data = await self._get_json("/v1/floor")
        try:
            return parse_floor(data, self.name)
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

    async def aclose(self) -> None:
        await self.http.aclose()
