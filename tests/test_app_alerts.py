"""Alerts on the dashboard: shown with reasons, acknowledged with `a`, shared via the journal."""

from __future__ import annotations

from pathlib import Path

from fakes import Clock, ScriptedSource, recorded_floor, wait_until

from floorview.actions import READ_ONLY
from floorview.alerts import AlertRules, AlertState
from floorview.feed import Feed
from floorview.identity import Actor
from floorview.journal import Journal
from floorview.monitor import Monitor
from floorview.ui.ack_dialog import AckDialog
from floorview.ui.alert_table import AlertTable
from floorview.ui.app import FloorApp

FLOOR = recorded_floor()
MARIA = Actor("maria", "maria", "203.0.113.9", "floor-host")
SL_ALERT = "acd/queue.sl:queue:q-billing"



def dashboard(journal: Journal | None, **kw: object) -> FloorApp:
    # for_s=0: the recorded floor's breaches fire on the first poll.
    monitor = Monitor(AlertRules(for_s=0.0), journal)
    feed = Feed(ScriptedSource([FLOOR]), 1.0, clock=Clock())
    return FloorApp([feed], tick_s=0.05, monitor=monitor, actor=MARIA, **kw)  # type: ignore[arg-type]


def row_text(table: AlertTable, key: str) -> list[str]:
    return [cell.plain for cell in table.get_row(key)]


async def test_a_supervisor_acknowledges_with_a_note_and_the_trail_says_who(
    tmp_path: Path,
) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        app = dashboard(journal)
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.alert_table
            await wait_until(pilot, lambda: SL_ALERT in table.rows)
            state, why = row_text(table, SL_ALERT)[1:3]
            assert state == "FIRING" and "SL today 77% < target 80%" in why
            table.focus()
            table.move_cursor(row=table.get_row_index(SL_ALERT))
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
            await pilot.press(*"calling Tom in")
            await pilot.press("enter")
            await wait_until(pilot, lambda: row_text(table, SL_ALERT)[1].startswith("✓"))
            assert row_text(table, SL_ALERT)[1] == "✓ maria@203.0.113.9 (ssh)"
            assert "note: calling Tom in" in row_text(table, SL_ALERT)[2]
        (entry,) = journal.audit_entries()
        assert (entry.action, entry.subject, entry.who) == (
            "ack", SL_ALERT, "maria@203.0.113.9 (ssh)"
        )
        assert entry.after["note"] == "calling Tom in"


async def test_escape_cancels_and_writes_nothing(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        app = dashboard(journal)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.alert_table.row_count > 0)
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
            await pilot.press(*"never mind", "escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, AckDialog))
            assert all(a.state is not AlertState.ACKNOWLEDGED for a in app.alerts)
        assert journal.audit_entries() == []


async def test_a_read_only_display_says_so_and_opens_no_dialog(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        app = dashboard(journal, permissions=READ_ONLY)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.alert_table.row_count > 0)
            await pilot.press("a")
            await pilot.pause(0.1)
            assert not isinstance(app.screen, AckDialog)
        assert journal.audit_entries() == []


async def test_an_ack_made_elsewhere_shows_without_a_new_poll(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as mine, Journal(path) as elsewhere:
        app = dashboard(mine)
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.alert_table
            await wait_until(pilot, lambda: SL_ALERT in table.rows)
            alert = next(a for a in app.alerts if a.fingerprint == SL_ALERT)
            # The scripted source answers once: any change now comes from the journal.
            elsewhere.acknowledge(SL_ALERT, alert_title=alert.title, severity=alert.severity,
                                  actor=Actor("omar", None, None, "wall"), at=app.monitor.now)
            await wait_until(pilot, lambda: row_text(table, SL_ALERT)[1] == "✓ omar")


async def test_the_alerts_screen_lists_everything_and_acks_from_there(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        app = dashboard(journal)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: SL_ALERT in app.alert_table.rows)
            await pilot.press("4")
            board = app.alerts_view.board
            await wait_until(pilot, lambda: SL_ALERT in board.rows)
            board.move_cursor(row=board.get_row_index(SL_ALERT))
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
            await pilot.press(*"on it", "enter")
            await wait_until(pilot, lambda: board.cells_of(SL_ALERT)["owner"] != "—")
            row = board.cells_of(SL_ALERT)
            assert row["owner"] == "maria@203.0.113.9 (ssh)" and row["note"] == "on it"
            # The history under the board shows the journal's row for the ack.
            await wait_until(pilot, lambda: "ack ok" in _plain(app.alerts_view.detail))
            assert "acknowledged" in _plain(app.alerts_view.detail)


def _plain(widget) -> str:  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(width=160, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()
