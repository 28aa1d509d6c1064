import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import Clock
from hypothesis import given
from hypothesis import strategies as st

from floorview.config import ConfigError, SourceConfig, parse_config
from floorview.feed import CIRCUIT_FAILURES, CIRCUIT_RESET_S, POLL_DEADLINE_S, Feed
from floorview.sources.base import SourceError
from floorview.sources.budget import TokenBucket
from floorview.sources.http import (
    RETRY_AFTER_MAX_S,
    RETRY_AFTER_MIN_S,
    BudgetExhausted,
    DeadlineExceeded,
    HttpFetcher,
    HttpLimits,
    HttpStatusError,
    InvalidJson,
    RequestTimeout,
    ResponseTooLarge,
    Unreachable,
    format_bytes,
    parse_http_date,
    parse_retry_after,
)
from floorview.sources.rest import RestSource

NOW = datetime(2026, 11, 23, 10, 15, 0, tzinfo=UTC)
FLOOR = json.loads((Path(__file__).parent / "data" / "floor_v1.json").read_text())

Handler = Callable[[httpx.Request], Any]


# --- parse_retry_after ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),  # not RFC, but clearly meant
        ("0", RETRY_AFTER_MIN_S),  # "now" must not become a tight loop
        ("86400", RETRY_AFTER_MAX_S),
        ("9" * 5000, RETRY_AFTER_MAX_S),  # beyond int()'s digit limit
        ("Mon, 23 Nov 2026 10:16:30 GMT", 90.0),  # IMF-fixdate
        ("mon, 23 nov 2026 10:16:30 gmt", 90.0),
        ("Monday, 23-Nov-26 10:17:00 GMT", 120.0),  # RFC 850
        ("Mon Nov 23 10:15:45 2026", 45.0),  # asctime
        ("Mon, 23 Nov 2026 10:00:00 GMT", RETRY_AFTER_MIN_S),  # already past
        ("Mon, 23 Nov 2027 10:00:00 GMT", RETRY_AFTER_MAX_S),
    ],
)
def test_retry_after_values(value: str, expected: float) -> None:
    assert parse_retry_after(value, NOW) == pytest.approx(expected)


