"""The `amazon_connect` source: an Amazon Connect instance, read and written through botocore.

Shapes and enums are botocore's connect model (``botocore/data/connect/2017-08-08``);
docs/adapters/amazon_connect.md lists the calls, the field mapping and the IAM policy.
botocore does the credential chain, SigV4 signing and retries; every call runs in a thread
(``asyncio.to_thread``), inside the poll deadline, after a token from that API's own bucket.

Choices where Connect's answer does not fit the model as is:

- **Waiting and oldest wait** (GetCurrentMetricData grouped by QUEUE and CHANNEL, so
  OLDEST_CONTACT_AGE is in seconds; ungrouped it would be milliseconds, see
  ``amazon_connect_parse.oldest_contact_age_s``). A queue with no result row has 0 waiting
  and 0 s oldest: Connect found no data, so nothing waits. A null age with 0 waiting is
  0 s. A null count, or a null age while contacts wait, cannot be computed: the queue keeps
  its last known figures, and with none the poll fails (SourceError) rather than show 0.
- **Today's counters** (GetMetricDataV2, TOTAL since local midnight in ``time_zone``,
  refreshed at most once a minute): answered = CONTACTS_HANDLED (an approximation),
  answered_within_sl = SUM_CONTACTS_ANSWERED_IN_X (LTE sl_threshold_s), abandoned =
  CONTACTS_ABANDONED, so SL = answered within X / (answered + abandoned). Connect's own
  "Service level X" counts contacts *removed from the queue* within X (answered, abandoned
  or sent to callback) over all removed, so a short abandon counts as met there and as
  missed here. A queue with no row had no contacts today (zeros). A null average over
  zero contacts is 0; a null count, or a null average over contacts, keeps the queue's
  last good counters, or fails the poll when there are none.
- **Agents** (GetCurrentUserData filtered by the queues): the contact decides first —
  CONNECTED/CONNECTED_ONHOLD and INCOMING/PENDING/CONNECTING are ON_CONTACT (routed to
  the agent, who is taken), ENDED is ACW, MISSED/ERROR/REJECTED is AUX named after the
  state; without a contact the status type decides (ROUTABLE -> AVAILABLE, CUSTOM -> AUX
  with the status name, OFFLINE -> OFFLINE). Connect lists only agents logged in to the
  CCP; others are not on the floor. queue_ids are the agent's routing profile's queues
  (ListRoutingProfileQueues, cached 10 min, filled a few profiles per poll, busiest first:
  until its profile is read an agent shows no queues). Names come from a SearchUsers
  directory scan (500 users a page, two pages a poll at most; the user id shows until
  then); team is the agent's hierarchy group name.
- **version** = membership_version(queue ids, routing profile id): Connect keeps none.
- **Reassign** moves the agent to the one routing profile whose queue set is exactly the
  requested set (UpdateUserRoutingProfile); none, or several, is a RejectedChange.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pandas as pd

from floorview.model import Agent, FloorSnapshot, Queue, QueueToday
from floorview.sources import amazon_connect_parse as acp
from floorview.sources.amazon_connect_setup import (
    ConnectOptions,
    _client_factory,
    _resource_id,
    _static_credentials,
    parse_options,
    quiet_botocore_debug,
)
from floorview.sources.base import DayPlan, RejectedChange, SourceError, VersionConflict
from floorview.sources.budget import TokenBucket
from floorview.sources.http import (
    BudgetExhausted,
    DeadlineExceeded,
    HttpLimits,
    parse_retry_after,
)
from floorview.sources.intervals import ACTUAL_FIELDS, empty_forecast
from floorview.sources.vendor import AdapterConfig, membership_version

log = logging.getLogger(__name__)

MISSING_BOTOCORE = "kind amazon_connect needs botocore: pip install 'floorview[connect]'"

#: Connect's filters take at most 100 queues (GetCurrentMetricData, GetCurrentUserData,
#: and 100 filter values across keys in GetMetricDataV2).
QUEUE_BATCH = 100
#: Pages of one paged read in one poll; past it the floor would be incomplete.
MAX_PAGES = 50
#: How long queue names, status types, hierarchy groups and routing profiles are kept.
CATALOGUE_TTL_S = 600.0
#: An unknown status re-reads the status list, but not more often than this.
STATUS_REREAD_S = 60.0
#: Today's counters and interval actuals are fetched at most this often.
METRICS_TTL_S = 60.0
#: Connect's throttling answer carries no Retry-After; this is the wait asked of the feed.
THROTTLE_RETRY_S = 2.0
LAZY_PROFILES_PER_POLL = 5
LAZY_USER_PAGES_PER_POLL = 2
USER_PAGE_SIZE = 500
INTERVAL = timedelta(minutes=15)
#: Interval backfill in windows of this size (FIFTEEN_MIN allows under 3 days per request).
V2_WINDOW = timedelta(hours=4)
#: Interval rows younger than this are fetched again: Connect finishes counting a contact
#: when it ends, so a recent interval's figures still move.
V2_SETTLE = timedelta(minutes=30)
#: EndTime "cannot be later than the current timestamp": a margin for our clock's skew.
V2_END_MARGIN = timedelta(seconds=5)
#: A routing profile read longer ago than this is read again before a write relies on it.
REVERIFY_S = 60.0
#: Re-reads after UpdateUserRoutingProfile: Connect's describe calls are eventually consistent.
REREAD_TRIES = 3
REREAD_PAUSE_S = 0.3

#: (requests per second, burst) per API, under Connect's default quotas (per account and
#: Region, shared with every other client): GetCurrentMetricData 5/s, GetCurrentUserData
#: 2/s, GetMetricDataV2 10/s, UpdateUserRoutingProfile 2/s, DescribeUser /
#: ListAgentStatuses / ListRoutingProfiles 10/s, every other API 2/s burst 5.
API_RATES: dict[str, tuple[float, int]] = {
    "GetCurrentMetricData": (5.0, 5),
    "GetCurrentUserData": (2.0, 2),
    "GetMetricDataV2": (5.0, 5),
    "UpdateUserRoutingProfile": (2.0, 2),
    "DescribeUser": (5.0, 5),
    "ListAgentStatuses": (5.0, 5),
    "ListRoutingProfiles": (5.0, 5),
}
DEFAULT_API_RATE = (2.0, 5)

_THROTTLE_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling"})
#: Codes where AWS did not accept the credentials or the signature. Their messages can echo
#: the canonical request (with the session token), so they are never shown.
_AUTH_CODES = frozenset({
    "UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch",
    "IncompleteSignature", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken",
    "MissingAuthenticationToken", "MissingAuthenticationTokenException",
})
#: What a refused NextToken looks like (GetCurrentMetricData's expire after 5 minutes).
_TOKEN_REFUSED = frozenset({"InvalidParameterException", "InvalidRequestException"})
_WRITE_REFUSED = frozenset({
    "InvalidParameterException", "InvalidRequestException", "ResourceNotFoundException",
})


class MissingBotocore(ImportError, ValueError):
    """botocore is not installed. A ValueError too, so the registry reports it as a
    config problem (one line) rather than a traceback."""


class ConnectApiError(SourceError):
    """Connect answered a call with an error; ``code`` is its error code."""

    def __init__(self, message: str, *, code: str, retry_after_s: float | None = None) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.code = code


def from_config(config: AdapterConfig, *, client: Any | None = None) -> AmazonConnectSource:
    """An Amazon Connect source; sends nothing until the first fetch. ``client`` is a
    botocore connect client to use instead of building one (tests)."""
    try:
        import botocore  # noqa: F401
    except ImportError:
        raise MissingBotocore(MISSING_BOTOCORE) from None
    opts = parse_options(config)
    credentials = _static_credentials(config)
    quiet_botocore_debug()
    factory = None if client is not None else _client_factory(
        opts, config.limits, config.url, credentials
    )
    return AmazonConnectSource(
        config.name, opts, limits=config.limits, client=client, client_factory=factory
    )


# --- the source -----------------------------------------------------------------------------


class _Deadline:
    """The poll deadline of one public call, shared by every request it makes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = asyncio.get_running_loop().time() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - asyncio.get_running_loop().time())


