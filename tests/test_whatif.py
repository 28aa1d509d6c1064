"""The reassignment preview: new queue lists, who counts where after a move, the Erlang
figures before and after (agreeing with the board), and the bridge-chat summary."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from test_outlook_cache import FIXED_PATIENCE, polls

from floorview.analytics.outlook import (
    IntervalPlan,
    OutlookCache,
    QueueOutlook,
    current_outlook,
)
from floorview.analytics.whatif import (
    QueueEffect,
    changed_floor,
    effect_summary,
    new_memberships,
    preview,
    project,
)
from floorview.model import (
    Agent,
    AgentState,
    Channel,
    Contact,
    FloorSnapshot,
    Queue,
    QueueToday,
)

NOW = datetime(2026, 3, 2, 11, 20, tzinfo=UTC)


def _queue(qid: str) -> Queue:
    today = QueueToday(offered=0, answered=0, answered_within_sl=0, abandoned=0, handled=0,
                       handle_time_s=0.0, wait_time_s=0.0)
    return Queue(id=qid, name=qid.title(), channel=Channel.VOICE, sl_threshold_s=20.0,
                 sl_target=0.8, waiting=0, oldest_wait_s=0.0, today=today)


def _agent(aid: str, state: AgentState, queues: tuple[str, ...], on: str | None = None) -> Agent:
    contact = None if on is None else Contact(queue_id=on, started_at=NOW, sentiment=None)
    return Agent(id=aid, name=aid, team="t", state=state, aux_reason=None, state_since=NOW,
                 queue_ids=queues, version=1, contact=contact, today=None)


def small_floor() -> FloorSnapshot:
    """Three queues q1, q2, q3 and agents in every state that counts differently."""
    agents = (
        _agent("idle", AgentState.AVAILABLE, ("q1", "q3")),
        _agent("busy-q1", AgentState.ON_CONTACT, ("q1", "q3"), on="q1"),
        _agent("wrapping-q3", AgentState.ACW, ("q1", "q3"), on="q3"),
        _agent("break", AgentState.AUX, ("q1",)),
        _agent("only-q2", AgentState.AVAILABLE, ("q2",)),
    )
    return FloorSnapshot("acd", NOW, "site", tuple(map(_queue, ("q1", "q2", "q3"))), agents)


# --- new_memberships --------------------------------------------------------------------------


def test_a_move_drops_the_old_queue_and_appends_the_new() -> None:
    floor = small_floor()
    assert new_memberships(floor, ["idle", "busy-q1"], remove=["q1"], add=["q2"]) == {
        "idle": ("q3", "q2"),
        "busy-q1": ("q3", "q2"),
    }


def test_add_appends_once_and_keeps_the_order() -> None:
    floor = small_floor()
    assert new_memberships(floor, ["idle"], add=["q2", "q2"]) == {"idle": ("q1", "q3", "q2")}


def test_remove_keeps_the_others_in_order() -> None:
    floor = small_floor()
    assert new_memberships(floor, ["idle"], remove=["q1"]) == {"idle": ("q3",)}


def test_agents_whose_queues_would_not_change_are_left_out() -> None:
    floor = small_floor()
    changes = new_memberships(floor, ["idle", "only-q2", "break"], remove=["q3"], add=["q2"])
    assert changes == {"idle": ("q1", "q2"), "break": ("q1", "q2")}  # only-q2 already there
    assert new_memberships(floor, ["idle"], remove=["q2"]) == {}
    # Left and joined at once is no change: re-appending would reorder the routing list.
    assert new_memberships(floor, ["idle"], remove=["q1"], add=["q1"]) == {}


def test_an_unknown_agent_or_queue_is_named_in_the_error() -> None:
    floor = small_floor()
    with pytest.raises(KeyError, match="'a-nobody' is not on the acd floor"):
        new_memberships(floor, ["idle", "a-nobody"], add=["q2"])
    with pytest.raises(KeyError, match="'q-typo'"):
        new_memberships(floor, ["idle"], add=["q-typo"])
    with pytest.raises(KeyError, match="a-nobody"):
        preview(floor, None, {"a-nobody": ("q1",)})


# --- who counts where after the move -------------------------------------------------------


def staffing(effects: list[QueueEffect]) -> dict[str, tuple[int, int]]:
    return {e.queue_id: (e.staffed_before, e.staffed_after) for e in effects}


def test_an_available_agent_moves_their_capacity_with_them() -> None:
    floor = small_floor()
    changes = new_memberships(floor, ["idle"], remove=["q1"], add=["q2"])
    # q3, kept, is not listed: its N cannot change.
    assert staffing(preview(floor, None, changes)) == {"q1": (2, 1), "q2": (1, 2)}


def test_a_busy_agent_counts_for_the_queues_they_join_not_the_one_they_leave() -> None:
    floor = small_floor()
    # On a q1 contact now: after the move they take q2 from their next contact.
    changes = new_memberships(floor, ["busy-q1"], remove=["q1"], add=["q2"])
    assert staffing(preview(floor, None, changes)) == {"q1": (2, 1), "q2": (1, 2)}
    # The changed floor alone would still count them for q1, by the contact in hand.
    assert changed_floor(floor, changes).effective_on("q1") == 2


def test_a_busy_agent_leaving_a_queue_they_are_not_serving_takes_nothing_from_it() -> None:
    floor = small_floor()
    changes = new_memberships(floor, ["wrapping-q3"], remove=["q1"], add=["q2"])
    assert staffing(preview(floor, None, changes)) == {"q1": (2, 2), "q2": (1, 2)}


def test_an_agent_on_a_break_changes_no_count() -> None:
    floor = small_floor()
    changes = new_memberships(floor, ["break"], remove=["q1"], add=["q2"])
    assert staffing(preview(floor, None, changes)) == {"q1": (2, 2), "q2": (1, 1)}


def test_without_an_interval_plan_there_are_counts_but_no_figures() -> None:
    floor = small_floor()
    changes = new_memberships(floor, ["idle"], remove=["q1"], add=["q2"])
    effects = preview(floor, None, changes)
    assert [e.queue_id for e in effects] == ["q1", "q2"]  # floor order
    for e in effects:
        figures = (e.sl_before, e.sl_after, e.asa_before_s, e.asa_after_s, e.abandon_before,
                   e.abandon_after, e.required, e.target_sl)
        assert figures == (None,) * 8
    assert effect_summary(effects) == (
        "Q1: no forecast this interval, staff 2 -> 1\nQ2: no forecast this interval, staff 1 -> 2"
    )
    assert preview(floor, None, {}) == []


# --- on the simulated floor ---------------------------------------------------------------------


async def board_and_interval() -> tuple[FloorSnapshot, dict[str, QueueOutlook], IntervalPlan]:
    (snap,), plan = await polls([0.0])
    cache = OutlookCache()
    board = current_outlook(snap, plan, FIXED_PATIENCE, cache)
    assert cache.interval is not None
    return snap, board, cache.interval


async def test_moving_spare_agents_to_the_shortest_queue_and_the_board_agrees() -> None:
    snap, board, interval = await board_and_interval()
    short = max(board.values(), key=lambda o: o.gap).queue_id
    spare = min(board.values(), key=lambda o: o.gap).queue_id
    assert short != spare

    def counts_for_spare(a: Agent) -> bool:  # in the board's N for the spare queue now
        if a.state is AgentState.AVAILABLE:
            return True
        busy = a.state in (AgentState.ON_CONTACT, AgentState.ACW)
        return busy and a.contact is not None and a.contact.queue_id == spare

    donors = [a for a in snap.agents if spare in a.queue_ids and short not in a.queue_ids
              and counts_for_spare(a)][:3]
    assert len(donors) == 3
    changes = new_memberships(snap, [a.id for a in donors], remove=[spare], add=[short])
    effects = {e.queue_id: e for e in preview(snap, interval, changes)}
    target, source = effects[short], effects[spare]

    # The preview's "before" is the board's figure, to the last bit.
    for e in effects.values():
        assert e.staffed_before == board[e.queue_id].staffed
        assert e.sl_before == board[e.queue_id].sl_projected
        assert e.required == board[e.queue_id].required
    assert target.staffed_after == target.staffed_before + 3
    assert source.staffed_after == source.staffed_before - 3
    assert target.sl_before is not None and target.sl_after is not None
    assert target.sl_after >= target.sl_before
    assert target.asa_before_s is not None and target.asa_after_s is not None
    assert target.asa_after_s <= target.asa_before_s
    assert target.abandon_before is not None and target.abandon_after is not None
    assert target.abandon_after <= target.abandon_before  # patience is known on this floor
    assert source.sl_before is not None and source.sl_after is not None
    assert source.sl_after <= source.sl_before
    assert target.target_sl == snap.queue_by_id[short].sl_target

    line = effect_summary([target]).splitlines()[0]
    assert line.startswith(f"{target.name}: SL {target.sl_before:.0%} -> {target.sl_after:.0%}")
    assert line.endswith(f"staff {target.staffed_before} -> {target.staffed_after}")


async def test_the_after_figures_are_what_the_board_would_show_once_moved() -> None:
    snap, _, interval = await board_and_interval()
    idle = [a for a in snap.agents if a.state is AgentState.AVAILABLE]
    source = idle[0].queue_ids[0]
    target = next(q.id for q in snap.queues if q.id not in idle[0].queue_ids)
    changes = new_memberships(snap, [idle[0].id], remove=[source], add=[target])
    # Available agents need no busy-agent allowance: the changed floor is the after-state.
    moved_board = interval.outlook(changed_floor(snap, changes))
    for e in preview(snap, interval, changes):
        assert e.staffed_after == moved_board[e.queue_id].staffed
        assert e.sl_after == moved_board[e.queue_id].sl_projected


async def test_projected_sl_is_the_interval_plans_for_every_queue() -> None:
    _, board, interval = await board_and_interval()
    for model in (interval, erlang_c(interval)):
        staffed = np.array([float(board[q].staffed) for q in interval.queues])
        got = project(model, interval.queues, staffed)
        np.testing.assert_array_equal(got.service_level, model.service_level(staffed))


def erlang_c(interval: IntervalPlan) -> IntervalPlan:
    """The same interval with patience unknown: Erlang C everywhere."""
    return dataclasses.replace(interval, patience_s=np.full(len(interval.queues), np.nan))


async def test_more_agents_never_look_worse() -> None:
    _, _, interval = await board_and_interval()
    for model in (interval, erlang_c(interval)):
        for i, q in enumerate(interval.queues):
            n = np.arange(0, int(interval.required[i]) + 6, dtype=float)
            got = project(model, [q] * len(n), n)
            for lo, hi in itertools.pairwise(range(len(n))):
                assert got.service_level[hi] >= got.service_level[lo] - 1e-12, (q, lo)
                assert got.asa_s[hi] <= got.asa_s[lo] + 1e-9, (q, lo)  # inf <= inf holds
            if model is interval:
                assert np.all(np.diff(got.abandon) <= 1e-12), q
                assert got.service_level[0] == 0.0 and got.abandon[0] == 1.0
            else:
                assert np.isnan(got.abandon).all()  # Erlang C: no abandons to show
            assert got.service_level[-1] > got.service_level[0]


async def test_a_queue_the_interval_has_no_plan_for_gets_counts_only() -> None:
    snap, _, interval = await board_and_interval()
    idle = next(a for a in snap.agents if a.state is AgentState.AVAILABLE)
    left = idle.queue_ids[0]
    joined = next(q.id for q in snap.queues if q.id not in idle.queue_ids)
    keep = [i for i, q in enumerate(interval.queues) if q != joined]
    partial = dataclasses.replace(
        interval,
        queues=tuple(interval.queues[i] for i in keep),
        interval_start=tuple(interval.interval_start[i] for i in keep),
        **{f: getattr(interval, f)[keep] for f in (
            "erlangs", "aht_s", "threshold_s", "target_sl", "patience_s", "required",
            "scheduled", "volume_ratio")},
    )
    changes = new_memberships(snap, [idle.id], remove=[left], add=[joined])
    effects = {e.queue_id: e for e in preview(snap, partial, changes)}
    assert effects[joined].staffed_after == effects[joined].staffed_before + 1
    assert effects[joined].sl_before is None and effects[joined].target_sl is None
    assert effects[left].sl_before is not None
    assert "no forecast this interval" in effect_summary([effects[joined]])


# --- summary ----------------------------------------------------------------------------------


def _effect(**figures: float | None) -> QueueEffect:
    base = dict(sl_before=0.61, sl_after=0.78, asa_before_s=48.2, asa_after_s=19.4,
                abandon_before=None, abandon_after=None, required=11.0, target_sl=0.8)
    return QueueEffect("q-sales", "Sales", 9, 12, **{**base, **figures})  # type: ignore[arg-type]


def test_the_summary_reads_as_one_line_per_queue() -> None:
    assert effect_summary([_effect()]) == (
        "Sales: SL 61% -> 78% (target 80%), wait 48s -> 19s, staff 9 -> 12"
    )
    assert effect_summary([_effect(abandon_before=0.121, abandon_after=0.04,
                                   asa_before_s=float("inf"))]) == (
        "Sales: SL 61% -> 78% (target 80%), wait unbounded -> 19s, abandon 12% -> 4%, "
        "staff 9 -> 12"
    )
    assert effect_summary([]) == ""
