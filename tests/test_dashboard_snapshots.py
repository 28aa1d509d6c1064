"""Every screen against the seeded simulator with frozen clocks: same pixels every run.

Each screen at 80x24 (an SSH session) and 160x48 (a wall), in English and in Simplified
Chinese, whose labels differ in text and in width.
"""

from datetime import time

import httpx
import pytest

from floorview.feed import Feed
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import RestSource
from floorview.ui.app import FloorApp

SCREEN_KEYS = {"floor": "1", "forecast": "2", "agent": "3", "alerts": "4", "help": "5"}


def frozen_app(language: str = "en") -> FloorApp:
    # speed is irrelevant with a clock that never moves: the floor stays at 10:30:00Z.
    sim = Simulator(SimConfig(seed=7, start=time(10, 30)))
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: 0.0))
    source = RestSource("sim", "http://sim.test", transport=transport)
    return FloorApp([Feed(source, 3600.0, clock=lambda: 0.0)], tick_s=3600.0,
                    language=language)


def showing(screen: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        for _ in range(500):
            # The plan arrives with the first poll; the forecast screen needs it.
            if app.snapshots_applied and app.feeds[0].plan is not None:
                break
            await pilot.pause(0.01)
        await pilot.pause()
        if screen == "agent":
            await pilot.press("down", "down")  # the third agent, a busy one
        await pilot.press(SCREEN_KEYS[screen])
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("screen", list(SCREEN_KEYS))
def test_screen(snap_compare, screen: str, size: tuple[int, int], language: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(language), terminal_size=size, run_before=showing(screen))


def test_too_small_terminal_says_so(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(frozen_app(), terminal_size=(60, 20), run_before=showing("floor"))
