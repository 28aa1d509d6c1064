"""The Forecast screen's data: a queue's day from plan, actuals and re-forecast."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, time, timedelta

import httpx
import numpy as np
import pandas as pd
import pytest

from floorview.analytics import erlang
from floorview.analytics.dayview import COLUMNS, QueueDay, floor_days, queue_day
from floorview.analytics.outlook import OutlookSettings, rest_of_day
from floorview.analytics.reforecast import INTERVAL, queue_ratios
from floorview.model import (
    Agent,
    AgentState,
    Channel,
    Contact,
    FloorSnapshot,
    Queue,
    QueueToday,
)
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.base import DayPlan
from floorview.sources.rest import RestSource

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)
CURRENT = pd.Timestamp("2026-11-23 09:15", tz="UTC")
STARTS = [pd.Timestamp("2026-11-23 08:45", tz="UTC") + i * INTERVAL for i in range(5)]
PATIENCE = OutlookSettings(patience_s=120.0)
NAN = float("nan")


def queue(qid: str, name: str, abandoned: int = 0) -> Queue:
    today = QueueToday(
        offered=40, answered=38, answered_within_sl=30, abandoned=abandoned, handled=35,
        handle_time_s=10_500.0, wait_time_s=600.0,
    )
    return Queue(qid, name, Channel.VOICE, 20.0, 0.8, 0, 0.0, today)


def agent(i: int, state: AgentState, queues: tuple[str, ...], on: str | None = None) -> Agent:
    contact = None if on is None else Contact(on, NOW - timedelta(minutes=1), None)
    return Agent(
        id=f"a{i}", name=f"Agent {i}", team="t", state=state, aux_reason=None,
        state_since=NOW - timedelta(minutes=5), queue_ids=queues, version=1, contact=contact,
        today=None,
    )


def floor(abandoned: int = 0) -> FloorSnapshot:
    agents = (
        agent(1, AgentState.AVAILABLE, ("q-a", "q-b")),
        agent(2, AgentState.AVAILABLE, ("q-a",)),
        agent(3, AgentState.ON_CONTACT, ("q-a",), on="q-a"),
        agent(4, AgentState.ON_CONTACT, ("q-a", "q-b"), on="q-b"),
        agent(5, AgentState.AUX, ("q-a",)),
    )
    queues = (
        queue("q-a", "Alpha", abandoned), queue("q-b", "Beta", abandoned),
        queue("q-c", "Gamma (new)", abandoned),
    )
    return FloorSnapshot("test", NOW, "site", queues, agents)


def forecast() -> pd.DataFrame:
    rows = []
    for i, start in enumerate(STARTS):
        rows.append(("q-a", start, 10.0 * (i + 1), 300.0, 3.0 + i))
        rows.append(("q-b", start, 5.0, 200.0, 2.0))
    return pd.DataFrame(rows, columns=["queue", "start", "volume", "aht_s", "scheduled_agents"])


def actuals() -> pd.DataFrame:
    columns = [
        "queue", "start", "offered", "answered", "answered_within_sl", "abandoned", "handled",
        "handle_time_s", "wait_time_s", "staffed_avg", "agents_effective",
    ]
    rows = [
        ("q-a", STARTS[0], 12, 10, 8, 2, 10, 3000.0, 200.0, 4.0, 3.5),
        ("q-a", STARTS[1], 18, 18, 18, 0, 15, 4800.0, 50.0, 4.5, NAN),
        ("q-a", STARTS[2], 7, 5, 5, 0, 2, 500.0, 10.0, 5.0, 4.0),  # in progress
        # A row dated after the floor's interval: it must not show as an actual.
        ("q-a", STARTS[3], 3, 3, 3, 0, 0, 0.0, 0.0, 5.0, 4.0),
        ("q-b", STARTS[0], 0, 0, 0, 0, 0, 0.0, 0.0, 2.0, 2.0),
        ("q-b", STARTS[1], 4, 4, 3, 0, 0, 0.0, 30.0, 2.0, 2.0),  # nothing handled yet
        ("q-b", STARTS[2], 1, 0, 0, 0, 0, 0.0, 0.0, 2.0, 2.0),
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns[2:]:
        frame[name] = frame[name].astype(float)
    return frame


def plan(actual_frame: pd.DataFrame | None = None) -> DayPlan:
    return DayPlan(DAY, NOW, forecast(), actuals() if actual_frame is None else actual_frame)


def column(day: QueueDay, name: str) -> list[float]:
    return day.rows[name].tolist()


def assert_floats(got: list[float], want: list[float]) -> None:
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float))


def test_rows_cover_the_day_and_join_actuals_to_the_reforecast() -> None:
    snap, p = floor(), plan()
    days = floor_days(snap, p, PATIENCE)
    assert list(days) == ["q-a", "q-b", "q-c"]
    a = days["q-a"]
    assert tuple(a.rows.columns) == COLUMNS
    assert a.rows["start"].tolist() == STARTS
    assert a.interval_start == CURRENT.to_pydatetime()
    assert a.current_position() == 2
    assert (a.queue_id, a.queue_name) == ("q-a", "Alpha")
    assert_floats(column(a, "forecast_volume"), [10, 20, 30, 40, 50])
    assert_floats(column(a, "scheduled"), [3, 4, 5, 6, 7])
    # The 09:30 row of the actuals is ahead of the floor's interval: not an actual yet.
    assert_floats(column(a, "actual_volume"), [12, 18, 7, NAN, NAN])
    assert column(a, "partial") == [False, False, True, False, False]
    # agents_effective first, staffed_avg where it is missing, the floor now, then nothing.
    assert_floats(column(a, "staffed"), [3.5, 4.5, snap.effective_on("q-a"), NAN, NAN])
    assert snap.effective_on("q-a") == 3  # two available, one on a q-a contact
    assert_floats(column(a, "sl_actual"), [8 / 12, 1.0, 1.0, NAN, NAN])

    rest = rest_of_day(snap, p, PATIENCE)
    ahead = rest[rest["queue"] == "q-a"].reset_index(drop=True)
    assert_floats(column(a, "reforecast_volume"), [NAN, NAN, *ahead["volume"]])
    assert_floats(column(a, "sl_projected"), [NAN, NAN, *ahead["sl_projected"]])
    assert_floats(column(a, "required")[2:], ahead["required_a"].tolist())
    assert_floats(column(a, "gap")[2:], ahead["gap"].tolist())


def test_past_requirement_is_erlang_on_what_actually_arrived() -> None:
    a = floor_days(floor(), plan(), PATIENCE)["q-a"]
    # 12 contacts at 300 s and 18 at 320 s (handle time / handled), with the queue's
    # 20 s / 80% target and the settings' patience: Erlang A.
    want = [
        erlang.required_agents_a(12 * 300 / 900, 300.0, 120.0, 20.0, 0.8),
        erlang.required_agents_a(18 * 320 / 900, 320.0, 120.0, 20.0, 0.8),
    ]
    assert_floats(column(a, "required")[:2], want)
    assert_floats(column(a, "gap")[:2], [want[0] - 3.5, want[1] - 4.5])


def test_past_requirement_falls_back_to_forecast_aht_and_erlang_c() -> None:
    # Nobody abandoned today and no patience is set, so patience is unknown: Erlang C.
    b = floor_days(floor(abandoned=0), plan(), OutlookSettings())["q-b"]
    assert b.patience_s is None
    required = column(b, "required")
    assert required[0] == 0.0  # no contacts, no agents (not NaN: nothing was needed)
    # 4 contacts, none handled yet: the forecast's 200 s stands in for the AHT.
    assert required[1] == erlang.required_agents_c(4 * 200 / 900, 200.0, 20.0, 0.8)
    assert math.isnan(column(b, "sl_actual")[0])  # no contact closed: no SL, not 100%


def test_reforecast_inputs_are_the_ratios_the_reforecast_applies() -> None:
    snap, p = floor(), plan()
    a = floor_days(snap, p, PATIENCE)["q-a"]
    ratios = queue_ratios(forecast(), actuals(), NOW)["q-a"]
    assert (a.volume_ratio, a.aht_ratio) == (ratios.volume, ratios.aht)
    assert a.evidence_contacts == ratios.evidence_contacts > 0
    assert not a.volume_overridden
    assert (a.shrinkage, a.patience_s, a.threshold_s, a.target_sl) == (0.0, 120.0, 20.0, 0.8)


def test_a_volume_set_by_hand_drives_the_reforecast() -> None:
    settings = dataclasses.replace(PATIENCE, volume_override={"q-a": 1.5})
    a = floor_days(floor(), plan(), settings)["q-a"]
    assert (a.volume_ratio, a.volume_overridden) == (1.5, True)
    assert_floats(column(a, "reforecast_volume")[2:], [45.0, 60.0, 75.0])


def test_a_queue_without_forecast_has_empty_rows_and_an_unknown_one_raises() -> None:
    snap, p = floor(), plan()
    c = floor_days(snap, p, PATIENCE)["q-c"]
    assert not c.has_forecast
    assert tuple(c.rows.columns) == COLUMNS
    assert c.current_position() is None
    assert queue_day(snap, p, PATIENCE, "q-c").rows.empty
    with pytest.raises(KeyError):
        queue_day(snap, p, PATIENCE, "q-nope")


def test_queue_day_equals_the_floor_wide_figures() -> None:
    snap, p = floor(), plan()
    days = floor_days(snap, p, PATIENCE)
    for qid in ("q-a", "q-b"):
        one = queue_day(snap, p, PATIENCE, qid)
        pd.testing.assert_frame_equal(one.rows, days[qid].rows)
        assert one.volume_ratio == days[qid].volume_ratio


def test_inputs_are_not_modified() -> None:
    p = plan()
    floor_days(floor(), p, PATIENCE)
    pd.testing.assert_frame_equal(p.forecast, forecast())
    pd.testing.assert_frame_equal(p.actuals, actuals())


def test_actuals_without_the_optional_columns() -> None:
    bare = actuals().drop(columns=["staffed_avg", "agents_effective", "answered"])
    snap = floor()
    a = floor_days(snap, plan(bare), PATIENCE)["q-a"]
    assert_floats(column(a, "staffed"), [NAN, NAN, snap.effective_on("q-a"), NAN, NAN])
    assert_floats(column(a, "actual_volume"), [12, 18, 7, NAN, NAN])
    assert all(math.isnan(v) for v in column(a, "sl_actual"))  # no answered: SL unknown


def test_no_actuals_at_all_leaves_the_plan_standing() -> None:
    a = floor_days(floor(), plan(pd.DataFrame()), PATIENCE)["q-a"]
    assert all(math.isnan(v) for v in column(a, "actual_volume"))
    assert not any(column(a, "partial"))
    assert (a.volume_ratio, a.evidence_contacts) == (1.0, 0.0)
    assert_floats(column(a, "reforecast_volume"), [NAN, NAN, 30, 40, 50])


# --- against the simulator --------------------------------------------------------------------


async def test_actuals_are_the_simulators_own_counts() -> None:
    sim = Simulator(SimConfig(seed=5, start=time(10, 30)))
    clock = [0.0]
    source = RestSource(
        "sim", "http://sim.test",
        transport=httpx.ASGITransport(app=create_app(sim, clock=lambda: clock[0])),
    )
    clock[0] = 37 * 60.0  # the app runs the simulator on to 11:07 (speed 1)
    snap = await source.fetch_floor()
    day_plan = await source.fetch_plan(snap.as_of.date())
    await source.aclose()
    assert day_plan is not None
    assert snap.as_of == datetime(2026, 11, 23, 11, 7, tzinfo=UTC)

    days = floor_days(snap, day_plan)
    rest = rest_of_day(snap, day_plan)
    checked = 0
    for q in sim.queues:
        rows = days[q.spec.id].rows
        seen = rows[rows["start"] <= days[q.spec.id].interval_start]
        for start, actual in zip(seen["start"], seen["actual_volume"], strict=True):
            k = int((start - sim.origin) / INTERVAL)
            # The clock is frozen, so the partial interval's count is the engine's too.
            assert actual == sim.interval_counts(q, k).offered
            checked += actual > 0
        now = rows.iloc[days[q.spec.id].current_position()]
        mine = rest[(rest["queue"] == q.spec.id) & (rest["start"] == now["start"])].iloc[0]
        assert now["reforecast_volume"] == mine["volume"]
        required = mine["required_a"] if not math.isnan(mine["required_a"]) else mine["required_c"]
        assert now["required"] == required
        assert now["partial"]
    assert checked > 50  # a morning of real contacts was compared, not empty intervals
