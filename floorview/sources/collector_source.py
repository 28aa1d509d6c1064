"""A viewer's source: a floorview collector (floorview/collector/), not the vendor.

The floor arrives on the collector's server-sent-events stream, so a viewer sends no
request per refresh; the plan, tickets and agent re-reads are ordinary Floor API GETs to the
collector, and a reassignment is a PUT the collector carries out (and audits) itself.
Acknowledgements go to the collector too, and the collector's acks come back with its alert
list, so every viewer shows who has what.

A lost stream is reconnected in the background, with backoff; meanwhile fetch_floor waits
for a newer floor and, past the poll deadline, fails like any source: the dashboard marks
the data STALE, then DOWN, and keeps the last floor on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import httpx

from floorview.alerts import AckInfo
from floorview.model import FloorSnapshot
from floorview.sources import parse as p
from floorview.sources.base import SourceError
from floorview.sources.rest import RestSource, parse_floor_body

#: The collector sends a keepalive every 15 s: a stream silent for longer is dead.
STREAM_READ_TIMEOUT_S = 40.0
#: How often the collector's alert list (and so its acks) is read.
ACKS_EVERY_S = 2.0


class CollectorSource(RestSource):
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        token: str,
        user: str,
        remote_source: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}", "X-Floorview-User": user}
        super().__init__(name, base_url, transport=transport, headers=headers, **kwargs)
        self._base_url = base_url
        self._headers = headers
        self._transport = transport
        #: The collector's name for the source this viewer shows (None: its first).
        self.remote_source = remote_source
        self._latest: FloorSnapshot | None = None
        self._received = 0
        self._returned = 0
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stream_error: str | None = None
        self.connected = False
        self.reconnects = 0
        #: The collector's acks, keyed by this viewer's alert fingerprints.
        self.remote_acks: dict[str, AckInfo] = {}
        self._acks_task: asyncio.Task[None] | None = None
        #: The token's role on the collector (viewer, supervisor, admin); None until known.
        self.role: str | None = None

    def _params(self) -> dict[str, str]:
        return {} if self.remote_source is None else {"source": self.remote_source}

    # --- the stream ---------------------------------------------------------------------

    async def fetch_floor(self) -> FloorSnapshot:
        if self._task is None:
            self._task = asyncio.create_task(self._stream_forever())
            self._acks_task = asyncio.create_task(self._acks_forever())
        # A little inside the feed's deadline, so the reason is ours, not a bare timeout.
        wait_s = max(0.5, self.http.limits.poll_deadline_s - 0.5)
        try:
            async with asyncio.timeout(wait_s):
                while self._received == self._returned:
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            why = self.stream_error or "no new floor"
            raise SourceError(f"{self.name}: collector stream: {why}") from None
        self._returned = self._received
        assert self._latest is not None
        return self._latest

    async def _stream_forever(self) -> None:
        backoff = 0.5
        timeout = httpx.Timeout(10.0, read=STREAM_READ_TIMEOUT_S)
        async with httpx.AsyncClient(
            base_url=self._base_url, headers=self._headers, timeout=timeout,
            transport=self._transport,
        ) as client:
            while True:
                try:
                    await self._read_stream(client)
                    self.stream_error = "the collector closed the stream"
                except (httpx.HTTPError, SourceError) as exc:
                    self.stream_error = str(exc) or type(exc).__name__
                self.connected = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                self.reconnects += 1

    async def _read_stream(self, client: httpx.AsyncClient) -> None:
        async with client.stream("GET", "/v1/stream", params=self._params()) as response:
            if response.status_code != 200:
                await response.aread()
                raise SourceError(f"HTTP {response.status_code}: {response.text[:200]}")
            self.connected = True
            event, data = "", []
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif not line:
                    if event == "floor" and data:
                        self._deliver("\n".join(data).encode())
                    event, data = "", []

    def _deliver(self, body: bytes) -> None:
        try:
            self._latest = parse_floor_body(body, self.name)
        except p.SchemaError as exc:
            self.stream_error = f"bad floor from the collector: {exc}"
            return
        self.stream_error = None
        self._received += 1
        self._arrived.set()

    # --- acks ---------------------------------------------------------------------------

    async def _acks_forever(self) -> None:
        while self.role is None:
            # What this token may do, so the dashboard can say READ-ONLY before anyone
            # types a note the collector would refuse.
            with contextlib.suppress(SourceError, httpx.HTTPError):
                data = await self.http.get_json("/v1/whoami")
                self.role = str(data.get("role")) if isinstance(data, dict) else "viewer"
                break
            await asyncio.sleep(ACKS_EVERY_S)
        while True:
            with contextlib.suppress(SourceError, httpx.HTTPError):
                self.remote_acks = self._acks_from(
                    await self.http.get_json("/v1/alerts", self._params())
                )
            await asyncio.sleep(ACKS_EVERY_S)

    def _acks_from(self, data: Any) -> dict[str, AckInfo]:
        out: dict[str, AckInfo] = {}
        for alert in data.get("alerts", []) if isinstance(data, dict) else []:
            ack = alert.get("ack")
            if not ack:
                continue
            # The collector names the alert by its source; this viewer by its own name.
            local = f"{self.name}/{alert['fingerprint'].partition('/')[2]}"
            out[local] = AckInfo(
                who=ack["who"], at=datetime.fromisoformat(ack["at"]),
                severity=int(alert["severity"]), note=ack.get("note") or "",
                expires_at=None if ack.get("expires_at") is None
                else datetime.fromisoformat(ack["expires_at"]),
            )
        return out

    async def acknowledge(self, fingerprint: str, note: str,
                          expires_after_min: int | None) -> str:
        """Acknowledge on the collector; who it recorded. ``fingerprint`` is this viewer's."""
        remote = self.remote_source or await self._first_source_name()
        path = f"/v1/alerts/{remote}/{fingerprint.partition('/')[2]}/ack"
        status, data = await self.http.send_json(
            "POST", path, {"note": note, "expires_after_min": expires_after_min},
            answers=frozenset({403, 404, 409, 422}),
        )
        if status != 200:
            detail = data.get("detail") if isinstance(data, dict) else data
            raise SourceError(f"{self.name}: the collector refused the ack: {detail}")
        return str(data.get("who", ""))

    async def _first_source_name(self) -> str:
        status, data = await self.http.send_json(
            "GET", "/healthz", None, answers=frozenset({503})
        )
        names = list(data.get("sources", {})) if isinstance(data, dict) else []
        if not names:
            raise SourceError(f"{self.name}: the collector names no sources (status {status})")
        return str(names[0])

    async def aclose(self) -> None:
        for task in (self._task, self._acks_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await super().aclose()
