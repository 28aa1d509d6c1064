"""`i` pins a queue, `6` shows its trend since the pin and what more agents would do."""

import re

from fakes import first_floor_with_plan, frozen_sim_feed
from rich.console import Console

from floorview.analytics.whatif import project
from floorview.ui.app import FloorApp


def text_of(widget) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=120, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


async def test_a_pinned_queue_shows_its_minutes_and_the_what_if_of_more_agents() -> None:
    feed = frozen_sim_feed()
    app = FloorApp([feed], tick_s=3600.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await first_floor_with_plan(pilot)
        key = app.queue_table.cursor_key
        assert key is not None
        await pilot.press("i", "6")
        assert app.views.current == "incident"
        body = text_of(app.incident_view.body)
        snapshot = feed.latest
        assert snapshot is not None
        q = snapshot.queue_by_id[key.partition("/")[2]]
        assert f"{q.name} · since 10:30Z" in body
        assert "10:30" in body  # the first minute's row
        interval = app._outlook_caches["sim"].interval
        assert interval is not None
        serving = snapshot.effective_on(q.id)
        shown = [float(x) for x in re.findall(r"\+\d: SL \d+% → (\d+)%", body)]
        want = [round(project(interval, [q.id], [serving + n]).service_level[0] * 100)
                for n in (1, 2, 3, 5)]
        assert shown == want
        assert shown == sorted(shown)  # more agents never make it worse
        await pilot.press("1", "i", "6")  # unpinned
        assert "No queue pinned" in text_of(app.incident_view.body)
