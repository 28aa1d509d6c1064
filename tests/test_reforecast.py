from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from floorview.analytics import erlang
from floorview.analytics.reforecast import (
    QueueTargets,
    ReforecastParams,
    queue_ratios,
    reforecast,
)

DAY = datetime(2026, 11, 23, tzinfo=UTC)
Q = 900.0


def at(hh: int, mm: int = 0) -> datetime:
    return DAY + timedelta(hours=hh, minutes=mm)


def forecast_frame(volume: float = 100.0, aht: float = 300.0, agents: float = 40) -> pd.DataFrame:
    starts = pd.date_range(at(8), at(18), freq="15min", inclusive="left")
    rows = [
        {"queue": q, "start": s, "volume": volume, "aht_s": aht, "scheduled_agents": agents}
        for q in ("a", "b") for s in starts
    ]
    return pd.DataFrame(rows)


def actuals_frame(fc: pd.DataFrame, until: datetime, scale: dict[str, float], aht: float = 300.0) -> pd.DataFrame:
    rows = fc[fc["start"] < pd.Timestamp(until)]
    offered = rows["volume"] * rows["queue"].map(scale)
    return pd.DataFrame({
        "queue": rows["queue"], "start": rows["start"], "offered": offered,
        "answered": offered, "answered_within_sl": offered, "abandoned": 0.0,
        "handled": offered, "handle_time_s": offered * aht, "wait_time_s": 0.0,
    })


TARGETS = {q: QueueTargets(threshold_s=20, target_sl=0.8) for q in ("a", "b")}


def test_ratio_is_the_shrunk_weighted_formula() -> None:
    fc = forecast_frame(volume=10)
    act = actuals_frame(fc, at(8, 30), {"a": 1.0, "b": 1.0})
    act.loc[act["queue"] == "a", "offered"] = [20.0, 30.0]
    params = ReforecastParams(volume_k=20, decay=0.5, noise_z=0)
    r = queue_ratios(fc, act, at(8, 30), params)
    # weights: 08:15 (age 0) -> 1, 08:00 (age 1) -> 0.5
    assert r["a"].volume == pytest.approx((20 + 30 + 0.5 * 20) / (20 + 10 + 0.5 * 10))
    assert r["b"].volume == pytest.approx(1.0)


def test_ratio_is_clipped_and_shrinks_small_queues_towards_one() -> None:
    fc = forecast_frame(volume=2)
    act = actuals_frame(fc, at(8, 15), {"a": 2.5, "b": 40})
    r = queue_ratios(fc, act, at(8, 15), ReforecastParams(volume_k=30, noise_z=0))
    assert r["a"].volume == pytest.approx((30 + 5) / (30 + 2))  # 5 contacts instead of 2: barely moves
    big = queue_ratios(forecast_frame(volume=2000), actuals_frame(forecast_frame(volume=2000), at(9), {"a": 5, "b": 0.1}), at(9))
    assert big["a"].volume == 2.0 and big["b"].volume == 0.5


def test_noise_threshold_keeps_only_what_stands_out_from_chance() -> None:
    fc = forecast_frame(volume=100)
    params = ReforecastParams(volume_k=0, decay=0, noise_z=2)
    # One interval 15 over a forecast of 100: 1.5 Poisson deviations, within chance.
    wobble = actuals_frame(fc, at(8, 15), {"a": 1.15, "b": 1.0})
    assert queue_ratios(fc, wobble, at(8, 15), params)["a"].volume == 1.0
    # Four intervals 40% over: z = 160 / sqrt(400) = 8, so 1 - 2/8 = 75% of the shift is kept.
    shift = actuals_frame(fc, at(9), {"a": 1.4, "b": 1.0})
    assert queue_ratios(fc, shift, at(9), params)["a"].volume == pytest.approx(1 + 0.4 * 0.75)
    assert queue_ratios(fc, shift, at(9), ReforecastParams(volume_k=0, decay=0, noise_z=0))["a"].volume == pytest.approx(1.4)


def test_aht_ratio_is_weighted_by_handled_contacts() -> None:
    fc = forecast_frame(volume=10, aht=250)
    act = actuals_frame(fc, at(8, 15), {"a": 1.0, "b": 1.0}, aht=300)
    r = queue_ratios(fc, act, at(8, 15), ReforecastParams(aht_k=5))
    assert r["a"].aht == pytest.approx((5 + 10 * 300 / 250) / (5 + 10))


def test_in_progress_and_excluded_intervals_do_not_count() -> None:
    fc = forecast_frame()
    act = actuals_frame(fc, at(10, 15), {"a": 1.0, "b": 1.0})
    act.loc[(act["queue"] == "a") & (act["start"] == pd.Timestamp(at(10))), "offered"] = 900.0
    now = at(10, 7)  # 10:00 is in progress: partial, ignored
    assert queue_ratios(fc, act, now)["a"].volume == pytest.approx(1.0)
    act.loc[(act["queue"] == "a") & (act["start"] == pd.Timestamp(at(9, 45))), "offered"] = 900.0
    later = at(10, 15)
    assert queue_ratios(fc, act, later)["a"].volume > 1.5
    assert queue_ratios(fc, act, later, excluded=[("a", at(9, 45)), ("a", at(10))])["a"].volume == pytest.approx(1.0)


def test_rest_of_day_table() -> None:
    fc = forecast_frame(volume=100, aht=300, agents=40)
    act = actuals_frame(fc, at(11), {"a": 1.4, "b": 1.0})
    now = at(11, 5)
    table = reforecast(fc, act, now, TARGETS, staffed_now={"a": 30, "b": 41}, volume_override={"b": 0.5})
    assert table["start"].min() == pd.Timestamp(at(11))
    assert len(table) == 2 * 28  # 11:00..17:45 for two queues
    a = table[table["queue"] == "a"].reset_index(drop=True)
    ratio = a.loc[0, "volume_ratio"]
    assert 1.25 < ratio < 1.4  # shrunk a little towards 1
    assert a.loc[0, "volume"] == pytest.approx(100 * ratio)
    assert a.loc[0, "forecast_volume"] == 100  # the static forecast is kept beside it
    assert a.loc[0, "expected_agents"] == 30 and a.loc[1, "expected_agents"] == 40
    erlangs = a.loc[0, "volume"] * 300 / Q
    assert a.loc[0, "erlangs"] == pytest.approx(erlangs)
    need = int(erlang.required_agents_c(erlangs, 300, 20, 0.8))
    assert a.loc[0, "required_c"] == need
    assert a.loc[0, "gap"] == need - 30
    assert bool(a.loc[0, "backlog"]) == (erlangs >= 30)
    assert a.loc[1, "sl_projected"] == pytest.approx(float(erlang.service_level_c(erlangs, 40, 300, 20)))
    b = table[table["queue"] == "b"]
    assert b["overridden"].all() and (b["volume"] == 50).all()
    assert np.isnan(table["required_a"]).all()  # patience unknown: Erlang C only


def test_erlang_a_columns_when_patience_is_known() -> None:
    fc = forecast_frame(volume=100, aht=300, agents=30)
    act = actuals_frame(fc, at(9), {"a": 1.2, "b": 1.0})
    targets = {q: QueueTargets(20, 0.8, patience_s=120) for q in ("a", "b")}
    table = reforecast(fc, act, at(9), targets)
    row = table.iloc[0]
    result = erlang.erlang_a(row["erlangs"], 30, 300, 120, 20)
    assert row["sl_projected"] == pytest.approx(float(result.service_level))
    assert row["abandon_projected"] == pytest.approx(float(result.prob_abandon))
    assert row["gap"] == row["required_a"] - 30
