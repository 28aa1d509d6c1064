"""Fault injection for the simulator's HTTP server: latency, errors, broken bodies, drops.

``floorview sim --faults SPEC`` (and ``floorview demo --faults SPEC``) puts a
``FaultInjector`` in front of the Floor API so anyone can watch a client cope with a flaky
source. The spec grammar is documented in docs/floor-api.md, "Fault injection".

Faults never touch the model: the injector sits outside the Starlette app, draws from an
RNG of its own (seeded from ``SimConfig.seed``, apart from the simulator's streams) and
either answers in the model's place or mangles the answer the model gave. Since the model's
state follows the clock alone, a request the injector answers itself (an error status, a
drop) leaves the floor as it would be had the client not asked; only a ``PUT`` it refuses
is, as for a real outage, not applied.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import json
import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Every kind of fault, in the order a request's fate is drawn in.
KINDS = (
    "latency", "timeout", "5xx", "429", "malformed", "truncated", "drift", "drop", "trickle",
    "huge",
)
#: All but latency decide what the answer is, so at most one of them strikes a request and
#: their rates may add up to 1 at most. Latency only delays, and combines with any of them.
EXCLUSIVE_KINDS = KINDS[1:]

#: Never faulted, so a smoke test or a load balancer can always tell the server is up.
HEALTH_PATH = "/v1/health"

#: Response header naming the fault a response carries, for whoever watches with curl -i.
FAULT_HEADER = b"x-floorview-fault"

Headers = list[tuple[bytes, bytes]]

_ATTRIBUTE = {"5xx": "server_error", "429": "rate_limited"}
_RETRY = re.compile(r"\d+|date(\+\d+)?|junk|none")
_DEFAULT_RETRY_S = 2


def _attribute(kind: str) -> str:
    return _ATTRIBUTE.get(kind, kind)


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Per-request probabilities of each fault, and how each one behaves.

    Build one with ``parse_fault_spec``; the fields are validated here too, so a spec made
    in code fails as early and as clearly as one typed on the command line.
    """

    latency: float = 0.0
    latency_s: float = 1.0
    timeout: float = 0.0
    timeout_s: float = 60.0
    server_error: float = 0.0
    server_error_status: int = 503
    rate_limited: float = 0.0
    #: ``Retry-After`` of a 429: whole seconds, ``date`` or ``date+SECONDS`` for an
    #: HTTP-date, ``junk`` for a value no client can parse, ``none`` to leave it out.
    retry_after: str = str(_DEFAULT_RETRY_S)
    malformed: float = 0.0
    truncated: float = 0.0
    drift: float = 0.0
    drop: float = 0.0
    trickle: float = 0.0
    trickle_bytes_per_s: float = 1.0
    huge: float = 0.0
    huge_mb: float = 50.0
    #: Paths to fault (each with everything below it); empty faults every path but health.
    only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind in KINDS:
            rate = self.rate(kind)
            if not (0.0 <= rate <= 1.0):
                raise ValueError(f"{kind}: rate must be from 0 to 1, got {rate!r}")
        given = [kind for kind in EXCLUSIVE_KINDS if self.rate(kind) > 0]
        total = sum(self.rate(kind) for kind in given)
        # A little slack, so that rates like 0.1 + 0.2 + 0.7 still add up to 1.
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"the rates of {', '.join(given)} add up to {total:g}, more than 1 "
                "(a request gets one of them at most; only latency combines with the others)"
            )
        if not (self.latency_s >= 0.0 and math.isfinite(self.latency_s)):
            raise ValueError(f"latency: seconds must be 0 or more, got {self.latency_s!r}")
        if not (self.timeout_s > 0.0 and math.isfinite(self.timeout_s)):
            raise ValueError(f"timeout: seconds must be more than 0, got {self.timeout_s!r}")
        if not 500 <= self.server_error_status <= 599:
            raise ValueError(f"5xx: status must be 500..599, got {self.server_error_status!r}")
        if not _RETRY.fullmatch(self.retry_after):
            raise ValueError(
                "429: retry must be SECONDS, date, date+SECONDS, junk or none, "
                f"got {self.retry_after!r}"
            )
        if not (self.trickle_bytes_per_s > 0.0 and math.isfinite(self.trickle_bytes_per_s)):
            raise ValueError(
                f"trickle: bytes per second must be more than 0, got {self.trickle_bytes_per_s!r}"
            )
        if not (self.huge_mb > 0.0 and math.isfinite(self.huge_mb)):
            raise ValueError(f"huge: size in MB must be more than 0, got {self.huge_mb!r}")
        for path in self.only:
            if not path.startswith("/"):
                raise ValueError(f"only: a path must start with '/', got {path!r}")

    def rate(self, kind: str) -> float:
        value = getattr(self, _attribute(kind))
        assert isinstance(value, float | int)
        return float(value)

    def applies_to(self, path: str) -> bool:
        path = path.rstrip("/") or "/"
        if path == HEALTH_PATH:
            return False
        if not self.only:
            return True
        return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in self.only)

    def __str__(self) -> str:
        """The spec in the grammar ``parse_fault_spec`` reads, with defaults spelled out."""
        params: dict[str, str] = {
            "latency": f":{self.latency_s:g}",
            "timeout": f":{self.timeout_s:g}",
            "5xx": f":{self.server_error_status}",
            "429": f":retry={self.retry_after}",
            "trickle": f":{self.trickle_bytes_per_s:g}",
            "huge": f":{self.huge_mb:g}",
        }
        parts = [
            f"{kind}={self.rate(kind):g}{params.get(kind, '')}"
            for kind in KINDS
            if self.rate(kind) > 0
        ]
        parts += [f"only={path}" for path in self.only]
        return ",".join(parts)


