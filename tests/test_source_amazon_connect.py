"""The amazon_connect source against botocore's own connect client, stubbed.

Where the payload shapes come from:
- Every request and response shape is botocore's connect model,
  botocore/data/connect/2017-08-08/service-2.json (botocore 1.44.5, installed here; also
  indexed as boto/botocore:botocore/data/connect/2017-08-08/service-2.json). Stubber checks
  each request we send against that model (and, with expected params, its values), and
  each stubbed response too.
- The files in tests/data/vendors/amazon_connect/ are response bodies as they travel
  (rest-json, timestamps in epoch seconds, the shape's member names); ``parsed()`` runs
  them through botocore's own rest-json parser, so the adapter sees exactly what botocore
  hands back (timestamps as datetimes).
- OLDEST_CONTACT_AGE's units, null vs empty MetricResults and the 5-minute NextToken:
  the GetCurrentMetricData documentation in the same model (its example 24113.0 = 24 s is
  get_current_metric_data_ungrouped.json).
- GetMetricDataV2's metric names, Threshold {Comparison LTE, ThresholdValue} and filter
  keys: the GetMetricDataV2 documentation in the same model. The result's Dimensions map
  keys ("QUEUE", "QUEUE_ARN") are inferred from the grouping names: the model types the
  map as string -> string and documents no keys.
- AgentContactState, Status{StatusStartTimestamp, StatusArn, StatusName} and
  HierarchyPath: the GetCurrentUserData output shapes; the ListAgentStatuses Type enum
  ROUTABLE | CUSTOM | OFFLINE.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.parsers
import botocore.session
import pandas as pd
import pytest
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from floorview.model import AgentState, Channel
from floorview.sources import amazon_connect as ac
from floorview.sources import amazon_connect_parse as acp
from floorview.sources import amazon_connect_setup as acs
from floorview.sources.base import RejectedChange, SourceError, VersionConflict
from floorview.sources.credentials import CredentialError
from floorview.sources.http import HttpLimits
from floorview.sources.intervals import ACTUAL_FIELDS
from floorview.sources.vendor import AdapterConfig, membership_version

DATA = Path(__file__).parent / "data" / "vendors" / "amazon_connect"
NOW = datetime(2026, 5, 14, 9, 31, 5, tzinfo=UTC)
INSTANCE = "11111111-2222-3333-4444-555555555555"
INSTANCE_ARN = f"arn:aws:connect:eu-west-2:123456789012:instance/{INSTANCE}"
SALES = "aaaaaaaa-0000-4000-8000-000000000001"
SUPPORT = "aaaaaaaa-0000-4000-8000-000000000002"
CHAT = "aaaaaaaa-0000-4000-8000-000000000003"
RP_VOICE = "cccccccc-0000-4000-8000-000000000001"
RP_CHAT = "cccccccc-0000-4000-8000-000000000002"
RP_ALL = "cccccccc-0000-4000-8000-000000000003"
RP_SALES = "cccccccc-0000-4000-8000-000000000004"
U = {f"u{i}": f"eeeeeeee-0000-4000-8000-00000000000{i}" for i in range(1, 8)}
#: Local midnight of 2026-05-14 in Europe/London (BST, UTC+1).
MIDNIGHT = datetime(2026, 5, 13, 23, 0, tzinfo=UTC)

OPS = (
    "GetCurrentMetricData", "GetCurrentUserData", "GetMetricDataV2", "UpdateUserRoutingProfile",
    "DescribeUser", "DescribeInstance", "ListAgentStatuses", "ListQueues",
    "ListRoutingProfiles", "ListRoutingProfileQueues", "ListUserHierarchyGroups", "SearchUsers",
)
FAST = {op: (1000.0, 1000) for op in OPS}


def body(name: str) -> bytes:
    return (DATA / name).read_bytes()


def make_client(**config: Any) -> Any:
    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLETESTONLY", "not-a-real-secret")
    return session.create_client(
        "connect", region_name="eu-west-2",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, **config),
    )


def parsed(client: Any, op: str, name: str) -> dict[str, Any]:
    """A recorded body through botocore's rest-json parser, as the client would return it."""
    shape = client.meta.service_model.operation_model(op).output_shape
    parser = botocore.parsers.create_parser("rest-json")
    return parser.parse({"body": body(name), "headers": {}, "status_code": 200}, shape)


def options(**over: Any) -> ac.ConnectOptions:
    values: dict[str, Any] = {
        "instance_id": INSTANCE, "region": "eu-west-2", "queues": (SALES, SUPPORT, CHAT),
        "time_zone": "Europe/London", "site": "London", "channels": ("VOICE", "CHAT"),
    }
    values.update(over)
    return ac.ConnectOptions(**values)


async def _no_sleep(_: float) -> None:
    return None


class Connect:
    """A real botocore client under a Stubber, and a source on a fake clock."""

    def __init__(self, *, rates: dict[str, tuple[float, int]] | None = None,
                 deadline_s: float = 5.0, **opts: Any) -> None:
        self.client = make_client()
        self.stub = Stubber(self.client)
        self.stub.activate()
        self.now = NOW
        self.mono = 1000.0
        self.source = ac.AmazonConnectSource(
            "connect", options(**opts),
            limits=HttpLimits(poll_deadline_s=deadline_s, max_requests_per_s=1000.0,
                              burst=1000),
            client=self.client, rates=FAST if rates is None else rates,
            now=lambda: self.now, monotonic=lambda: self.mono, sleep=_no_sleep,
        )

    def ok(self, op: str, name: str, expected: dict[str, Any] | None = None) -> None:
        self.stub.add_response(xform_name(op), parsed(self.client, op, name), expected)

    def error(self, op: str, code: str, status: int, message: str = "",
              headers: dict[str, str] | None = None) -> None:
        meta = {"HTTPHeaders": headers} if headers else None
        self.stub.add_client_error(xform_name(op), code, message, status, response_meta=meta)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    def done(self) -> None:
        self.stub.assert_no_pending_responses()


