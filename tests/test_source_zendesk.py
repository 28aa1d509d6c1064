"""The Zendesk ticket adapter against recorded payloads (no network).

Payload shapes (tests/data/vendors/zendesk/), field for field:

- search_*.json: Search API "List Search Results" (developer.zendesk.com/api-reference/
  ticketing/ticket-management/search/): ``{results[], facets, next_page, previous_page,
  count}``, each result a ticket object plus ``result_type``; Zendesk's OpenAPI spec,
  api-evangelist/zendesk:openapi/search-openapi-original.yml.
- show_many_slas.json: "Show Multiple Tickets" ``GET /api/v2/tickets/show_many?ids=`` (up to
  100 ids; api-evangelist/zendesk:openapi/tickets-openapi-original.yml, TicketsResponse and
  TicketObject), with the ``slas`` side-load: ``"slas": {"policy_metrics": [{"breach_at",
  "stage", "metric", "hours"|"minutes"|"days"}]}`` inside each ticket, as real responses
  show it (tylerconlee/slab reads ``ticket.slas.policy_metrics``; stages "active",
  "paused", "achieved").
- groups.json: "List Groups" ``{groups[{id, name, ...}], next_page, previous_page, count}``.
- users_show_many.json: "Show Many Users" ``{users[{id, name, ...}]}``.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from floorview.sources.base import SourceError
from floorview.sources.credentials import CredentialError
from floorview.sources.http import HttpLimits, HttpStatusError
from floorview.sources.vendor import AdapterConfig
from floorview.sources.zendesk import (
    NAME_TTL_S,
    EscalationRule,
    ZendeskSource,
    from_config,
    rule_from_options,
)

DATA = Path(__file__).parent / "data" / "vendors" / "zendesk"
CANARY = "c4n4ry-zd-7f3a91e2"
EMAIL = "agent@acme.example"
BASIC = "Basic " + base64.b64encode(f"{EMAIL}/token:{CANARY}".encode()).decode()
# A generous budget: these tests are about requests and mapping, not rate limiting.
FAST = HttpLimits(max_requests_per_s=1000.0, burst=1000)


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers Zendesk's endpoints and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.overrides: dict[str, Handler] = {}

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path in self.overrides:
            return self.overrides[path](request)
        params = request.url.params
        if path == "/api/v2/search.json":
            query = params["query"]
            if query.endswith("tags:escalated"):
                page = params["page"]
                return httpx.Response(200, json=load(f"search_tags_page{page}.json"),
                                      headers={"X-Rate-Limit": "700",
                                               "X-Rate-Limit-Remaining": "698"})
            if query.endswith("priority:urgent"):
                return httpx.Response(200, json=load("search_priority.json"))
            return httpx.Response(200, json={"results": [], "next_page": None, "count": 0})
        if path == "/api/v2/tickets/show_many.json":
            wanted = {int(i) for i in params["ids"].split(",")}
            tickets = [t for t in load("show_many_slas.json")["tickets"] if t["id"] in wanted]
            return httpx.Response(200, json={"tickets": tickets})
        if path == "/api/v2/groups.json":
            return httpx.Response(200, json=load("groups.json"))
        if path == "/api/v2/users/show_many.json":
            wanted = {int(i) for i in params["ids"].split(",")}
            users = [u for u in load("users_show_many.json")["users"] if u["id"] in wanted]
            return httpx.Response(200, json={"users": users})
        return httpx.Response(404, json={"error": "RecordNotFound"})


def config(**options: Any) -> AdapterConfig:
    opts: dict[str, Any] = {
        "email": EMAIL,
        "api_token_env": "ZD_TOKEN",
        "escalated_tags": ["escalated"],
        "escalated_priorities": ["urgent"],
        "tier_field_id": 360001,
    }
    opts.update(options)
    opts = {k: v for k, v in opts.items() if v is not None}
    return AdapterConfig(name="floor", url="https://acme.zendesk.com", options=opts,
                         limits=FAST, environ={"ZD_TOKEN": CANARY, "ZD_OAUTH": CANARY})


def source(rec: Recorder, **options: Any) -> ZendeskSource:
    return from_config(config(**options), transport=httpx.MockTransport(rec))


# --- the happy path ---------------------------------------------------------------------------


async def test_escalated_tickets_map_to_the_canonical_model() -> None:
    rec = Recorder()
    zd = source(rec)
    tickets = await zd.fetch_tickets()
    await zd.aclose()

    # 103 was solved and 104 lowered to normal after the index was built: dropped on re-read.
    assert [t.id for t in tickets] == ["101", "102", "105"]
    t101, t102, t105 = tickets

    # Literal text: Rich markup in a subject or a name is data, kept verbatim.
    assert t101.subject == "[bold]x[/] Printer on fire"
    assert t101.status == "open" and t101.priority == "high"
    assert t101.group == "Tier 2" and t101.assignee == "Ama Mensah"
    assert t101.customer_tier == "platinum"
    assert t101.created_at == utc("2026-11-22T08:00:00")
    # The earliest ACTIVE metric: the paused one (09:00) and the achieved one don't count.
    assert t101.sla_due_at == utc("2026-11-23T10:30:00")

    assert t102.status == "pending" and t102.priority == "urgent"
    assert t102.assignee is None
    assert t102.group == "Billing [finance]"
    assert t102.sla_due_at is None  # no SLA metric at all: no deadline, not "now"
    assert t102.customer_tier == ""  # the tier field is null

    # A task with only paused metrics: its own due_at is the deadline; no priority is "".
    assert t105.sla_due_at == utc("2026-11-23T12:00:00")
    assert t105.priority == ""
    assert t105.assignee == "José [i]Núñez[/i]"
    assert t105.group == "2099"  # a group the list did not return: its id, not a blank


async def test_requests_carry_the_search_queries_ids_and_basic_auth() -> None:
    rec = Recorder()
    zd = source(rec)
    await zd.fetch_tickets()
    await zd.aclose()

    assert rec.paths() == [
        "/api/v2/search.json", "/api/v2/search.json", "/api/v2/search.json",
        "/api/v2/tickets/show_many.json", "/api/v2/groups.json", "/api/v2/users/show_many.json",
    ]
    assert all(r.method == "GET" for r in rec.requests)
    assert all(r.headers["authorization"] == BASIC for r in rec.requests)
    searches = [r.url.params for r in rec.requests[:3]]
    assert [s["query"] for s in searches] == [
        "type:ticket status<solved tags:escalated",
        "type:ticket status<solved tags:escalated",
        "type:ticket status<solved priority:urgent",
    ]
    assert [s["page"] for s in searches] == ["1", "2", "1"]
    assert all(s["per_page"] == "100" and s["sort_by"] == "created_at"
               and s["sort_order"] == "asc" for s in searches)
    # The query is URL-encoded on the wire, operators included.
    assert "query=type%3Aticket+status%3Csolved+tags%3Aescalated" in str(rec.requests[0].url)
    show_many = rec.requests[3].url.params
    assert show_many["ids"] == "101,102,103,105,104"  # search order, duplicates once
    assert show_many["include"] == "slas"
    assert rec.requests[5].url.params["ids"] == "3001,3003"
    assert zd.rate_limit_remaining == 698


async def test_oauth_token_is_sent_as_a_bearer() -> None:
    rec = Recorder()
    zd = source(rec, api_token_env=None, email=None, oauth_token_env="ZD_OAUTH")
    await zd.fetch_tickets()
    await zd.aclose()
    assert {r.headers["authorization"] for r in rec.requests} == {f"Bearer {CANARY}"}


async def test_url_with_a_path_prefix_is_kept() -> None:
    rec = Recorder()
    cfg = config()
    cfg = AdapterConfig(name=cfg.name, url="https://acme.zendesk.com/", options=cfg.options,
                        limits=FAST, environ=cfg.environ)
    zd = from_config(cfg, transport=httpx.MockTransport(rec))
    await zd.fetch_tickets()
    await zd.aclose()
    assert rec.requests[0].url.host == "acme.zendesk.com"
    assert rec.requests[0].url.path == "/api/v2/search.json"


# --- predicates -------------------------------------------------------------------------------


def test_search_terms_come_from_every_configured_predicate() -> None:
    rule = rule_from_options(config(
        escalated_tags=["escalated", "vip_customer"],
        escalated_priorities=["URGENT", "high"],
        escalated_group_ids=[360005, 360006],
        escalated_field_id=24680,
        escalated_field_values=["tier_3", "Level 3 (manager)"],
    ))
    assert rule.search_terms() == [
        "tags:escalated", "tags:vip_customer",
        "priority:urgent", "priority:high",
        "group:360005", "group:360006",
        "custom_field_24680:tier_3", 'custom_field_24680:"Level 3 (manager)"',
    ]


def test_default_rule_is_the_escalated_tag() -> None:
    cfg = AdapterConfig(name="floor", url="https://acme.zendesk.com",
                        options={"email": EMAIL, "api_token_env": "T"}, environ={"T": "x"})
    assert rule_from_options(cfg).search_terms() == ["tags:escalated"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"escalated_priorities": ["critical"]}, "'critical' is not one of urgent"),
        ({"escalated_tags": ["two words"]}, "not a Zendesk tag"),
        ({"escalated_field_id": 24680, "escalated_field_values": None}, "go together"),
        ({"escalated_field_values": ["x"]}, "go together"),
        ({"escalated_tags": [], "escalated_priorities": []}, "nothing counts as escalated"),
        ({"max_tickets": 0}, "max_tickets"),
    ],
)
def test_bad_options_are_value_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_config(config(**options))


def test_predicates_are_an_or_on_the_fresh_ticket() -> None:
    rule = EscalationRule(tags=("Escalated",), priorities=("urgent",), group_ids=(7,),
                          field_id=99, field_values=("gold", "true"))
    base: dict[str, Any] = {"tags": [], "priority": "low", "group_id": 1, "custom_fields": []}
    assert not rule.matches(base)
    assert rule.matches({**base, "tags": ["escalated"]})  # Zendesk lower-cases tags
    assert rule.matches({**base, "priority": "urgent"})
    assert rule.matches({**base, "group_id": 7})
    assert rule.matches({**base, "custom_fields": [{"id": 99, "value": "Gold"}]})
    assert rule.matches({**base, "custom_fields": [{"id": 99, "value": ["silver", "gold"]}]})
    assert rule.matches({**base, "custom_fields": [{"id": 99, "value": True}]})
    assert not rule.matches({**base, "custom_fields": [{"id": 98, "value": "gold"}]})
    assert not rule.matches({**base, "custom_fields": [{"id": 99, "value": None}]})


async def test_group_and_field_predicates_reach_the_search() -> None:
    rec = Recorder()
    zd = source(rec, escalated_tags=[], escalated_priorities=[], escalated_group_ids=[42],
                escalated_field_id=77, escalated_field_values=["needs manager"])
    assert await zd.fetch_tickets() == ()
    await zd.aclose()
    assert [r.url.params["query"] for r in rec.requests] == [
        "type:ticket status<solved group:42",
        'type:ticket status<solved custom_field_77:"needs manager"',
    ]
    # No hits: no show_many, no name look-ups.
    assert rec.paths() == ["/api/v2/search.json"] * 2


# --- paging and caps --------------------------------------------------------------------------


def _endless_search(request: httpx.Request) -> httpx.Response:
    page = int(request.url.params["page"])
    results = [{"id": 1000 + page * 100 + i, "result_type": "ticket"} for i in range(100)]
    # Zendesk's search also finds users and organizations when a query allows it.
    results.append({"id": 5, "result_type": "user", "name": "not a ticket"})
    return httpx.Response(200, json={
        "results": results, "count": 5000,
        "next_page": f"https://acme.zendesk.com/api/v2/search.json?page={page + 1}",
    })


def _echo_show_many(request: httpx.Request) -> httpx.Response:
    ids = [int(i) for i in request.url.params["ids"].split(",")]
    return httpx.Response(200, json={"tickets": [
        {"id": i, "subject": f"t{i}", "status": "open", "priority": "high",
         "tags": ["escalated"], "created_at": "2026-11-22T08:00:00Z", "group_id": None,
         "assignee_id": None, "custom_fields": []} for i in ids]})


async def test_search_pages_stop_at_the_max_tickets_page_cap(caplog: pytest.LogCaptureFixture
                                                             ) -> None:
    rec = Recorder()
    rec.overrides["/api/v2/search.json"] = _endless_search
    rec.overrides["/api/v2/tickets/show_many.json"] = _echo_show_many
    zd = source(rec, escalated_priorities=[], max_tickets=250)
    caplog.set_level(logging.WARNING)
    tickets = await zd.fetch_tickets()
    await zd.aclose()
    searches = [r for r in rec.requests if r.url.path == "/api/v2/search.json"]
    # ceil(250 / 100) = 3 pages; the union reaches 250 on the third and stops there.
    assert [r.url.params["page"] for r in searches] == ["1", "2", "3"]
    assert len(tickets) == 250
    assert "showing the first 250" in caplog.text
    # show_many takes 100 ids a call.
    calls = [r.url.params["ids"].count(",") + 1 for r in rec.requests
             if r.url.path == "/api/v2/tickets/show_many.json"]
    assert calls == [100, 100, 50]


async def test_search_never_asks_for_page_11() -> None:
    rec = Recorder()

    def search(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        if page > 10:  # Zendesk's answer past 1,000 results
            return httpx.Response(422, json={"error": "InvalidPaginationParameter"})
        # Few distinct ids on every page, so max_tickets is never reached.
        return httpx.Response(200, json={
            "results": [{"id": 7, "result_type": "ticket"}], "count": 5000,
            "next_page": "https://acme.zendesk.com/api/v2/search.json?page=next"})

    rec.overrides["/api/v2/search.json"] = search
    rec.overrides["/api/v2/tickets/show_many.json"] = _echo_show_many
    zd = source(rec, escalated_priorities=[], max_tickets=1000)
    assert [t.id for t in await zd.fetch_tickets()] == ["7"]
    await zd.aclose()
    pages = [int(r.url.params["page"]) for r in rec.requests
             if r.url.path == "/api/v2/search.json"]
    assert pages == list(range(1, 11))


async def test_names_are_cached_for_ten_minutes() -> None:
    rec = Recorder()
    now = [1000.0]
    zd = source(rec)
    zd._clock = lambda: now[0]
    await zd.fetch_tickets()
    await zd.fetch_tickets()  # same minute: names from the caches
    lookups = [p_ for p_ in rec.paths() if p_ in ("/api/v2/groups.json",
                                                  "/api/v2/users/show_many.json")]
    assert lookups == ["/api/v2/groups.json", "/api/v2/users/show_many.json"]
    # A group missing from the list (2099) is looked for again, but not on every poll.
    now[0] += 61
    await zd.fetch_tickets()
    assert rec.paths().count("/api/v2/groups.json") == 2
    assert rec.paths().count("/api/v2/users/show_many.json") == 1
    now[0] += NAME_TTL_S
    await zd.fetch_tickets()
    await zd.aclose()
    assert rec.paths().count("/api/v2/groups.json") == 3
    assert rec.paths().count("/api/v2/users/show_many.json") == 2


# --- failures ---------------------------------------------------------------------------------


def _status(status: int, headers: dict[str, str] | None = None) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "x"}, headers=headers or {})
    return answer


async def test_401_names_the_credential_not_its_value() -> None:
    rec = Recorder()
    rec.overrides["/api/v2/search.json"] = _status(401)
    zd = source(rec)
    with pytest.raises(SourceError) as info:
        await zd.fetch_tickets()
    await zd.aclose()
    message = str(info.value)
    assert "401" in message and "api_token" in message and "email" in message
    assert CANARY not in message and EMAIL not in message


async def test_403_says_which_user_needs_access() -> None:
    rec = Recorder()
    rec.overrides["/api/v2/tickets/show_many.json"] = _status(403)
    zd = source(rec)
    with pytest.raises(SourceError, match=r"403.*agent"):
        await zd.fetch_tickets()
    await zd.aclose()


async def test_429_carries_retry_after_for_the_feed() -> None:
    rec = Recorder()
    rec.overrides["/api/v2/search.json"] = _status(429, {"Retry-After": "37"})
    zd = source(rec)
    with pytest.raises(SourceError) as info:
        await zd.fetch_tickets()
    await zd.aclose()
    assert isinstance(info.value, HttpStatusError) and info.value.status == 429
    assert info.value.retry_after_s == 37.0
    assert "429" in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_source_errors(status: int) -> None:
    rec = Recorder()
    rec.overrides["/api/v2/groups.json"] = _status(status)
    zd = source(rec)
    with pytest.raises(SourceError, match=f"answered HTTP {status}"):
        await zd.fetch_tickets()
    await zd.aclose()


async def test_malformed_payload_is_an_error_naming_the_field() -> None:
    rec = Recorder()
    rec.overrides["/api/v2/search.json"] = lambda r: httpx.Response(200, json={"results": {}})
    zd = source(rec)
    with pytest.raises(SourceError, match=r"search\.results: expected a list"):
        await zd.fetch_tickets()
    await zd.aclose()


async def test_bad_breach_at_is_an_error_not_a_missing_deadline() -> None:
    rec = Recorder()

    def show_many(request: httpx.Request) -> httpx.Response:
        body = _echo_show_many(request).json()
        body["tickets"][0]["slas"] = {"policy_metrics": [
            {"breach_at": "soon", "stage": "active", "metric": "first_reply_time"}]}
        return httpx.Response(200, json=body)

    rec.overrides["/api/v2/tickets/show_many.json"] = show_many
    zd = source(rec)
    with pytest.raises(SourceError, match=r"policy_metrics\[0\]\.breach_at"):
        await zd.fetch_tickets()
    await zd.aclose()


# --- credentials ------------------------------------------------------------------------------


def test_no_credential_at_all_is_a_credential_error() -> None:
    with pytest.raises(CredentialError, match="no api_token or oauth_token"):
        from_config(config(api_token_env=None))


def test_named_but_unset_env_var_is_reported() -> None:
    cfg = config(api_token_env="ZD_MISSING")
    with pytest.raises(CredentialError, match="ZD_MISSING is not set"):
        from_config(cfg)


def test_api_token_needs_email() -> None:
    with pytest.raises(ValueError, match="email"):
        from_config(config(email=None))


def test_both_credentials_is_ambiguous() -> None:
    with pytest.raises(CredentialError, match="not both"):
        from_config(config(oauth_token_env="ZD_OAUTH"))


def test_credentials_file_works(tmp_path: Path) -> None:
    secrets = tmp_path / "zd.toml"
    secrets.write_text(f'oauth_token = "{CANARY}"\n')
    secrets.chmod(0o600)
    cfg = config(api_token_env=None, email=None, credentials_file=str(secrets))
    zd = from_config(cfg)
    assert zd.http._client.headers["authorization"] == f"Bearer {CANARY}"


# --- secrets stay secret ----------------------------------------------------------------------


async def test_canary_secret_never_reaches_logs_or_errors(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    for override in (None, _status(401), _status(429, {"Retry-After": "5"}), _status(500)):
        rec = Recorder()
        if override is not None:
            rec.overrides["/api/v2/tickets/show_many.json"] = override
        zd = source(rec)
        try:
            await zd.fetch_tickets()
        except SourceError as exc:
            messages.append(str(exc))
            messages.append(repr(exc))
        finally:
            await zd.aclose()
        assert all(r.headers["authorization"] == BASIC for r in rec.requests)
    assert len(messages) == 6
    records = [r.getMessage() for r in caplog.records]
    assert any("rate limit remaining" in m for m in records)  # DEBUG logging did run
    encoded = BASIC.split()[1]
    for text in records + messages:
        assert CANARY not in text and encoded not in text

