"""Pilot tests of what a supervisor does from the keyboard: filter, sort, columns, screens,
language, keys remapped in config, and those choices coming back at the next start."""

from pathlib import Path

from fakes import first_floor_with_plan, frozen_sim_feed

from floorview.model import AgentState
from floorview.ui.app import FloorApp
from floorview.ui.i18n import set_language
from floorview.ui.user_state import load_state


def floor_app(state_file: Path | None = None, **kwargs: object) -> FloorApp:
    return FloorApp([frozen_sim_feed()], tick_s=3600.0, state_file=state_file,
                    **kwargs)  # type: ignore[arg-type]


first_floor = first_floor_with_plan


def teardown_function() -> None:
    set_language("en")  # one language per process; the next test starts in English


async def test_filter_by_team_shows_only_that_team_and_comes_back_next_start(
    tmp_path: Path,
) -> None:
    state = tmp_path / "ui-state.toml"
    app = floor_app(state)
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        snapshot = app.feeds[0].latest
        assert snapshot is not None
        sales = {f"sim/{a.id}" for a in snapshot.agents if a.team == "Team Sales"}
        assert 0 < len(sales) < len(snapshot.agents)
        await pilot.press("slash", *"team:sales", "enter")
        await pilot.pause()
        assert set(app.agent_table.row_keys()) == sales
        assert "Team Sales" not in app.floor.filter_input.styles.display  # closed on Enter
        line = str(app.floor.focus_line.render())
        assert f"{len(sales)} of {len(snapshot.agents)} agents" in line
    assert load_state(state).filter == "team:sales"

    again = floor_app(state)
    async with again.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        assert set(again.agent_table.row_keys()) == sales


async def test_filter_terms_combine_and_escape_keeps_what_was_typed() -> None:
    app = floor_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        snapshot = app.feeds[0].latest
        assert snapshot is not None
        await pilot.press("slash", *"state:break team:billing", "escape")
        await pilot.pause()
        want = {f"sim/{a.id}" for a in snapshot.agents
                if a.team == "Team Billing" and a.state is AgentState.AUX
                and (a.aux_reason or "").lower() == "break"}
        assert set(app.agent_table.row_keys()) == want
        assert app.focused is app.agent_table


async def test_sort_by_a_column_keeps_the_cursor_on_its_agent_and_persists(
    tmp_path: Path,
) -> None:
    state = tmp_path / "ui-state.toml"
    app = floor_app(state)
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        table = app.agent_table
        table.move_cursor(row=5)
        followed = table.cursor_key
        await pilot.press("s")
        await pilot.pause()
        # The picker lists the shown columns in order; "Time" is the third.
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert table.sort_column == "time" and not table.sort_reverse
        times = [table.sort_value(k, "time") for k in table.row_keys()]
        assert times == sorted(times)
        assert table.cursor_key == followed
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")  # the same column again: reversed
        await pilot.pause()
        assert table.sort_reverse
        times = [table.sort_value(k, "time") for k in table.row_keys()]
        assert times == sorted(times, reverse=True)
    saved = load_state(state).tables["agents"]
    assert (saved.sort, saved.reverse) == ("time", True)


async def test_hidden_columns_stay_hidden_next_start(tmp_path: Path) -> None:
    state = tmp_path / "ui-state.toml"
    app = floor_app(state)
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        assert "occ_today" in app.agent_table.shown_columns
        await pilot.press("c")
        await pilot.pause()
        # The picker lists every column; Occ today is the seventh. Space toggles, Escape
        # applies.
        await pilot.press(*["down"] * 6, "space", "escape")
        await pilot.pause()
        assert "occ_today" not in app.agent_table.shown_columns
    assert load_state(state).tables["agents"].hidden == ("occ_today",)
    again = floor_app(state)
    async with again.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        assert "occ_today" not in again.agent_table.shown_columns
        assert "occ60" in again.agent_table.shown_columns


async def test_number_keys_switch_screens_and_the_agent_screen_follows_the_cursor() -> None:
    app = floor_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        app.agent_table.move_cursor(row=2)
        key = app.agent_table.cursor_key
        assert key is not None
        await pilot.press("3")
        assert app.views.current == "agent"
        snapshot = app.feeds[0].latest
        assert snapshot is not None
        name = snapshot.agent_by_id[key.partition("/")[2]].name
        assert name in _text(app.agent_view.body)
        await pilot.press("2")
        assert app.views.current == "forecast"
        first = app.forecast_view.queue_key
        await pilot.press("right_square_bracket")
        assert app.forecast_view.queue_key != first
        await pilot.press("4")
        assert app.views.current == "alerts"
        await pilot.press("question_mark")
        assert app.views.current == "help"
        await pilot.press("1")
        assert app.views.current == "floor"


async def test_keys_remapped_in_config_drive_the_app_and_the_help_shows_them() -> None:
    app = floor_app(keys={"screen.help": "h", "screen.alerts": "f4"})
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        await pilot.press("5")
        assert app.views.current == "floor"  # 5 is no longer help
        await pilot.press("h")
        assert app.views.current == "help"
        rows = _text(app.help_view.body)
        assert any(line.split()[:2] == ["h", "Help"] for line in rows.splitlines())
        await pilot.press("f4")
        assert app.views.current == "alerts"


async def test_l_switches_the_labels_to_chinese_and_the_choice_is_kept(tmp_path: Path) -> None:
    state = tmp_path / "ui-state.toml"
    app = floor_app(state)
    async with app.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        assert app.queue_table.columns["name"].label.plain == "Queue"  # type: ignore[index]
        await pilot.press("l")
        await pilot.pause()
        assert app.queue_table.columns["name"].label.plain == "队列"  # type: ignore[index]
        # Names from the source are never translated.
        snapshot = app.feeds[0].latest
        assert snapshot is not None
        q = snapshot.queues[0]
        assert app.queue_table.cells_of(f"sim/{q.id}")["name"] == q.name
    assert load_state(state).language == "zh-CN"
    set_language("en")
    again = floor_app(state)
    async with again.run_test(size=(160, 48)) as pilot:
        await first_floor(pilot)
        assert again.queue_table.columns["name"].label.plain == "队列"  # type: ignore[index]


async def test_a_terminal_below_80x24_gets_a_notice_not_a_broken_layout() -> None:
    app = floor_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await first_floor(pilot)
        assert app.has_class("too-small")
        assert not app.views.display or app.views.styles.display == "none"
        assert "70x20" in str(app.too_small.render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert not app.has_class("too-small")


def _text(widget) -> str:  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(width=160, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()
