import copy
import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floorview.model import STAFFED_STATES, AgentState, Channel, FloorSnapshot
from floorview.sim import wire
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources import floor_decode
from floorview.sources import parse as p
from floorview.sources.base import SourceError
from floorview.sources.floor_decode import decode_floor
from floorview.sources.rest import RestSource, parse_floor, parse_floor_body

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


# --- the fast reader against the strict one ------------------------------------------------
#
# A /v1/floor body is read by msgspec (floor_decode.py) and, only when that refuses it, by
# the strict readers. These hold the two to the same answer: the same snapshot for valid
# data, the same SchemaError (same field path) for invalid data.


def _body(data: Any) -> bytes:
    return json.dumps(data).encode()


def _from_body(data: Any, source: str = "sim") -> FloorSnapshot:
    return parse_floor_body(_body(data), source)


def _outcome(parse: Any, data: Any) -> Any:
    try:
        return parse(data, "sim")
    except p.SchemaError as exc:
        return ("error", str(exc))


def _simulated_floor(**config: Any) -> dict[str, Any]:
    sim = Simulator(SimConfig(**config))
    return json.loads(json.dumps(wire.floor(sim)))


def test_fast_and_strict_readers_agree_on_a_simulated_floor() -> None:
    data = _simulated_floor(n_agents=300, n_queues=20, start=time(11, 20))
    fast = decode_floor(_body(data), "sim")
    assert fast is not None, "a valid simulated floor must not need the strict reader"
    assert fast == parse_floor(data, "sim")
    states = {a.state for a in fast.agents}
    # The floor exercises every branch: contacts, breaks, logged-out agents.
    assert {AgentState.ON_CONTACT, AgentState.AVAILABLE, AgentState.AUX} <= states
    assert any(a.contact is not None and a.contact.sentiment is not None for a in fast.agents)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


LEAVES = [path for path in _leaves(FLOOR) if path]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**53, 2**53 + 1, 10**400 // 10**390, 2**1100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1.0, -1.5, 3.0, 2.5, 1e308, 5e-324]),
    st.text(max_size=8),
    st.sampled_from([
        "voice", "fax", "available", "acw", "lunch", "", "q-billing", " a\x1b[2Jb ",
        "2026-11-23T10:12:30Z", "2026-11-23T10:12:30", "2026-11-23T10:12:30+02:00",
        "9999-12-31T23:59:59-05:00", "yesterday",
    ]),
)
json_values = st.one_of(
    json_scalars,
    st.lists(json_scalars, max_size=3),
    st.dictionaries(st.sampled_from(["queue", "started_at", "sentiment", "x"]), json_scalars,
                    max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LEAVES), st.one_of(json_values, st.just(KeyError))),
                min_size=1, max_size=3))
def test_the_fast_reader_is_never_more_lenient_than_the_strict_one(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = copy.deepcopy(FLOOR)
    for path, value in changes:
        target = data
        try:
            for key in path[:-1]:
                target = target[key]
            if value is KeyError:
                del target[path[-1]]
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced what this path went through
    assert _outcome(_from_body, data) == _outcome(parse_floor, data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["queues", 0, "waiting"], True, "queues[0].waiting: expected a number"),
        (["queues", 0, "waiting"], 2**1100, "queues[0].waiting: out of range"),
        (["queues", 0, "oldest_wait_s"], float("nan"), "queues[0].oldest_wait_s: out of range"),
        (["queues", 0, "oldest_wait_s"], float("inf"), "queues[0].oldest_wait_s: out of range"),
        (["agents", 0, "queues", 1], 7, "agents[0].queues[1]: expected a string, got int"),
        (["agents", 0, "aux_reason"], 3, "agents[0].aux_reason: expected a string"),
        (["agents", 0, "contact"], [], "agents[0].contact: expected an object, got list"),
        (["agents", 0, "contact", "sentiment"], -1.5, "agents[0].contact.sentiment: out of range"),
        (["agents", 0, "contact", "sentiment"], "0.5", "agents[0].contact.sentiment: expected a number"),
        (["agents", 0, "today", "acw_s"], -1, "agents[0].today.acw_s: out of range"),
        (["agents", 1, "today"], "none", "agents[1].today: expected an object, got str"),
        (["agents", 1, "state_since"], "9999-12-31T23:59:59-05:00", "agents[1].state_since: out of range"),
        (["agents", 1], None, "agents[1]: expected an object, got NoneType"),
    ],
)
def test_edge_cases_are_errors_naming_the_field(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(p.SchemaError) as info:
        _from_body(_broken(path, value))
    assert message in str(info.value)


def test_valid_values_off_the_fast_path_read_the_same() -> None:
    data = _broken(["queues", 0, "waiting"], 3.0)
    data["agents"][0]["contact"]["sentiment"] = -1
    data["agents"][0]["state_since"] = "2026-11-23T12:12:30+02:00"
    snap = _from_body(data)
    assert snap == parse_floor(data, "sim")
    assert snap.queues[0].waiting == 3 and type(snap.queues[0].waiting) is int
    wang = snap.agents[0]
    assert wang.contact is not None and wang.contact.sentiment == -1.0
    assert wang.state_since == datetime(2026, 11, 23, 10, 12, 30, tzinfo=UTC)
    assert wang.today is not None and type(wang.today.on_contact_s) is float


# --- per-queue counts ---------------------------------------------------------------------


def test_queue_counts_match_their_definitions_on_a_simulated_floor() -> None:
    data = _simulated_floor(n_agents=300, n_queues=20, start=time(11, 20))
    # One agent lists a queue twice: still one agent on it.
    data["agents"][0]["queues"] *= 2
    snap = parse_floor(data, "sim")
    busy = (AgentState.ON_CONTACT, AgentState.ACW)
    for q in [*snap.queues, None]:
        qid = "q-nobody" if q is None else q.id
        skilled = [a for a in snap.agents if qid in a.queue_ids]
        assert snap.staffed_on(qid) == sum(a.state in STAFFED_STATES for a in skilled)
        assert snap.available_on(qid) == sum(a.state is AgentState.AVAILABLE for a in skilled)
        assert snap.effective_on(qid) == snap.available_on(qid) + sum(
            1 for a in snap.agents
            if a.state in busy and a.contact is not None and a.contact.queue_id == qid
        )
    assert sum(snap.staffed_on(q.id) for q in snap.queues) > 0


def test_the_parse_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(floor_decode, "MEMO_ENTRIES", 10)
    monkeypatch.setattr(floor_decode, "_texts", {})
    monkeypatch.setattr(floor_decode, "_times", {})
    agent = FLOOR["agents"][1]

    def one_agent(**changes: Any) -> Any:
        snap = decode_floor(_body({**FLOOR, "agents": [{**agent, **changes}]}), "sim")
        assert snap is not None
        return snap.agents[0]

    for i in range(50):
        parsed = one_agent(id=f"a-{i}", state_since=f"2026-11-23T10:{i:02d}:00Z")
        assert parsed.id == f"a-{i}"
        assert len(floor_decode._texts) <= 10 and len(floor_decode._times) <= 10
    long_name = "x" * 5000
    assert one_agent(name=long_name).name == "x" * 119 + "…"
    assert long_name not in floor_decode._texts
