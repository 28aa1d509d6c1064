"""The day's plan as the forecast endpoint publishes it: expected volume from the profile,
each queue's AHT, and the agents the roster puts on each queue.

Surges are deliberately absent: they are what actually happened, not what was planned.
"""

from __future__ import annotations

from dataclasses import dataclass

from floorview.sim.config import QueueSpec
from floorview.sim.profile import INTERVAL_S, INTERVALS_PER_DAY, Profile
from floorview.sim.roster import AgentPlan


@dataclass(frozen=True, slots=True)
class PlannedInterval:
    queue: int
    #: Interval number within the day, 0 = 00:00-00:15.
    k: int
    volume: float
    aht_s: float
    scheduled_agents: int


def day_plan(
    queues: tuple[QueueSpec, ...], roster: tuple[AgentPlan, ...], profile: Profile
) -> tuple[PlannedInterval, ...]:
    """Rows ordered by interval, then by queue, like the interval actuals."""
    rows = []
    for k in range(INTERVALS_PER_DAY):
        start = k * INTERVAL_S
        midpoint = start + INTERVAL_S / 2
        # Counted agent by agent, not queue by queue: one pass over a 5000-agent roster.
        scheduled = [0] * len(queues)
        for plan in roster:
            if plan.scheduled_at(midpoint):
                for qi in plan.skills:
                    scheduled[qi] += 1
        share = profile.share(start, start + INTERVAL_S)
        rows.extend(
            PlannedInterval(qi, k, spec.daily_volume * share, spec.aht_s, scheduled[qi])
            for qi, spec in enumerate(queues)
        )
    return tuple(rows)
