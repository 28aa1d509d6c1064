"""The `zendesk` ticket source: escalated, unsolved Zendesk tickets (docs/adapters/zendesk.md).

Zendesk has no "escalated" flag. A ticket counts as escalated when ANY of the configured
predicates holds: it carries one of ``escalated_tags``, its priority is one of
``escalated_priorities``, its group is one of ``escalated_group_ids``, or custom field
``escalated_field_id`` holds one of ``escalated_field_values``.

One poll:

1. Search API, one query per predicate value (``type:ticket status<solved tags:escalated``,
   ``... priority:urgent``, ``... group:123``, ``... custom_field_456:"gold"``), ids united.
   One query per value, because the search syntax has no OR between different keywords;
   several short queries are exact where one clever query would be a guess. The Search API
   gives at most 100 results a page and 1,000 a query (page 11 answers 422), so each query
   reads at most ``min(10, ceil(max_tickets / 100))`` pages, oldest tickets first, and the
   union stops at ``max_tickets``.
2. ``tickets/show_many.json?ids=…&include=slas`` (100 ids a call) re-reads every hit. The
   search index lags the tickets by minutes, so a hit is checked again against the
   predicates and the status on the fresh copy; one that no longer qualifies is dropped.
   A ticket escalated a minute ago may not be found until the index catches up.
3. Names: ``groups.json`` (every group, cached 10 minutes) and ``users/show_many.json``
   (assignees not yet cached, 10 minutes each).

Choices where Zendesk gives no figure:

- ``sla_due_at`` is the earliest ``breach_at`` among the ticket's SLA policy metrics whose
  ``stage`` is ``active``. Paused and achieved metrics have no running clock and do not
  count. No active metric: None, except that a ``task`` ticket's own ``due_at`` is used, as
  the only deadline Zendesk keeps for it.
- ``priority``: Zendesk's value as given (``urgent``, ``high``, ``normal``, ``low``); a
  ticket without a priority gets ``""``, not an invented ``normal``.
- ``group`` and ``assignee``: names; a group or user the look-up does not return (deleted,
  or hidden from the API user) shows as its numeric id. No group: ``""``; no assignee: None.
- ``customer_tier``: the value of custom field ``tier_field_id`` (several values of a
  multi-select joined with ", "), ``""`` when unset or not configured.

Errors: 401 and 403 become a SourceError naming the credential to check; 429 (with
Retry-After) and 5xx stay HttpStatusErrors, so the feed backs off for as long as asked.
Zendesk reports the remaining budget in ``X-Rate-Limit-Remaining``; it is logged at DEBUG.
API tokens and OAuth tokens do not expire on a timer, so there is no re-authentication.
"""

from __future__ import annotations

import base64
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from floorview.model import Ticket
from floorview.sources import parse as p
from floorview.sources.base import SourceError
from floorview.sources.credentials import CredentialError, load_secrets
from floorview.sources.http import HttpFetcher, HttpLimits, HttpStatusError
from floorview.sources.vendor import AdapterConfig
from floorview.text import clean_text

log = logging.getLogger(__name__)

PRIORITIES = ("urgent", "high", "normal", "low")
DEFAULT_ESCALATED_TAGS = ("escalated",)
DEFAULT_MAX_TICKETS = 300
#: The Search API's page size limit, and its 1,000-result ceiling in pages.
SEARCH_PAGE_SIZE = 100
SEARCH_MAX_PAGES = 10
#: show_many takes at most 100 ids a call (tickets and users alike).
SHOW_MANY_MAX = 100
#: Group list pages read per refresh: 2,000 groups is far beyond any support desk.
GROUP_MAX_PAGES = 20
NAME_TTL_S = 600.0
#: A group id missing from a fresh list is looked for again no sooner than this.
GROUP_MISS_RETRY_S = 60.0

_UNSOLVED = frozenset({"new", "open", "pending", "hold"})
# A value the search syntax takes bare: no space, quote, colon or comparison character.
_BARE_VALUE = re.compile(r"[^\s\"':<>=()]+")


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """What counts as escalated: the OR of every configured predicate."""

    tags: tuple[str, ...] = DEFAULT_ESCALATED_TAGS
    priorities: tuple[str, ...] = ()
    group_ids: tuple[int, ...] = ()
    field_id: int | None = None
    field_values: tuple[str, ...] = ()

    def search_terms(self) -> list[str]:
        """One search term per predicate value; each becomes its own query."""
        terms = [f"tags:{_search_value(t)}" for t in self.tags]
        terms += [f"priority:{p_}" for p_ in self.priorities]
        terms += [f"group:{g}" for g in self.group_ids]
        if self.field_id is not None:
            terms += [f"custom_field_{self.field_id}:{_search_value(v)}"
                      for v in self.field_values]
        return terms

    def matches(self, ticket: Mapping[str, Any]) -> bool:
        tags = ticket.get("tags")
        if isinstance(tags, list) and self.tags:
            have = {t.casefold() for t in tags if isinstance(t, str)}
            if any(t.casefold() in have for t in self.tags):
                return True
        if ticket.get("priority") in self.priorities:
            return True
        group_id = ticket.get("group_id")
        if isinstance(group_id, int) and group_id in self.group_ids:
            return True
        if self.field_id is not None:
            wanted = {v.casefold() for v in self.field_values}
            values = _field_values(ticket, self.field_id)
            if any(v.casefold() in wanted for v in values):
                return True
        return False


