"""Every screen against the seeded simulator with frozen clocks: same pixels every run.

Each screen at 80x24 (an SSH session) and 160x48 (a wall), in English and in Simplified
Chinese, whose labels differ in text and in width.
"""

import pytest
from fakes import first_floor_with_plan, frozen_sim_feed

from floorview.ui.app import FloorApp

SCREEN_KEYS = {"floor": "1", "forecast": "2", "agent": "3", "alerts": "4", "help": "5"}


def frozen_app(language: str = "en") -> FloorApp:
    return FloorApp([frozen_sim_feed()], tick_s=3600.0, language=language)


def showing(screen: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await first_floor_with_plan(pilot)  # the forecast screen needs the plan
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