def _number(item: str, what: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{item!r}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{item!r}: {what} must be a finite number, got {text!r}")
    return value


def _one_param(item: str, kind: str, params: list[str], usage: str) -> str | None:
    if not params:
        return None
    if len(params) > 1:
        raise ValueError(f"{item!r}: {kind} takes one parameter ({kind}=RATE:{usage})")
    return params[0]


def parse_fault_spec(text: str) -> FaultSpec:
    """Read a spec like ``"latency=0.3:2.0,5xx=0.1,429=0.05:retry=3"``.

    Raises ``ValueError`` with a message that quotes the part at fault.
    """
    values: dict[str, Any] = {}
    only: list[str] = []
    seen: set[str] = set()
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ValueError("empty fault spec: expected KIND=RATE[:PARAMS],... (e.g. 5xx=0.1)")
    for item in items:
        if not item:
            raise ValueError(f"empty item in fault spec {text!r} (a stray comma?)")
        kind, sep, rest = item.partition("=")
        kind = kind.strip().lower()
        if not sep:
            raise ValueError(f"{item!r}: expected KIND=RATE[:PARAMS]")
        if kind == "only":
            only.append(rest.strip())
            continue
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(KINDS)}, only)")
        if kind in seen:
            raise ValueError(f"{item!r}: fault {kind!r} given twice")
        seen.add(kind)
        rate_text, *params = (part.strip() for part in rest.split(":"))
        rate = _number(item, "rate", rate_text)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{item!r}: rate must be from 0 to 1, got {rate_text!r}")
        values[_attribute(kind)] = rate
        _parse_params(item, kind, params, values)
    try:
        return FaultSpec(only=tuple(only), **values)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _parse_params(item: str, kind: str, params: list[str], values: dict[str, Any]) -> None:
    if kind == "latency":
        if (param := _one_param(item, kind, params, "SECONDS")) is not None:
            values["latency_s"] = _number(item, "seconds", param)
    elif kind == "timeout":
        if (param := _one_param(item, kind, params, "SECONDS")) is not None:
            values["timeout_s"] = _number(item, "seconds", param)
    elif kind == "5xx":
        if (param := _one_param(item, kind, params, "STATUS")) is not None:
            if not param.isdigit():
                raise ValueError(f"{item!r}: status must be a number 500..599, got {param!r}")
            values["server_error_status"] = int(param)
    elif kind == "429":
        if (param := _one_param(item, kind, params, "retry=SECONDS|date|junk|none")) is not None:
            key, sep, value = param.partition("=")
            if key.strip() != "retry" or not sep:
                raise ValueError(
                    f"{item!r}: 429 takes retry=SECONDS, date, date+SECONDS, junk or none, "
                    f"got {param!r}"
                )
            values["retry_after"] = value.strip().lower()
    elif kind == "trickle":
        if (param := _one_param(item, kind, params, "BYTES_PER_S")) is not None:
            values["trickle_bytes_per_s"] = _number(item, "bytes per second", param)
    elif kind == "huge":
        if (param := _one_param(item, kind, params, "MB")) is not None:
            values["huge_mb"] = _number(item, "size in MB", param)
    elif params:
        raise ValueError(f"{item!r}: {kind} takes no parameters")


