"""Serving the simulator: in the foreground for ``floorview sim``, or on a daemon thread
next to the dashboard for ``floorview demo`` and the integration tests."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from floorview.sim.api import Clock, create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator

_STARTUP_TIMEOUT_S = 10.0
#: Below RunningSim.stop's default join timeout, so a stop returns with the thread ended.
_GRACEFUL_SHUTDOWN_S = 2.0


def _uvicorn_config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    # No access log and no logging set-up of uvicorn's own: one line per poll would
    # scribble over the dashboard, and reconfiguring logging is the host program's call.
    # A graceful shutdown waits for requests in flight; an injected timeout or trickle to a
    # client that never gives up would otherwise hold it (and RunningSim.stop) for good.
    return uvicorn.Config(
        app, host=host, port=port, access_log=False, log_config=None, log_level="warning",
        lifespan="off", timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
    )


async def serve(host: str, port: int, config: SimConfig) -> None:
    """Serve a simulator built from ``config`` until cancelled or interrupted."""
    app = create_app(Simulator(config))
    await uvicorn.Server(_uvicorn_config(app, host, port)).serve()


@dataclass
class RunningSim:
    """A simulator served on a background thread; ``stop()`` shuts it down."""

    url: str
    #: The served app: ``app.state.sim`` is the simulator, ``app.state.requests`` the counts,
    #: ``app.state.faults`` the injected faults per kind (``floorview.sim.faults``).
    app: Starlette
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout_s: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)


def start_in_thread(
    config: SimConfig, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None
) -> RunningSim:
    """Start serving on ``host:port`` (0 picks a free port) and return once it listens.

    ``clock`` (real seconds, monotonic) replaces ``time.monotonic`` for frozen-time tests.
    """
    # A handler of its own keeps uvicorn's errors off the terminal (Python's last-resort
    # handler would print them over the dashboard) without hiding them from a host program
    # that configured logging, since records still propagate to the root logger.
    logging.getLogger("uvicorn").addHandler(logging.NullHandler())
    app = create_app(Simulator(config), clock)
    # Binding here, not in uvicorn, tells us the real port when 0 was asked for.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app, host, bound_port))

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        finally:
            sock.close()

    thread = threading.Thread(target=run, name="floorview-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the simulator did not start on {host}:{bound_port}")
        time.sleep(0.01)
    url_host = f"[{host}]" if ":" in host else host
    return RunningSim(f"http://{url_host}:{bound_port}", app, server, thread)
