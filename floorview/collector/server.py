"""The collector's HTTP face: the Floor API (the simulator's schema) from what it polled,
plus alerts, acks, a server-sent-events stream, /healthz and /metrics.

Every route but /healthz needs a bearer token (access.py). Writes (acks, reassignments) need
the supervisor role and run through floorview.actions here, with the collector's journal:
permissions, single-flight and the audit trail are the collector's, whoever asked. The
person is the one the viewer's host vouches for (X-Floorview-User), recorded with that
host's token name; a viewer token cannot write whatever it sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from floorview.actions import ActionRefused, AgentChange, Permissions, acknowledge, reassign
from floorview.collector.access import Grant, Role, Tokens
from floorview.collector.service import Collector, Served, SourceState
from floorview.identity import Actor
from floorview.sources.base import SourceError
from floorview.sources.floor_encode import floor_doc

#: Browsers and HTTP caches may keep a floor this long: a cache in front of the collector
#: (docs/collector.md) then asks it at most once a second whatever the number of viewers.
FLOOR_MAX_AGE_S = 1
PLAN_MAX_AGE_S = 30
#: A comment line this often keeps idle proxies from closing a quiet stream.
KEEPALIVE_S = 15.0

Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def create_app(collector: Collector, tokens: Tokens) -> Starlette:
    def guarded(role: Role, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            scheme, _, presented = header.partition(" ")
            grant = tokens.check(presented.strip() if scheme.lower() == "bearer" else None)
            if grant is None:
                return _error(401, "unauthorized", "a valid bearer token is required")
            if grant.role < role:
                return _error(403, "forbidden",
                              f"{grant.name} is a {grant.role.name.lower()}: "
                              f"this needs {role.name.lower()}")
            request.state.grant = grant
            return await handler(request)

        return endpoint

    def state_of(request: Request) -> SourceState | None:
        return collector.sources.get(request.query_params.get("source", collector.first))

    def served(request: Request, doc: Served | None, max_age: int) -> Response:
        if doc is None:
            return _error(503, "not_ready", "nothing polled from this source yet")
        headers = {"ETag": doc.etag, "Cache-Control": f"public, max-age={max_age}"}
        if request.headers.get("if-none-match") == doc.etag:
            return Response(status_code=304, headers=headers)
        return Response(doc.body, media_type="application/json", headers=headers)

    def document(attr: str, max_age: int) -> Handler:
        async def endpoint(request: Request) -> Response:
            state = state_of(request)
            if state is None:
                return _error(404, "unknown_source", "no such source")
            return served(request, getattr(state, attr), max_age)

        return endpoint

    async def healthz(request: Request) -> Response:
        statuses = collector.statuses()
        ok = all(s.health.value == "ok" for s in statuses)
        return JSONResponse(
            {"status": "ok" if ok else "degraded",
             "sources": {s.source: {"health": s.health.value, "age_s": s.age_s,
                                    "last_error": s.last_error} for s in statuses}},
            status_code=200 if ok else 503,
        )

    async def metrics(request: Request) -> Response:
        lines = [f"floorview_viewers_connected {collector.viewers}"]
        for name, state in collector.sources.items():
            status = state.feed.status()
            http = getattr(state.feed.source, "http", None)
            lines.append(f'floorview_source_polls_total{{source="{name}"}} {state.polls}')
            if http is not None:
                lines.append(
                    f'floorview_source_requests_total{{source="{name}"}} {http.requests_sent}'
                )
                lines.append(
                    f'floorview_source_budget_tokens{{source="{name}"}} '
                    f"{http.budget.tokens:.2f}"
                )
            lines.append(f'floorview_source_up{{source="{name}"}} '
                         f"{1 if status.health.value == 'ok' else 0}")
            if status.last_error:
                error = status.last_error.replace('"', "'")
                lines.append(f'floorview_source_last_error{{source="{name}",error="{error}"}} 1')
        return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    async def whoami(request: Request) -> Response:
        grant: Grant = request.state.grant
        return JSONResponse({"name": grant.name, "role": grant.role.name.lower()})

    async def alerts(request: Request) -> Response:
        return JSONResponse({"as_of": collector.now().isoformat(),
                             "alerts": collector.alert_docs()})

    async def stream(request: Request) -> Response:
        state = state_of(request)
        if state is None:
            return _error(404, "unknown_source", "no such source")

        async def events() -> AsyncIterator[bytes]:
            collector.viewers += 1
            try:
                sent: Served | None = None
                version = -1
                while True:
                    if state.floor is not None and state.floor is not sent:
                        sent = state.floor
                        yield b"event: floor\ndata: " + sent.body + b"\n\n"
                    elif version == collector.version:
                        yield b": keepalive\n\n"
                    version = await collector.wait_for(collector.version, KEEPALIVE_S)
            finally:
                collector.viewers -= 1

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    def actor_of(request: Request) -> Actor:
        grant: Grant = request.state.grant
        # The viewer's host vouches for the person at it; the token says which host.
        user = request.headers.get("x-floorview-user", "").strip()[:120] or grant.name
        return Actor(user=user, ssh_user=None, client=None, host=grant.name)

    async def body_of(request: Request) -> dict[str, Any] | Response:
        try:
            data = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return _error(400, "bad_json", "the body is not JSON")
        if not isinstance(data, dict):
            return _error(400, "bad_body", "the body must be a JSON object")
        return data

    async def ack(request: Request) -> Response:
        fingerprint = request.path_params["fingerprint"]
        alert = next((a for a in collector.alerts if a.fingerprint == fingerprint), None)
        if alert is None:
            return _error(404, "unknown_alert", f"no alert {fingerprint!r} now")
        data = await body_of(request)
        if isinstance(data, Response):
            return data
        note = data.get("note", "")
        minutes = data.get("expires_after_min")
        if not isinstance(note, str) or not (minutes is None or isinstance(minutes, int)):
            return _error(422, "bad_body", "note must be text, expires_after_min an integer")
        try:
            done = acknowledge(
                alert, journal=collector.monitor.journal, actor=actor_of(request),
                permissions=Permissions(), at=collector.now(), note=note[:500],
                expires_after_min=minutes,
            )
        except ActionRefused as exc:
            return _error(409, "refused", str(exc))
        collector._tick()  # the ack shows in the next /v1/alerts at once
        return JSONResponse({"fingerprint": fingerprint, "who": done.who, "id": done.id})

    async def get_agent(request: Request) -> Response:
        state = state_of(request)
        if state is None:
            return _error(404, "unknown_source", "no such source")
        agent_id = request.path_params["agent_id"]
        try:
            agent = await state.feed.source.fetch_agent(agent_id)
        except SourceError as exc:
            return _error(404 if "no agent" in str(exc) else 502, "source_error", str(exc))
        snapshot = state.feed.latest
        doc = floor_doc(replace(snapshot, agents=(agent,))) if snapshot else None
        return JSONResponse(doc["agents"][0] if doc else {})

    async def put_queues(request: Request) -> Response:
        state = state_of(request)
        if state is None or state.feed.latest is None:
            return _error(503, "not_ready", "nothing polled from this source yet")
        data = await body_of(request)
        if isinstance(data, Response):
            return data
        queues, version = data.get("queues"), data.get("expected_version")
        if not (isinstance(queues, list) and all(isinstance(q, str) for q in queues)
                and isinstance(version, int)):
            return _error(422, "bad_body",
                          "queues must be a list of ids, expected_version an integer")
        agent_id = request.path_params["agent_id"]
        current = state.feed.latest.agent_by_id.get(agent_id)
        change = AgentChange(
            agent_id, current.name if current else agent_id,
            current.queue_ids if current else (), tuple(queues), version,
        )
        try:
            (result,) = await reassign(
                [change], source=state.feed.source, journal=collector.monitor.journal,
                actor=actor_of(request), permissions=Permissions(),
                at=lambda: datetime.now(UTC),
                queue_names={q.id: q.name for q in state.feed.latest.queues},
            )
        except ActionRefused as exc:
            return _error(409, "refused", str(exc))
        if result.outcome == "conflict":
            return _error(409, "version_conflict", result.message)
        if result.outcome != "done":
            return _error(422 if result.outcome == "refused" else 502, result.outcome,
                          result.message)
        agent = await state.feed.source.fetch_agent(agent_id)
        doc = floor_doc(replace(state.feed.latest, agents=(agent,)))
        return JSONResponse(doc["agents"][0])

    read = Role.VIEWER
    write = Role.SUPERVISOR
    app = Starlette(routes=[
        Route("/healthz", healthz),
        Route("/metrics", guarded(Role.ADMIN, metrics)),
        Route("/v1/floor", guarded(read, document("floor", FLOOR_MAX_AGE_S))),
        Route("/v1/forecast", guarded(read, document("forecast", PLAN_MAX_AGE_S))),
        Route("/v1/intervals", guarded(read, document("intervals", PLAN_MAX_AGE_S))),
        Route("/v1/tickets", guarded(read, document("tickets", PLAN_MAX_AGE_S))),
        Route("/v1/stream", guarded(read, stream)),
        Route("/v1/alerts", guarded(read, alerts)),
        Route("/v1/whoami", guarded(read, whoami)),
        Route("/v1/alerts/{fingerprint:path}/ack", guarded(write, ack), methods=["POST"]),
        Route("/v1/agents/{agent_id}", guarded(write, get_agent)),
        Route("/v1/agents/{agent_id}/queues", guarded(write, put_queues), methods=["PUT"]),
    ])
    app.state.collector = collector
    return app


async def start_server(
    app: Starlette, host: str, port: int, *, certfile: str | None = None,
    keyfile: str | None = None,
) -> tuple[Any, asyncio.Task[None], int]:
    """Serve ``app`` in this event loop; (server, its task, the port it listens on) once it
    listens. Port 0 picks a free one."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(
        app, host=host, port=port, log_level="warning", ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        # Streams never finish by themselves: on shutdown they are given this long, then cut.
        timeout_graceful_shutdown=2,
    ))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises what stopped it (the port in use, a bad certificate)
            raise OSError(f"the collector did not start on {host}:{port}")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return server, task, int(bound)


async def serve(app: Starlette, host: str, port: int, *, certfile: str | None = None,
                keyfile: str | None = None) -> None:
    _, task, _ = await start_server(app, host, port, certfile=certfile, keyfile=keyfile)
    await task
