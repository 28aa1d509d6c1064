"""The Floor API v1 over HTTP: a Starlette app around one ``Simulator``.

There is no background thread: before answering, each request advances the simulator to
the sim time that corresponds to the real time elapsed since the app was created
(``start + speed * elapsed``). The clock is injectable so tests can freeze or step it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from floorview.sim import faults, wire
from floorview.sim.engine import Simulator, UnknownQueue, VersionConflict

Clock = Callable[[], float]


class SimClock:
    """Maps a real monotonic clock onto sim time, from the simulator's time at creation."""

    def __init__(self, sim: Simulator, clock: Clock | None = None) -> None:
        self._clock = clock or time.monotonic
        self._real_origin = self._clock()
        self._sim_origin = sim.t
        self._speed = sim.config.speed

    def sim_seconds(self) -> float:
        elapsed = self._clock() - self._real_origin
        # Whole milliseconds, so as_of on the wire is exactly the time the floor was taken at.
        return round(self._sim_origin + self._speed * elapsed, 3)


def error(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status)


class _CountRequests:
    """Counts requests per path into ``counter``, for load tests to compare with."""

    def __init__(self, app: ASGIApp, counter: Counter[str]) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.counter[scope["path"]] += 1
        await self.app(scope, receive, send)


def _date_param(request: Request, sim: Simulator) -> dt.date | JSONResponse:
    text = request.query_params.get("date")
    if text is None:
        return sim.now.date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return error(422, "invalid_date", f"date must be YYYY-MM-DD, got {text[:40]!r}")


def _queues_body(body: Any) -> tuple[list[str], int] | str:
    """The PUT body's queues and expected version, or what is wrong with it."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    queues, version = body.get("queues"), body.get("expected_version")
    if not isinstance(queues, list) or not all(isinstance(q, str) for q in queues):
        return "queues must be a list of queue ids"
    if isinstance(version, bool) or not isinstance(version, int):
        return "expected_version must be an integer"
    return queues, version


def create_app(sim: Simulator, clock: Clock | None = None) -> Starlette:
    sim_clock = SimClock(sim, clock)
    # Requests are answered on one event loop, but a test may also read the simulator from
    # another thread while a server runs; the lock keeps every answer one consistent floor.
    lock = threading.Lock()
    fault_counts: Counter[str] = Counter()

    def advanced() -> None:
        sim.run_until(sim_clock.sim_seconds())

    async def health(request: Request) -> Response:
        with lock:
            advanced()
            body: dict[str, Any] = {"status": "ok", "as_of": wire.iso(sim, sim.t)}
        if sim.config.faults is not None:
            # Health itself is never faulted, so this is where a client can see the faults.
            body["faults"] = {
                "spec": str(sim.config.faults), "injected": faults.describe(fault_counts),
            }
        return JSONResponse(body)

    async def floor(request: Request) -> Response:
        with lock:
            advanced()
            return JSONResponse(wire.floor(sim))

    def for_day(build: Callable[[Simulator, dt.date], Any]) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            with lock:
                advanced()
                day = _date_param(request, sim)
                if isinstance(day, Response):
                    return day
                return JSONResponse(build(sim, day))

        return endpoint

    intervals = for_day(wire.intervals)
    forecast = for_day(wire.forecast)

    async def tickets(request: Request) -> Response:
        escalated_only = request.query_params.get("escalated", "").lower() in ("true", "1")
        with lock:
            advanced()
            return JSONResponse(wire.tickets(sim, escalated_only))

    async def get_agent(request: Request) -> Response:
        agent_id = request.path_params["agent_id"]
        with lock:
            advanced()
            agent = sim.agent_by_id.get(agent_id)
            if agent is None:
                return error(404, "unknown_agent", f"no agent {agent_id[:40]!r}")
            return JSONResponse(wire.agent(sim, agent))

    async def put_queues(request: Request) -> Response:
        agent_id = request.path_params["agent_id"]
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        with lock:
            advanced()
            if agent_id not in sim.agent_by_id:
                return error(404, "unknown_agent", f"no agent {agent_id[:40]!r}")
            parsed = _queues_body(body)
            if isinstance(parsed, str):
                return error(422, "invalid_body", parsed)
            queues, version = parsed
            try:
                agent = sim.set_agent_queues(agent_id, queues, version)
            except UnknownQueue as exc:
                return error(422, "unknown_queue", str(exc))
            except VersionConflict as exc:
                return error(409, "version_conflict", str(exc), agent=wire.agent(sim, exc.agent))
            return JSONResponse(wire.agent(sim, agent))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, str(exc.detail))

    app = Starlette(
        routes=[
            Route("/v1/health", health),
            Route("/v1/floor", floor),
            Route("/v1/intervals", intervals),
            Route("/v1/forecast", forecast),
            Route("/v1/tickets", tickets),
            Route("/v1/agents/{agent_id}", get_agent),
            Route("/v1/agents/{agent_id}/queues", put_queues, methods=["PUT"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.sim = sim
    app.state.requests = Counter()
    app.add_middleware(_CountRequests, counter=app.state.requests)
    app.state.faults = fault_counts
    if sim.config.faults is not None:
        faults.install(app, sim.config.faults, sim.config.seed, fault_counts)
    return app
