"""The Request Tracker 5 (REST2) ticket adapter against recorded payloads (no network).

No test runs a real RT: Debian's request-tracker5 needs Perl, a database and a web server
and minutes to set up, which does not fit CI. The payloads instead follow RT's own
documentation and code, field for field (tests/data/vendors/rt/):

- The collection shape ``{count, page, pages, per_page, total, next_page, prev_page,
  items[]}`` and each item's ``{type, id, _url}`` plus the requested ``fields``: RT::REST2
  POD, "Example of plural resources (collections)", "Paging" and "Fields"
  (bestpractical/rt:lib/RT/REST2.pm); computed in lib/RT/REST2/Resource/Collection.pm.
- ``Queue`` and ``Owner`` as ``{id, type, _url}`` objects, widened by ``fields[Queue]=Name``
  and ``fields[Owner]=Name,RealName``; the owner's ``id`` is the user *name* ("Nobody");
  a sub-field the user may not see is ``""``: POD "Fields", lib/RT/REST2/Resource.pm
  ``expand_field``, t/rest2/tickets.t ("Ticket Search - Fields, sub objects").
- ``CustomFields`` as ``[{id, type, _url, name, values[]}]``: Resource.pm ``expand_field``.
- Dates as W3CDTF in UTC ("2026-11-23T10:00:00Z"), "Not set" as the epoch:
  lib/RT/REST2/Util.pm ``format_datetime`` -> RT::Date->W3CDTF(Timezone => 'UTC').
- 401 body ``{"message":"Unauthorized"}``: POD "Authentication".
"""

from __future__ import annotations

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
from floorview.sources.rt import (
    DEFAULT_PRIORITY_NAMES,
    RtSource,
    build_query,
    default_query,
    from_config,
    priority_text,
    ticketsql_quote,
)
from floorview.sources.vendor import AdapterConfig

DATA = Path(__file__).parent / "data" / "vendors" / "rt"
CANARY = "c4n4ry-rt-51d0c8aa"
FAST = HttpLimits(max_requests_per_s=1000.0, burst=1000)
TICKETS = "/rt/REST/2.0/tickets"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, pages: dict[int, Any] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.pages = pages or {1: load("tickets_page1.json"), 2: load("tickets_page2.json")}
        self.override: Handler | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.override is not None:
            return self.override(request)
        if request.url.path != TICKETS:
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(200, json=self.pages[int(request.url.params["page"])])


def config(**options: Any) -> AdapterConfig:
    opts: dict[str, Any] = {"token_env": "RT_TOKEN", "tier_field": "Customer Tier"}
    opts.update(options)
    opts = {k: v for k, v in opts.items() if v is not None}
    return AdapterConfig(name="floor", url="https://rt.example.com/rt", options=opts,
                         limits=FAST, environ={"RT_TOKEN": CANARY})


def source(rec: Recorder, **options: Any) -> RtSource:
    return from_config(config(**options), transport=httpx.MockTransport(rec))


# --- the query --------------------------------------------------------------------------------


def test_default_query_uses_a_relative_due_date() -> None:
    # RT reads an absolute date in the API user's time zone; 'now + N minutes' is zone-free.
    assert default_query(7200) == (
        "Status = '__Active__' AND Due > '1970-01-02' AND Due < 'now + 120 minutes'"
    )
    assert default_query(90) == (
        "Status = '__Active__' AND Due > '1970-01-02' AND Due < 'now + 2 minutes'"
    )


def test_queues_are_anded_onto_any_query_and_quoted() -> None:
    assert ticketsql_quote(r"Ops' \ Night") == r"'Ops\' \\ Night'"
    assert build_query(None, 3600, ("Support", "Tier 2")) == (
        "(Status = '__Active__' AND Due > '1970-01-02' AND Due < 'now + 60 minutes') "
        "AND (Queue = 'Support' OR Queue = 'Tier 2')"
    )
    assert build_query("Priority > 80", 7200, ("VIP",)) == "(Priority > 80) AND (Queue = 'VIP')"
    assert build_query("Priority > 80", 7200, ()) == "Priority > 80"


# --- the happy path ---------------------------------------------------------------------------