def _search_value(value: str) -> str:
    if _BARE_VALUE.fullmatch(value):
        return value
    return '"' + value.replace('"', "") + '"'


def _field_values(ticket: Mapping[str, Any], field_id: int) -> list[str]:
    """A custom field's value(s) as text: a multi-select is a list, a checkbox a bool."""
    fields = ticket.get("custom_fields")
    if not isinstance(fields, list):
        return []
    for f in fields:
        if isinstance(f, dict) and f.get("id") == field_id:
            value = f.get("value")
            items = value if isinstance(value, list) else [value]
            out = []
            for item in items:
                if isinstance(item, bool):
                    out.append("true" if item else "false")
                elif isinstance(item, str | int | float):
                    out.append(str(item))
            return out
    return []


def rule_from_options(config: AdapterConfig) -> EscalationRule:
    """The escalation predicates from a config's options; ValueError for bad values."""
    tags = tuple(str(t).strip() for t in config.opt("escalated_tags", DEFAULT_ESCALATED_TAGS))
    for tag in tags:
        if not tag or any(ch.isspace() for ch in tag):
            raise ValueError(f"escalated_tags: {tag!r} is not a Zendesk tag (no spaces)")
    priorities = tuple(str(v).lower() for v in config.opt("escalated_priorities", ()))
    for prio in priorities:
        if prio not in PRIORITIES:
            raise ValueError(
                f"escalated_priorities: {prio!r} is not one of {', '.join(PRIORITIES)}"
            )
    group_ids = tuple(int(g) for g in config.opt("escalated_group_ids", ()))
    field_id = config.opt("escalated_field_id")
    field_values = tuple(str(v) for v in config.opt("escalated_field_values", ()))
    if (field_id is None) != (not field_values):
        raise ValueError("escalated_field_id and escalated_field_values go together")
    rule = EscalationRule(tags, priorities, group_ids,
                          None if field_id is None else int(field_id), field_values)
    if not rule.search_terms():
        raise ValueError(
            "nothing counts as escalated: set escalated_tags, escalated_priorities, "
            "escalated_group_ids or escalated_field_id with escalated_field_values"
        )
    return rule