GCMD_REQUEST = {
    "InstanceId": INSTANCE,
    "Filters": {"Queues": [SALES, SUPPORT, CHAT], "Channels": ["VOICE", "CHAT"]},
    "Groupings": ["QUEUE", "CHANNEL"],
    "CurrentMetrics": [{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
                       {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}],
    "MaxResults": 100,
}
GCUD_REQUEST = {"InstanceId": INSTANCE, "Filters": {"Queues": [SALES, SUPPORT, CHAT]},
                "MaxResults": 100}
V2_METRICS = [
    {"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_HANDLED"}, {"Name": "CONTACTS_ABANDONED"},
    {"Name": "SUM_CONTACTS_ANSWERED_IN_X",
     "Threshold": [{"Comparison": "LTE", "ThresholdValue": 20.0}]},
    {"Name": "AVG_HANDLE_TIME"}, {"Name": "AVG_QUEUE_ANSWER_TIME"}, {"Name": "AVG_ABANDON_TIME"},
]


def v2_request(start: datetime, end: datetime, period: str) -> dict[str, Any]:
    return {
        "ResourceArn": INSTANCE_ARN, "StartTime": start, "EndTime": end,
        "Interval": {"TimeZone": "Europe/London", "IntervalPeriod": period},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": [SALES, SUPPORT, CHAT]},
                    {"FilterKey": "CHANNEL", "FilterValues": ["VOICE", "CHAT"]}],
        "Groupings": ["QUEUE"], "Metrics": V2_METRICS, "MaxResults": 100,
    }


def stub_catalogues(c: Connect) -> None:
    c.ok("ListQueues", "list_queues.json",
         {"InstanceId": INSTANCE, "QueueTypes": ["STANDARD"], "MaxResults": 1000})
    c.ok("ListAgentStatuses", "list_agent_statuses.json")
    c.ok("ListUserHierarchyGroups", "list_user_hierarchy_groups.json")


def stub_first_poll(c: Connect, *, gcmd: tuple[str, ...] = (
        "get_current_metric_data_page1.json", "get_current_metric_data_page2.json"),
        today: str = "get_metric_data_v2_today.json") -> None:
    stub_catalogues(c)
    c.ok("GetMetricDataV2", today,
         v2_request(MIDNIGHT, datetime(2026, 5, 14, 9, 31, 0, tzinfo=UTC), "TOTAL"))
    for i, name in enumerate(gcmd):
        c.ok("GetCurrentMetricData", name,
             GCMD_REQUEST | ({"NextToken": "gcmd-page-2"} if i else {}))
    c.ok("GetCurrentUserData", "get_current_user_data_page1.json", GCUD_REQUEST)
    c.ok("GetCurrentUserData", "get_current_user_data_page2.json",
         GCUD_REQUEST | {"NextToken": "gcud-page-2"})
    # The routing profiles agents are on, busiest first: voice (3 agents), chat, blended.
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_voice.json",
         {"InstanceId": INSTANCE, "RoutingProfileId": RP_VOICE, "MaxResults": 100})
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_chat.json",
         {"InstanceId": INSTANCE, "RoutingProfileId": RP_CHAT, "MaxResults": 100})
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page1.json",
         {"InstanceId": INSTANCE, "RoutingProfileId": RP_ALL, "MaxResults": 100})
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page2.json",
         {"InstanceId": INSTANCE, "RoutingProfileId": RP_ALL, "MaxResults": 100,
          "NextToken": "rpq-page-2"})
    c.ok("SearchUsers", "search_users_page1.json", {"InstanceId": INSTANCE, "MaxResults": 500})
    c.ok("SearchUsers", "search_users_page2.json",
         {"InstanceId": INSTANCE, "MaxResults": 500, "NextToken": "users-page-2"})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- units, helpers -------------------------------------------------------------------------


def test_oldest_contact_age_is_seconds_grouped_and_milliseconds_ungrouped() -> None:
    assert acp.oldest_contact_age_s(184.0, grouped=True) == 184.0
    # The reference's example: ungrouped, Unit says SECONDS, the value is 24113 ms.
    assert acp.oldest_contact_age_s(24113.0, grouped=False) == pytest.approx(24.113)
    client = make_client()
    page = parsed(client, "GetCurrentMetricData", "get_current_metric_data_ungrouped.json")
    (row,) = acp.current_rows(page["MetricResults"], grouped=False)
    assert row.oldest_s == pytest.approx(24.113)
    page = parsed(client, "GetCurrentMetricData", "get_current_metric_data_page1.json")
    assert [r.oldest_s for r in acp.current_rows(page["MetricResults"], grouped=True)] == [
        184.0, 35.0]


def test_queue_waiting_rules_for_nulls_and_missing_rows() -> None:
    row = acp.CurrentRow
    assert acp.queue_waiting([], None, "q") == (0, 0.0)  # no row: nothing waits
    assert acp.queue_waiting([row("q", "VOICE", 0.0, None)], None, "q") == (0, 0.0)
    with pytest.raises(acp.MissingFigure, match="OLDEST_CONTACT_AGE is null with 3 waiting"):
        acp.queue_waiting([row("q", "VOICE", 3.0, None)], None, "q")
    assert acp.queue_waiting([row("q", "VOICE", 3.0, None)], (2, 90.0), "q") == (3, 90.0)
    with pytest.raises(acp.MissingFigure, match="CONTACTS_IN_QUEUE is null"):
        acp.queue_waiting([row("q", "VOICE", None, None)], None, "q")
    assert acp.queue_waiting([row("q", "VOICE", None, None)], (2, 90.0), "q") == (2, 90.0)
    rows = [row("q", "VOICE", 2.0, 35.0), row("q", "CHAT", 1.0, 50.0)]
    assert acp.queue_waiting(rows, None, "q") == (3, 50.0)


