import dataclasses

import msgspec
from fakes import Clock, ScriptedSource, recorded_floor, wait_until

from floorview.feed import Feed
from floorview.model import AgentState
from floorview.ui.app import FloorApp
from floorview.ui.header import FloorHeader
from floorview.ui.tables import AgentTable, QueueTable

FLOOR = recorded_floor()



async def test_markup_like_names_show_literally_and_rows_are_keyed() -> None:
    app = FloorApp([Feed(ScriptedSource([FLOOR]), 1.0)])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        agents = app.query_one(AgentTable)
        assert agents.get_row("acd/a-002")[0].plain == "[bold]Amaka[/bold] Obi"
        assert agents.get_row("acd/a-001")[0].plain == "王芳"
        assert "■ Break" in agents.get_row("acd/a-002")[1].plain
        queues = app.query_one(QueueTable)
        row = queues.cells_of("acd/q-billing")
        assert row["name"] == "Billing"
        assert (row["waiting"], row["oldest"], row["sl"], row["abandon"]) == (
            "3", "0:42", "▼77%", "6%")
        assert (row["staffed"], row["available"], row["scheduled"], row["required"]) == (
            "1", "0", "—", "—")  # no plan: never a made-up 0
        assert queues.cells_of("acd/q-chat")["sl"] == "—"


async def test_cursor_follows_the_agent_not_the_row_number() -> None:
    newcomer = msgspec.structs.replace(FLOOR.agents[0], id="a-000", name="Zofia Nowak")
    later = dataclasses.replace(
        FLOOR,
        agents=(
            msgspec.structs.replace(FLOOR.agents[1], state=AgentState.AVAILABLE, aux_reason=None),
            newcomer,
        ),
    )
    source = ScriptedSource([FLOOR])
    app = FloorApp([Feed(source, 0.05)])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        agents = app.query_one(AgentTable)
        agents.move_cursor(row=1)
        assert agents.cursor_key == "acd/a-002"
        source.send(later)  # a-001 leaves (row above the cursor), a-000 arrives
        await wait_until(pilot, lambda: app.snapshots_applied == 2)
        assert agents.row_count == 2
        assert agents.cursor_key == "acd/a-002"
        assert agents.get_row("acd/a-002")[1].plain == "● Available"


async def test_a_failing_source_keeps_the_last_floor_and_says_so() -> None:
    clock = Clock()
    source = ScriptedSource([FLOOR])
    app = FloorApp([Feed(source, 1.0, clock=clock)], tick_s=0.02)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        header = app.query_one(FloorHeader)
        assert "acd OK 0s ago" in str(header.render())
        clock.now += 5
        source.send("acd: timed out fetching /v1/floor")
        await wait_until(pilot, lambda: "DOWN" in str(header.render()))
        assert "acd DOWN 5s ago" in str(header.render())
        assert "timed out" in str(app.query_one("#problems").render())
        assert app.query_one(AgentTable).row_count == 2  # nothing blanked


async def test_q_quits() -> None:
    app = FloorApp([Feed(ScriptedSource([FLOOR]), 1.0)])
    async with app.run_test() as pilot:
        await pilot.press("q")
    assert app.return_code == 0


async def test_stale_then_down_then_masked_then_recovered() -> None:
    clock = Clock()
    source = ScriptedSource([FLOOR])
    app = FloorApp([Feed(source, 1.0, clock=clock)], tick_s=0.02, mask_after_s=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        banner = app.query_one("#freshness")
        assert not banner.display
        clock.now += 3  # past 2x the poll interval, no answer yet
        await wait_until(pilot, lambda: "STALE" in str(banner.render()))
        assert str(banner.render()) == "⚠ STALE: acd, data 3s old"
        assert banner.has_class("stale") and banner.display
        source.send("acd: timed out fetching /v1/floor")
        await wait_until(pilot, lambda: "SOURCE DOWN" in str(banner.render()))
        assert str(banner.render()) == "✖ SOURCE DOWN: acd, data 3s old"
        queues = app.query_one(QueueTable)
        assert queues.get_row("acd/q-billing")[1].plain == "3"  # still shown, with its age
        clock.now += 60  # 63 s old: too old to act on
        await wait_until(pilot, lambda: queues.get_row("acd/q-billing")[1].plain == "░░")
        assert set(c.plain for c in queues.get_row("acd/q-billing")[1:]) == {"░░"}
        assert queues.get_row("acd/q-billing")[0].plain == "Billing"  # the name stays
        agents = app.query_one(AgentTable)
        assert [c.plain for c in agents.get_row("acd/a-001")][:3] == ["王芳", "░░", "░░"]
        assert "(figures hidden)" in str(banner.render())
        source.send(FLOOR)
        await wait_until(pilot, lambda: app.snapshots_applied >= 3)
        await wait_until(pilot, lambda: not banner.display)
        assert queues.get_row("acd/q-billing")[1].plain == "3"


async def test_a_changed_figure_flashes_then_settles() -> None:
    from floorview.ui import live_table

    billing = next(q for q in FLOOR.queues if q.id == "q-billing")
    busier = dataclasses.replace(FLOOR, queues=tuple(
        msgspec.structs.replace(q, waiting=9) if q is billing else q for q in FLOOR.queues
    ))
    source = ScriptedSource([FLOOR])
    app = FloorApp([Feed(source, 0.05)])
    live_table.FLASH_S = 0.2
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.snapshots_applied == 1)
            queues = app.query_one(QueueTable)
            cell = queues.get_cell("acd/q-billing", "waiting")
            assert "reverse" not in str(cell.spans) + str(cell.style)
            source.send(busier)
            await wait_until(pilot, lambda: app.snapshots_applied == 2)
            cell = queues.get_cell("acd/q-billing", "waiting")
            assert cell.plain == "9" and "reverse" in str(cell.spans)
            # A figure that did not change does not flash.
            assert "reverse" not in str(queues.get_cell("acd/q-billing", "sl").spans)
            await wait_until(
                pilot, lambda: "reverse" not in str(queues.get_cell("acd/q-billing", "waiting").spans)
            )
            assert queues.get_cell("acd/q-billing", "waiting").plain == "9"
    finally:
        live_table.FLASH_S = 1.5
