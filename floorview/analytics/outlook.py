"""The re-forecast as the floor board needs it: per queue, the interval in progress."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import pandas as pd

from floorview.analytics.erlang import estimate_patience_s
from floorview.analytics.reforecast import (
    INTERVAL,
    QueueTargets,
    Ratios,
    ReforecastParams,
    queue_ratios,
    reforecast,
)
from floorview.model import FloorSnapshot
from floorview.sources.base import DayPlan


@dataclass(frozen=True, slots=True)
class OutlookSettings:
    params: ReforecastParams = field(default_factory=ReforecastParams)
    #: Mean caller patience for Erlang A; None estimates it from each queue's day so far.
    patience_s: float | None = None
    volume_override: Mapping[str, float] = field(default_factory=dict)
    #: (queue id, time of day) intervals left out of the ratios.
    exclude: Collection[tuple[str, time]] = ()
    #: A forecast to use instead of the source's (from a CSV file), any number of days.
    forecast: pd.DataFrame | None = None

    def excluded_on(self, day: date) -> list[tuple[str, datetime]]:
        return [(q, datetime.combine(day, t, tzinfo=UTC)) for q, t in self.exclude]


DEFAULT_SETTINGS = OutlookSettings()


@dataclass(frozen=True, slots=True)
class QueueOutlook:
    queue_id: str
    interval_start: datetime
    #: Agents the re-forecast says this interval needs (Erlang A when patience is known).
    required: int
    scheduled: float
    #: Agents that are capacity for this queue now (FloorSnapshot.effective_on).
    staffed: int
    #: required - staffed now; positive means short.
    gap: float
    volume_ratio: float
    sl_projected: float | None


def queue_targets(snapshot: FloorSnapshot, patience_s: float | None) -> dict[str, QueueTargets]:
    return {
        q.id: QueueTargets(
            threshold_s=q.sl_threshold_s,
            target_sl=q.sl_target,
            patience_s=patience_s
            if patience_s is not None
            else estimate_patience_s(q.today.wait_time_s, q.today.abandoned),
        )
        for q in snapshot.queues
    }


def _day_forecast(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings
) -> pd.DataFrame:
    forecast = plan.forecast if settings.forecast is None else settings.forecast
    day = snapshot.as_of.date()
    known = [q.id for q in snapshot.queues]
    return forecast[forecast["queue"].isin(known) & (forecast["start"].dt.date == day)]


def _table(
    snapshot: FloorSnapshot,
    plan: DayPlan,
    settings: OutlookSettings,
    forecast: pd.DataFrame,
    ratios: Mapping[str, Ratios] | None,
    until: datetime | None,
) -> pd.DataFrame:
    day = snapshot.as_of.date()
    return reforecast(
        forecast,
        plan.actuals,
        snapshot.as_of,
        queue_targets(snapshot, settings.patience_s),
        staffed_now={q.id: snapshot.effective_on(q.id) for q in snapshot.queues},
        params=settings.params,
        volume_override=settings.volume_override,
        excluded=settings.excluded_on(day),
        ratios=ratios,
        until=until,
    )


def rest_of_day(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings | None = None
) -> pd.DataFrame:
    """The re-forecast table from the interval in progress to the end of the day, for the
    queues both the floor and the plan know."""
    settings = settings or DEFAULT_SETTINGS
    return _table(snapshot, plan, settings, _day_forecast(snapshot, plan, settings), None, None)


class OutlookCache:
    """Keeps the day's forecast rows and the volume and AHT ratios while the plan and the
    interval stay the same.

    The ratios read every completed interval of the day; on a 200-queue floor computing them
    (and filtering the forecast to the day) costs far more than the one row per queue the
    board needs on each poll.
    """

    def __init__(self) -> None:
        self._key: tuple[int, int, pd.Timestamp] | None = None
        self.forecast = pd.DataFrame()
        self.ratios: dict[str, Ratios] = {}

    def refresh(self, snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings) -> None:
        interval = pd.Timestamp(snapshot.as_of).floor("15min")
        key = (id(plan), id(settings), interval)
        if key == self._key:
            return
        self.forecast = _day_forecast(snapshot, plan, settings)
        self.ratios = queue_ratios(
            self.forecast,
            plan.actuals,
            snapshot.as_of,
            settings.params,
            settings.excluded_on(snapshot.as_of.date()),
        )
        self._key = key


def current_outlook(
    snapshot: FloorSnapshot,
    plan: DayPlan,
    settings: OutlookSettings | None = None,
    cache: OutlookCache | None = None,
) -> dict[str, QueueOutlook]:
    """Per queue, the re-forecast for the interval in progress."""
    settings = settings or DEFAULT_SETTINGS
    if cache is not None:
        cache.refresh(snapshot, plan, settings)
        forecast, ratios = cache.forecast, cache.ratios
    else:
        forecast, ratios = _day_forecast(snapshot, plan, settings), None
    interval = pd.Timestamp(snapshot.as_of).floor("15min")
    until = (interval + INTERVAL).to_pydatetime()
    table = _table(snapshot, plan, settings, forecast, ratios, until)
    now = table[table["start"] == interval]
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