async def test_tickets_map_to_the_canonical_model() -> None:
    rec = Recorder()
    rt = source(rec)
    tickets = await rt.fetch_tickets()
    await rt.aclose()

    assert [t.id for t in tickets] == ["41", "42", "43"]
    t41, t42, t43 = tickets
    assert t41.subject == "[bold]x[/] VPN down for the whole site"  # literal, not markup
    assert t41.status == "open"
    assert t41.priority == "high"  # 100 reaches RT 5's default High
    assert t41.sla_due_at == utc("2026-11-23T09:45:00")
    assert t41.created_at == utc("2026-11-22T15:00:00")
    assert t41.group == "Support"
    assert t41.assignee == "Alice [b]Jones[/b]"  # RealName, verbatim
    assert t41.customer_tier == "Gold"

    assert t42.priority == "low"  # "20", a number sent as a string
    assert t42.assignee is None  # Nobody owns it
    assert t42.group == "5"  # no SeeQueue: RT sends Name "", the queue id stands in
    assert t42.customer_tier == ""  # the field has no value
    assert t42.status == "new"

    assert t43.priority == "medium" and t43.status == "stalled"
    assert t43.assignee == "bob"  # no RealName: the user name
    assert t43.customer_tier == "Silver"  # the first of several values


async def test_requests_carry_query_fields_paging_and_token() -> None:
    rec = Recorder()
    rt = source(rec, queues=["Support"])
    await rt.fetch_tickets()
    await rt.aclose()

    assert [r.url.path for r in rec.requests] == [TICKETS, TICKETS]
    assert all(r.method == "GET" for r in rec.requests)
    assert all(r.headers["authorization"] == f"token {CANARY}" for r in rec.requests)
    first = rec.requests[0].url.params
    assert first["query"] == (
        "(Status = '__Active__' AND Due > '1970-01-02' AND Due < 'now + 120 minutes') "
        "AND (Queue = 'Support')"
    )
    assert first["fields"] == "Subject,Status,Priority,Due,Created,Queue,Owner,CustomFields"
    assert first["fields[Queue]"] == "Name"
    assert first["fields[Owner]"] == "Name,RealName"
    assert first["orderby"] == "Due" and first["order"] == "ASC"
    assert first["per_page"] == "100"
    assert [r.url.params["page"] for r in rec.requests] == ["1", "2"]
    assert "fields%5BQueue%5D=Name" in str(rec.requests[0].url)


async def test_custom_fields_are_asked_for_only_with_a_tier_field() -> None:
    rec = Recorder()
    rt = source(rec, tier_field=None, due_within_s=1800)
    tickets = await rt.fetch_tickets()
    await rt.aclose()
    params = rec.requests[0].url.params
    assert params["fields"] == "Subject,Status,Priority,Due,Created,Queue,Owner"
    assert "'now + 30 minutes'" in params["query"]
    assert {t.customer_tier for t in tickets} == {""}


async def test_a_user_query_is_sent_as_written() -> None:
    rec = Recorder()
    rt = source(rec, query="Queue = 'Escalations' AND Status != 'resolved'")
    await rt.fetch_tickets()
    await rt.aclose()
    assert rec.requests[0].url.params["query"] == "Queue = 'Escalations' AND Status != 'resolved'"


async def test_not_set_due_date_is_none() -> None:
    rec = Recorder({1: load("tickets_due_not_set.json")})
    rt = source(rec)
    (ticket,) = await rt.fetch_tickets()
    await rt.aclose()
    assert ticket.sla_due_at is None  # 1970-01-01T00:00:00Z is RT's "Not set", not overdue
    assert ticket.priority == "low" and ticket.assignee is None
    assert len(rec.requests) == 1  # no next_page: one request


def test_empty_due_is_none_too() -> None:
    from floorview.sources.rt import _rt_time

    assert _rt_time({"Due": ""}, "Due", "t") is None
    assert _rt_time({"Due": None}, "Due", "t") is None
    assert _rt_time({"Due": "2026-11-23T10:00:00Z"}, "Due", "t") == utc("2026-11-23T10:00:00")