@pytest.mark.parametrize(
    "value",
    ["", "soon", "-5", "+5", "3 s", "1e3", "NaN", "inf", "٣", "0x10", "3.", ".5",
     "Mon, 31 Feb 2026 10:00:00 GMT", "Mon, 23 Nov 2026 25:00:00 GMT",
     "Mon, 23 Nov 2026 10:16:30 UTC", "2026-11-23T10:16:30Z", "Mon, 23 Nov 2026 10:16:30"],
)
def test_nonsense_retry_after_falls_back_to_backoff(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


def test_a_naive_now_is_taken_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Mon, 23 Nov 2026 10:16:30 GMT", naive) == 90.0


def test_rfc850_two_digit_years_never_land_more_than_50_years_ahead() -> None:
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", NOW) == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )
    assert parse_http_date("Friday, 06-Nov-70 08:49:37 GMT", NOW) == datetime(
        2070, 11, 6, 8, 49, 37, tzinfo=UTC
    )


@given(value=st.text(), now=st.datetimes(timezones=st.just(UTC)))
def test_garbage_never_crashes(value: str, now: datetime) -> None:
    seconds = parse_retry_after(value, now)
    assert seconds is None or RETRY_AFTER_MIN_S <= seconds <= RETRY_AFTER_MAX_S


@given(
    st.from_regex(
        r"(Mon|Sun), [0-9]{2} (Jan|Feb|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
        r"|[A-Za-z]+day, [0-9]{2}-(Jan|Jun)-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
        r"|(Mon|Tue) (Feb|Mar) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}"
        r"|[0-9.]{1,40}",
        fullmatch=True,
    ),
    st.datetimes(timezones=st.just(UTC)),
)
def test_near_miss_dates_and_numbers_never_crash(value: str, now: datetime) -> None:
    seconds = parse_retry_after(value, now)
    assert seconds is None or RETRY_AFTER_MIN_S <= seconds <= RETRY_AFTER_MAX_S


def test_format_bytes() -> None:
    assert format_bytes(20_000_000) == "20 MB"
    assert format_bytes(1_500) == "1.5 kB"
    assert format_bytes(999) == "999 bytes"


# --- the fetcher over a mock transport ------------------------------------------------------


def fetcher(handler: Handler, **limits: Any) -> HttpFetcher:
    return HttpFetcher(
        "sim",
        "http://sim.test",
        limits=HttpLimits(**limits),
        transport=httpx.MockTransport(handler),
        wall_clock=lambda: NOW,
    )


async def fetch_error(handler: Handler, path: str = "/v1/floor", **limits: Any) -> SourceError:
    f = fetcher(handler, **limits)
    try:
        with pytest.raises(SourceError) as info:
            await f.get_json(path)
    finally:
        await f.aclose()
    return info.value


async def test_a_good_answer() -> None:
    f = fetcher(lambda request: httpx.Response(200, json=FLOOR))
    assert (await f.get_json("/v1/floor"))["site"] == FLOOR["site"]
    await f.aclose()


@pytest.mark.parametrize(
    ("headers", "retry_after", "message"),
    [
        ({"Retry-After": "3"}, 3.0, "sim: /v1/floor answered HTTP 429; retrying in 3 s"),
        # An HTTP-date is measured from the server's own Date header when it sends one ...
        (
            {"Retry-After": "Mon, 23 Nov 2026 09:02:00 GMT", "Date": "Mon, 23 Nov 2026 09:00:00 GMT"},
            120.0,
            "sim: /v1/floor answered HTTP 429; retrying in 120 s",
        ),
        # ... and from our wall clock when it does not.
        ({"Retry-After": "Mon, 23 Nov 2026 10:15:07 GMT"}, 7.0, "sim: /v1/floor answered HTTP 429; retrying in 7 s"),
        ({"Retry-After": "later, please"}, None, "sim: /v1/floor answered HTTP 429"),
        ({}, None, "sim: /v1/floor answered HTTP 429"),
    ],
)
async def test_429_and_retry_after(
    headers: dict[str, str], retry_after: float | None, message: str
) -> None:
    error = await fetch_error(lambda request: httpx.Response(429, headers=headers))
    assert isinstance(error, HttpStatusError) and error.status == 429
    assert error.retry_after_s == retry_after
    assert str(error) == message


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [(503, {"Retry-After": "12"}, 12.0), (500, {}, None), (502, {"Retry-After": "12"}, None), (404, {}, None)],
)
async def test_other_statuses(status: int, headers: dict[str, str], retry_after: float | None) -> None:
    error = await fetch_error(lambda request: httpx.Response(status, headers=headers, text="busy"))
    assert isinstance(error, HttpStatusError) and error.status == status
    assert error.retry_after_s == retry_after
    assert str(error).startswith(f"sim: /v1/floor answered HTTP {status}")


class Body:
    """A response body streamed in chunks, recording how much of it was pulled."""

    def __init__(self, chunks: int, size: int, pause_s: float = 0.0) -> None:
        self.chunks, self.size, self.pause_s = chunks, size, pause_s
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            if self.pause_s:
                await asyncio.sleep(self.pause_s)
            self.sent += 1
            yield b" " * self.size


async def test_an_announced_oversize_body_is_refused_before_reading() -> None:
    body = Body(chunks=10, size=1000)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "30000000"}, content=body)

    error = await fetch_error(handler)
    assert isinstance(error, ResponseTooLarge)
    assert str(error) == "sim: /v1/floor announced 30 MB, over the 20 MB response cap"
    assert body.sent == 0


