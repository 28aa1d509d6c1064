"""The data behind the per-queue Forecast screen: one queue's whole day, interval by interval.

Before the interval in progress a row shows what happened (the plan's actuals); from it on,
what the re-forecast (:func:`floorview.analytics.outlook.rest_of_day`) now expects. The plan
itself runs through the whole day, so the screen can draw plan, actuals and re-forecast on
one time axis.

``required`` means two different things on the two sides of now, on purpose:

* current and later intervals: the re-forecast's requirement (Erlang A where patience is
  known, else Erlang C), exactly rest_of_day's ``required_a`` / ``required_c``;
* earlier intervals: hindsight, the agents that would have met the queue's target for the
  contacts that actually arrived: Erlang on the interval's offered count and its actual AHT
  (handle time / handled; the forecast AHT when nothing was handled yet), with the same
  targets, patience and model as the re-forecast. The plan's own answer for a past interval
  is ``scheduled``; repeating it under another name would tell a supervisor nothing, while
  hindsight shows where the plan was short for the day as it really came, and joins the
  re-forecast's line at now on the same scale.

A floor queue with no forecast rows for the day gets a :class:`QueueDay` with empty
``rows`` (the screen says "no forecast"), not an error: a queue added after the plan was
published is normal. A queue the floor does not know raises KeyError in :func:`queue_day`,
as there is no name or target to show for it.

Everything is a pure function of the snapshot, the plan and the settings; nothing reads a
clock or does I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from floorview.analytics import erlang
from floorview.analytics.erlang import FloatArray
from floorview.analytics.outlook import (
    DEFAULT_SETTINGS,
    OutlookSettings,
    queue_targets,
    rest_of_day,
)
from floorview.analytics.reforecast import INTERVAL, QueueTargets, Ratios, queue_ratios
from floorview.model import FloorSnapshot
from floorview.sources.base import DayPlan
from floorview.sources.intervals import ACTUAL_FIELDS, ACTUAL_OPTIONAL

#: The columns of :attr:`QueueDay.rows`, in order. Every one is float but ``start``
#: (tz-aware UTC) and ``partial`` (bool); a missing figure is NaN, never 0.
COLUMNS = (
    "start", "forecast_volume", "actual_volume", "partial", "reforecast_volume",
    "scheduled", "staffed", "required", "gap", "sl_actual", "sl_projected",
)
_FLOAT_COLUMNS = tuple(c for c in COLUMNS if c not in ("start", "partial"))
#: The actuals the re-forecast's ratios read; a row missing any of them is left out of the
#: ratios (it would make them NaN) but still shows what it has.
_RATIO_FIELDS = ("offered", "handled", "handle_time_s")
_NEUTRAL = Ratios(volume=1.0, aht=1.0, evidence_contacts=0.0)


# eq=False: the generated __eq__ would compare DataFrames, whose truth value is ambiguous.
@dataclass(frozen=True, slots=True, eq=False)
class QueueDay:
    """One queue's day for the Forecast screen; see the module docstring for ``rows``."""

    queue_id: str
    queue_name: str
    #: Start of the interval in progress (UTC).
    interval_start: datetime
    #: One row per 15-minute interval of the day's forecast for this queue (:data:`COLUMNS`).
    rows: pd.DataFrame
    #: The re-forecast's inputs, as it applies them to the rest of the day.
    volume_ratio: float
    aht_ratio: float
    #: Weighted actual contacts behind the volume ratio (0 before the first full interval).
    evidence_contacts: float
    #: True when the volume ratio was set by hand (OutlookSettings.volume_override).
    volume_overridden: bool
    shrinkage: float
    #: Mean caller patience behind Erlang A; None when unknown (Erlang C is used).
    patience_s: float | None
    threshold_s: float
    target_sl: float

    @property
    def has_forecast(self) -> bool:
        return not self.rows.empty

    def current_position(self) -> int | None:
        """Row position of the interval in progress; None if the forecast does not cover it."""
        if self.rows.empty:
            return None
        hits = np.flatnonzero((self.rows["start"] == pd.Timestamp(self.interval_start)).to_numpy())
        return int(hits[0]) if hits.size else None


def queue_day(
    snapshot: FloorSnapshot,
    plan: DayPlan,
    settings: OutlookSettings | None,
    queue_id: str,
) -> QueueDay:
    """One queue's day. KeyError if the floor has no such queue; empty rows if the plan has
    no forecast for it. Only this queue's rows are worked out, so it costs a fraction of
    :func:`floor_days` on a large floor."""
    if queue_id not in snapshot.queue_by_id:
        raise KeyError(queue_id)
    settings = settings or DEFAULT_SETTINGS
    plan, settings = _only_queue(plan, settings, queue_id)
    return _build(snapshot, plan, settings, [queue_id])[queue_id]


def floor_days(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings | None = None
) -> dict[str, QueueDay]:
    """Every floor queue's day, by queue id, in the snapshot's queue order; the re-forecast
    runs once for all of them."""
    settings = settings or DEFAULT_SETTINGS
    return _build(snapshot, plan, settings, [q.id for q in snapshot.queues])


