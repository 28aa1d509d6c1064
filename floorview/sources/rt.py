"""The `rt` ticket source: Request Tracker 5 tickets near their due date, over REST2.

See docs/adapters/rt.md. One poll is a TicketSQL search,
``GET {url}/REST/2.0/tickets?query=…&fields=…&orderby=Due&order=ASC&per_page=100&page=N``,
read page by page (``pages`` / ``next_page``) up to ``max_tickets`` (at most 10 pages a poll;
the most urgent come first, so a cap cuts the least urgent).

Which tickets count: the ``query`` option's TicketSQL, by default every active ticket whose
Due date is set and falls before now + ``due_within_s`` (overdue ones included)::

    Status = '__Active__' AND Due > '1970-01-02' AND Due < 'now + 120 minutes'

RT reads an absolute date in a query in the API user's own time zone (RT::Date->Set with
Format 'unknown' and the default Timezone 'user'), so a UTC timestamp written by us would
be off by that user's offset. A relative date ('now + N minutes') is the same instant in
every zone, so the default uses one; the lower bound only has to exclude RT's "Not set"
date, 1970-01-01 00:00:00, which no time-zone offset moves past 1970-01-02. ``queues``
ANDs ``(Queue = 'A' OR Queue = 'B')`` onto the query, the default or the user's own.

Mapping (REST2 ``fields=`` with ``fields[Queue]=Name`` and ``fields[Owner]=Name,RealName``):

- ``sla_due_at`` = ``Due`` (RT's SLA core keeps the running SLA deadline there); RT's
  "Not set" (1970-01-01T00:00:00Z, or an empty value) is None.
- ``priority``: RT stores a number. It is named the way RT's PriorityAsString does it: the
  highest of ``priority_names`` (default low = 0, medium = 50, high = 100, RT 5's default
  scale) whose number it reaches; below them all, the number itself as text. A priority
  that already arrives as a name is lower-cased.
- ``group`` = the queue's name; without the SeeQueue right RT sends an empty name and the
  queue id is shown instead.
- ``assignee`` = the owner's RealName, else Name; the owner "Nobody" is None.
- ``customer_tier`` = the first value of custom field ``tier_field`` (read only when set;
  the API user needs SeeCustomField), else ``""``.
- ``status`` = RT's status name as given, lower-cased.

Errors: 401 and 403 become a SourceError naming the token; 429 and 5xx stay
HttpStatusErrors with their Retry-After, so the feed backs off. An auth token does not
expire on a timer, so there is no re-authentication.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from floorview.model import Ticket
from floorview.sources import parse as p
from floorview.sources.base import SourceError
from floorview.sources.credentials import load_secrets
from floorview.sources.http import HttpFetcher, HttpLimits, HttpStatusError
from floorview.sources.vendor import AdapterConfig
from floorview.text import clean_text

log = logging.getLogger(__name__)

REST_PATH = "/REST/2.0"
DEFAULT_DUE_WITHIN_S = 7200.0
DEFAULT_MAX_TICKETS = 300
#: REST2 caps per_page at 100 (RT::REST2::Resource::Collection::setup_paging).
PAGE_SIZE = 100
MAX_PAGES = 10
#: RT 5's default %PriorityAsString scale, lower-cased as the model wants it.
DEFAULT_PRIORITY_NAMES: Mapping[str, int] = {"low": 0, "medium": 50, "high": 100}
FIELDS = "Subject,Status,Priority,Due,Created,Queue,Owner"
NOBODY = "Nobody"
#: RT's "Not set" date is the Unix epoch; anything at or before it is unset.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ticketsql_quote(value: str) -> str:
    """A TicketSQL string literal: RT's parser takes backslash escapes inside quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def default_query(due_within_s: float) -> str:
    minutes = max(1, math.ceil(due_within_s / 60))
    return (f"Status = '__Active__' AND Due > '1970-01-02' "
            f"AND Due < 'now + {minutes} minutes'")


