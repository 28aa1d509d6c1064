"""Reassigning agents against the simulator over loopback, with a real journal file."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import wait_until

from floorview.actions import (
    READ_ONLY,
    ActionRefused,
    AgentChange,
    Permissions,
    reassign,
    undo,
    unverified,
)
from floorview.analytics.whatif import new_memberships, preview
from floorview.audit_cmd import run_audit
from floorview.feed import Feed
from floorview.identity import Actor
from floorview.journal import Journal
from floorview.model import Agent, AgentState, FloorSnapshot
from floorview.sim.server import RunningSim
from floorview.sources.rest import RestSource
from floorview.ui.app import FloorApp
from floorview.ui.reassign_dialog import ReassignDialog

MARIA = Actor("maria", "maria", "203.0.113.9", "host")
OMAR = Actor("omar", None, None, "host")
WRITE = Permissions()


def now() -> datetime:
    return datetime.now(UTC)


def movable(floor: FloorSnapshot, n: int, queue: str = "q-billing") -> list[Agent]:
    staffed = [a for a in floor.agents if a.state is not AgentState.OFFLINE
               and queue in a.queue_ids and "q-sales" not in a.queue_ids]
    assert len(staffed) >= n
    return staffed[:n]


def changes_for(agents: Sequence[Agent], remove: str, add: str) -> list[AgentChange]:
    return [
        AgentChange(a.id, a.name, a.queue_ids,
                    tuple([q for q in a.queue_ids if q != remove] + [add]), a.version)
        for a in agents
    ]


async def test_a_read_only_display_is_refused_by_the_actions_layer(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    source = RestSource("sim", loopback_sim.url)
    floor = await source.fetch_floor()
    (agent,) = movable(floor, 1)
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(ActionRefused, match="read-only"):
            await reassign(changes_for([agent], "q-billing", "q-sales"), source=source,
                           journal=journal, actor=MARIA, permissions=READ_ONLY, at=now)
        assert journal.audit_entries() == []
    assert (await source.fetch_agent(agent.id)).version == agent.version
    await source.aclose()


async def test_an_agent_changed_since_the_preview_is_not_written(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    source = RestSource("sim", loopback_sim.url)
    (agent,) = movable(await source.fetch_floor(), 1)
    # Someone else changes the agent after our preview.
    await source.set_agent_queues(agent.id, (*agent.queue_ids, "q-retentions"), agent.version)
    with Journal(tmp_path / "j.sqlite3") as journal:
        (result,) = await reassign(changes_for([agent], "q-billing", "q-sales"), source=source,
                                   journal=journal, actor=MARIA, permissions=WRITE, at=now)
        assert result.outcome == "conflict" and "since the preview" in result.message
        assert journal.audit_entries() == []  # nothing attempted, nothing to audit
    assert (await source.fetch_agent(agent.id)).version == agent.version + 1
    await source.aclose()


async def test_two_supervisors_on_one_agent_make_exactly_one_write(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    path = tmp_path / "j.sqlite3"
    source = RestSource("sim", loopback_sim.url)
    (agent,) = movable(await source.fetch_floor(), 1)
    change = changes_for([agent], "q-billing", "q-sales")
    with Journal(path) as mine, Journal(path) as theirs:
        ours, other = await asyncio.gather(
            reassign(change, source=source, journal=mine, actor=MARIA, permissions=WRITE,
                     at=now),
            reassign(change, source=source, journal=theirs, actor=OMAR, permissions=WRITE,
                     at=now),
        )
        outcomes = sorted([ours[0].outcome, other[0].outcome])
        assert outcomes in (["done", "refused"], ["conflict", "done"])
        loser = ours[0] if ours[0].outcome != "done" else other[0]
        assert "being changed by" in loser.message or "since the preview" in loser.message
    assert (await source.fetch_agent(agent.id)).version == agent.version + 1
    await source.aclose()


class DiesMidWrite(RestSource):
    async def set_agent_queues(self, agent_id: str, queues: Sequence[str],
                               expected_version: int) -> Agent:
        raise KeyboardInterrupt  # the process is killed between intent and call


async def test_a_crash_between_intent_and_call_leaves_an_unverified_entry(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    source = DiesMidWrite("sim", loopback_sim.url)
    (agent,) = movable(await source.fetch_floor(), 1)
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(KeyboardInterrupt):
            await reassign(changes_for([agent], "q-billing", "q-sales"), source=source,
                           journal=journal, actor=MARIA, permissions=WRITE, at=now)
        (entry,) = unverified(journal)
        assert entry.result == "intent" and entry.subject == f"agent:sim/{agent.id}"
    out = io.StringIO()
    assert run_audit(tmp_path / "j.sqlite3", since=None, fmt="csv", out=out) == 0
    assert ",unverified," in out.getvalue()
    await source.aclose()


async def test_move_three_then_undo_over_loopback(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    source = RestSource("sim", loopback_sim.url)
    floor = await source.fetch_floor()
    three = movable(floor, 3)
    seen: list[str] = []
    with Journal(tmp_path / "j.sqlite3") as journal:
        results = await reassign(
            changes_for(three, "q-billing", "q-sales"), source=source, journal=journal,
            actor=MARIA, permissions=WRITE, at=now,
            progress=lambda done, total, r: seen.append(f"{done}/{total} {r.outcome}"),
        )
        assert [r.outcome for r in results] == ["done"] * 3
        assert seen == ["1/3 done", "2/3 done", "3/3 done"]
        after = (await source.fetch_floor()).agent_by_id
        for a in three:
            assert "q-sales" in after[a.id].queue_ids and "q-billing" not in after[a.id].queue_ids
        trail = journal.audit_entries()
        assert [e.result for e in trail] == ["intent", "ok"] * 3
        assert len({e.correlation for e in trail}) == 1

        back = await undo(results[0].audit_id or 0, source=source, journal=journal,
                          actor=MARIA, permissions=WRITE, at=now)
        assert [r.outcome for r in back] == ["done"] * 3
        restored = (await source.fetch_floor()).agent_by_id
        for a in three:
            assert set(restored[a.id].queue_ids) == set(a.queue_ids)
        assert [e.action for e in journal.audit_entries()[6:]] == ["undo"] * 6
    await source.aclose()


async def test_cancel_stops_before_the_next_agent(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    source = RestSource("sim", loopback_sim.url)
    three = movable(await source.fetch_floor(), 3)
    cancel = asyncio.Event()
    with Journal(tmp_path / "j.sqlite3") as journal:
        results = await reassign(
            changes_for(three, "q-billing", "q-sales"), source=source, journal=journal,
            actor=MARIA, permissions=WRITE, at=now, cancel=cancel,
            progress=lambda done, total, r: cancel.set(),
        )
    assert [r.outcome for r in results] == ["done", "refused", "refused"]
    assert all("cancelled" in r.message for r in results[1:])
    assert (await source.fetch_agent(three[1].id)).version == three[1].version
    await source.aclose()


async def test_the_preview_moves_staffing_the_way_the_move_does(
    loopback_sim: RunningSim,
) -> None:
    source = RestSource("sim", loopback_sim.url)
    floor = await source.fetch_floor()
    three = movable(floor, 3)
    changes = new_memberships(floor, [a.id for a in three], remove=["q-billing"],
                              add=["q-sales"])
    effects = {e.queue_id: e for e in preview(floor, None, changes)}
    assert set(effects) == {"q-billing", "q-sales"}
    joining = sum(a.state is not AgentState.OFFLINE for a in three)
    assert effects["q-sales"].staffed_after - effects["q-sales"].staffed_before == joining
    assert effects["q-sales"].sl_before is None  # no interval plan given: no figures
    await source.aclose()


async def test_enter_alone_in_the_dialog_writes_nothing(
    loopback_sim: RunningSim, tmp_path: Path
) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        from floorview.monitor import Monitor

        source = RestSource("sim", loopback_sim.url)
        app = FloorApp([Feed(source, 0.5)], tick_s=0.1, monitor=Monitor(journal=journal),
                       actor=MARIA)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.snapshots_applied > 0)
            app.agent_table.focus()
            await pilot.press("space", "r")
            await wait_until(pilot, lambda: isinstance(app.screen, ReassignDialog))
            await pilot.press("y", "enter")  # focus starts on Cancel
            await wait_until(pilot, lambda: not isinstance(app.screen, ReassignDialog))
            await pilot.press("r")
            await wait_until(pilot, lambda: isinstance(app.screen, ReassignDialog))
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ReassignDialog))
        assert journal.audit_entries() == []


async def test_a_move_of_more_than_three_needs_the_count_typed(loopback_sim: RunningSim) -> None:
    from textual.app import App
    from textual.widgets import Button, Input, Select

    source = RestSource("sim", loopback_sim.url)
    floor = await source.fetch_floor()
    four = movable(floor, 4)
    await source.aclose()

    def previewer(remove: str | None, add: str | None):  # type: ignore[no-untyped-def]
        changes = new_memberships(floor, [a.id for a in four], remove=[remove] if remove else [],
                                  add=[add] if add else [])
        return changes, preview(floor, None, changes)

    dialog = ReassignDialog(four, {q.id: q.name for q in floor.queues}, previewer,
                            as_of=floor.as_of, data_age_s=1.0)
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_screen(dialog)
        await pilot.pause()
        dialog.query_one("#re-add", Select).value = "q-sales"
        await pilot.pause()
        ok = dialog.query_one("#re-ok", Button)
        assert dialog.changes and ok.disabled  # a choice alone is not enough for four
        dialog.query_one("#re-confirm", Input).value = "3"
        await pilot.pause()
        assert ok.disabled
        dialog.query_one("#re-confirm", Input).value = "4"
        await pilot.pause()
        assert not ok.disabled


async def test_the_undo_command_puts_a_move_back(
    loopback_sim: RunningSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from floorview.cli import main

    config = tmp_path / "floor.toml"
    config.write_text(
        f'[[sources]]\nname = "sim"\nkind = "rest"\nurl = "{loopback_sim.url}"\n\n'
        '[journal]\npath = "j.sqlite3"\n'
    )
    source = RestSource("sim", loopback_sim.url)
    (agent,) = movable(await source.fetch_floor(), 1)
    with Journal(tmp_path / "j.sqlite3") as journal:
        (result,) = await reassign(changes_for([agent], "q-billing", "q-sales"), source=source,
                                   journal=journal, actor=MARIA, permissions=WRITE, at=now)
    # The command runs its own event loop, as it does from a shell.
    rc = await asyncio.to_thread(main, ["undo", str(result.audit_id), "--config", str(config)])
    assert rc == 0 and "done" in capsys.readouterr().out
    assert (await source.fetch_agent(agent.id)).queue_ids == agent.queue_ids
    rc = await asyncio.to_thread(main, ["undo", "999", "--config", str(config)])
    assert rc == 1 and "no reassignment with audit id 999" in capsys.readouterr().err
    await source.aclose()