# --- inputs ---------------------------------------------------------------------------------


def _only_queue(
    plan: DayPlan, settings: OutlookSettings, queue_id: str
) -> tuple[DayPlan, OutlookSettings]:
    # Ratios and requirements are per queue, so one queue's rows alone give the same figures
    # for it as the whole floor does, at a fraction of the Erlang solving.
    def one(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["queue"] == queue_id] if "queue" in frame.columns else frame

    plan = dataclasses.replace(plan, forecast=one(plan.forecast), actuals=one(plan.actuals))
    if settings.forecast is not None:
        settings = dataclasses.replace(settings, forecast=one(settings.forecast))
    return plan, settings


def _normalised_actuals(actuals: pd.DataFrame) -> pd.DataFrame:
    """Every actuals column present (NaN where the source gave none), one row per interval."""
    columns = ("queue", "start", *ACTUAL_FIELDS, *ACTUAL_OPTIONAL)
    if "queue" not in actuals.columns or "start" not in actuals.columns:
        actuals = pd.DataFrame({"queue": pd.Series(dtype=str), "start": pd.Series(dtype=object)})
    frame = actuals.reindex(columns=list(columns))
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    for name in (*ACTUAL_FIELDS, *ACTUAL_OPTIONAL):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    return frame.drop_duplicates(["queue", "start"], keep="last")


def _day_forecast(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings
) -> pd.DataFrame:
    # The same selection rest_of_day makes, so the rows and the re-forecast line up.
    forecast = plan.forecast if settings.forecast is None else settings.forecast
    day = snapshot.as_of.date()
    keep = forecast["queue"].isin(list(snapshot.queue_by_id)) & (forecast["start"].dt.date == day)
    return forecast[keep].drop_duplicates(["queue", "start"]).sort_values(["queue", "start"])


# --- the rows -------------------------------------------------------------------------------


def _build(
    snapshot: FloorSnapshot, plan: DayPlan, settings: OutlookSettings, queue_ids: list[str]
) -> dict[str, QueueDay]:
    actuals = _normalised_actuals(plan.actuals)
    ratio_plan = dataclasses.replace(plan, actuals=actuals.dropna(subset=list(_RATIO_FIELDS)))
    forecast = _day_forecast(snapshot, plan, settings)
    ratios = queue_ratios(
        forecast, ratio_plan.actuals, snapshot.as_of, settings.params,
        settings.excluded_on(snapshot.as_of.date()),
    )
    targets = queue_targets(snapshot, settings.patience_s)
    rest = rest_of_day(snapshot, ratio_plan, settings)
    current = pd.Timestamp(snapshot.as_of).floor(INTERVAL)
    seen_until = min(pd.Timestamp(snapshot.as_of), pd.Timestamp(plan.as_of))
    frame = _rows(forecast, actuals, rest, targets, current, seen_until)
    by_queue = _split(frame)
    return {
        q: _queue_day(snapshot, settings, q, current, by_queue.get(q), ratios, targets[q])
        for q in queue_ids
    }


def _rows(
    forecast: pd.DataFrame,
    actuals: pd.DataFrame,
    rest: pd.DataFrame,
    targets: Mapping[str, QueueTargets],
    current: pd.Timestamp,
    seen_until: pd.Timestamp,
) -> pd.DataFrame:
    """Every queue's rows in one frame (queue, then COLUMNS), worked out column-wise once."""
    frame = forecast[["queue", "start", "volume", "aht_s", "scheduled_agents"]].rename(
        columns={"volume": "forecast_volume", "aht_s": "forecast_aht_s",
                 "scheduled_agents": "scheduled"}
    )
    # Actuals dated after the interval in progress can only come from a plan fetched later
    # than the floor; they are left for the next refresh rather than shown ahead of "now".
    frame = frame.merge(actuals[actuals["start"] <= current], on=["queue", "start"], how="left")
    ahead = rest[["queue", "start", "volume", "required_a", "required_c", "gap",
                  "sl_projected", "staffed_now"]].drop_duplicates(["queue", "start"])
    frame = frame.merge(
        ahead.rename(columns={"volume": "reforecast_volume", "gap": "ahead_gap"}),
        on=["queue", "start"], how="left",
    )
    start = frame["start"]
    past = (start < current).to_numpy()
    is_now = (start == current).to_numpy()
    offered = frame["offered"].to_numpy(dtype=float)
    known = ~np.isnan(offered)

    frame["actual_volume"] = offered
    frame["partial"] = known & (start + INTERVAL > seen_until).to_numpy()
    frame["staffed"] = _staffed(frame, past, is_now)
    required = np.where(past, _hindsight_required(frame, past & known, targets), np.nan)
    required_ahead = frame["required_a"].fillna(frame["required_c"]).to_numpy(dtype=float)
    frame["required"] = np.where(past, required, required_ahead)
    frame["gap"] = np.where(
        past, required - frame["staffed"].to_numpy(), frame["ahead_gap"].to_numpy(dtype=float)
    )
    frame["sl_actual"] = _service_level(frame)
    frame[list(_FLOAT_COLUMNS)] = frame[list(_FLOAT_COLUMNS)].astype(float)
    return frame[["queue", *COLUMNS]]