async def test_a_content_length_over_a_small_cap() -> None:
    error = await fetch_error(lambda request: httpx.Response(200, content=b" " * 5000), max_response_bytes=4000)
    assert str(error) == "sim: /v1/floor announced 5 kB, over the 4 kB response cap"


async def test_a_streamed_body_without_length_is_cut_off_at_the_cap() -> None:
    body = Body(chunks=100, size=1000)
    error = await fetch_error(lambda request: httpx.Response(200, content=body), max_response_bytes=2500)
    assert isinstance(error, ResponseTooLarge)
    assert str(error) == "sim: /v1/floor exceeded the 2.5 kB response cap"
    assert body.sent == 3  # stopped reading as soon as the cap was passed


async def test_a_body_exactly_at_the_cap_is_fine() -> None:
    f = fetcher(lambda request: httpx.Response(200, content=b"[" + b" " * 98 + b"]"), max_response_bytes=100)
    assert await f.get_json("/v1/floor") == []
    await f.aclose()


async def test_a_trickling_body_fails_at_the_poll_deadline() -> None:
    # Each chunk arrives well inside timeout_s, so only the overall deadline can stop it.
    body = Body(chunks=1000, size=1, pause_s=0.02)
    started = time.monotonic()
    error = await fetch_error(
        lambda request: httpx.Response(200, content=body), poll_deadline_s=0.2, timeout_s=5.0
    )
    elapsed = time.monotonic() - started
    assert isinstance(error, DeadlineExceeded)
    assert str(error) == "sim: no complete answer from /v1/floor within the 0.2 s poll deadline"
    assert 0.15 < elapsed < 2.0
    assert 0 < body.sent < 1000


async def test_a_slow_handler_fails_at_the_poll_deadline() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200, json=FLOOR)

    error = await fetch_error(handler, poll_deadline_s=0.1)
    assert isinstance(error, DeadlineExceeded)


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        (httpx.ConnectError("connection refused"), Unreachable, "sim: cannot reach http://sim.test"),
        (httpx.ReadError(""), Unreachable, "sim: connection lost fetching /v1/floor: ReadError"),
        (httpx.ReadTimeout("read"), RequestTimeout, "sim: timed out fetching /v1/floor"),
    ],
)
async def test_transport_failures(exc: Exception, kind: type[SourceError], message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    error = await fetch_error(handler)
    assert isinstance(error, kind)
    assert str(error).startswith(message)
    assert error.retry_after_s is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"[" * 100_000 + b"]" * 100_000])
async def test_a_body_that_is_not_json(body: bytes) -> None:
    error = await fetch_error(lambda request: httpx.Response(200, content=body))
    assert isinstance(error, InvalidJson)
    assert str(error) == "sim: /v1/floor did not return valid JSON"


# --- the request budget ---------------------------------------------------------------------


async def test_every_request_of_a_source_takes_a_token() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=FLOOR if request.url.path == "/v1/floor" else {})

    source = RestSource(
        "sim", "http://sim.test", transport=httpx.MockTransport(handler),
        max_requests_per_s=0.01, burst=3, poll_deadline_s=1.0,
    )
    await source.fetch_floor()
    with pytest.raises(SourceError):
        await source.fetch_plan(NOW.date())  # junk plan, but both requests went out
    assert seen == ["/v1/floor", "/v1/forecast", "/v1/intervals"]

    started = time.monotonic()
    with pytest.raises(BudgetExhausted) as info:
        await source.fetch_floor()
    await source.aclose()
    # The next token is 100 s away: no request, and no sleeping into the deadline either.
    assert len(seen) == 3
    assert time.monotonic() - started < 0.5
    assert str(info.value) == (
        "sim: request budget of 0.01/s used up; no token for /v1/floor within the 1 s poll deadline"
    )
    assert info.value.retry_after_s == pytest.approx(100.0, rel=0.01)