class ZendeskSource:
    """Polls one Zendesk Support account for escalated, unsolved tickets."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        authorization: str,
        rule: EscalationRule,
        tier_field_id: int | None = None,
        max_tickets: int = DEFAULT_MAX_TICKETS,
        limits: HttpLimits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._label = f"{name} tickets"
        self._rule = rule
        self._tier_field_id = tier_field_id
        self._max_tickets = max_tickets
        self._clock = clock
        # The header is built once, here, from the revealed secret; HttpFetcher sends it
        # with every request and no message or log line ever shows headers.
        self.http = HttpFetcher(self._label, base_url, limits=limits, transport=transport,
                                headers={"Authorization": authorization})
        self._groups: dict[int, str] = {}
        self._groups_at: float | None = None
        self._users: dict[int, tuple[str | None, float]] = {}
        #: The last X-Rate-Limit-Remaining Zendesk sent, for the debug log and tests.
        self.rate_limit_remaining: int | None = None

    # --- the poll -------------------------------------------------------------------------

    async def fetch_tickets(self) -> tuple[Ticket, ...]:
        try:
            ids = await self._search_ids()
            fresh = await self._read_tickets(ids)
            kept = [t for t in fresh if _unsolved(t) and self._rule.matches(t)]
            if len(kept) < len(fresh):
                log.debug("%s: %d search hits no longer escalated or unsolved",
                          self._label, len(fresh) - len(kept))
            groups = await self._group_names(
                {g for t in kept if isinstance(g := t.get("group_id"), int)})
            users = await self._user_names(
                {a for t in kept if isinstance(a := t.get("assignee_id"), int)})
            return tuple(self._ticket(t, groups, users) for t in kept)
        except HttpStatusError as exc:
            raise self._status_error(exc) from None
        except p.SchemaError as exc:
            raise SourceError(f"{self._label}: Zendesk sent {exc}") from None

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- requests -------------------------------------------------------------------------

    async def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        answer = await self.http.request("GET", path, params=params)
        remaining = answer.headers.get("x-rate-limit-remaining")
        if remaining is not None and remaining.isdigit():
            self.rate_limit_remaining = int(remaining)
            log.debug("%s: %s rate limit remaining %s of %s", self._label, path, remaining,
                      answer.headers.get("x-rate-limit", "?"))
        return p.obj(answer.json(), path)

    async def _search_ids(self) -> list[int]:
        pages = min(SEARCH_MAX_PAGES, math.ceil(self._max_tickets / SEARCH_PAGE_SIZE))
        found: dict[int, None] = {}  # insertion-ordered set: oldest first, per query
        for term in self._rule.search_terms():
            query = f"type:ticket status<solved {term}"
            for page in range(1, pages + 1):
                data = await self._get("/api/v2/search.json", {
                    "query": query, "sort_by": "created_at", "sort_order": "asc",
                    "per_page": str(SEARCH_PAGE_SIZE), "page": str(page),
                })
                results = p.array(data, "results", "search")
                for i, r in enumerate(results):
                    r = p.obj(r, f"search.results[{i}]")
                    if r.get("result_type", "ticket") == "ticket":
                        found[p.count(r, "id", f"search.results[{i}]")] = None
                if len(found) >= self._max_tickets:
                    log.warning("%s: more than max_tickets=%d escalated tickets; showing "
                                "the first %d", self._label, self._max_tickets,
                                self._max_tickets)
                    return list(found)[: self._max_tickets]
                if not data.get("next_page"):
                    break
            else:
                log.warning("%s: search %r has more than %d pages; the rest is not read",
                            self._label, query, pages)
        return list(found)

    async def _read_tickets(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for chunk in _chunks(ids, SHOW_MANY_MAX):
            data = await self._get("/api/v2/tickets/show_many.json", {
                "ids": ",".join(map(str, chunk)), "include": "slas",
            })
            tickets = p.array(data, "tickets", "show_many")
            out += [p.obj(t, f"show_many.tickets[{i}]") for i, t in enumerate(tickets)]
        # show_many's order is not promised; keep the search's (oldest first).
        rank = {ticket_id: i for i, ticket_id in enumerate(ids)}

        def order(t: dict[str, Any]) -> int:
            ticket_id = t.get("id")
            return rank.get(ticket_id, len(rank)) if isinstance(ticket_id, int) else len(rank)

        out.sort(key=order)
        return out

    async def _group_names(self, needed: set[int]) -> dict[int, str]:
        now = self._clock()
        age = math.inf if self._groups_at is None else now - self._groups_at
        missing = needed - self._groups.keys()
        if needed and (age >= NAME_TTL_S or (missing and age >= GROUP_MISS_RETRY_S)):
            groups: dict[int, str] = {}
            for page in range(1, GROUP_MAX_PAGES + 1):
                data = await self._get("/api/v2/groups.json",
                                       {"per_page": "100", "page": str(page)})
                for i, g in enumerate(p.array(data, "groups", "groups")):
                    where = f"groups[{i}]"
                    g = p.obj(g, where)
                    groups[p.count(g, "id", where)] = p.text(g, "name", where)
                if not data.get("next_page"):
                    break
            self._groups, self._groups_at = groups, now
        return self._groups

    async def _user_names(self, needed: set[int]) -> dict[int, str | None]:
        now = self._clock()
        stale = sorted(u for u in needed
                       if u not in self._users or now - self._users[u][1] >= NAME_TTL_S)
        for chunk in _chunks(stale, SHOW_MANY_MAX):
            data = await self._get("/api/v2/users/show_many.json",
                                   {"ids": ",".join(map(str, chunk))})
            got: dict[int, str] = {}
            for i, u in enumerate(p.array(data, "users", "users")):
                where = f"users[{i}]"
                u = p.obj(u, where)
                got[p.count(u, "id", where)] = p.text(u, "name", where)
            for user_id in chunk:
                # A miss is remembered too, so a deleted agent costs one look-up per TTL.
                self._users[user_id] = (got.get(user_id), now)
        return {u: self._users[u][0] for u in needed}

    # --- mapping --------------------------------------------------------------------------

    def _ticket(self, t: dict[str, Any], groups: Mapping[int, str],
                users: Mapping[int, str | None]) -> Ticket:
        where = f"ticket {t.get('id')!r}"
        ticket_id = p.count(t, "id", where)
        group_id = t.get("group_id")
        assignee_id = t.get("assignee_id")
        tier = ""
        if self._tier_field_id is not None:
            tier = ", ".join(_field_values(t, self._tier_field_id))
        return Ticket(
            id=str(ticket_id),
            subject=p.text(t, "subject", where) if t.get("subject") is not None else "",
            priority=(p.text(t, "priority", where).lower()
                      if t.get("priority") is not None else ""),
            status=p.text(t, "status", where).lower(),
            customer_tier=clean_text(tier),
            created_at=p.timestamp(t, "created_at", where),
            sla_due_at=_sla_due(t, where),
            assignee=(None if not isinstance(assignee_id, int)
                      else users.get(assignee_id) or str(assignee_id)),
            group=("" if not isinstance(group_id, int)
                   else groups.get(group_id) or str(group_id)),
        )

    def _status_error(self, exc: HttpStatusError) -> SourceError:
        detail = str(exc).removeprefix(f"{self._label}: ")
        if exc.status == 401:
            return SourceError(
                f"{self._label}: Zendesk refused the credentials ({detail}); check email with "
                f"api_token, or oauth_token"
            )
        if exc.status == 403:
            return SourceError(
                f"{self._label}: Zendesk denied access ({detail}); the user behind api_token "
                f"or oauth_token must be an agent who can see these tickets (OAuth scope: "
                f"read)"
            )
        return exc


def _unsolved(t: Mapping[str, Any]) -> bool:
    status = t.get("status")
    return isinstance(status, str) and status.lower() in _UNSOLVED


def _sla_due(t: Mapping[str, Any], where: str) -> datetime | None:
    """The earliest running SLA deadline: active metrics only (paused/achieved have none)."""
    slas = t.get("slas")
    metrics = slas.get("policy_metrics") if isinstance(slas, dict) else None
    due: datetime | None = None
    if isinstance(metrics, list):
        for i, m in enumerate(metrics):
            if isinstance(m, dict) and m.get("stage") == "active" and m.get("breach_at"):
                at = p.timestamp(m, "breach_at", f"{where}.slas.policy_metrics[{i}]")
                due = at if due is None or at < due else due
    if due is None and t.get("type") == "task" and t.get("due_at"):
        due = p.timestamp(t, "due_at", where)
    return due


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def authorization_header(
    email: str | None, api_token: str | None, oauth_token: str | None
) -> str:
    """Zendesk's two ways in: ``{email}/token:{api_token}`` Basic auth, or an OAuth bearer."""
    if oauth_token is not None:
        return f"Bearer {oauth_token}"
    assert api_token is not None and email is not None
    raw = f"{email}/token:{api_token}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def from_config(
    config: AdapterConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> ZendeskSource:
    url = config.url or config.opt("url")
    if not url:
        raise ValueError("url: the Zendesk account's address is required, "
                         "e.g. https://acme.zendesk.com")
    where = f"{config.name}.tickets"
    secrets = load_secrets(where, [], config.options, optional=("api_token", "oauth_token"),
                           environ=config.environ)
    for name in ("api_token", "oauth_token"):
        env_name = config.opt(f"{name}_env")
        if isinstance(env_name, str) and name not in secrets:
            raise CredentialError(
                f"sources.{where}.{name}_env: environment variable {env_name} is not set"
            )
    if "api_token" in secrets and "oauth_token" in secrets:
        raise CredentialError(f"sources.{where}: give api_token or oauth_token, not both")
    if not secrets:
        raise CredentialError(
            f"sources.{where}: no api_token or oauth_token: set api_token_env (with email) "
            f"or oauth_token_env to an environment variable's name, or put one of them in a "
            f"credentials_file (mode 600)"
        )
    email = config.opt("email")
    if "api_token" in secrets and not email:
        raise ValueError("email: api_token authenticates as an agent; give that agent's email")
    tier = config.opt("tier_field_id")
    max_tickets = int(config.opt("max_tickets", DEFAULT_MAX_TICKETS))
    if max_tickets < 1:
        raise ValueError(f"max_tickets: must be at least 1, got {max_tickets}")
    api_token, oauth_token = secrets.get("api_token"), secrets.get("oauth_token")
    return ZendeskSource(
        config.name,
        str(url),
        authorization=authorization_header(
            email, None if api_token is None else api_token.reveal(),
            None if oauth_token is None else oauth_token.reveal(),
        ),
        rule=rule_from_options(config),
        tier_field_id=None if tier is None else int(tier),
        max_tickets=max_tickets,
        limits=config.limits,
        transport=transport,
    )
