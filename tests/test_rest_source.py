import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from floorview.model import AgentState, Channel
from floorview.sources.base import SourceError
from floorview.sources.rest import RestSource, parse_floor

FLOOR = json.loads((Path(__file__).parent / "data" / "floor_v1.json").read_text())


def test_parses_the_documented_payload() -> None:
    snap = parse_floor(FLOOR, "sim")
    assert snap.as_of == datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    billing = snap.queue_by_id["q-billing"]
    assert billing.channel is Channel.VOICE
    assert billing.today.service_level == pytest.approx(90 / 117)
    assert billing.today.abandon_rate == pytest.approx(7 / 117)
    assert billing.today.aht_s == pytest.approx(260.0)
    chat = snap.queue_by_id["q-chat"]
    # No contacts yet: no figure, not a 0% or 100%.
    assert chat.today.service_level is None and chat.today.aht_s is None
    wang = snap.agent_by_id["a-001"]
    assert wang.name == "王芳" and wang.state is AgentState.ON_CONTACT
    assert wang.contact is not None and wang.contact.sentiment == -0.4
    assert wang.time_in_state_s(snap.as_of) == 150
    assert wang.today is not None and wang.today.occupancy == pytest.approx(6000 / 7200)
    amaka = snap.agent_by_id["a-002"]
    assert amaka.name == "[bold]Amaka[/bold] Obi"
    assert amaka.aux_reason == "break"
    assert amaka.today is not None and amaka.today.occupancy is None
    assert snap.staffed_on("q-chat") == 1 and snap.available_on("q-chat") == 0


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(FLOOR)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["queues", 0, "waiting"], "3", "queues[0].waiting: expected a number"),
        (["queues", 0, "waiting"], None, "queues[0].waiting: expected a number"),
        (["queues", 0, "waiting"], -1, "queues[0].waiting: out of range"),
        (["queues", 0, "waiting"], 2.5, "queues[0].waiting: expected a whole number"),
        (["queues", 0, "today", "answered"], KeyError, "queues[0].today.answered: missing"),
        (["queues", 1, "channel"], "fax", "queues[1].channel: 'fax' is not one of"),
        (["agents", 1, "state"], "lunch", "agents[1].state: 'lunch' is not one of"),
        (["agents", 0, "state_since"], "yesterday", "agents[0].state_since: not an ISO 8601"),
        (["agents", 0, "state_since"], "2026-11-23T10:12:30", "agents[0].state_since: timestamp has no time zone"),
        (["agents"], {}, "floor.agents: expected a list"),
        (["as_of"], KeyError, "floor.as_of: missing"),
    ],
)
def test_bad_data_is_an_error_naming_the_field(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(SourceError, match="bad data at") as info:
        parse_floor(_broken(path, value), "sim")
    assert message in str(info.value)


def test_hostile_strings_are_cleaned_where_they_enter() -> None:
    data = _broken(["agents", 0, "name"], "Eve\x1b[2J\x1b]0;pwned\x07 \u202eevil\n" + "x" * 500)
    name = parse_floor(data, "sim").agent_by_id["a-001"].name
    assert "\x1b" not in name and "\u202e" not in name and "\n" not in name
    assert name.startswith("Eve evil")
    assert len(name) <= 120


async def _source(handler: Any) -> RestSource:
    return RestSource("acd", "http://acd.test", transport=httpx.MockTransport(handler))


async def test_fetch_over_http() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=FLOOR)

    source = await _source(handler)
    snap = await source.fetch_floor()
    await source.aclose()
    assert seen == ["/v1/floor"]
    assert snap.source == "acd" and len(snap.agents) == 2


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(503, text="busy"), "acd: /v1/floor answered HTTP 503"),
        (httpx.Response(200, text="{not json"), "acd: /v1/floor did not return valid JSON"),
        (httpx.Response(200, json=[1, 2]), "acd: bad data at floor: expected an object, got list"),
    ],
)
async def test_http_failures_are_source_errors(response: httpx.Response, message: str) -> None:
    source = await _source(lambda request: response)
    with pytest.raises(SourceError) as info:
        await source.fetch_floor()
    await source.aclose()
    assert str(info.value) == message


async def test_connection_refused_is_a_source_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    source = await _source(handler)
    with pytest.raises(SourceError, match=r"acd: cannot reach http://acd\.test"):
        await source.fetch_floor()
    await source.aclose()


def test_effective_staffing_counts_busy_agents_only_on_their_contacts_queue() -> None:
    snap = parse_floor(FLOOR, "sim")
    # a-001 is on a Billing contact though skilled for chat too; a-002 is on a break.
    assert snap.effective_on("q-billing") == 1
    assert snap.effective_on("q-chat") == 0
    assert snap.staffed_on("q-chat") == 1