def test_counters_follow_floorview_definitions() -> None:
    values = {"CONTACTS_QUEUED": 120.0, "CONTACTS_HANDLED": 100.0, "CONTACTS_ABANDONED": 10.0,
              "SUM_CONTACTS_ANSWERED_IN_X": 80.0, "AVG_HANDLE_TIME": 300.0,
              "AVG_QUEUE_ANSWER_TIME": 15.0, "AVG_ABANDON_TIME": 40.0}
    today = acp.counters(values, "q").today()
    assert (today.offered, today.answered, today.answered_within_sl, today.abandoned,
            today.handled) == (120, 100, 80, 10, 100)
    assert today.handle_time_s == 30_000.0
    assert today.wait_time_s == 100 * 15.0 + 10 * 40.0
    assert today.service_level == pytest.approx(80 / 110)
    # Answered within X beyond handled (counted in another interval) is capped.
    assert acp.counters(values | {"SUM_CONTACTS_ANSWERED_IN_X": 130.0}, "q").answered_within_sl == 100
    # A null average over no contacts is the divide by zero: 0. Over contacts: unknown.
    zero_handled = values | {"CONTACTS_HANDLED": 0.0, "AVG_HANDLE_TIME": None,
                             "SUM_CONTACTS_ANSWERED_IN_X": None, "AVG_QUEUE_ANSWER_TIME": None}
    assert acp.counters(zero_handled, "q").handle_time_s == 0.0
    with pytest.raises(acp.MissingFigure, match="AVG_HANDLE_TIME is null over 100 contacts"):
        acp.counters(values | {"AVG_HANDLE_TIME": None}, "q")
    with pytest.raises(acp.MissingFigure, match="CONTACTS_QUEUED is null"):
        acp.counters(values | {"CONTACTS_QUEUED": None}, "q")


def test_instance_arn_from_a_queue_arn() -> None:
    assert acp.instance_arn_from(f"{INSTANCE_ARN}/queue/{SALES}", INSTANCE) == INSTANCE_ARN
    assert acp.instance_arn_from(f"{INSTANCE_ARN}x/queue/{SALES}", INSTANCE) is None
    assert acp.instance_arn_from("not-an-arn", INSTANCE) is None


# --- the floor ------------------------------------------------------------------------------


async def test_happy_path_floor_in_canonical_units() -> None:
    c = Connect()
    stub_first_poll(c)
    floor = await c.source.fetch_floor()
    c.done()

    assert floor.source == "connect" and floor.site == "London"
    assert floor.as_of == at("2026-05-14T09:31:02")  # DataSnapshotTime
    sales, support, chat = floor.queues
    assert (sales.id, sales.name, sales.channel) == (SALES, "Sales", Channel.VOICE)
    assert (sales.waiting, sales.oldest_wait_s) == (4, 184.0)
    assert (sales.sl_threshold_s, sales.sl_target) == (20.0, 0.8)
    t = sales.today
    assert (t.offered, t.answered, t.answered_within_sl, t.abandoned, t.handled) == (
        120, 100, 80, 10, 100)
    assert (t.handle_time_s, t.wait_time_s) == (30_000.0, 1_900.0)
    # Support waits on two channels: summed, the oldest of them; shown as its first channel.
    assert (support.name, support.waiting, support.oldest_wait_s) == ("Support", 3, 50.0)
    assert support.channel == Channel.VOICE
    assert (support.today.abandoned, support.today.answered, support.today.wait_time_s) == (
        2, 0, 60.0)
    # Null age with nothing waiting is 0 s; a chat-only queue is chat; no V2 row: zeros.
    assert (chat.name, chat.waiting, chat.oldest_wait_s, chat.channel) == (
        "Web chat", 0, 0.0, Channel.CHAT)
    assert chat.today.offered == 0 and chat.today.service_level is None

    a = {agent.id: agent for agent in floor.agents}
    assert len(a) == 7
    priya = a[U["u1"]]
    assert (priya.name, priya.team, priya.state) == ("Priya Sharma", "Team North",
                                                     AgentState.ON_CONTACT)
    assert priya.state_since == at("2026-05-14T09:27:05")
    assert priya.contact is not None and priya.contact.queue_id == SALES
    assert priya.contact.started_at == at("2026-05-14T09:27:05")
    assert priya.queue_ids == tuple(sorted((SALES, SUPPORT)))
    assert priya.version == membership_version((SALES, SUPPORT), RP_VOICE)
    assert priya.presence == "Available" and priya.today is None
    assert a[U["u2"]].state == AgentState.AVAILABLE
    assert a[U["u2"]].time_in_state_s(floor.as_of) == pytest.approx(117.0)
    ana = a[U["u3"]]
    assert (ana.state, ana.team, ana.state_since) == (AgentState.ACW, "Team South",
                                                      at("2026-05-14T09:30:35"))
    assert ana.contact is not None and ana.contact.started_at == at("2026-05-14T09:20:00")
    assert (a[U["u4"]].state, a[U["u4"]].aux_reason) == (AgentState.AUX, "Break")
    assert (a[U["u5"]].state, a[U["u5"]].aux_reason, a[U["u5"]].contact) == (
        AgentState.AUX, "Missed", None)
    assert a[U["u6"]].state == AgentState.OFFLINE
    seven = a[U["u7"]]
    assert (seven.name, seven.state) == ("agent.seven", AgentState.ON_CONTACT)
    assert seven.presence == "Available (next: Break)"
    assert seven.queue_ids == tuple(sorted((SALES, SUPPORT, CHAT)))
    # Staffing follows from queue_ids: everyone but the AUX and offline agents.
    assert floor.staffed_on(SALES) == 3  # u1 (voice), u2 (voice), u7 (blended)
    assert floor.available_on(SUPPORT) == 1


async def test_second_poll_reuses_catalogues_and_todays_counters() -> None:
    c = Connect()
    stub_first_poll(c)
    await c.source.fetch_floor()
    c.advance(5)
    # Only the two live reads: catalogues last 10 minutes, today's counters one minute.
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json", GCMD_REQUEST)
    c.ok("GetCurrentUserData", "get_current_user_data_page2.json", GCUD_REQUEST)
    floor = await c.source.fetch_floor()
    c.done()
    assert [q.waiting for q in floor.queues] == [0, 0, 0]  # empty MetricResults: no data
    assert floor.queues[0].today.offered == 120
    c.advance(60)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json",
         v2_request(MIDNIGHT, datetime(2026, 5, 14, 9, 32, 5, tzinfo=UTC), "TOTAL"))
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json", GCMD_REQUEST)
    c.ok("GetCurrentUserData", "get_current_user_data_none.json", GCUD_REQUEST)
    floor = await c.source.fetch_floor()
    c.done()
    assert floor.queues[0].today.offered == 0 and floor.agents == ()


