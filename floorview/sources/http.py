"""Guarded HTTP fetching for sources: budgets, deadlines, size caps and Retry-After.

A wall display polls a vendor's API all day. Whatever the vendor does — answers slowly,
trickles a body a byte at a time, sends 2 GB, rate-limits us — each fetch ends within its
deadline with either the body or a `FetchError` whose one-line message says which source
failed and why.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from floorview.sources.base import SourceError
from floorview.sources.budget import TokenBucket

# Defaults shared by RestSource and the config (floorview/config.py repeats them as literals
# so that checking a config does not import httpx; a test keeps the two in step).
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_POLL_DEADLINE_S = 10.0
DEFAULT_MAX_REQUESTS_PER_S = 5.0
DEFAULT_BURST = 5
DEFAULT_MAX_RESPONSE_BYTES = 20_000_000

#: Bounds on an honoured Retry-After: a "0" or a date in the past must not turn into a tight
#: loop, and a typo'd "86400" must not blank the board for a day.
RETRY_AFTER_MIN_S = 1.0
RETRY_AFTER_MAX_S = 600.0

#: Statuses whose Retry-After is a request to wait (RFC 9110 §10.2.3).
_RETRY_AFTER_STATUSES = frozenset({429, 503})


# --- errors ---------------------------------------------------------------------------------


class FetchError(SourceError):
    """A request to a source failed (retry_after_s already clamped to sane bounds)."""


class RequestTimeout(FetchError):
    """One phase of a request (connect, send, read a chunk) took longer than ``timeout_s``."""


class DeadlineExceeded(FetchError):
    """The whole request, body included, did not finish within the poll deadline."""


class BudgetExhausted(FetchError):
    """The request budget had no token for this request within the poll deadline."""


class Unreachable(FetchError):
    """The connection could not be made or broke off."""


class HttpStatusError(FetchError):
    """The server answered with a status other than 200."""

    def __init__(
        self, message: str, *, status: int, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.status = status


class ResponseTooLarge(FetchError):
    """The body was, or announced it would be, larger than ``max_response_bytes``."""


class InvalidJson(FetchError):
    """The body is not JSON."""


# --- Retry-After ----------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(" + "|".join(_MONTHS) + ")"
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_TIME = r"(\d\d):(\d\d):(\d\d)"
# The three forms RFC 9110 §5.6.7 requires a recipient to accept. Matching is ASCII-only
# (\d would also match other scripts' digits) and, leniently, case-insensitive.
_FLAGS = re.ASCII | re.IGNORECASE
_IMF_FIXDATE = re.compile(rf"{_DAY}, (\d\d) {_MONTH} (\d{{4}}) {_TIME} GMT", _FLAGS)
_RFC850_DATE = re.compile(rf"{_LONG_DAY}, (\d\d)-{_MONTH}-(\d\d) {_TIME} GMT", _FLAGS)
_ASCTIME_DATE = re.compile(rf"{_DAY} {_MONTH} ([ \d]\d) {_TIME} (\d{{4}})", _FLAGS)
_DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


def _month(name: str) -> int:
    return _MONTHS.index(name.title()) + 1


def parse_http_date(value: str, now: datetime | None = None) -> datetime | None:
    """An HTTP-date (IMF-fixdate, RFC 850 or asctime form) as an aware UTC datetime, or None.

    ``now`` resolves the RFC 850 form's two-digit year; without it the current year is used.
    """
    value = value.strip()
    try:
        if m := _IMF_FIXDATE.fullmatch(value):
            day, month, year, hh, mm, ss = m.groups()
            return datetime(int(year), _month(month), int(day), int(hh), int(mm), int(ss), 0, UTC)
        if m := _ASCTIME_DATE.fullmatch(value):
            month, day, hh, mm, ss, year = m.groups()
            return datetime(int(year), _month(month), int(day), int(hh), int(mm), int(ss), 0, UTC)
        if m := _RFC850_DATE.fullmatch(value):
            day, month, yy, hh, mm, ss = m.groups()
            this_year = (now or datetime.now(UTC)).year
            # RFC 9110: a two-digit year more than 50 years ahead is the most recent past one.
            year = this_year - this_year % 100 + int(yy)
            if year > this_year + 50:
                year -= 100
            return datetime(year, _month(month), int(day), int(hh), int(mm), int(ss), 0, UTC)
    except ValueError:  # 31 Feb, 25:00, a leap second: well-formed but not a time
        return None
    return None


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP-date, RFC 9110 §10.2.3),
    clamped to [RETRY_AFTER_MIN_S, RETRY_AFTER_MAX_S]; None if the value means nothing, so
    the caller falls back to its own backoff.

    A decimal such as "1.5" is accepted although the RFC allows only whole seconds: a server
    that writes it clearly means it, and guessing shorter would break its rate limit.
    """
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        # float(), not int(): a thousand-digit value must not trip int's digit limit.
        seconds = float(value)
    else:
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        when = parse_http_date(value, now)
        if when is None:
            return None
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(RETRY_AFTER_MAX_S, max(RETRY_AFTER_MIN_S, seconds))


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- the fetcher ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Per-source limits; the config keys of the same names set them."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    poll_deadline_s: float = DEFAULT_POLL_DEADLINE_S
    max_requests_per_s: float = DEFAULT_MAX_REQUESTS_PER_S
    burst: int = DEFAULT_BURST
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


