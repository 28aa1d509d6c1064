"""The re-forecast as the floor board needs it: per queue, the interval in progress."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import numpy as np
import pandas as pd

from floorview.analytics import erlang
from floorview.analytics.erlang import FloatArray, estimate_patience_s
from floorview.analytics.reforecast import (
    INTERVAL,
    QueueTargets,
    Ratios,
    ReforecastParams,
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
    targets: Mapping[str, QueueTargets] | None = None,
) -> pd.DataFrame:
    day = snapshot.as_of.date()
    return reforecast(
        forecast,
        plan.actuals,
        snapshot.as_of,
        queue_targets(snapshot, settings.patience_s) if targets is None else targets,
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


def _interval_of(as_of: datetime) -> pd.Timestamp:
    return pd.Timestamp(as_of).floor(INTERVAL)


def _targets_signature(snapshot: FloorSnapshot) -> tuple[tuple[str, float, float], ...]:
    return tuple((q.id, q.sl_threshold_s, q.sl_target) for q in snapshot.queues)


@dataclass(frozen=True, slots=True)
class IntervalPlan:
    """What the interval in progress needs per queue, in the re-forecast table's row order;
    everything here is fixed for the interval, whoever is staffed."""

    queues: tuple[str, ...]
    interval_start: tuple[datetime, ...]
    erlangs: FloatArray
    aht_s: FloatArray
    threshold_s: FloatArray
    target_sl: FloatArray
    #: NaN where patience is not known (Erlang C only).
    patience_s: FloatArray
    #: Erlang A's requirement where patience is known, else Erlang C's.
    required: FloatArray
    scheduled: FloatArray
    volume_ratio: FloatArray

    @classmethod
    def from_rows(cls, now: pd.DataFrame) -> IntervalPlan:
        """From the interval's rows of the table :func:`_interval_table` makes."""

        def col(name: str) -> FloatArray:
            return now[name].to_numpy(dtype=float, copy=True)

        required_a = col("required_a")
        return cls(
            queues=tuple(str(q) for q in now["queue"]),
            interval_start=tuple(s.to_pydatetime() for s in now["start"]),
            erlangs=col("erlangs"),
            aht_s=col("aht_s"),
            threshold_s=col("threshold_s"),
            target_sl=col("target_sl"),
            patience_s=col("patience_s"),
            required=np.where(np.isnan(required_a), col("required_c"), required_a),
            scheduled=col("scheduled"),
            volume_ratio=col("volume_ratio"),
        )

    def service_level(self, staffed: FloatArray) -> FloatArray:
        """SL at N = ``staffed``, computed exactly as :func:`reforecast` does (Erlang C for
        every queue, then Erlang A where patience is known) so the figures are identical."""
        sl = np.asarray(
            erlang.service_level_c(self.erlangs, staffed, self.aht_s, self.threshold_s),
            dtype=float,
        )
        known = ~np.isnan(self.patience_s)
        if known.any():
            result = erlang.erlang_a(
                self.erlangs[known], staffed[known], self.aht_s[known],
                self.patience_s[known], self.threshold_s[known],
            )
            sl[known] = np.asarray(result.service_level, dtype=float)
        return sl

    def outlook(self, snapshot: FloorSnapshot) -> dict[str, QueueOutlook]:
        """The board's figures with the agents ``snapshot`` has on each queue now."""
        staffed = np.fromiter(
            (snapshot.effective_on(q) for q in self.queues), dtype=float, count=len(self.queues)
        )
        return self.with_staffing(staffed, self.service_level(staffed))

    def with_staffing(self, staffed: FloatArray, sl: FloatArray) -> dict[str, QueueOutlook]:
        # Plain Python numbers first: indexing NumPy arrays element by element costs more.
        required, gap = self.required.tolist(), (self.required - staffed).tolist()
        scheduled, ratio = self.scheduled.tolist(), self.volume_ratio.tolist()
        staffed_now, sl_now = staffed.tolist(), sl.tolist()
        return {
            q: QueueOutlook(
                queue_id=q,
                interval_start=self.interval_start[i],
                required=int(required[i]),
                scheduled=scheduled[i],
                staffed=int(staffed_now[i]),
                gap=gap[i],
                volume_ratio=ratio[i],
                sl_projected=None if math.isnan(sl_now[i]) else sl_now[i],
            )
            for i, q in enumerate(self.queues)
        }