def build_query(query: str | None, due_within_s: float, queues: tuple[str, ...]) -> str:
    sql = query if query else default_query(due_within_s)
    if queues:
        either = " OR ".join(f"Queue = {ticketsql_quote(q)}" for q in queues)
        sql = f"({sql}) AND ({either})"
    return sql


def priority_text(value: Any, names: Mapping[str, int]) -> str:
    """RT's numeric priority as a name, the way RT's PriorityAsString picks it: the highest
    level the number reaches. ValueError for a value that is neither a number nor a name."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        return clean_text(value).lower()
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a number, got {value!r}"[:80])
    number = int(value)
    for name, floor in sorted(names.items(), key=lambda kv: kv[1], reverse=True):
        if number >= floor:
            return name
    return str(number)


def _rt_time(item: Mapping[str, Any], key: str, where: str) -> datetime | None:
    if not item.get(key):
        return None
    at = p.timestamp(dict(item), key, where)
    return None if at <= _EPOCH else at


class RtSource:
    """Polls one Request Tracker 5 instance's REST2 API for tickets near their due date."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        authorization: str,
        query: str,
        tier_field: str | None = None,
        max_tickets: int = DEFAULT_MAX_TICKETS,
        priority_names: Mapping[str, int] = DEFAULT_PRIORITY_NAMES,
        limits: HttpLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self._label = f"{name} tickets"
        self.query = query
        self._tier_field = tier_field
        self._max_tickets = max_tickets
        self._priority_names = dict(priority_names)
        # The token goes into this one header, built once; no message or log line shows it.
        self.http = HttpFetcher(self._label, base_url, limits=limits, transport=transport,
                                headers={"Authorization": authorization})

    def _params(self, page: int) -> dict[str, str]:
        fields = FIELDS + (",CustomFields" if self._tier_field else "")
        return {
            "query": self.query,
            "fields": fields,
            "fields[Queue]": "Name",
            "fields[Owner]": "Name,RealName",
            "orderby": "Due",
            "order": "ASC",
            "per_page": str(PAGE_SIZE),
            "page": str(page),
        }

    async def fetch_tickets(self) -> tuple[Ticket, ...]:
        pages = min(MAX_PAGES, math.ceil(self._max_tickets / PAGE_SIZE))
        out: list[Ticket] = []
        try:
            for page in range(1, pages + 1):
                answer = await self.http.request("GET", f"{REST_PATH}/tickets",
                                                 params=self._params(page))
                data = p.obj(answer.json(), "tickets")
                items = p.array(data, "items", "tickets")
                for i, item in enumerate(items):
                    out.append(self._ticket(p.obj(item, f"items[{i}]")))
                    if len(out) >= self._max_tickets:
                        if i + 1 < len(items) or data.get("next_page"):
                            log.warning("%s: more than max_tickets=%d tickets match; showing "
                                        "the %d due first", self._label, self._max_tickets,
                                        self._max_tickets)
                        return tuple(out)
                last = data.get("pages")
                if not data.get("next_page") or (isinstance(last, int) and page >= last):
                    return tuple(out)
            log.warning("%s: the search has more than %d pages; the rest is not read",
                        self._label, pages)
            return tuple(out)
        except HttpStatusError as exc:
            raise self._status_error(exc) from None
        except p.SchemaError as exc:
            raise SourceError(f"{self._label}: RT sent {exc}") from None

    async def aclose(self) -> None:
        await self.http.aclose()

    def _ticket(self, item: dict[str, Any]) -> Ticket:
        where = f"ticket {item.get('id')!r}"
        ticket_id = item.get("id")
        if isinstance(ticket_id, bool) or not isinstance(ticket_id, int | str) or \
                not str(ticket_id).strip():
            raise p.SchemaError(f"{where}.id", "expected a ticket id")
        try:
            priority = priority_text(item.get("Priority"), self._priority_names)
        except ValueError as exc:
            raise p.SchemaError(f"{where}.Priority", str(exc)) from None
        return Ticket(
            id=clean_text(str(ticket_id)),
            subject=p.text(item, "Subject", where) if item.get("Subject") else "",
            priority=priority,
            status=p.text(item, "Status", where).lower(),
            customer_tier=self._tier(item),
            created_at=p.timestamp(item, "Created", where),
            sla_due_at=_rt_time(item, "Due", where),
            assignee=_owner(item.get("Owner")),
            group=_queue(item.get("Queue")),
        )

    def _tier(self, item: Mapping[str, Any]) -> str:
        if not self._tier_field:
            return ""
        wanted = self._tier_field.casefold()
        cfs = item.get("CustomFields")
        if not isinstance(cfs, list):
            return ""
        for cf in cfs:
            if isinstance(cf, dict) and str(cf.get("name", "")).casefold() == wanted:
                values = cf.get("values")
                if isinstance(values, list):
                    for v in values:
                        if isinstance(v, str | int | float) and str(v).strip():
                            return clean_text(str(v))
                return ""
        return ""

    def _status_error(self, exc: HttpStatusError) -> SourceError:
        detail = str(exc).removeprefix(f"{self._label}: ")
        if exc.status == 401:
            return SourceError(
                f"{self._label}: RT refused the token ({detail}); check token (an RT auth "
                f"token, sent as 'Authorization: token …')"
            )
        if exc.status == 403:
            return SourceError(
                f"{self._label}: RT denied access ({detail}); the user behind token needs "
                f"ShowTicket and SeeQueue on the watched queues"
            )
        return exc