# --- priority ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "low"), (49, "low"), (50, "medium"), ("99", "medium"), (100, "high"), (250, "high"),
        (-5, "-5"),  # below every level: the number itself
        ("High", "high"),  # already a name (PriorityAsString output)
        (None, ""), ("", ""),
    ],
)
def test_priority_is_named_like_rt_does(value: Any, expected: str) -> None:
    assert priority_text(value, DEFAULT_PRIORITY_NAMES) == expected


def test_priority_names_are_configurable() -> None:
    names = {"p4": 0, "p3": 30, "p2": 60, "p1": 90}
    assert [priority_text(v, names) for v in (10, 30, 75, 90)] == ["p4", "p3", "p2", "p1"]
    assert priority_text(42, {}) == "42"  # no names: the number as text


async def test_priority_names_option_reaches_the_tickets() -> None:
    rec = Recorder()
    rt = source(rec, priority_names={"Urgent": 90, "Normal": 0})
    tickets = await rt.fetch_tickets()
    await rt.aclose()
    assert [t.priority for t in tickets] == ["urgent", "normal", "normal"]


@pytest.mark.parametrize("value", [[], {"x": "high"}, {"x": 1.5}, {"": 1}])
def test_bad_priority_names_are_value_errors(value: Any) -> None:
    with pytest.raises(ValueError, match="priority_names"):
        from_config(config(priority_names=value))


# --- paging and caps --------------------------------------------------------------------------


def _page(page: int, pages: int, ids: range) -> dict[str, Any]:
    items = [{"type": "ticket", "id": str(i), "_url": f"https://rt.example.com/REST/2.0/ticket/{i}",
              "Subject": f"t{i}", "Status": "open", "Priority": 10,
              "Due": "2026-11-23T11:00:00Z", "Created": "2026-11-23T08:00:00Z",
              "Queue": {"id": "1", "type": "queue", "_url": "q", "Name": "General"},
              "Owner": {"id": "Nobody", "type": "user", "_url": "u", "Name": "Nobody"}}
             for i in ids]
    body: dict[str, Any] = {"count": len(items), "page": page, "pages": pages,
                            "per_page": 100, "total": pages * 100, "items": items}
    if page < pages:
        body["next_page"] = f"https://rt.example.com/REST/2.0/tickets?page={page + 1}"
    return body