def _interval_table(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings
) -> pd.DataFrame:
    """The full re-forecast's rows for the interval in progress, with each row's targets."""
    interval = _interval_of(snapshot.as_of)
    until = (interval + INTERVAL).to_pydatetime()
    targets = queue_targets(snapshot, settings.patience_s)
    forecast = _day_forecast(snapshot, plan, settings)
    table = _table(snapshot, plan, settings, forecast, None, until, targets)
    now = table[table["start"] == interval]
    queues = now["queue"]
    return now.assign(
        threshold_s=[targets[q].threshold_s for q in queues],
        target_sl=[targets[q].target_sl for q in queues],
        patience_s=[
            np.nan if targets[q].patience_s is None else targets[q].patience_s for q in queues
        ],
    )


def _full_outlook(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings
) -> tuple[IntervalPlan, dict[str, QueueOutlook]]:
    """The interval's plan, and the outlook with the full re-forecast's own staffed and SL."""
    now = _interval_table(snapshot, plan, settings)
    interval = IntervalPlan.from_rows(now)
    staffed = now["staffed_now"].to_numpy(dtype=float)
    return interval, interval.with_staffing(staffed, now["sl_projected"].to_numpy(dtype=float))


class OutlookCache:
    """Keeps the interval's requirement per queue while the plan, the settings, the
    interval and the queues' service-level targets stay the same.

    Within one 15-minute interval the requirement depends on the forecast row, the volume
    and AHT ratios (which read only completed intervals) and the targets, not on who is
    staffed now; re-solving the Erlang searches for every queue on every poll cost ~13 ms on
    a 200-queue floor. Each poll then only works out staffed, gap and projected SL.

    Patience, when the settings leave it to be estimated, is taken from each queue's day so
    far at the first poll of the interval and held for the rest of it: the estimate moves
    little within 15 minutes, and refreshing it would mean re-solving Erlang A every poll.
    So a cached outlook equals an uncached one exactly when patience is set in the settings
    or the snapshot is the one that filled the cache.
    """

    def __init__(self) -> None:
        # The plan and settings themselves, not their ids: an id can be reused once the
        # object is freed, and a fresh plan at the same address must not hit the cache.
        self._plan: DayPlan | None = None
        self._settings: OutlookSettings | None = None
        self._interval: pd.Timestamp | None = None
        self._targets: tuple[tuple[str, float, float], ...] = ()
        self.interval: IntervalPlan | None = None

    def _is_current(
        self,
        plan: DayPlan,
        settings: OutlookSettings,
        interval: pd.Timestamp,
        targets: tuple[tuple[str, float, float], ...],
    ) -> bool:
        return (
            plan is self._plan
            and settings is self._settings
            and interval == self._interval
            and targets == self._targets
        )

    def outlook(
        self, snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings
    ) -> dict[str, QueueOutlook]:
        interval = _interval_of(snapshot.as_of)
        targets = _targets_signature(snapshot)
        if self.interval is not None and self._is_current(plan, settings, interval, targets):
            return self.interval.outlook(snapshot)
        # The fill poll takes the full re-forecast's figures: it has just solved them.
        self.interval, outlook = _full_outlook(snapshot, plan, settings)
        self._plan, self._settings = plan, settings
        self._interval, self._targets = interval, targets
        return outlook


def current_outlook(
    snapshot: FloorSnapshot,
    plan: DayPlan,
    settings: OutlookSettings | None = None,
    cache: OutlookCache | None = None,
) -> dict[str, QueueOutlook]:
    """Per queue, the re-forecast for the interval in progress.

    With a cache, the requirement is worked out once per interval (see OutlookCache) and
    each poll only adds who is staffed now; without one, the whole re-forecast runs.
    """
    settings = settings or DEFAULT_SETTINGS
    if cache is not None:
        return cache.outlook(snapshot, plan, settings)
    return _full_outlook(snapshot, plan, settings)[1]
