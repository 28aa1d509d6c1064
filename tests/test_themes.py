"""Theme files: the shipped ones load, a broken one is one clear line, `t` switches."""

from __future__ import annotations

from pathlib import Path

from fakes import ScriptedSource, recorded_floor, wait_until

from floorview.feed import Feed
from floorview.ui.app import FloorApp
from floorview.ui.themes import DEFAULT_THEME, load_themes, theme_dirs

SHIPPED = {"floorview-dark", "floorview-light", "wall-high-contrast", "colour-blind-safe",
           "ansi-16"}


def test_the_shipped_themes_load_without_problems() -> None:
    themes, problems = load_themes(theme_dirs()[:1])
    assert problems == []
    assert set(themes) >= SHIPPED
    assert themes["ansi-16"].ansi and not themes["floorview-light"].dark


def test_a_broken_or_odd_theme_file_is_one_line_and_the_rest_still_load(tmp_path: Path) -> None:
    (tmp_path / "bad-toml.toml").write_text('name = "x"\nprimary = \n')
    (tmp_path / "bad-colour.toml").write_text('name = "x"\nprimary = "not-a-colour"\n')
    (tmp_path / "odd-key.toml").write_text('name = "x"\nprimary = "#fff"\nbackgrund = "#000"\n')
    (tmp_path / "mine.toml").write_text('name = "mine"\nprimary = "#ff8800"\n')
    themes, problems = load_themes([*theme_dirs()[:1], tmp_path])
    assert set(themes) >= SHIPPED | {"mine"}
    assert len(problems) == 3
    assert any("bad-colour.toml: primary: not a colour" in p for p in problems)
    assert any("odd-key.toml: unknown key 'backgrund'" in p for p in problems)
    assert any("bad-toml.toml: not valid TOML" in p for p in problems)


async def test_t_cycles_themes_and_an_unknown_one_falls_back_with_a_notice() -> None:
    app = FloorApp([Feed(ScriptedSource([recorded_floor()]), 1.0)], theme="no-such-theme")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        assert app.theme == DEFAULT_THEME
        assert "theme 'no-such-theme' not found" in str(app.problems.render())
        before = app.theme
        await pilot.press("t")
        assert app.theme != before and app.theme in SHIPPED


async def test_every_shipped_theme_renders_the_dashboard_and_its_dialogs() -> None:
    app = FloorApp([Feed(ScriptedSource([recorded_floor()]), 1.0)])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.snapshots_applied == 1)
        for name in sorted(SHIPPED):
            app.theme = name
            await pilot.pause()
            await pilot.press("r")  # a modal screen uses more of the theme's variables
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and app.theme == name


async def test_a_theme_chosen_on_screen_comes_back_at_the_next_start(tmp_path: Path) -> None:
    state = tmp_path / "state" / "ui-state.toml"

    def dashboard() -> FloorApp:
        feed = Feed(ScriptedSource([recorded_floor()]), 1.0)
        return FloorApp([feed], theme=DEFAULT_THEME, state_file=state)

    first = dashboard()
    async with first.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: first.snapshots_applied == 1)
        await pilot.press("t")
        chosen = first.theme
    assert chosen != DEFAULT_THEME and f'theme = "{chosen}"' in state.read_text()
    again = dashboard()
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: again.snapshots_applied == 1)
        assert again.theme == chosen
    state.write_text("theme = [broken")  # an unreadable file is no choice, not a crash
    last = dashboard()
    async with last.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: last.snapshots_applied == 1)
        assert last.theme == DEFAULT_THEME


async def test_every_theme_colour_the_boards_use_is_a_style_rich_can_draw() -> None:
    # Textual names an ANSI theme's colours `ansi_green`; Rich, which draws the cells, calls
    # it `green` and raises on the other name when the cell is painted.
    from rich.console import Console

    from floorview.ui.format import rich_colours

    app = FloorApp([Feed(ScriptedSource([recorded_floor()]), 1.0)], theme="ansi-16")
    async with app.run_test(size=(100, 30)):
        variables = app.get_css_variables()
        assert variables["success"].startswith("ansi_")  # the case this guards
        colours = rich_colours(variables)
        for key in ("primary", "secondary", "accent", "success", "warning", "error"):
            Console().get_style(f"bold {colours[key]}")  # raises MissingStyle if not


def test_no_stylesheet_names_a_colour_of_its_own() -> None:
    # Colours come from the theme's variables only: a literal one would ignore the wall's
    # high-contrast theme and the ANSI-16 one an SSH terminal needs.
    import ast
    import re

    literal = re.compile(
        r":\s*[^;$]*(#[0-9a-fA-F]{3,8}\b|rgba?\(|hsl\(|\bansi_\w+|"
        r"\b(red|green|blue|yellow|white|black|magenta|cyan|orange|grey|gray)\b)"
    )
    ui = Path(__file__).resolve().parent.parent / "floorview" / "ui"
    found = []
    for path in ui.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("CSS", "DEFAULT_CSS") for t in node.targets
            ) and isinstance(node.value, ast.Constant):
                found += [f"{path.name}: {line.strip()}"
                          for line in str(node.value.value).splitlines() if literal.search(line)]
    assert found == []