async def test_expired_next_token_restarts_the_paging() -> None:
    c = Connect()
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_page1.json", GCMD_REQUEST)
    c.error("GetCurrentMetricData", "InvalidParameterException", 400, "NextToken expired")
    c.ok("GetCurrentMetricData", "get_current_metric_data_page1.json", GCMD_REQUEST)
    c.ok("GetCurrentMetricData", "get_current_metric_data_page2.json",
         GCMD_REQUEST | {"NextToken": "gcmd-page-2"})
    c.ok("GetCurrentUserData", "get_current_user_data_none.json", GCUD_REQUEST)
    c.ok("SearchUsers", "search_users_page2.json")
    floor = await c.source.fetch_floor()
    c.done()
    # The first page was read twice but counted once.
    assert [q.waiting for q in floor.queues] == [4, 3, 0]


async def test_null_oldest_age_with_contacts_waiting_never_becomes_zero() -> None:
    c = Connect()
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_null_age.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    c.ok("SearchUsers", "search_users_page2.json")
    with pytest.raises(SourceError, match="OLDEST_CONTACT_AGE is null with 3 waiting") as err:
        await c.source.fetch_floor()
    assert str(err.value).startswith("connect: GetCurrentMetricData:")
    # With a known age, the next null keeps it (and the new count).
    c.ok("GetCurrentMetricData", "get_current_metric_data_page1.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_page2.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    await c.source.fetch_floor()
    c.ok("GetCurrentMetricData", "get_current_metric_data_null_age.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    floor = await c.source.fetch_floor()
    c.ok("GetCurrentMetricData", "get_current_metric_data_null_count.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    after_null_count = await c.source.fetch_floor()
    c.done()
    assert (floor.queues[0].waiting, floor.queues[0].oldest_wait_s) == (3, 184.0)
    assert (after_null_count.queues[0].waiting, after_null_count.queues[0].oldest_wait_s) == (
        3, 184.0)


async def test_null_average_today_fails_first_then_keeps_last_counters() -> None:
    c = Connect()
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_today_null.json")
    with pytest.raises(SourceError, match="AVG_HANDLE_TIME is null over 100 contacts"):
        await c.source.fetch_floor()
    c.ok("GetMetricDataV2", "get_metric_data_v2_today.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    c.ok("SearchUsers", "search_users_page2.json")
    await c.source.fetch_floor()
    c.advance(61)
    c.ok("GetMetricDataV2", "get_metric_data_v2_today_null.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    floor = await c.source.fetch_floor()
    c.done()
    assert floor.queues[0].today.handle_time_s == 30_000.0  # kept, not zeroed


async def test_throttling_is_a_source_error_with_retry_after() -> None:
    c = Connect()
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.error("GetCurrentMetricData", "ThrottlingException", 429, "Rate exceeded")
    with pytest.raises(SourceError) as err:
        await c.source.fetch_floor()
    assert err.value.retry_after_s == 2.0
    assert "throttled GetCurrentMetricData" in str(err.value)
    c.error("GetCurrentMetricData", "TooManyRequestsException", 429, "slow down",
            headers={"retry-after": "7"})
    with pytest.raises(SourceError) as err:
        await c.source.fetch_floor()
    assert err.value.retry_after_s == 7.0
    c.done()


async def test_access_denied_names_the_iam_action() -> None:
    c = Connect()
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.error("GetCurrentUserData", "AccessDeniedException", 403,
            "User: arn:aws:iam::123456789012:user/wall is not authorized to perform: "
            "connect:GetCurrentUserData")
    with pytest.raises(SourceError, match="IAM permission connect:GetCurrentUserData") as err:
        await c.source.fetch_floor()
    assert not isinstance(err.value, RejectedChange)
    c.done()


async def test_service_errors_and_broken_connections_are_source_errors() -> None:
    c = Connect()
    c.error("ListQueues", "InternalServiceException", 500, "Request processing failed")
    with pytest.raises(SourceError, match="ListQueues failed: InternalServiceException: "
                                          "Request processing failed"):
        await c.source.fetch_floor()
    c.done()

    for raised, expected in [
        (EndpointConnectionError(endpoint_url="https://connect.eu-west-2.amazonaws.com/x"),
         "cannot reach Amazon Connect for ListQueues"),
        (ReadTimeoutError(endpoint_url="https://connect.eu-west-2.amazonaws.com/x"),
         "did not answer ListQueues in time"),
    ]:
        client = make_client()

        def fail(exc: Exception = raised, **_: Any) -> None:
            raise exc

        client.meta.events.register("before-send.connect.ListQueues", fail)
        source = ac.AmazonConnectSource("connect", options(), client=client, rates=FAST)
        with pytest.raises(SourceError, match=expected):
            await source.fetch_floor()


async def test_a_call_past_the_poll_deadline_is_a_deadline_error() -> None:
    class Slow:
        def list_queues(self, **_: Any) -> dict[str, Any]:
            time.sleep(0.5)
            return {"QueueSummaryList": []}

    source = ac.AmazonConnectSource("connect", options(), client=Slow(), rates=FAST,
                                    limits=HttpLimits(poll_deadline_s=0.1))
    with pytest.raises(SourceError, match=r"no answer to ListQueues within the 0\.1 s poll"):
        await source.fetch_floor()


async def test_per_api_bucket_keeps_under_the_documented_rate() -> None:
    # GetCurrentUserData at Connect's default 2/s (burst 2): a third page cannot go out
    # within a 0.3 s deadline, and the error says when it could.
    rates = FAST | {"GetCurrentUserData": ac.API_RATES["GetCurrentUserData"]}
    assert rates["GetCurrentUserData"] == (2.0, 2)
    c = Connect(rates=rates, deadline_s=0.3)
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.ok("GetCurrentUserData", "get_current_user_data_page1.json")
    c.ok("GetCurrentUserData", "get_current_user_data_page1.json")
    with pytest.raises(SourceError, match="request budget for GetCurrentUserData") as err:
        await c.source.fetch_floor()
    assert err.value.retry_after_s is not None and 0 < err.value.retry_after_s <= 0.5


async def test_lazy_fills_use_spare_tokens_only() -> None:
    # One spare ListRoutingProfileQueues token and no SearchUsers token this poll: the
    # busiest profile is read, the others' agents show no queues yet, names are the ids.
    rates = FAST | {"ListRoutingProfileQueues": (0.001, 1), "SearchUsers": (0.001, 1)}
    c = Connect(rates=rates)
    c.source._bucket("SearchUsers").try_take()
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.ok("GetCurrentUserData", "get_current_user_data_page1.json")
    c.ok("GetCurrentUserData", "get_current_user_data_page2.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_voice.json",
         {"InstanceId": INSTANCE, "RoutingProfileId": RP_VOICE, "MaxResults": 100})
    floor = await c.source.fetch_floor()
    c.done()
    a = {agent.id: agent for agent in floor.agents}
    assert a[U["u1"]].queue_ids == tuple(sorted((SALES, SUPPORT)))
    assert a[U["u3"]].queue_ids == ()
    assert a[U["u1"]].name == U["u1"]


async def test_user_directory_scan_continues_across_polls() -> None:
    rates = FAST | {"SearchUsers": (1000.0, 1)}
    c = Connect(rates=rates)
    stub_catalogues(c)
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.ok("GetCurrentUserData", "get_current_user_data_page2.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page1.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page2.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_voice.json")
    c.ok("SearchUsers", "search_users_page1.json")
    first = await c.source.fetch_floor()
    time.sleep(0.002)  # a token back in the one-token bucket
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.ok("GetCurrentUserData", "get_current_user_data_page2.json")
    c.ok("SearchUsers", "search_users_page2.json",
         {"InstanceId": INSTANCE, "MaxResults": 500, "NextToken": "users-page-2"})
    second = await c.source.fetch_floor()
    c.done()
    assert {a.name for a in first.agents} == {U["u5"], U["u6"], U["u7"]}
    assert {a.name for a in second.agents} == {"Sam Berg", "Jo Hart", "agent.seven"}


async def test_unknown_status_rereads_the_list_then_judges_by_name() -> None:
    c = Connect()
    stub_first_poll(c)
    await c.source.fetch_floor()
    c.advance(61)
    page = parsed(c.client, "GetCurrentUserData", "get_current_user_data_agent.json")
    page["UserDataList"][0]["Status"] = {
        "StatusStartTimestamp": NOW, "StatusName": "Coaching",
        "StatusArn": f"{INSTANCE_ARN}/agent-state/99999999-0000-4000-8000-000000000009"}
    c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    c.ok("GetCurrentMetricData", "get_current_metric_data_empty.json")
    c.stub.add_response("get_current_user_data", page)
    c.ok("ListAgentStatuses", "list_agent_statuses.json")  # re-read: still not there
    floor = await c.source.fetch_floor()
    c.done()
    (agent,) = floor.agents
    assert (agent.state, agent.aux_reason, agent.state_since) == (AgentState.AUX, "Coaching", NOW)


async def test_more_than_100_queues_go_in_batches_and_agents_come_once() -> None:
    queues = tuple(f"aaaaaaaa-0000-4000-8000-{i:012d}" for i in range(150))
    c = Connect(queues=queues)
    page = parsed(c.client, "GetCurrentUserData", "get_current_user_data_agent.json")
    c.ok("GetCurrentUserData", "get_current_user_data_agent.json",
         {"InstanceId": INSTANCE, "Filters": {"Queues": list(queues[:100])}, "MaxResults": 100})
    c.stub.add_response("get_current_user_data", page,
                        {"InstanceId": INSTANCE, "Filters": {"Queues": list(queues[100:])},
                         "MaxResults": 100})
    users = await c.source._current_users(ac._Deadline(5.0))
    c.done()
    assert [u["User"]["Id"] for u in users] == [U["u2"]]


# --- one agent and the write ----------------------------------------------------------------


def stub_read_agent(c: Connect, describe: str = "describe_user_u2.json",
                    profile: str | None = "list_routing_profile_queues_voice.json",
                    profile_id: str = RP_VOICE, catalogues: bool = True) -> None:
    if catalogues:
        stub_catalogues(c)
    c.ok("DescribeUser", describe, {"InstanceId": INSTANCE, "UserId": U["u2"]})
    if profile:
        c.ok("ListRoutingProfileQueues", profile,
             {"InstanceId": INSTANCE, "RoutingProfileId": profile_id, "MaxResults": 100})
    c.ok("GetCurrentUserData", "get_current_user_data_agent.json",
         {"InstanceId": INSTANCE, "Filters": {"Agents": [U["u2"]]}, "MaxResults": 100})


async def test_fetch_agent_reads_profile_from_describe_user() -> None:
    c = Connect()
    stub_read_agent(c)
    agent = await c.source.fetch_agent(U["u2"])
    c.done()
    assert (agent.name, agent.team, agent.state) == ("Tom Okafor", "Team North",
                                                     AgentState.AVAILABLE)
    assert agent.queue_ids == tuple(sorted((SALES, SUPPORT)))
    assert agent.version == membership_version((SALES, SUPPORT), RP_VOICE)


async def test_fetch_agent_unknown_is_rejected() -> None:
    c = Connect()
    stub_catalogues(c)
    c.error("DescribeUser", "ResourceNotFoundException", 404, "User not found")
    with pytest.raises(RejectedChange, match="no agent 'nobody'"):
        await c.source.fetch_agent("nobody")


async def test_fetch_agent_logged_out_is_offline_now() -> None:
    c = Connect()
    stub_catalogues(c)
    c.ok("DescribeUser", "describe_user_u2.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_voice.json")
    c.ok("GetCurrentUserData", "get_current_user_data_none.json")
    agent = await c.source.fetch_agent(U["u2"])
    assert (agent.state, agent.state_since) == (AgentState.OFFLINE, NOW)
    assert agent.queue_ids == tuple(sorted((SALES, SUPPORT)))


def stub_catalogue_of_profiles(c: Connect) -> None:
    c.ok("ListRoutingProfiles", "list_routing_profiles.json",
         {"InstanceId": INSTANCE, "MaxResults": 1000})
    # voice was just read for the agent; the other three are read now.
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_chat.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page1.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page2.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_sales.json")


async def test_reassign_moves_the_agent_to_the_matching_routing_profile() -> None:
    c = Connect()
    stub_read_agent(c)
    stub_catalogue_of_profiles(c)
    c.ok("UpdateUserRoutingProfile", "empty.json",
         {"InstanceId": INSTANCE, "UserId": U["u2"], "RoutingProfileId": RP_ALL})
    # The re-read: DescribeUser now names the blended profile (read a moment ago: cached).
    stub_read_agent(c, "describe_user_u2_moved.json", profile=None, catalogues=False)
    version = membership_version((SALES, SUPPORT), RP_VOICE)
    agent = await c.source.set_agent_queues(U["u2"], [CHAT, SALES, SUPPORT], version)
    c.done()
    assert agent.queue_ids == tuple(sorted((SALES, SUPPORT, CHAT)))
    assert agent.version == membership_version((SALES, SUPPORT, CHAT), RP_ALL)


async def test_reassign_reports_the_change_when_describe_user_lags() -> None:
    c = Connect()
    stub_read_agent(c)
    stub_catalogue_of_profiles(c)
    c.ok("UpdateUserRoutingProfile", "empty.json")
    for _ in range(ac.REREAD_TRIES):
        stub_read_agent(c, profile=None, catalogues=False)
    agent = await c.source.set_agent_queues(
        U["u2"], [SALES], membership_version((SALES, SUPPORT), RP_VOICE))
    c.done()
    assert agent.queue_ids == (SALES,)
    assert agent.version == membership_version((SALES,), RP_SALES)


async def test_reassign_with_no_matching_profile_is_rejected() -> None:
    c = Connect()
    stub_read_agent(c)
    stub_catalogue_of_profiles(c)
    with pytest.raises(RejectedChange,
                       match="no routing profile serves exactly Web chat; create one"):
        await c.source.set_agent_queues(
            U["u2"], [CHAT], membership_version((SALES, SUPPORT), RP_VOICE))
    c.done()  # nothing was written


async def test_reassign_refuses_to_choose_between_identical_profiles() -> None:
    c = Connect()
    stub_read_agent(c)
    c.ok("ListRoutingProfiles", "list_routing_profiles.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_chat.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page1.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page2.json")
    # "Sales only" has been given the same queues as "Blended".
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page1.json")
    c.ok("ListRoutingProfileQueues", "list_routing_profile_queues_all_page2.json")
    with pytest.raises(RejectedChange, match="routing profiles Blended, Sales only all serve "
                                             "exactly Sales, Support, Web chat"):
        await c.source.set_agent_queues(
            U["u2"], [SALES, SUPPORT, CHAT], membership_version((SALES, SUPPORT), RP_VOICE))
    c.done()


async def test_reassign_version_conflict_returns_the_current_agent() -> None:
    c = Connect()
    stub_read_agent(c)
    with pytest.raises(VersionConflict, match="changed since it was read") as err:
        await c.source.set_agent_queues(U["u2"], [SALES], 12345)
    c.done()
    assert err.value.current is not None
    assert err.value.current.queue_ids == tuple(sorted((SALES, SUPPORT)))


async def test_reassign_without_permission_is_rejected_naming_it() -> None:
    c = Connect()
    stub_read_agent(c)
    stub_catalogue_of_profiles(c)
    c.error("UpdateUserRoutingProfile", "AccessDeniedException", 403, "not authorized")
    with pytest.raises(RejectedChange,
                       match="IAM permission connect:UpdateUserRoutingProfile"):
        await c.source.set_agent_queues(
            U["u2"], [SALES], membership_version((SALES, SUPPORT), RP_VOICE))
    c.done()


async def test_reassign_to_the_current_set_writes_nothing() -> None:
    c = Connect()
    stub_read_agent(c)
    version = membership_version((SALES, SUPPORT), RP_VOICE)
    agent = await c.source.set_agent_queues(U["u2"], [SUPPORT, SALES], version)
    c.done()
    assert agent.version == version


# --- intervals ------------------------------------------------------------------------------


async def test_fetch_plan_backfills_the_day_and_refetches_only_recent_intervals() -> None:
    c = Connect()
    c.source._instance_arn = INSTANCE_ARN
    end = datetime(2026, 5, 14, 9, 31, 0, tzinfo=UTC)
    windows = [MIDNIGHT, MIDNIGHT + timedelta(hours=4), MIDNIGHT + timedelta(hours=8), end]
    for (start, stop), name in zip(itertools.pairwise(windows), [
            "get_metric_data_v2_empty.json", "get_metric_data_v2_empty.json",
            "get_metric_data_v2_intervals_0700.json"], strict=True):
        c.ok("GetMetricDataV2", name, v2_request(start, stop, "FIFTEEN_MIN"))
    # The feed asks by the UTC date; in London it is the same day here.
    plan = await c.source.fetch_plan(date(2026, 5, 14))
    c.done()
    assert plan.forecast.empty
    assert list(plan.forecast.columns) == ["queue", "start", "volume", "aht_s",
                                           "scheduled_agents"]
    actuals = plan.actuals
    assert list(actuals.columns) == ["queue", "start", *ACTUAL_FIELDS]
    assert isinstance(actuals["start"].dtype, pd.DatetimeTZDtype)
    assert str(actuals["start"].dt.tz) == "UTC"
    # Every queue x every interval from local midnight (23:00Z) to the one in progress
    # (09:30Z), 43 slots, except the one whose handle time could not be computed.
    assert len(actuals) == 43 * 3 - 1
    row = actuals[(actuals["queue"] == SALES)
                  & (actuals["start"] == pd.Timestamp("2026-05-14T08:00Z"))].iloc[0]
    assert (row["offered"], row["answered"], row["answered_within_sl"], row["abandoned"]) == (
        12, 10, 8, 2)
    assert (row["handle_time_s"], row["wait_time_s"]) == (2800.0, 10 * 12.0 + 2 * 30.0)
    missing = actuals[(actuals["queue"] == SUPPORT)
                      & (actuals["start"] == pd.Timestamp("2026-05-14T08:00Z"))]
    assert missing.empty
    quiet = actuals[(actuals["queue"] == CHAT)
                    & (actuals["start"] == pd.Timestamp("2026-05-14T03:00Z"))].iloc[0]
    assert quiet["offered"] == 0 and quiet["handle_time_s"] == 0.0

    c.advance(30)
    again = await c.source.fetch_plan(date(2026, 5, 14))  # within the minute: no call
    assert len(again.actuals) == len(actuals)
    c.advance(40)
    later_end = datetime(2026, 5, 14, 9, 32, 10, tzinfo=UTC)
    c.ok("GetMetricDataV2", "get_metric_data_v2_intervals_0900.json",
         v2_request(datetime(2026, 5, 14, 9, 0, tzinfo=UTC), later_end, "FIFTEEN_MIN"))
    later = await c.source.fetch_plan(date(2026, 5, 14))
    c.done()
    recent = later.actuals[later.actuals["start"] >= pd.Timestamp("2026-05-14T09:00Z")]
    # The 09:15 support row is not in the new answer: that interval is now 0 for support.
    assert recent[recent["queue"] == SUPPORT]["offered"].sum() == 0
    assert recent[recent["queue"] == SALES]["offered"].sum() == 5
    assert later.actuals[later.actuals["start"] < pd.Timestamp("2026-05-14T09:00Z")][
        "offered"].sum() == 12 + 9


async def test_fetch_plan_finds_the_instance_arn_with_describe_instance() -> None:
    c = Connect()
    c.stub.add_response("describe_instance", {"Instance": {"Id": INSTANCE, "Arn": INSTANCE_ARN}},
                        {"InstanceId": INSTANCE})
    for _ in range(3):
        c.ok("GetMetricDataV2", "get_metric_data_v2_empty.json")
    plan = await c.source.fetch_plan(date(2026, 5, 14))
    c.done()
    assert plan.actuals["offered"].sum() == 0


# --- config ---------------------------------------------------------------------------------


def config(**options: Any) -> AdapterConfig:
    base: dict[str, Any] = {"instance_id": INSTANCE, "region": "eu-west-2",
                            "queues": [SALES, f"{INSTANCE_ARN}/queue/{SUPPORT}"]}
    base.update(options)
    return AdapterConfig(name="connect", url=None, options=base)


def test_from_config_reads_options_and_defaults() -> None:
    source = ac.from_config(config(), client=make_client())
    o = source.opts
    assert o.queues == (SALES, SUPPORT)  # an ARN is taken as its id
    assert (o.time_zone, o.sl_threshold_s, o.sl_target, o.site, o.channels) == (
        "UTC", 20, 0.8, INSTANCE, ("VOICE", "CHAT"))
    arn = ac.from_config(config(instance_id=INSTANCE_ARN, channels=["voice", "task"]),
                         client=make_client())
    assert (arn.opts.instance_id, arn.opts.instance_arn) == (INSTANCE, INSTANCE_ARN)
    assert arn.opts.channels == ("VOICE", "TASK")


@pytest.mark.parametrize(("options", "message"), [
    ({"instance_id": None}, "instance_id: required"),
    ({"region": None}, "region: required"),
    ({"queues": []}, "queues: required"),
    ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
    ({"sl_threshold_s": 20.5}, "whole number of seconds"),
    ({"sl_target": 1.5}, "sl_target"),
    ({"channels": ["FAX"]}, "'FAX' is not one of"),
])
def test_from_config_rejects_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ac.from_config(config(**options), client=make_client())


def test_from_config_without_botocore_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "botocore", None)
    with pytest.raises(ValueError) as err:
        ac.from_config(config())
    assert str(err.value) == "kind amazon_connect needs botocore: pip install 'floorview[connect]'"
    assert isinstance(err.value, ImportError)


def test_credentials_file_needs_both_keys(tmp_path: Path) -> None:
    path = tmp_path / "connect.secrets.toml"
    path.write_text('aws_access_key_id = "AKIDONLY"\n')
    path.chmod(0o600)
    with pytest.raises(CredentialError, match="needs aws_access_key_id and aws_secret"):
        ac.from_config(config(credentials_file=str(path)))


# --- the canary -----------------------------------------------------------------------------

CANARY_KEY_ID = "AKIACANARY7Q3ZXW9PLM"
CANARY_SECRET = "canary-secret-6f1d0c9e/b7Qz+Xk2LmN4pRt8vW1yA3cE5gH"
CANARY_TOKEN = "canary-session-token-IQoJb3JpZ2luX2VjEJr9a8d7f6e5"


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def _serve(answers: dict[str, list[tuple[int, dict[str, str], bytes]]],
           seen: list[Any]) -> Callable[..., AWSResponse]:
    """A before-send hook: botocore has built and signed the request; answer it here."""

    def handler(request: Any, event_name: str, **_: Any) -> AWSResponse:
        seen.append(request)
        op = event_name.rsplit(".", 1)[-1]
        status, headers, data = answers[op].pop(0)
        return AWSResponse(request.url, status,
                           {"x-amzn-RequestId": "req-1", "Content-Type": "application/json",
                            **headers}, _Raw(data))

    return handler


async def test_canary_credentials_never_reach_logs_or_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "connect.secrets.toml"
    path.write_text(f'aws_access_key_id = "{CANARY_KEY_ID}"\n'
                    f'aws_secret_access_key = "{CANARY_SECRET}"\n'
                    f'aws_session_token = "{CANARY_TOKEN}"\n')
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    source = ac.from_config(AdapterConfig(
        name="connect", url=None,
        options={"instance_id": INSTANCE, "region": "eu-west-2", "queues": [SALES, SUPPORT, CHAT],
                 "time_zone": "Europe/London", "credentials_file": str(path)},
        limits=HttpLimits(poll_deadline_s=10.0),
    ))
    ok = 200, {}
    error = {"x-amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/coral/"}
    # A signature error whose message echoes the canonical request, token and all.
    echo = json.dumps({"message": "The request signature we calculated does not match. The "
                       f"Canonical String was 'x-amz-security-token:{CANARY_TOKEN}'"}).encode()
    answers = {
        "ListQueues": [(*ok, body("list_queues.json"))],
        "ListAgentStatuses": [(*ok, body("list_agent_statuses.json"))],
        "ListUserHierarchyGroups": [(*ok, body("list_user_hierarchy_groups.json"))],
        "GetMetricDataV2": [(*ok, body("get_metric_data_v2_today.json"))],
        "GetCurrentMetricData": [(*ok, body("get_current_metric_data_page1.json")),
                                 (*ok, body("get_current_metric_data_page2.json"))],
        "GetCurrentUserData": [
            (*ok, body("get_current_user_data_page1.json")),
            (*ok, body("get_current_user_data_page2.json")),
            (403, error, b'{"message": "not authorized to perform connect:GetCurrentUserData"}'),
        ],
        "ListRoutingProfileQueues": [
            (*ok, body("list_routing_profile_queues_voice.json")),
            (*ok, body("list_routing_profile_queues_chat.json")),
            (*ok, body("list_routing_profile_queues_all_page1.json")),
            (*ok, body("list_routing_profile_queues_all_page2.json"))],
        "SearchUsers": [(*ok, body("search_users_page1.json")),
                        (*ok, body("search_users_page2.json"))],
        "DescribeUser": [(403, {"x-amzn-ErrorType": "InvalidSignatureException"}, echo)],
    }
    seen: list[Any] = []
    build = source._client_factory
    assert build is not None

    def factory() -> Any:
        client = build()
        client.meta.events.register("before-send.connect", _serve(answers, seen))
        return client

    source._client_factory = factory
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    floor = await source.fetch_floor()
    assert len(floor.agents) == 7
    # Now every botocore logger at DEBUG too, as a user chasing a problem would set them.
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("botocore")]:
        caplog.set_level(logging.DEBUG, logger=name)
    source._today_at = None
    answers["GetMetricDataV2"].append((*ok, body("get_metric_data_v2_empty.json")))
    answers["GetCurrentMetricData"].append((*ok, body("get_current_metric_data_empty.json")))
    with pytest.raises(SourceError) as denied:
        await source.fetch_floor()
    errors.append(denied.value)
    with pytest.raises(SourceError) as refused:
        await source.fetch_agent(U["u2"])
    errors.append(refused.value)
    await source.aclose()

    # The test means something only if botocore signed with the canary credentials.
    assert seen and all(r.headers["X-Amz-Security-Token"].decode() == CANARY_TOKEN
                        for r in seen)
    assert CANARY_KEY_ID in seen[0].headers["Authorization"].decode()
    assert "IAM permission connect:GetCurrentUserData" in str(errors[0])
    assert "did not accept the credentials for DescribeUser" in str(errors[1])
    # The adapter's own DEBUG line per call went through: logging was on.
    assert any(r.name == "floorview.sources.amazon_connect" and r.levelno == logging.DEBUG
               for r in caplog.records)
    for secret in (CANARY_SECRET, CANARY_TOKEN, CANARY_KEY_ID):
        for record in caplog.records:
            assert secret not in record.getMessage(), record.name
            assert secret not in str(record.exc_text or "")
        for exc in errors:
            assert secret not in str(exc) and secret not in repr(exc)


def test_credentials_file_mode_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "connect.secrets.toml"
    path.write_text(f'aws_access_key_id = "{CANARY_KEY_ID}"\n'
                    f'aws_secret_access_key = "{CANARY_SECRET}"\n')
    os.chmod(path, 0o644)
    with pytest.raises(CredentialError, match="readable by others") as err:
        ac.from_config(config(credentials_file=str(path)))
    assert CANARY_SECRET not in str(err.value)


def test_botocore_debug_records_carry_the_session_token_so_the_adapter_drops_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Why quiet_botocore_debug exists: botocore.auth (the canonical request) and
    botocore.endpoint (the prepared request's headers) log X-Amz-Security-Token at DEBUG.
    The secret key is never logged. If botocore stops logging the token, this test says so
    and the filter can go."""
    session = botocore.session.get_session()
    session.set_credentials(CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN)
    client = session.create_client("connect", region_name="eu-west-2",
                                   config=Config(retries={"max_attempts": 1}))
    answers = {"ListQueues": [(200, {}, body("list_queues.json")) for _ in range(2)]}
    client.meta.events.register("before-send.connect", _serve(answers, []))
    acs.quiet_botocore_debug()
    names = [n for n in logging.root.manager.loggerDict if n.startswith("botocore")]
    for name in names:
        logging.getLogger(name).removeFilter(acs._DROP_BELOW_INFO)
    try:
        caplog.set_level(logging.DEBUG)
        for name in names:
            caplog.set_level(logging.DEBUG, logger=name)
        client.list_queues(InstanceId=INSTANCE)
        as_shipped = [r.getMessage() for r in caplog.records]
    finally:
        acs.quiet_botocore_debug()
    assert any(CANARY_TOKEN in m for m in as_shipped)
    assert not any(CANARY_SECRET in m for m in as_shipped)
    caplog.clear()
    client.list_queues(InstanceId=INSTANCE)  # the loggers are still at DEBUG
    assert not any(CANARY_TOKEN in r.getMessage() or CANARY_KEY_ID in r.getMessage()
                   for r in caplog.records)


async def test_unknown_profile_is_a_clear_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    source = ac.from_config(config(profile="no-such-profile"))
    with pytest.raises(SourceError, match="AWS profile 'no-such-profile' not found"):
        await source.fetch_floor()