@dataclass(frozen=True, slots=True)
class _Profile:
    queue_ids: frozenset[str]
    fetched_at: float


@dataclass(frozen=True, slots=True)
class _User:
    name: str
    group_id: str | None


@dataclass(slots=True)
class _Scan:
    """The SearchUsers directory scan, a few pages per poll."""

    token: str | None = None
    running: bool = False
    done_at: float | None = None


@dataclass(slots=True)
class _Stats:
    """What the collector's /metrics reads from a source's ``http``."""

    budget: TokenBucket
    requests_sent: int = 0


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def _one_line(text: Any, limit: int = 200) -> str:
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _actuals_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    ordered = sorted(rows, key=lambda r: (r["start"], r["queue"]))
    frame = pd.DataFrame(ordered, columns=["queue", "start", *ACTUAL_FIELDS])
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    return frame.astype({name: float for name in ACTUAL_FIELDS}).reset_index(drop=True)


class AmazonConnectSource:
    """One Amazon Connect instance: the floor, today's intervals and routing profile moves."""

    def __init__(
        self,
        name: str,
        opts: ConnectOptions,
        *,
        limits: HttpLimits | None = None,
        client: Any | None = None,
        client_factory: Callable[[], Any] | None = None,
        rates: Mapping[str, tuple[float, int]] | None = None,
        now: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if client is None and client_factory is None:
            raise ValueError("a botocore client or a factory for one is needed")
        self.name = name
        self.opts = opts
        self.limits = limits or HttpLimits()
        self._client = client
        self._owns_client = client is None
        self._client_factory = client_factory
        self._rates = dict(API_RATES if rates is None else rates)
        self._now = now
        self._mono = monotonic
        self._sleep = sleep
        self._tz = ZoneInfo(opts.time_zone)
        self._buckets: dict[str, TokenBucket] = {}
        self.http = _Stats(self._bucket("GetCurrentMetricData"))
        self._warned: set[str] = set()
        # Catalogues, each with the monotonic time it was read.
        self._instance_arn = opts.instance_arn
        self._queue_names: dict[str, str] = {}
        self._queues_at: float | None = None
        self._statuses: dict[str, acp.StatusType] = {}
        self._statuses_at: float | None = None
        self._groups: dict[str, str] = {}
        self._groups_at: float | None = None
        self._profiles: dict[str, _Profile] = {}
        self._profile_names: dict[str, str] = {}
        self._profile_list_at: float | None = None
        #: Channels each queue is served on (routing profiles) or seen waiting on.
        self._queue_channels: dict[str, set[str]] = {}
        self._users: dict[str, _User] = {}
        self._scan = _Scan()
        # Live figures kept for nulls.
        self._last_waiting: dict[str, tuple[int, float]] = {}
        self._today: dict[str, QueueToday] = {}
        self._today_day: date | None = None
        self._today_at: float | None = None
        # Interval actuals of one local day, fetched forward from a cursor.
        self._iv_day: date | None = None
        self._iv_rows: dict[tuple[str, datetime], dict[str, Any]] = {}
        self._iv_cursor: datetime | None = None
        self._iv_at: float | None = None

    # --- calls ----------------------------------------------------------------------------

    def _bucket(self, op: str) -> TokenBucket:
        bucket = self._buckets.get(op)
        if bucket is None:
            rate, burst = self._rates.get(op, DEFAULT_API_RATE)
            # The config's budget can lower a rate, never raise it past Connect's quota.
            rate = min(rate, self.limits.max_requests_per_s)
            burst = max(1, min(burst, self.limits.burst))
            bucket = self._buckets[op] = TokenBucket(rate, burst)
        return bucket

    async def _client_now(self, dl: _Deadline) -> Any:
        if self._client is None:
            assert self._client_factory is not None
            from botocore.exceptions import BotoCoreError

            try:
                self._client = await asyncio.wait_for(
                    asyncio.to_thread(self._client_factory), max(dl.remaining(), 0.001)
                )
            except BotoCoreError as exc:
                raise self._boto_error("creating the client", exc) from None
            except TimeoutError:
                raise DeadlineExceeded(
                    f"{self.name}: the botocore client was not ready within the "
                    f"{dl.seconds:g} s poll deadline"
                ) from None
        return self._client

    async def _call(
        self, op: str, dl: _Deadline, *, optional: bool = False, write: bool = False,
        **params: Any,
    ) -> dict[str, Any] | None:
        """One Connect API call. ``optional``: only if a token is free now, else None (the
        lazy catalogue fills use spare capacity, never the poll's time)."""
        bucket = self._bucket(op)
        if optional:
            if not bucket.try_take():
                return None
        elif not await bucket.acquire(max_wait_s=dl.remaining()):
            raise BudgetExhausted(
                f"{self.name}: request budget for {op} ({bucket.rate_per_s:g}/s) used up "
                f"within the {dl.seconds:g} s poll deadline",
                retry_after_s=bucket.wait_s(),
            )
        client = await self._client_now(dl)
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(client, xform_name(op))
        self.http.requests_sent += 1
        log.debug("%s: calling %s%s", self.name, op,
                  " (next page)" if "NextToken" in params else "")
        timeout = asyncio.timeout(dl.remaining() or 0.001)
        try:
            async with timeout:
                answer: dict[str, Any] = await asyncio.to_thread(method, **params)
        except ClientError as exc:
            raise self._client_error(op, exc, write=write) from None
        except BotoCoreError as exc:
            raise self._boto_error(op, exc) from None
        except TimeoutError:
            if not timeout.expired():
                raise
            raise DeadlineExceeded(
                f"{self.name}: no answer to {op} within the {dl.seconds:g} s poll deadline"
            ) from None
        return answer

    def _client_error(self, op: str, exc: Any, *, write: bool) -> SourceError:
        response = getattr(exc, "response", None) or {}
        error = response.get("Error") or {}
        code = str(error.get("Code") or "")
        meta = response.get("ResponseMetadata") or {}
        status = meta.get("HTTPStatusCode")
        if code in _THROTTLE_CODES or status == 429:
            headers = meta.get("HTTPHeaders") or {}
            wait = None
            if headers.get("retry-after"):
                wait = parse_retry_after(str(headers["retry-after"]), self._now())
            wait = THROTTLE_RETRY_S if wait is None else wait
            return ConnectApiError(
                f"{self.name}: Amazon Connect throttled {op} ({code or 'HTTP 429'}); "
                f"next try in {wait:g} s",
                code=code, retry_after_s=wait,
            )
        if code in _AUTH_CODES:
            return ConnectApiError(
                f"{self.name}: AWS did not accept the credentials for {op} ({code}); check "
                "the profile, the keys and the region", code=code,
            )
        if code == "AccessDeniedException" or status == 403:
            message = (
                f"{self.name}: Amazon Connect refused {op} ({code or 'HTTP 403'}): the "
                f"credentials need the IAM permission connect:{op}"
            )
            return RejectedChange(message) if write else ConnectApiError(message, code=code)
        message = f"{self.name}: Amazon Connect {op} failed: {code or status}"
        detail = _one_line(error.get("Message"))
        if detail:
            message += f": {detail}"
        if write and code in _WRITE_REFUSED:
            return RejectedChange(message)
        return ConnectApiError(message, code=code)

    def _boto_error(self, op: str, exc: Exception) -> SourceError:
        from botocore import exceptions as bx

        kind = type(exc).__name__
        if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError
                      | bx.CredentialRetrievalError):
            return SourceError(
                f"{self.name}: no usable AWS credentials for {op} ({kind}); set a profile, "
                "the AWS_* environment variables or a credentials_file"
            )
        if isinstance(exc, bx.ProfileNotFound):
            return SourceError(f"{self.name}: AWS profile {self.opts.profile!r} not found")
        if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
            return SourceError(f"{self.name}: cannot reach Amazon Connect for {op}: {exc}")
        if isinstance(exc, bx.ReadTimeoutError):
            return SourceError(f"{self.name}: Amazon Connect did not answer {op} in time")
        if isinstance(exc, bx.HTTPClientError):
            return SourceError(f"{self.name}: the connection broke during {op} ({kind})")
        return SourceError(f"{self.name}: {op} failed in botocore ({kind})")

    async def _paged(
        self, op: str, dl: _Deadline, params: Mapping[str, Any], *, restartable: bool = False
    ) -> list[dict[str, Any]]:
        """Every page of a NextToken read. ``restartable``: a refused token (Connect's
        GetCurrentMetricData tokens expire after 5 minutes) starts the read over, once."""
        pages: list[dict[str, Any]] = []
        token: str | None = None
        restarted = False
        while True:
            request = dict(params)
            if token:
                request["NextToken"] = token
            try:
                page = await self._call(op, dl, **request)
            except ConnectApiError as exc:
                if token and restartable and not restarted and exc.code in _TOKEN_REFUSED:
                    log.info("%s: %s refused its NextToken (%s); reading again from the start",
                             self.name, op, exc.code)
                    restarted, pages, token = True, [], None
                    continue
                raise
            assert page is not None
            pages.append(page)
            token = page.get("NextToken") or None
            if token is None:
                return pages
            if len(pages) >= MAX_PAGES:
                raise SourceError(
                    f"{self.name}: {op} has more than {MAX_PAGES} pages; the floor would be "
                    "incomplete (watch fewer queues)"
                )

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    def _stale(self, at: float | None, ttl: float = CATALOGUE_TTL_S) -> bool:
        return at is None or self._mono() - at >= ttl

    # --- catalogues -------------------------------------------------------------------------

    async def _ensure_queues(self, dl: _Deadline) -> None:
        if not self._stale(self._queues_at):
            return
        pages = await self._paged("ListQueues", dl, {
            "InstanceId": self.opts.instance_id, "QueueTypes": ["STANDARD"], "MaxResults": 1000,
        })
        names: dict[str, str] = {}
        for page in pages:
            for q in page.get("QueueSummaryList") or ():
                qid = q.get("Id")
                if not qid:
                    continue
                names[str(qid)] = str(q.get("Name") or qid)
                if self._instance_arn is None and q.get("Arn"):
                    self._instance_arn = acp.instance_arn_from(str(q["Arn"]),
                                                               self.opts.instance_id)
        self._queue_names, self._queues_at = names, self._mono()
        missing = [q for q in self.opts.queues if q not in names]
        if missing:
            self._warn_once(f"queues:{missing}",
                            "%s: ListQueues does not list queue(s) %s; showing their ids",
                            self.name, ", ".join(missing))

    async def _ensure_statuses(self, dl: _Deadline, *, unknown: bool = False) -> None:
        if not self._stale(self._statuses_at) and not (
            unknown and self._stale(self._statuses_at, STATUS_REREAD_S)
        ):
            return
        pages = await self._paged("ListAgentStatuses", dl, {
            "InstanceId": self.opts.instance_id, "MaxResults": 1000,
        })
        self._statuses = {
            str(s["Arn"]): acp.StatusType(str(s.get("Name") or ""), str(s.get("Type") or ""))
            for page in pages for s in page.get("AgentStatusSummaryList") or () if s.get("Arn")
        }
        self._statuses_at = self._mono()

    async def _ensure_groups(self, dl: _Deadline) -> None:
        if not self._stale(self._groups_at):
            return
        pages = await self._paged("ListUserHierarchyGroups", dl, {
            "InstanceId": self.opts.instance_id, "MaxResults": 1000,
        })
        self._groups = {
            str(g["Id"]): str(g.get("Name") or "")
            for page in pages for g in page.get("UserHierarchyGroupSummaryList") or ()
            if g.get("Id")
        }
        self._groups_at = self._mono()

    async def _resource_arn(self, dl: _Deadline) -> str:
        """The instance ARN GetMetricDataV2 wants: from a queue's ARN (ListQueues), else
        from DescribeInstance."""
        if self._instance_arn is None:
            answer = await self._call("DescribeInstance", dl, InstanceId=self.opts.instance_id)
            arn = ((answer or {}).get("Instance") or {}).get("Arn")
            if not arn:
                raise SourceError(f"{self.name}: DescribeInstance gave no instance ARN")
            self._instance_arn = str(arn)
        return self._instance_arn

    async def _load_profile(
        self, profile_id: str, dl: _Deadline, *, optional: bool = False
    ) -> _Profile | None:
        params = {"InstanceId": self.opts.instance_id, "RoutingProfileId": profile_id,
                  "MaxResults": 100}
        first = await self._call("ListRoutingProfileQueues", dl, optional=optional, **params)
        if first is None:
            return None
        pages = [first]
        while token := pages[-1].get("NextToken"):
            if len(pages) >= MAX_PAGES:
                raise SourceError(f"{self.name}: ListRoutingProfileQueues has more than "
                                  f"{MAX_PAGES} pages for routing profile {profile_id}")
            page = await self._call("ListRoutingProfileQueues", dl, NextToken=token, **params)
            assert page is not None
            pages.append(page)
        queue_ids: set[str] = set()
        for page in pages:
            for cfg in page.get("RoutingProfileQueueConfigSummaryList") or ():
                qid = cfg.get("QueueId")
                if not qid:
                    continue
                queue_ids.add(str(qid))
                if cfg.get("Channel"):
                    self._queue_channels.setdefault(str(qid), set()).add(str(cfg["Channel"]))
        profile = _Profile(frozenset(queue_ids), self._mono())
        self._profiles[profile_id] = profile
        return profile

    async def _fill_profiles(self, users: Sequence[Mapping[str, Any]], dl: _Deadline) -> None:
        """Read the routing profiles agents are on, busiest first, with spare tokens only."""
        counts = Counter(
            str(rp) for u in users if (rp := (u.get("RoutingProfile") or {}).get("Id"))
        )
        missing = [rp for rp, _ in counts.most_common() if rp not in self._profiles]
        stale = [rp for rp, _ in counts.most_common()
                 if rp in self._profiles and self._stale(self._profiles[rp].fetched_at)]
        for rp in (missing + stale)[:LAZY_PROFILES_PER_POLL]:
            if await self._load_profile(rp, dl, optional=True) is None:
                return

    async def _profile_catalogue(self, dl: _Deadline) -> dict[str, _Profile]:
        """Every routing profile with its queue set (for a write: waits for tokens)."""
        if self._stale(self._profile_list_at):
            pages = await self._paged("ListRoutingProfiles", dl, {
                "InstanceId": self.opts.instance_id, "MaxResults": 1000,
            })
            self._profile_names = {
                str(p["Id"]): str(p.get("Name") or p["Id"])
                for page in pages for p in page.get("RoutingProfileSummaryList") or ()
                if p.get("Id")
            }
            self._profile_list_at = self._mono()
        out: dict[str, _Profile] = {}
        for rp in self._profile_names:
            profile = self._profiles.get(rp)
            if profile is None or self._stale(profile.fetched_at):
                profile = await self._load_profile(rp, dl)
            assert profile is not None
            out[rp] = profile
        return out

    def _remember_user(self, user: Mapping[str, Any]) -> None:
        uid = user.get("Id")
        if uid:
            group = user.get("HierarchyGroupId")
            self._users[str(uid)] = _User(acp.user_name(user), str(group) if group else None)

    async def _fill_users(self, dl: _Deadline) -> None:
        """The SearchUsers directory scan: a few pages a poll, again every 10 minutes."""
        scan = self._scan
        if not scan.running:
            if not self._stale(scan.done_at):
                return
            scan.running, scan.token = True, None
        for _ in range(LAZY_USER_PAGES_PER_POLL):
            params: dict[str, Any] = {"InstanceId": self.opts.instance_id,
                                      "MaxResults": USER_PAGE_SIZE}
            if scan.token:
                params["NextToken"] = scan.token
            try:
                page = await self._call("SearchUsers", dl, optional=True, **params)
            except ConnectApiError as exc:
                if scan.token and exc.code in _TOKEN_REFUSED:
                    scan.token = None  # an old token: the scan starts over
                    continue
                raise
            if page is None:
                return
            for user in page.get("Users") or ():
                self._remember_user(user)
            scan.token = page.get("NextToken") or None
            if scan.token is None:
                scan.running, scan.done_at = False, self._mono()
                return

    # --- live reads ------------------------------------------------------------------------

    async def _current_rows(
        self, dl: _Deadline
    ) -> tuple[dict[str, list[acp.CurrentRow]], datetime | None]:
        groupings = ["QUEUE", "CHANNEL"]
        by_queue: dict[str, list[acp.CurrentRow]] = {}
        snapshot: datetime | None = None
        for batch in _batches(self.opts.queues, QUEUE_BATCH):
            params = {
                "InstanceId": self.opts.instance_id,
                "Filters": {"Queues": batch, "Channels": list(self.opts.channels)},
                "Groupings": groupings,
                "CurrentMetrics": [dict(m) for m in acp.CURRENT_METRICS],
                "MaxResults": 100,
            }
            for page in await self._paged("GetCurrentMetricData", dl, params, restartable=True):
                taken = page.get("DataSnapshotTime")
                if taken is not None:
                    at = acp.to_utc(taken)
                    snapshot = at if snapshot is None else min(snapshot, at)
                rows = acp.current_rows(page.get("MetricResults") or (), grouped=bool(groupings))
                for row in rows:
                    by_queue.setdefault(row.queue_id, []).append(row)
        return by_queue, snapshot

    async def _current_users(self, dl: _Deadline) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for batch in _batches(self.opts.queues, QUEUE_BATCH):
            params = {"InstanceId": self.opts.instance_id, "Filters": {"Queues": batch},
                      "MaxResults": 100}
            for page in await self._paged("GetCurrentUserData", dl, params):
                for item in page.get("UserDataList") or ():
                    uid = (item.get("User") or {}).get("Id")
                    # An agent on several batches' queues comes back once per batch.
                    if uid and str(uid) not in seen:
                        seen[str(uid)] = item
        return list(seen.values())

    def _v2_params(
        self, arn: str, start: datetime, end: datetime, period: str, batch: list[str]
    ) -> dict[str, Any]:
        return {
            "ResourceArn": arn,
            "StartTime": start,
            "EndTime": end,
            "Interval": {"TimeZone": self.opts.time_zone, "IntervalPeriod": period},
            "Filters": [
                {"FilterKey": "QUEUE", "FilterValues": batch},
                {"FilterKey": "CHANNEL", "FilterValues": list(self.opts.channels)},
            ],
            "Groupings": ["QUEUE"],
            "Metrics": acp.v2_metrics(self.opts.sl_threshold_s),
            "MaxResults": 100,
        }

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, dtime(0), tzinfo=self._tz).astimezone(UTC)

    def _v2_end(self, now: datetime) -> datetime:
        return (now - V2_END_MARGIN).replace(microsecond=0)

    async def _today_counters(self, dl: _Deadline) -> dict[str, QueueToday]:
        now = self._now()
        day = now.astimezone(self._tz).date()
        if self._today_day == day and not self._stale(self._today_at, METRICS_TTL_S):
            return self._today
        previous = self._today if self._today_day == day else {}
        start, end = self._midnight(day), self._v2_end(now)
        result: dict[str, QueueToday] = {}
        if end > start:
            arn = await self._resource_arn(dl)
            for batch in _batches(self.opts.queues, QUEUE_BATCH):
                params = self._v2_params(arn, start, end, "TOTAL", batch)
                for page in await self._paged("GetMetricDataV2", dl, params):
                    for row in acp.v2_rows(page.get("MetricResults") or ()):
                        try:
                            counted = acp.counters(row.values, f"queue {row.queue_id} today")
                        except acp.MissingFigure as exc:
                            kept = previous.get(row.queue_id)
                            if kept is None:
                                raise SourceError(
                                    f"{self.name}: GetMetricDataV2: {exc}; no earlier "
                                    "figure to keep"
                                ) from None
                            log.warning("%s: GetMetricDataV2: %s; keeping the last counters",
                                        self.name, exc)
                            result[row.queue_id] = kept
                            continue
                        result[row.queue_id] = counted.today()
        zero = acp.ZERO_COUNTERS.today()
        for qid in self.opts.queues:
            result.setdefault(qid, zero)  # no row: no contact today
        self._today, self._today_day, self._today_at = result, day, self._mono()
        return result

    # --- the floor --------------------------------------------------------------------------

    async def fetch_floor(self) -> FloorSnapshot:
        dl = _Deadline(self.limits.poll_deadline_s)
        await self._ensure_queues(dl)
        await self._ensure_statuses(dl)
        await self._ensure_groups(dl)
        try:
            today = await self._today_counters(dl)
            # The two live reads back to back, so queues and agents are one moment.
            rows, snapshot_at = await self._current_rows(dl)
            users = await self._current_users(dl)
        except ValueError as exc:
            raise SourceError(f"{self.name}: unexpected value from Amazon Connect: {exc}") from None
        as_of = snapshot_at or self._now()
        if any(
            (u.get("Status") or {}).get("StatusArn") not in self._statuses
            for u in users if (u.get("Status") or {}).get("StatusArn")
        ):
            await self._ensure_statuses(dl, unknown=True)
        await self._fill_profiles(users, dl)
        await self._fill_users(dl)
        try:
            queues = tuple(self._queue(q, rows.get(q, []), today) for q in self.opts.queues)
            agents = tuple(self._agent(u, as_of) for u in users)
        except acp.MissingFigure as exc:
            raise SourceError(
                f"{self.name}: GetCurrentMetricData: {exc}; no earlier figure to keep"
            ) from None
        except ValueError as exc:
            raise SourceError(f"{self.name}: unexpected value from Amazon Connect: {exc}") from None
        return FloorSnapshot(source=self.name, as_of=as_of, site=self.opts.site,
                             queues=queues, agents=agents)

    def _queue(
        self, qid: str, rows: Sequence[acp.CurrentRow], today: Mapping[str, QueueToday]
    ) -> Queue:
        waiting, oldest = acp.queue_waiting(rows, self._last_waiting.get(qid), qid)
        self._last_waiting[qid] = (waiting, oldest)
        for row in rows:
            if row.channel and (row.in_queue or 0) > 0:
                self._queue_channels.setdefault(qid, set()).add(row.channel)
        return Queue(
            id=qid,
            name=self._queue_names.get(qid, qid),
            channel=acp.queue_channel(self._queue_channels.get(qid, ()), self.opts.channels),
            sl_threshold_s=float(self.opts.sl_threshold_s),
            sl_target=self.opts.sl_target,
            waiting=waiting,
            oldest_wait_s=oldest,
            today=today.get(qid) or acp.ZERO_COUNTERS.today(),
        )

    def _agent(self, item: Mapping[str, Any], as_of: datetime) -> Agent:
        uid = str((item.get("User") or {}).get("Id"))
        activity = acp.agent_activity(item, self._statuses, as_of)
        rp = str((item.get("RoutingProfile") or {}).get("Id") or "")
        profile = self._profiles.get(rp)
        queue_ids = tuple(sorted(profile.queue_ids)) if profile else ()
        known = self._users.get(uid)
        group = acp.deepest_group(item.get("HierarchyPath"))
        if group is None and known is not None:
            group = known.group_id
        return acp.make_agent(
            uid, activity,
            name=known.name if known else uid,
            team=self._groups.get(group, "") if group else "",
            queue_ids=queue_ids,
            version=membership_version(queue_ids, rp),
        )

    # --- one agent, and the write -----------------------------------------------------------

    async def fetch_agent(self, agent_id: str) -> Agent:
        dl = _Deadline(self.limits.poll_deadline_s)
        agent, _ = await self._read_agent(agent_id, dl)
        return agent

    async def _read_agent(
        self, agent_id: str, dl: _Deadline, *, profile_max_age_s: float = 0.0
    ) -> tuple[Agent, str]:
        """The agent now, and its routing profile id. The profile comes from DescribeUser
        (the configuration) and its queues are read afresh: this is the read a write
        checks its version against. An agent Connect does not list in GetCurrentUserData
        (logged out) is OFFLINE since now."""
        await self._ensure_queues(dl)
        await self._ensure_statuses(dl)
        await self._ensure_groups(dl)
        try:
            described = await self._call("DescribeUser", dl, InstanceId=self.opts.instance_id,
                                          UserId=agent_id)
        except ConnectApiError as exc:
            if exc.code == "ResourceNotFoundException":
                raise RejectedChange(f"{self.name}: no agent {agent_id!r} in Amazon "
                                     f"Connect instance {self.opts.instance_id}") from None
            raise
        user = (described or {}).get("User") or {}
        self._remember_user(user)
        rp = str(user.get("RoutingProfileId") or "")
        if rp:
            cached = self._profiles.get(rp)
            if cached is None or self._stale(cached.fetched_at, profile_max_age_s):
                await self._load_profile(rp, dl)
        page = await self._call("GetCurrentUserData", dl, InstanceId=self.opts.instance_id,
                                Filters={"Agents": [agent_id]}, MaxResults=100)
        listed = [i for i in (page or {}).get("UserDataList") or ()
                  if (i.get("User") or {}).get("Id") == agent_id]
        item: dict[str, Any] = dict(listed[0]) if listed else {"User": {"Id": agent_id}}
        # GetCurrentUserData can trail a routing profile change; DescribeUser is the setting.
        item["RoutingProfile"] = {"Id": rp}
        try:
            return self._agent(item, self._now()), rp
        except ValueError as exc:
            raise SourceError(f"{self.name}: unexpected value from Amazon Connect: {exc}") from None

    def _queue_list(self, queue_ids: Iterable[str]) -> str:
        names = sorted(self._queue_names.get(q, q) for q in queue_ids)
        return ", ".join(names) if names else "no queue"

    async def set_agent_queues(
        self, agent_id: str, queues: Sequence[str], expected_version: int
    ) -> Agent:
        dl = _Deadline(self.limits.poll_deadline_s)
        wanted = frozenset(_resource_id(q) for q in queues)
        current, current_rp = await self._read_agent(agent_id, dl)
        if current.version != expected_version:
            raise VersionConflict(
                f"{self.name}: agent {agent_id!r} changed since it was read "
                f"(version {expected_version} expected, {current.version} now)",
                current,
            )
        if frozenset(current.queue_ids) == wanted:
            return current
        profiles = await self._profile_catalogue(dl)
        matches = sorted(rp for rp, p in profiles.items() if p.queue_ids == wanted)
        if not matches:
            raise RejectedChange(
                f"{self.name}: no routing profile serves exactly {self._queue_list(wanted)}; "
                "create one in Amazon Connect, then reassign"
            )
        if len(matches) > 1:
            names = ", ".join(self._profile_names.get(rp, rp) for rp in matches)
            raise RejectedChange(
                f"{self.name}: routing profiles {names} all serve exactly "
                f"{self._queue_list(wanted)}; floorview will not choose between them"
            )
        target = matches[0]
        target_name = self._profile_names.get(target, target)
        if self._stale(profiles[target].fetched_at, REVERIFY_S):
            fresh = await self._load_profile(target, dl)
            if fresh is None or fresh.queue_ids != wanted:
                raise RejectedChange(f"{self.name}: routing profile {target_name} changed "
                                     "while it was chosen; try again")
        await self._call("UpdateUserRoutingProfile", dl, write=True,
                         InstanceId=self.opts.instance_id, UserId=agent_id,
                         RoutingProfileId=target)
        log.info("%s: agent %s moved from routing profile %s to %s", self.name, agent_id,
                 current_rp, target)
        after, rp = current, current_rp
        for attempt in range(REREAD_TRIES):
            after, rp = await self._read_agent(agent_id, dl, profile_max_age_s=REVERIFY_S)
            if rp == target:
                return after
            pause = REREAD_PAUSE_S * (attempt + 1)
            if attempt + 1 < REREAD_TRIES and dl.remaining() > pause + 1.0:
                await self._sleep(pause)
        # The write succeeded (Connect said so); its describe calls have not caught up.
        log.info("%s: Connect does not show agent %s on %s yet; reporting the change as made",
                 self.name, agent_id, target)
        queue_ids = tuple(sorted(wanted))
        return msgspec.structs.replace(
            after, queue_ids=queue_ids, version=membership_version(queue_ids, target)
        )

    # --- intervals --------------------------------------------------------------------------

    async def fetch_plan(self, day: date) -> DayPlan:
        """Today's interval actuals (15 min, GetMetricDataV2) and an empty forecast (the
        forecast comes from the forecast CSV).

        ``day`` is read in ``time_zone``: the feed asks by the UTC date of the snapshot,
        which is a day off from the local one for hours on end away from UTC, so any
        ``day`` within one day of the local today means the local today.
        """
        dl = _Deadline(self.limits.poll_deadline_s)
        now = self._now()
        today = now.astimezone(self._tz).date()
        target = today if abs((day - today).days) <= 1 else day
        if target > today:
            return DayPlan(day, now, empty_forecast(), _actuals_frame(()))
        try:
            await self._intervals(target, now, dl)
        except ValueError as exc:
            raise SourceError(f"{self.name}: unexpected value from Amazon Connect: {exc}") from None
        return DayPlan(day, now, empty_forecast(), _actuals_frame(self._iv_rows.values()))

    async def _intervals(self, day: date, now: datetime, dl: _Deadline) -> None:
        day_start = self._midnight(day)
        if self._iv_day != day:
            self._iv_day, self._iv_rows, self._iv_cursor, self._iv_at = day, {}, day_start, None
        if not self._stale(self._iv_at, METRICS_TTL_S):
            return
        horizon = min(self._v2_end(now), self._midnight(day + timedelta(days=1)))
        cursor = self._iv_cursor or day_start
        while cursor < horizon:
            window_end = min(horizon, cursor + V2_WINDOW)
            fetched = await self._interval_rows(cursor, window_end, dl)
            for key in [k for k in self._iv_rows if cursor <= k[1] < window_end]:
                del self._iv_rows[key]
            self._iv_rows.update(fetched)
            cursor = self._iv_cursor = window_end
            if cursor < horizon and dl.remaining() < dl.seconds / 2:
                # The backfill of a long day goes on at the next call.
                return
        settle_from = now - V2_SETTLE
        settle_from -= timedelta(minutes=settle_from.minute % 15, seconds=settle_from.second,
                                 microseconds=settle_from.microsecond)
        self._iv_cursor = max(day_start, min(cursor, settle_from))
        self._iv_at = self._mono()

    async def _interval_rows(
        self, start: datetime, end: datetime, dl: _Deadline
    ) -> dict[tuple[str, datetime], dict[str, Any]]:
        arn = await self._resource_arn(dl)
        rows: dict[tuple[str, datetime], dict[str, Any]] = {}
        unknown: set[tuple[str, datetime]] = set()
        for batch in _batches(self.opts.queues, QUEUE_BATCH):
            params = self._v2_params(arn, start, end, "FIFTEEN_MIN", batch)
            for page in await self._paged("GetMetricDataV2", dl, params):
                for row in acp.v2_rows(page.get("MetricResults") or ()):
                    if row.start is None:
                        continue
                    key = (row.queue_id, row.start)
                    try:
                        counted = acp.counters(
                            row.values, f"queue {row.queue_id} interval {row.start:%H:%M}Z"
                        )
                    except acp.MissingFigure as exc:
                        # Left out, not zeroed: the re-forecast skips a missing interval.
                        log.warning("%s: GetMetricDataV2: %s; interval left out", self.name, exc)
                        unknown.add(key)
                        continue
                    rows[key] = counted.actual(row.queue_id, row.start)
        # Connect gives no row for an interval without contacts; the re-forecast needs the
        # zero, or an empty interval would drop out of both its actual and its forecast.
        slot = start
        while slot < end:
            for qid in self.opts.queues:
                key = (qid, slot)
                if key not in rows and key not in unknown:
                    rows[key] = acp.ZERO_COUNTERS.actual(qid, slot)
            slot += INTERVAL
        return rows

    async def fetch_tickets(self) -> None:
        return None

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._owns_client and hasattr(client, "close"):
            await asyncio.to_thread(client.close)