async def test_an_empty_budget_waits_for_a_token_rather_than_sending() -> None:
    clock = Clock()
    sent_at: list[float] = []

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return httpx.Response(200, json=[])

    f = HttpFetcher(
        "sim", "http://sim.test", transport=httpx.MockTransport(handler),
        budget=TokenBucket(4.0, 2, clock=clock, sleep=sleep),
    )
    for _ in range(4):
        await f.get_json("/v1/floor")
    await f.aclose()
    assert sent_at == [1000.0, 1000.0, pytest.approx(1000.25), pytest.approx(1000.5)]


# --- with the feed --------------------------------------------------------------------------


async def test_the_feed_honours_a_429_retry_after() -> None:
    handler = lambda request: httpx.Response(429, headers={"Retry-After": "7"})  # noqa: E731
    source = RestSource("sim", "http://sim.test", transport=httpx.MockTransport(handler))
    feed = Feed(source, 2.0, clock=Clock())
    assert await feed.poll_once() is None
    await source.aclose()
    assert feed.next_delay_s() == 7.0
    assert feed.status().last_error == "sim: /v1/floor answered HTTP 429; retrying in 7 s"


def test_defaults_agree_across_config_source_and_feed() -> None:
    config = SourceConfig(name="sim", kind="rest", url="http://sim.test")
    limits = HttpLimits()
    assert (
        config.timeout_s, config.poll_deadline_s, config.max_requests_per_s,
        config.burst, config.max_response_bytes,
    ) == (
        limits.timeout_s, limits.poll_deadline_s, limits.max_requests_per_s,
        limits.burst, limits.max_response_bytes,
    )
    assert (config.poll_deadline_s, config.circuit_failures, config.circuit_reset_s) == (
        POLL_DEADLINE_S, CIRCUIT_FAILURES, CIRCUIT_RESET_S,
    )


def test_dates_in_a_whole_day_parse_to_whole_seconds() -> None:
    for minutes in range(0, 24 * 60, 7):
        when = NOW + timedelta(minutes=minutes)
        text = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
        assert parse_http_date(text) == when


SOURCE = """\
[[sources]]
name = "sim"
kind = "rest"
url = "http://127.0.0.1:8765"
"""


def test_the_limits_are_config_keys_with_range_checks() -> None:
    extra = (
        "poll_deadline_s = 4\nmax_requests_per_s = 0.5\nburst = 2\n"
        "max_response_bytes = 1_000_000\ncircuit_failures = 3\ncircuit_reset_s = 60\n"
    )
    s = parse_config(SOURCE + extra, Path("floor.toml")).sources[0]
    assert (s.poll_deadline_s, s.max_requests_per_s, s.burst) == (4.0, 0.5, 2)
    assert (s.max_response_bytes, s.circuit_failures, s.circuit_reset_s) == (1_000_000, 3, 60.0)
    assert isinstance(s.poll_deadline_s, float) and isinstance(s.burst, int)
    for line, message in [
        ("burst = 0", "floor.toml:5: sources[0].burst: must be between 1 and 1_000, got 0"),
        ("burst = 2.5", "floor.toml:5: sources[0].burst: must be an integer, got 2.5"),
        ("max_requests_per_s = 0", "floor.toml:5: sources[0].max_requests_per_s: must be between 0.01 and 1000"),
        ("max_response_bytes = 10", "floor.toml:5: sources[0].max_response_bytes: must be between 1_000 and 1_000_000_000"),
        ("circuit_failures = true", "floor.toml:5: sources[0].circuit_failures: must be an integer"),
        ("circuit_reset_s = 0", "floor.toml:5: sources[0].circuit_reset_s: must be between 1 and 3600"),
        ("poll_deadline_s = 0", "floor.toml:5: sources[0].poll_deadline_s: must be between 0.1 and 600"),
    ]:
        with pytest.raises(ConfigError) as info:
            parse_config(SOURCE + line + "\n", Path("floor.toml"))
        assert str(info.value).startswith(message), str(info.value)
