"""`b` on the dashboard: the bridge summary, written to a file and copied, owners included."""

from pathlib import Path

from fakes import Clock, ScriptedSource, recorded_floor, wait_until

from floorview.alerts import AlertRules
from floorview.feed import Feed
from floorview.identity import Actor
from floorview.journal import Journal
from floorview.monitor import Monitor
from floorview.ui.ack_dialog import AckDialog
from floorview.ui.app import FloorApp

MARIA = Actor("maria", None, None, "floor-host")
SL_ALERT = "acd/queue.sl:queue:q-billing"


async def test_b_writes_the_summary_with_who_has_each_alert_and_copies_it(
    tmp_path: Path,
) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        monitor = Monitor(AlertRules(for_s=0.0), journal)
        feed = Feed(ScriptedSource([recorded_floor()]), 1.0, clock=Clock())
        app = FloorApp([feed], tick_s=0.05, monitor=monitor, actor=MARIA,
                       files_dir=tmp_path / "out")
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.alert_table
            await wait_until(pilot, lambda: SL_ALERT in table.rows)
            table.focus()
            table.move_cursor(row=table.get_row_index(SL_ALERT))
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, AckDialog))
            await pilot.press(*"calling Tom", "enter")
            await wait_until(pilot, lambda: table.cells_of(SL_ALERT)["state"].startswith("✓"))
            await pilot.press("b")
            await wait_until(pilot, lambda: any((tmp_path / "out").glob("bridge-*.md")))
            (path,) = (tmp_path / "out").glob("bridge-*.md")
            text = path.read_text(encoding="utf-8")
            assert app.clipboard == text  # what OSC 52 sent to the terminal
            await pilot.press("S")
            await wait_until(pilot, lambda: any((tmp_path / "out").glob("*.svg")))
    assert text.startswith("## ")
    assert "| Billing | 3 | 0:42 |" in text
    assert "Billing: SL 77%" in text and "**maria** has it (calling Tom)" in text
    assert "### Staffing gap, next two hours" in text and "### Escalations" in text