# --- The middleware ------------------------------------------------------------------------


class _Exchange:
    """One request's body, read up front so it can be replayed to the model after a delay,
    and a watch on the client hanging up, so no delay outlives the client's patience."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._body = b""
        self._replayed = False
        self._gone = asyncio.Event()
        self._watch: asyncio.Task[None] | None = None

    async def read_body(self) -> None:
        parts = []
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._gone.set()
                break
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        self._body = b"".join(parts)

    def watch(self) -> None:
        """Start noticing the client leaving (``gone``), without waiting for it."""
        if self._watch is None and not self._gone.is_set():
            self._watch = asyncio.create_task(self._wait_for_disconnect())

    async def _wait_for_disconnect(self) -> None:
        # Once the body is read, the server's receive() blocks until the client goes away
        # (or, in uvicorn, until the response is complete, which ends the watch just as well).
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._gone.set()

    @property
    def gone(self) -> bool:
        return self._gone.is_set()

    async def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the client leaves first; True if it is still there."""
        self.watch()
        try:
            await asyncio.wait_for(self._gone.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def wait_gone(self) -> None:
        self.watch()
        await self._gone.wait()

    async def receive(self) -> Message:
        """The receive channel the model sees: the buffered body, then the disconnect."""
        if not self._replayed:
            self._replayed = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        await self.wait_gone()
        return {"type": "http.disconnect"}

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()


@dataclass
class _Captured:
    status: int
    headers: Headers
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


def _with_length(headers: Headers, length: int | None) -> Headers:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return kept if length is None else [*kept, (b"content-length", str(length).encode())]


def _json_headers(fault: str, length: int | None) -> Headers:
    headers = [(b"content-type", b"application/json"), (FAULT_HEADER, fault.encode())]
    return _with_length(headers, length)


async def _send_whole(send: Send, status: int, headers: Headers, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _error_body(status: int, detail: str) -> bytes:
    try:
        code = http.HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        code = "server_error"
    return json.dumps({"error": code, "detail": detail}).encode()


def retry_after_value(setting: str, now: float | None = None) -> str | None:
    """The ``Retry-After`` header a 429 carries for a ``retry=`` setting (None: no header)."""
    if setting == "none":
        return None
    if setting == "junk":
        return "soon, probably"
    if setting.startswith("date"):
        delay = int(setting[5:]) if setting.startswith("date+") else _DEFAULT_RETRY_S
        when = (time.time() if now is None else now) + delay
        # An HTTP-date has whole seconds; rounding up keeps the wait at least ``delay``.
        return email.utils.formatdate(math.ceil(when), usegmt=True)
    return setting


# What a broken proxy or a half-deployed service may send with a 200 and a JSON content
# type: an HTML error page, Python's repr, a syntax error, nothing, invalid UTF-8.
_MALFORMED = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1></body></html>\n",
    b"{'api_version': 1, 'queues': [], 'agents': []}",
    b'{"api_version": 1,, "queues": []}',
    b"",
    b'{"api_version": 1, "site": "\xff\xfe"}',
)

# Keys whose drift a strict client need not notice: not read, optional, or nullable.
_DRIFT_IGNORED = frozenset({
    "api_version", "date", "interval_s", "aux_reason", "contact", "sentiment",
    "staffed_avg", "agents_effective", "assignee", "sla_due_at",
})
#: A value outside each enum of the Floor API.
_UNKNOWN_ENUM = {
    "state": "wrap_up", "channel": "video", "priority": "critical", "status": "escalated",
    "customer_tier": "diamond",
}


def _drift_candidates(
    node: Any, where: str, found: dict[str, list[tuple[dict[str, Any], str, str]]]
) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _drift_candidates(item, f"{where}[{i}]", found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        path = f"{where}.{key}" if where else key
        if isinstance(value, dict | list):
            if isinstance(value, list) and key not in _DRIFT_IGNORED:
                found["null"].append((node, key, path))
                found["missing"].append((node, key, path))
            _drift_candidates(value, path, found)
            continue
        if key in _DRIFT_IGNORED:
            continue
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if is_number:
            found["string"].append((node, key, path))
            found["null"].append((node, key, path))
        if key in _UNKNOWN_ENUM and isinstance(value, str):
            found["enum"].append((node, key, path))
        if is_number or isinstance(value, str):
            found["missing"].append((node, key, path))


def drift(document: Any, rng: random.Random) -> str | None:
    """Break ``document`` in place the way a source's schema drifts, one field per call:
    a number sent as a string, a null metric, an unknown enum value, or a missing field.

    Returns what was broken (e.g. ``"queues[2].waiting is a string"``), or None when the
    document has nothing to break.
    """
    found: dict[str, list[tuple[dict[str, Any], str, str]]] = {
        "string": [], "null": [], "enum": [], "missing": [],
    }
    _drift_candidates(document, "", found)
    variants = [name for name, targets in found.items() if targets]
    if not variants:
        return None
    variant = rng.choice(variants)
    node, key, path = rng.choice(found[variant])
    if variant == "string":
        node[key] = str(node[key])
        return f"{path} is a string"
    if variant == "null":
        node[key] = None
        return f"{path} is null"
    if variant == "enum":
        node[key] = _UNKNOWN_ENUM[key]
        return f"{path} is {node[key]!r}"
    del node[key]
    return f"{path} is missing"


class DroppedConnection(ConnectionError):
    """Raised in place of a drop when the server gives no way to close the connection."""


def _close_transport(send: Send) -> bool:
    # ASGI has no message for "hang up": a server answers an app that returns or raises
    # before responding with a 500. uvicorn's send is a bound method of the request cycle,
    # which holds the connection's transport; closing that is a real drop. This only works
    # with the injector outermost, where send is still the server's own.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        return False
    transport.close()
    return True


_HUGE_CHUNK = 64 * 1024


class FaultInjector:
    """ASGI middleware that answers some requests badly, as ``spec`` says."""

    def __init__(
        self, app: ASGIApp, spec: FaultSpec, seed: int, counter: Counter[str] | None = None
    ) -> None:
        self.app = app
        self.spec = spec
        # Seeded from strings so the streams are unrelated to any of the simulator's NumPy
        # streams under the same seed, and stable across Python runs. The details of a fault
        # (which bad body, which field drifts) come from a stream of their own, so that they
        # never shift which requests the following faults strike.
        self.rng = random.Random(f"floorview.sim.faults/{seed}")
        self.detail_rng = random.Random(f"floorview.sim.faults.details/{seed}")
        self.counter: Counter[str] = Counter() if counter is None else counter

    def draw(self) -> tuple[bool, str | None]:
        """Whether the next request is delayed, and which other fault (if any) it gets."""
        # Always two draws per request, so a request's fate depends only on how many came
        # before it, not on which faults they got.
        delayed = self.rng.random() < self.spec.latency
        u = self.rng.random()
        for kind in EXCLUSIVE_KINDS:
            rate = self.spec.rate(kind)
            if u < rate:
                return delayed, kind
            u -= rate
        return delayed, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.spec.applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        delayed, kind = self.draw()
        if not delayed and kind is None:
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(receive)
        try:
            await exchange.read_body()
            if delayed:
                self.counter["latency"] += 1
                if not await exchange.pause(self.spec.latency_s):
                    return
            if kind is None:
                await self.app(scope, exchange.receive, send)
            else:
                await self._inject(kind, scope, exchange, send)
        finally:
            exchange.close()

    async def _capture(self, scope: Scope, exchange: _Exchange) -> _Captured:
        """The model's whole answer, held back instead of sent."""
        captured = _Captured(500, [], b"")
        parts: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, exchange.receive, keep)
        captured.body = b"".join(parts)
        return captured

    async def _inject(self, kind: str, scope: Scope, exchange: _Exchange, send: Send) -> None:
        spec = self.spec
        if kind != "drift":
            # Drift is counted only once it found something to break.
            self.counter[kind] += 1
        if kind == "timeout":
            # Answered for real if the client is patient enough, like a slow server.
            if await exchange.pause(spec.timeout_s):
                await self.app(scope, exchange.receive, send)
        elif kind == "5xx":
            status = spec.server_error_status
            body = _error_body(status, f"fault injected by the simulator: HTTP {status}")
            await _send_whole(send, status, _json_headers("5xx", len(body)), body)
        elif kind == "429":
            body = _error_body(429, "fault injected by the simulator: rate limited")
            headers = _json_headers("429", len(body))
            if (retry := retry_after_value(spec.retry_after)) is not None:
                headers.append((b"retry-after", retry.encode()))
            await _send_whole(send, 429, headers, body)
        elif kind == "malformed":
            body = self.detail_rng.choice(_MALFORMED)
            await _send_whole(send, 200, _json_headers("malformed", len(body)), body)
        elif kind == "drop":
            if not _close_transport(send):
                raise DroppedConnection("fault injected by the simulator: connection dropped")
            # Returning before uvicorn notices the close would make it answer with a 500.
            await exchange.wait_gone()
        elif kind == "huge":
            await self._huge(send, exchange)
        else:
            await self._mangle(kind, scope, exchange, send)

    async def _mangle(self, kind: str, scope: Scope, exchange: _Exchange, send: Send) -> None:
        """Faults of the model's own answer: truncated, drift and trickle."""
        answer = await self._capture(scope, exchange)
        body, fault = answer.body, kind
        if kind == "truncated":
            body = body[: len(body) // 2]
        elif kind == "drift":
            broken = self._drifted(answer)
            if broken is not None:
                self.counter["drift"] += 1
                body, what = broken
                fault = f"drift; {what}"
            else:
                fault = ""
        headers = _with_length(answer.headers, len(body))
        if fault:
            headers.append((FAULT_HEADER, fault.encode()))
        if kind != "trickle":
            await _send_whole(send, answer.status, headers, body)
            return
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        rate = self.spec.trickle_bytes_per_s
        # At least a byte per send, and no more than ~20 sends a second at high rates.
        chunk = max(1, int(rate / 20))
        for start in range(0, len(body), chunk):
            if not await exchange.pause(chunk / rate):
                return
            piece = body[start : start + chunk]
            more = start + chunk < len(body)
            await send({"type": "http.response.body", "body": piece, "more_body": more})
        if not body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _drifted(self, answer: _Captured) -> tuple[bytes, str] | None:
        content_type = answer.header(b"content-type") or b""
        if answer.status != 200 or not content_type.startswith(b"application/json"):
            return None
        try:
            document = json.loads(answer.body)
        except ValueError:
            return None
        what = drift(document, self.detail_rng)
        if what is None:
            return None
        return json.dumps(document, ensure_ascii=False).encode(), what

    async def _huge(self, send: Send, exchange: _Exchange) -> None:
        # Valid JSON, sent chunked without a Content-Length, so only a client that caps the
        # bytes it reads is safe; built chunk by chunk, never whole in memory.
        head = b'{"api_version": 1, "padding": "'
        tail = b'"}'
        padding = max(0, int(self.spec.huge_mb * 1024 * 1024) - len(head) - len(tail))
        await send({
            "type": "http.response.start", "status": 200, "headers": _json_headers("huge", None),
        })
        await send({"type": "http.response.body", "body": head, "more_body": True})
        filler = b"x" * _HUGE_CHUNK
        exchange.watch()
        while padding > 0:
            if exchange.gone:
                return
            piece = filler if padding >= _HUGE_CHUNK else filler[:padding]
            padding -= len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": tail, "more_body": False})


def install(app: Starlette, spec: FaultSpec, seed: int, counter: Counter[str]) -> None:
    """Put a ``FaultInjector`` outside all of ``app``'s middleware, counting into ``counter``.

    Outermost, because Starlette's error middleware wraps ``send`` (hiding the server's
    connection a drop must close) and turns any escape into a 500. Wrapping the build, not
    the built stack, leaves ``add_middleware`` usable until the app first serves.
    """
    build = app.build_middleware_stack

    def build_with_faults() -> ASGIApp:
        return FaultInjector(build(), spec, seed, counter)

    app.build_middleware_stack = build_with_faults  # type: ignore[method-assign]


def describe(counter: Counter[str]) -> dict[str, int]:
    """The counts in the order of ``KINDS``, for a stable JSON body."""
    return {kind: counter[kind] for kind in KINDS if counter[kind]}


