"""The wall display: nothing a passer-by presses changes it; it pages itself; a down source
takes the whole screen; its headline figures add up to the floor's."""

from fakes import Clock, ScriptedSource, recorded_floor, wait_until

from floorview.feed import Feed
from floorview.model import AgentState
from floorview.ui.app import FloorApp
from floorview.ui.wall import headline

FLOOR = recorded_floor()


def wall(clock: Clock | None = None, page_s: float = 3600.0) -> tuple[FloorApp, ScriptedSource]:
    source = ScriptedSource([FLOOR])
    feed = Feed(source, 1.0, clock=clock) if clock else Feed(source, 1.0)
    return FloorApp([feed], tick_s=0.02, wall=True, page_s=page_s), source


async def test_no_key_quits_suspends_or_opens_anything() -> None:
    app, _ = wall()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        for key in ("q", "ctrl+q", "ctrl+c", "ctrl+p", "ctrl+z", "a", "r", "u", "slash", "1"):
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running and app.screen is app.screen_stack[0]  # no dialog, no palette
        assert not app.permissions.can_write
        assert "READ-ONLY" in str(app.header.render())


async def test_pages_turn_by_themselves() -> None:
    app, _ = wall(page_s=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        seen = set()
        for _ in range(60):
            seen.add(app.views.current)
            await pilot.pause(0.03)
        assert {"floor", "alerts", "forecast"} <= seen


async def test_a_down_source_covers_the_screen() -> None:
    clock = Clock()
    app, source = wall(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        assert not app.has_class("source-down")
        clock.now += 5
        source.send("acd: timed out fetching /v1/floor")
        # One failed poll with 5 s old data: a banner, not yet the whole screen.
        await wait_until(pilot, lambda: "SOURCE DOWN" in str(app.freshness.render()))
        assert not app.has_class("source-down")
        clock.now += 15
        await wait_until(pilot, lambda: app.has_class("source-down"))
        await pilot.pause()
        assert app.views.styles.display == "none"
        assert app.headline.styles.display == "none"  # no old big digits left readable
        assert app.freshness.size.height >= 30  # the banner has the screen
        assert "SOURCE DOWN" in str(app.freshness.render())


def test_the_headline_adds_up_the_floor() -> None:
    h = headline([FLOOR])
    assert h.waiting == sum(q.waiting for q in FLOOR.queues)
    assert h.longest_wait_s == max(q.oldest_wait_s for q in FLOOR.queues if q.waiting)
    assert h.available == sum(1 for a in FLOOR.agents if a.state is AgentState.AVAILABLE)
    within = sum(q.today.answered_within_sl for q in FLOOR.queues)
    closed = sum(q.today.answered + q.today.abandoned for q in FLOOR.queues)
    assert h.service_level == within / closed