def _staffed(frame: pd.DataFrame, past: np.ndarray, is_now: np.ndarray) -> FloatArray:
    # agents_effective first: it is the interval form of snapshot.effective_on, the Erlang N
    # the interval in progress shows, so past and present are counted the same way;
    # staffed_avg also counts agents busy on other queues and is only the fallback.
    interval_mean = frame["agents_effective"].fillna(frame["staffed_avg"]).to_numpy(dtype=float)
    now = frame["staffed_now"].to_numpy(dtype=float)
    out: FloatArray = np.where(past, interval_mean, np.where(is_now, now, np.nan))
    return out


def _service_level(frame: pd.DataFrame) -> FloatArray:
    closed = (frame["answered"] + frame["abandoned"]).to_numpy(dtype=float)
    within = frame["answered_within_sl"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(closed > 0, within / closed, np.nan)
    return out


def _hindsight_required(
    frame: pd.DataFrame, cells: np.ndarray, targets: Mapping[str, QueueTargets]
) -> FloatArray:
    """Agents the actual contacts of each past interval needed (see the module docstring);
    NaN outside ``cells`` and where the load cannot be known (contacts, but no AHT)."""
    out = np.full(len(frame), np.nan)
    offered = frame["offered"].to_numpy(dtype=float)
    handled = frame["handled"].to_numpy(dtype=float)
    handle_time = frame["handle_time_s"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        actual_aht = np.where(handled > 0, handle_time / handled, np.nan)
    aht = np.where(actual_aht > 0, actual_aht, frame["forecast_aht_s"].to_numpy(dtype=float))
    out[cells & (offered == 0)] = 0.0
    live = np.flatnonzero(cells & (offered > 0) & np.isfinite(aht) & (aht > 0))
    if live.size:
        queues = frame["queue"].to_numpy()[live]
        out[live] = _solve(offered[live], aht[live], [targets[q] for q in queues])
    return out


def _solve(volume: FloatArray, aht: FloatArray, targets: list[QueueTargets]) -> FloatArray:
    """Erlang A's requirement where patience is known, else Erlang C's, as reforecast does."""
    def per_cell(name: str, missing: float) -> FloatArray:
        values = (getattr(t, name) for t in targets)
        return np.fromiter((missing if v is None else v for v in values), float, len(targets))

    erlangs = np.asarray(
        erlang.traffic_erlangs(volume, INTERVAL.total_seconds(), aht), dtype=float
    )
    threshold, target = per_cell("threshold_s", np.nan), per_cell("target_sl", np.nan)
    shrinkage, patience = per_cell("shrinkage", 0.0), per_cell("patience_s", np.nan)
    # An occupancy cap of 1 is no cap at all in both solvers.
    max_occupancy = per_cell("max_occupancy", 1.0)
    out = np.empty(len(targets))
    known = ~np.isnan(patience)
    if (~known).any():
        c = ~known
        out[c] = erlang.required_agents_c(
            erlangs[c], aht[c], threshold[c], target[c],
            max_occupancy=max_occupancy[c], shrinkage=shrinkage[c],
        )
    if known.any():
        out[known] = erlang.required_agents_a(
            erlangs[known], aht[known], patience[known], threshold[known], target[known],
            max_occupancy=max_occupancy[known], shrinkage=shrinkage[known],
        )
    return out


def _split(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    # The frame is sorted by queue, so each queue is one slice: cheaper than a groupby's
    # per-group copies on a 200-queue floor.
    queues = frame["queue"].to_numpy()
    if not len(queues):
        return {}
    cuts = np.flatnonzero(queues[1:] != queues[:-1]) + 1
    bounds = zip(np.r_[0, cuts], np.r_[cuts, len(queues)], strict=True)
    body = frame[list(COLUMNS)]
    return {
        str(queues[a]): body.iloc[a:b].reset_index(drop=True) for a, b in bounds
    }


def _empty_rows() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=float) for name in COLUMNS})
    frame["start"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["partial"] = pd.Series(dtype=bool)
    return frame


def _queue_day(
    snapshot: FloorSnapshot,
    settings: OutlookSettings,
    queue_id: str,
    current: pd.Timestamp,
    rows: pd.DataFrame | None,
    ratios: Mapping[str, Ratios],
    targets: QueueTargets,
) -> QueueDay:
    ratio = ratios.get(queue_id, _NEUTRAL)
    override = settings.volume_override.get(queue_id)
    return QueueDay(
        queue_id=queue_id,
        queue_name=snapshot.queue_by_id[queue_id].name,
        interval_start=current.to_pydatetime(),
        rows=_empty_rows() if rows is None else rows,
        # The same choice reforecast makes between a hand-set ratio and the measured one.
        volume_ratio=ratio.volume if override is None else float(override),
        aht_ratio=ratio.aht,
        evidence_contacts=ratio.evidence_contacts,
        volume_overridden=override is not None,
        shrinkage=targets.shrinkage,
        patience_s=targets.patience_s,
        threshold_s=targets.threshold_s,
        target_sl=targets.target_sl,
    )