def format_bytes(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


def _detail(exc: Exception) -> str:
    # Several httpx errors carry an empty message; the class name is better than nothing.
    return str(exc) or type(exc).__name__


def _safe_path(path: str) -> str:
    """``path`` for a message: an absolute URL loses its query, which may carry a key."""
    return path.split("?", 1)[0]


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """A response a vendor adapter reads: its status, headers and capped body."""

    status: int
    headers: httpx.Headers
    body: bytes
    what: str

    def json(self) -> Any:
        return loads_json(self.body, self.what)


def loads_json(body: bytes, what: str) -> Any:
    """``json.loads``, with a body that is not JSON as an InvalidJson naming ``what``."""
    try:
        return json.loads(body)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; RecursionError is a hostile
    # body nested thousands of levels deep.
    except (ValueError, RecursionError):
        raise InvalidJson(f"{what} did not return valid JSON") from None


class HttpFetcher:
    """One source's HTTP client, request budget and limits.

    Each GET takes a token from the budget, then sends; the token wait, the request and the
    whole body together must finish within ``poll_deadline_s``. ``timeout_s`` bounds each
    phase on its own, but httpx restarts its read timeout with every chunk, so only the
    deadline stops a body that trickles in a byte at a time.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        limits: HttpLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: TokenBucket | None = None,
        wall_clock: Callable[[], datetime] = _utc_now,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.limits = limits or HttpLimits()
        self.budget = budget or TokenBucket(self.limits.max_requests_per_s, self.limits.burst)
        self._wall_clock = wall_clock
        #: Requests sent, whatever their outcome: the collector's /metrics reports it.
        self.requests_sent = 0
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(self.limits.timeout_s),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "floorview", **(headers or {})},
        )

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return loads_json(await self.get_bytes(path, params), f"{self.name}: {path}")

    async def get_bytes(self, path: str, params: Mapping[str, str] | None = None) -> bytes:
        return (await self._request("GET", path, params=params))[1]

    async def send_json(
        self, method: str, path: str, body: Any, *, answers: frozenset[int] = frozenset()
    ) -> tuple[int, Any]:
        """A write: ``body`` as JSON, under the same budget, timeouts, deadline and cap as a
        read. Statuses in ``answers`` (a 409 conflict, say) come back with their decoded
        body instead of raising: they are the server's answer, not its failure."""
        status, raw = await self._request(method, path, body=body, answers=answers)
        return status, loads_json(raw, f"{self.name}: {method} {path}")

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        answers: frozenset[int] = frozenset(),
    ) -> HttpAnswer:
        """Any request a vendor adapter needs, under the same budget, timeouts, deadline
        and size cap as a poll. ``path`` may be an absolute URL (an OAuth login host, say).
        ``headers`` are per request (a bearer token that renews); statuses in ``answers``
        come back instead of raising."""
        status, raw, got = await self._request(
            method, path, params=params, body=json_body, form=form, headers=headers,
            answers=answers, with_headers=True,
        )
        return HttpAnswer(status, got, raw, f"{self.name}: {method} {_safe_path(path)}")

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        answers: frozenset[int] = frozenset(),
        with_headers: bool = False,
    ) -> Any:
        deadline_s = self.limits.poll_deadline_s
        deadline = asyncio.timeout(deadline_s)
        shown = _safe_path(path)
        try:
            async with deadline:
                await self._take_token(shown, deadline)
                status, raw, got = await self._fetch(
                    path, params, method=method, body=body, form=form, headers=headers,
                    answers=answers,
                )
                return (status, raw, got) if with_headers else (status, raw)
        except TimeoutError:
            if not deadline.expired():
                raise  # not ours; let the caller see it as it is
            raise DeadlineExceeded(
                f"{self.name}: no complete answer from {shown} "
                f"within the {deadline_s:g} s poll deadline"
            ) from None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _take_token(self, path: str, deadline: asyncio.Timeout) -> None:
        when = deadline.when()
        remaining = float("inf") if when is None else when - asyncio.get_running_loop().time()
        if not await self.budget.acquire(max_wait_s=max(0.0, remaining)):
            raise BudgetExhausted(
                f"{self.name}: request budget of {self.budget.rate_per_s:g}/s used up; "
                f"no token for {path} within the {self.limits.poll_deadline_s:g} s poll deadline",
                retry_after_s=self.budget.wait_s(),
            )

    async def _fetch(
        self,
        path: str,
        params: Mapping[str, str] | None,
        *,
        method: str = "GET",
        body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        answers: frozenset[int] = frozenset(),
    ) -> tuple[int, bytes, httpx.Headers]:
        self.requests_sent += 1
        shown = _safe_path(path)
        try:
            async with self._client.stream(
                method, path, params=params, json=body, data=form, headers=headers
            ) as response:
                if response.status_code not in answers:
                    self._check_status(shown, response)
                self._check_length(shown, response)
                body_bytes = await self._read_capped(shown, response)
                return response.status_code, body_bytes, response.headers
        except httpx.TimeoutException:
            raise RequestTimeout(f"{self.name}: timed out fetching {shown}") from None
        except httpx.ConnectError as exc:
            raise Unreachable(
                f"{self.name}: cannot reach {self.base_url}: {_detail(exc)}"
            ) from None
        except httpx.TransportError as exc:
            raise Unreachable(
                f"{self.name}: connection lost fetching {shown}: {_detail(exc)}"
            ) from None
        except httpx.DecodingError:
            raise InvalidJson(
                f"{self.name}: {shown} sent a body that cannot be decoded"
            ) from None

    def _check_status(self, path: str, response: httpx.Response) -> None:
        status = response.status_code
        if status == 200:
            return
        retry_after = None
        header = response.headers.get("retry-after")
        if status in _RETRY_AFTER_STATUSES and header is not None:
            # The server's own Date header, when it sends one, cancels any clock skew between
            # us and it for an HTTP-date Retry-After.
            server_now = parse_http_date(response.headers.get("date", ""))
            retry_after = parse_retry_after(header, server_now or self._wall_clock())
        message = f"{self.name}: {path} answered HTTP {status}"
        if retry_after is not None:
            message += f"; retrying in {math.ceil(retry_after)} s"
        raise HttpStatusError(message, status=status, retry_after_s=retry_after)

    def _check_length(self, path: str, response: httpx.Response) -> None:
        cap = self.limits.max_response_bytes
        announced = response.headers.get("content-length", "")
        if not announced.isascii() or not announced.isdigit():
            return  # absent or garbled: the streamed count below still holds the line
        # The length test first: int() refuses strings of thousands of digits.
        if len(announced) > 18 or int(announced) > cap:
            size = "more" if len(announced) > 18 else format_bytes(int(announced))
            raise ResponseTooLarge(
                f"{self.name}: {path} announced {size}, over the {format_bytes(cap)} response cap"
            )

    async def _read_capped(self, path: str, response: httpx.Response) -> bytes:
        cap = self.limits.max_response_bytes
        chunks: list[bytes] = []
        total = 0
        # aiter_bytes() counts decoded bytes, so a small gzip body that inflates past the cap
        # is caught as well.
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > cap:
                raise ResponseTooLarge(
                    f"{self.name}: {path} exceeded the {format_bytes(cap)} response cap"
                )
            chunks.append(chunk)
        return b"".join(chunks)