async def test_max_tickets_caps_pages_and_items(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder({n: _page(n, 9, range(n * 100, n * 100 + 100)) for n in range(1, 10)})
    rt = source(rec, max_tickets=150)
    caplog.set_level(logging.WARNING)
    tickets = await rt.fetch_tickets()
    await rt.aclose()
    assert len(tickets) == 150
    assert [r.url.params["page"] for r in rec.requests] == ["1", "2"]
    assert tickets[-1].id == "249"  # ordered by Due: the cut drops the later ones
    assert "showing the 150 due first" in caplog.text


async def test_pages_per_poll_are_capped_at_ten(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder({n: _page(n, 50, range(n * 100, n * 100 + 100)) for n in range(1, 51)})
    rt = source(rec, max_tickets=10_000)
    caplog.set_level(logging.WARNING)
    tickets = await rt.fetch_tickets()
    await rt.aclose()
    assert len(rec.requests) == 10 and len(tickets) == 1000
    assert "more than 10 pages" in caplog.text


async def test_paging_stops_at_the_last_page_even_with_a_next_link() -> None:
    body = _page(1, 1, range(3))
    body["next_page"] = "https://rt.example.com/REST/2.0/tickets?page=2"  # stray link
    rec = Recorder({1: body})
    rt = source(rec)
    assert len(await rt.fetch_tickets()) == 3
    await rt.aclose()
    assert len(rec.requests) == 1


async def test_empty_result_is_no_tickets() -> None:
    rec = Recorder({1: {"count": 0, "page": 1, "pages": 0, "per_page": 100, "total": 0,
                        "items": []}})
    rt = source(rec)
    assert await rt.fetch_tickets() == ()
    await rt.aclose()


# --- failures ---------------------------------------------------------------------------------


def _status(status: int, headers: dict[str, str] | None = None,
            body: Any = None) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body or {"message": "x"}, headers=headers or {})
    return answer


async def test_401_names_the_token_not_its_value() -> None:
    rec = Recorder()
    rec.override = _status(401, body=load("unauthorized.json"))
    rt = source(rec)
    with pytest.raises(SourceError) as info:
        await rt.fetch_tickets()
    await rt.aclose()
    assert "401" in str(info.value) and "token" in str(info.value)
    assert CANARY not in str(info.value)


async def test_403_names_the_rights() -> None:
    rec = Recorder()
    rec.override = _status(403)
    rt = source(rec)
    with pytest.raises(SourceError, match=r"403.*ShowTicket"):
        await rt.fetch_tickets()
    await rt.aclose()


async def test_429_carries_retry_after() -> None:
    rec = Recorder()
    rec.override = _status(429, {"Retry-After": "20"})
    rt = source(rec)
    with pytest.raises(HttpStatusError) as info:
        await rt.fetch_tickets()
    await rt.aclose()
    assert info.value.status == 429 and info.value.retry_after_s == 20.0


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_source_errors(status: int) -> None:
    rec = Recorder()
    rec.override = _status(status)
    rt = source(rec)
    with pytest.raises(SourceError, match=f"answered HTTP {status}"):
        await rt.fetch_tickets()
    await rt.aclose()


async def test_second_page_failing_fails_the_poll() -> None:
    rec = Recorder()

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json=load("tickets_page1.json"))

    rec.override = flaky
    rt = source(rec)
    # Half a list would look like tickets had been worked; the feed keeps the last full one.
    with pytest.raises(SourceError, match="502"):
        await rt.fetch_tickets()
    await rt.aclose()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Created", "", r"ticket '41'\.Created: not an ISO 8601"),
        ("Due", "tomorrow", r"ticket '41'\.Due: not an ISO 8601"),
        ("Priority", [1], r"ticket '41'\.Priority: expected a number"),
        ("Status", None, r"ticket '41'\.Status: missing"),
    ],
)
async def test_malformed_items_are_errors_naming_the_field(field: str, value: Any,
                                                           message: str) -> None:
    page = load("tickets_page1.json")
    if value is None:
        del page["items"][0][field]
    else:
        page["items"][0][field] = value
    rec = Recorder({1: page, 2: load("tickets_page2.json")})
    rt = source(rec)
    with pytest.raises(SourceError, match=message):
        await rt.fetch_tickets()
    await rt.aclose()


# --- config -----------------------------------------------------------------------------------


def test_missing_token_is_a_credential_error() -> None:
    cfg = AdapterConfig(name="floor", url="https://rt.example.com", options={"token_env": "NOPE"},
                        environ={})
    with pytest.raises(CredentialError, match="NOPE is not set"):
        from_config(cfg)


def test_url_ending_in_the_rest_path_is_not_doubled() -> None:
    cfg = AdapterConfig(name="floor", url="https://rt.example.com/REST/2.0/",
                        options={"token_env": "T"}, environ={"T": "x"})
    rt = from_config(cfg)
    assert str(rt.http.base_url) == "https://rt.example.com"


def test_missing_url_is_a_value_error() -> None:
    cfg = AdapterConfig(name="floor", url=None, options={"token_env": "T"}, environ={"T": "x"})
    with pytest.raises(ValueError, match="url"):
        from_config(cfg)


# --- secrets stay secret ----------------------------------------------------------------------


async def test_canary_secret_never_reaches_logs_or_errors(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    for override in (None, _status(401), _status(429, {"Retry-After": "5"}), _status(500),
                     lambda r: httpx.Response(200, json={"items": "nope"})):
        rec = Recorder()
        rec.override = override
        rt = source(rec)
        try:
            await rt.fetch_tickets()
        except SourceError as exc:
            messages += [str(exc), repr(exc)]
        finally:
            await rt.aclose()
        assert all(r.headers["authorization"] == f"token {CANARY}" for r in rec.requests)
    assert len(messages) == 8
    assert caplog.records  # DEBUG logging did run (httpx logs every request)
    for text in [r.getMessage() for r in caplog.records] + messages:
        assert CANARY not in text
