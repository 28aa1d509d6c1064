"""The re-forecast as the floor board needs it: per queue, the interval in progress."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from floorview.analytics.erlang import estimate_patience_s
from floorview.analytics.reforecast import QueueTargets, ReforecastParams, reforecast
from floorview.model import FloorSnapshot
from floorview.sources.base import DayPlan


@dataclass(frozen=True, slots=True)
class QueueOutlook:
    queue_id: str
    interval_start: datetime
    #: Agents the re-forecast says this interval needs (Erlang A when patience is known).
    required: int
    scheduled: float
    staffed: int
    #: required - staffed now; positive means short.
    gap: float
    volume_ratio: float
    sl_projected: float | None


def queue_targets(snapshot: FloorSnapshot) -> dict[str, QueueTargets]:
    return {
        q.id: QueueTargets(
            threshold_s=q.sl_threshold_s,
            target_sl=q.sl_target,
            patience_s=estimate_patience_s(q.today.wait_time_s, q.today.abandoned),
        )
        for q in snapshot.queues
    }


def rest_of_day(
    snapshot: FloorSnapshot, plan: DayPlan, params: ReforecastParams | None = None
) -> pd.DataFrame:
    """The re-forecast table from the interval in progress to the end of the plan, for the
    queues both the floor and the plan know."""
    targets = queue_targets(snapshot)
    forecast = plan.forecast[plan.forecast["queue"].isin(list(targets))]
    staffed = {q.id: snapshot.staffed_on(q.id) for q in snapshot.queues}
    return reforecast(
        forecast,
        plan.actuals,
        snapshot.as_of,
        targets,
        staffed_now=staffed,
        params=params or ReforecastParams(),
    )


def current_outlook(
    snapshot: FloorSnapshot, plan: DayPlan, params: ReforecastParams | None = None
) -> dict[str, QueueOutlook]:
    table = rest_of_day(snapshot, plan, params)
    now = table[table["start"] == pd.Timestamp(snapshot.as_of).floor("15min")]
    out: dict[str, QueueOutlook] = {}
    for row in now.itertuples(index=False):
        required = row.required_c if math.isnan(row.required_a) else row.required_a
        sl = float(row.sl_projected)
        out[str(row.queue)] = QueueOutlook(
            queue_id=str(row.queue),
            interval_start=row.start.to_pydatetime(),
            required=int(required),
            scheduled=float(row.scheduled),
            staffed=int(row.staffed_now),
            gap=float(row.gap),
            volume_ratio=float(row.volume_ratio),
            sl_projected=None if math.isnan(sl) else sl,
        )
    return out