def _owner(owner: Any) -> str | None:
    if not isinstance(owner, dict):
        return None
    name = owner.get("Name") or owner.get("id")
    if not isinstance(name, str) or not name or name == NOBODY:
        return None
    real = owner.get("RealName")
    return clean_text(real if isinstance(real, str) and real.strip() else name)


def _queue(queue: Any) -> str:
    if not isinstance(queue, dict):
        return ""
    name = queue.get("Name")
    if isinstance(name, str) and name.strip():
        return clean_text(name)
    queue_id = queue.get("id")
    return "" if queue_id is None else clean_text(str(queue_id))


def _priority_names(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ValueError(f"priority_names: must be a table of name = number, got {value!r}")
    out: dict[str, int] = {}
    for name, number in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"priority_names: {name!r} is not a name")
        if isinstance(number, bool) or not isinstance(number, int):
            raise ValueError(f"priority_names.{name}: must be a whole number, got {number!r}")
        out[name.strip().lower()] = number
    return out


def from_config(
    config: AdapterConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> RtSource:
    url = config.url or config.opt("url")
    if not url:
        raise ValueError("url: RT's base address is required, e.g. https://rt.example.com")
    base = str(url).rstrip("/")
    if base.endswith(REST_PATH):
        base = base[: -len(REST_PATH)]
    token = load_secrets(f"{config.name}.tickets", ["token"], config.options,
                         environ=config.environ)["token"]
    due_within_s = float(config.opt("due_within_s", DEFAULT_DUE_WITHIN_S))
    if not 0 <= due_within_s < math.inf:
        raise ValueError(f"due_within_s: must be 0 or more seconds, got {due_within_s!r}")
    queues = tuple(str(q) for q in config.opt("queues", ()))
    max_tickets = int(config.opt("max_tickets", DEFAULT_MAX_TICKETS))
    if max_tickets < 1:
        raise ValueError(f"max_tickets: must be at least 1, got {max_tickets}")
    tier_field = config.opt("tier_field")
    return RtSource(
        config.name,
        base,
        authorization=f"token {token.reveal()}",
        query=build_query(config.opt("query"), due_within_s, queues),
        tier_field=str(tier_field) if tier_field else None,
        max_tickets=max_tickets,
        priority_names=_priority_names(config.opt("priority_names", DEFAULT_PRIORITY_NAMES)),
        limits=config.limits,
        transport=transport,
    )
