"""The dashboard against the seeded simulator with frozen clocks: same pixels every run."""


from datetime import time

import httpx
import pytest

from floorview.feed import Feed
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import RestSource
from floorview.ui.app import FloorApp


def frozen_app() -> FloorApp:
    # speed is irrelevant with a clock that never moves: the floor stays at 10:30:00Z.
    sim = Simulator(SimConfig(seed=7, start=time(10, 30)))
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: 0.0))
    source = RestSource("sim", "http://sim.test", transport=transport)
    return FloorApp([Feed(source, 3600.0, clock=lambda: 0.0)], tick_s=3600.0)


async def _first_floor(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if pilot.app.snapshots_applied:
            break
        await pilot.pause(0.01)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_dashboard(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(), terminal_size=size, run_before=_first_floor)
