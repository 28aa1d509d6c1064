"""How long `floorview demo` takes from process start to the first floor on screen.

Runs the same pieces as the demo (simulator on a loopback thread, dashboard polling it over
HTTP) headless, and prints the time to import, to start the simulator, and to the first
applied snapshot. Usage: python benchmarks/startup.py
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import asyncio  # noqa: E402

from floorview.cli import build_app  # noqa: E402
from floorview.config import Config, SourceConfig  # noqa: E402
from floorview.sim.config import SimConfig  # noqa: E402
from floorview.sim.server import start_in_thread  # noqa: E402


async def main() -> None:
    imported = time.perf_counter()
    sim = start_in_thread(SimConfig())
    started = time.perf_counter()
    app = build_app(Config(sources=(SourceConfig("sim", "rest", sim.url, 1.0),)))
    async with app.run_test(size=(80, 24)) as pilot:
        while not app.snapshots_applied:
            await pilot.pause(0.005)
        shown = time.perf_counter()
    sim.stop()
    print(f"imports            {imported - T0:6.2f} s")
    print(f"simulator started  {started - T0:6.2f} s  (fast-forward to 10:00 included)")
    print(f"first floor shown  {shown - T0:6.2f} s")


asyncio.run(main())
