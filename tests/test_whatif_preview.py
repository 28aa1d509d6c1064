"""The reassignment preview agrees with the board, and more agents never look worse."""

from __future__ import annotations

from test_outlook_cache import FIXED_PATIENCE, polls

from floorview.analytics.outlook import OutlookCache, current_outlook
from floorview.analytics.whatif import effect_summary, new_memberships, preview
from floorview.model import AgentState


async def test_preview_before_is_the_boards_figure_and_moving_in_helps() -> None:
    (snap,), plan = await polls([0.0])
    cache = OutlookCache()
    board = current_outlook(snap, plan, FIXED_PATIENCE, cache)
    short = max(board.values(), key=lambda o: o.gap).queue_id
    spare = min(board.values(), key=lambda o: o.gap).queue_id
    donors = [a for a in snap.agents if a.state is AgentState.AVAILABLE
              and spare in a.queue_ids and short not in a.queue_ids][:3]
    assert donors, "the seeded floor has available agents on its best-staffed queue"
    changes = new_memberships(snap, [a.id for a in donors], remove=[spare], add=[short])
    effects = {e.queue_id: e for e in preview(snap, cache.interval, changes)}
    target, source = effects[short], effects[spare]
    assert target.sl_before == board[short].sl_projected  # the board and the preview agree
    assert target.staffed_after == target.staffed_before + len(donors)
    assert source.staffed_after == source.staffed_before - len(donors)
    assert target.sl_after is not None and target.sl_before is not None
    assert target.sl_after > target.sl_before
    assert target.asa_after_s is not None and target.asa_before_s is not None
    assert target.asa_after_s < target.asa_before_s
    assert source.sl_after is not None and source.sl_before is not None
    assert source.sl_after <= source.sl_before
    assert f"staff {target.staffed_before} -> {target.staffed_after}" in effect_summary(
        list(effects.values())
    )


def test_unknown_agents_are_named_and_no_ops_left_out() -> None:
    import pytest
    from fakes import recorded_floor

    floor = recorded_floor()
    agent = floor.agents[0]
    assert new_memberships(floor, [agent.id], add=[agent.queue_ids[0]]) == {}
    with pytest.raises(KeyError, match="a-nobody"):
        new_memberships(floor, ["a-nobody"], add=["q-sales"])
