"""The Forecast screen's charts, table and inputs line, rendered as a terminal would show them."""

from __future__ import annotations

import dataclasses
import re
from datetime import time

import httpx
import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.style import Style
from rich.text import Text

from floorview.analytics.dayview import COLUMNS, QueueDay, floor_days
from floorview.analytics.reforecast import INTERVAL
from floorview.sim.api import create_app
from floorview.sim.config import SimConfig
from floorview.sim.engine import Simulator
from floorview.sources.rest import RestSource
from floorview.ui.forecast_chart import (
    LABELS,
    StaffingChart,
    VolumeChart,
    forecast_table,
    inputs_line,
    labels,
)

MIDNIGHT = pd.Timestamp("2026-11-23", tz="UTC")
BARS = set("▁▂▃▄▅▆▇█")
NAN = float("nan")
WIDTHS = [30, 80, 160]
CHARTS = [VolumeChart, StaffingChart]


def make_day(
    n: int = 52,
    first_slot: int = 28,  # 07:00
    now: int = 16,  # 11:00
    *,
    actual: list[float] | None = None,
    name: str = "Billing",
    **columns: list[float],
) -> QueueDay:
    """A queue's day by hand: n intervals from ``first_slot``, the ``now``-th in progress."""
    i = np.arange(n)
    past, ahead = i < now, i >= now
    forecast = 10.0 + (i % 12)
    if actual is None:
        actual = [12.0 if k % 2 == 0 else 0.0 for k in range(now)]
    rows = pd.DataFrame({
        "start": [MIDNIGHT + (first_slot + k) * INTERVAL for k in range(n)],
        "forecast_volume": forecast,
        "actual_volume": [*actual, 5.0, *[NAN] * (n - now - 1)],
        "partial": i == now,
        "reforecast_volume": np.where(ahead, forecast * 1.2, NAN),
        "scheduled": np.full(n, 6.0),
        "staffed": np.where(i <= now, 5.5, NAN),
        "required": np.where(past, 4.0, 7.0),
        "gap": np.where(past, -1.5, 1.0),
        "sl_actual": np.where(past, 0.85, NAN),
        "sl_projected": np.where(ahead, 0.7, NAN),
    })
    for key, values in columns.items():
        rows[key] = values
    return QueueDay(
        queue_id="q-billing", queue_name=name,
        interval_start=(MIDNIGHT + (first_slot + now) * INTERVAL).to_pydatetime(),
        rows=rows[list(COLUMNS)], volume_ratio=1.12, aht_ratio=0.97, evidence_contacts=340.2,
        volume_overridden=False, shrinkage=0.0, patience_s=95.0, threshold_s=20.0,
        target_sl=0.8,
    )


def empty_day(name: str = "Sales") -> QueueDay:
    day = make_day(name=name)
    return dataclasses.replace(day, rows=day.rows.iloc[0:0])


def render(renderable: RenderableType, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text().rstrip("\n").split("\n")


def plot_rows(lines: list[str]) -> list[str]:
    """The plot area's lines: from the top (┤) down to the x axis (└), exclusive."""
    top = next(i for i, line in enumerate(lines) if "┤" in line)
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[top:axis]


def bar_runs(lines: list[str]) -> int:
    """Separate groups of adjacent columns holding any bar glyph."""
    rows = plot_rows(lines)
    width = max(len(r) for r in rows)
    has_bar = [any(x < len(r) and r[x] in BARS for r in rows) for x in range(width)]
    return sum(1 for x in range(width) if has_bar[x] and (x == 0 or not has_bar[x - 1]))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_line_fits_the_width(width: int, chart: type[VolumeChart], lang: str) -> None:
    lines = render(chart(make_day(), 14, lang), width)
    assert len(lines) == 14
    assert max(cell_len(line) for line in lines) <= width
    if width >= 80:  # laid out to fit, not cut to fit
        assert not any(line.endswith("…") for line in lines)


@pytest.mark.parametrize("height", [2, 4, 5, 6, 7, 10])
def test_a_chart_takes_the_lines_it_is_given(height: int) -> None:
    for chart in CHARTS:
        lines = render(chart(make_day(), height), 80)
        assert len(lines) == max(4, height)
        assert ("▼11:00" in lines[0]) == (height >= 7)  # the now line goes first
        assert any(c in BARS for c in "".join(plot_rows(lines) if height >= 5 else lines))
        assert "█" in lines[-1] and lines[-2].split()[0] == "07"


@pytest.mark.parametrize("width", [80, 160])
def test_the_whole_day_is_aggregated_to_fit(width: int) -> None:
    # 96 intervals of 10 contacts: more than 80 columns hold, so buckets of 30 minutes add
    # up to 20; at 160 every interval has its own column.
    n = 96
    day = make_day(n, first_slot=0, now=44, forecast_volume=[10.0] * n, reforecast_volume=[NAN] * n)
    lines = render(VolumeChart(day, 12), width)
    assert max(cell_len(line) for line in lines) <= width
    assert not any(line.endswith("…") for line in lines)
    top = "20┤" if width == 80 else "12┤"  # 12: the largest actual, 12 per interval
    assert plot_rows(lines)[0].startswith(top)
    assert ("per 30 min" in lines[-1]) == (width == 80)
    # Hour labels never run into each other, however many buckets an hour has.
    hours = [int(h) for h in lines[-2].split()]
    assert all(re.fullmatch(r"\d\d", h) for h in lines[-2].split())
    assert hours == sorted(hours) and hours[0] == 0 and len(hours) >= 8


def test_just_too_many_intervals_for_the_width_are_aggregated() -> None:
    # 78 intervals: they would fit 80 columns but for the y axis' 3.
    lines = render(VolumeChart(make_day(78, first_slot=10), 12), 80)
    assert "per 30 min" in lines[-1]
    assert not any(line.endswith("…") for line in lines)


def test_staffing_buckets_average_head_counts() -> None:
    n = 96
    day = make_day(n, first_slot=0, now=44, scheduled=[5.0] * n, staffed=[5.0] * n,
                   required=[3.0] * n)
    lines = render(StaffingChart(day, 12), 80)
    assert plot_rows(lines)[0].startswith("5┤")  # a mean of 5s is 5, not a sum of 10
    assert "agents, mean per 30 min" in lines[-1]


@pytest.mark.parametrize("width", [80, 160])
def test_legend_uses_the_glyphs_drawn(width: int) -> None:
    volume = render(VolumeChart(make_day(), 14), width)
    legend = volume[-1]
    for glyph_and_word in ("█ actual", "▒ so far", "─ forecast", "+ re-forecast", "▼ now 11:00"):
        assert glyph_and_word in legend
    plot = "".join(plot_rows(volume))
    assert "█" in plot and "▒" in plot and "─" in plot and ("+" in plot or "┼" in plot)
    staffing = render(StaffingChart(make_day(), 14), width)
    for glyph_and_word in ("█ staffed", "─ scheduled", "× required"):
        assert glyph_and_word in staffing[-1]
    assert "×" in "".join(plot_rows(staffing))


@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("width", [80, 160])
def test_current_interval_is_marked(width: int, chart: type[VolumeChart]) -> None:
    lines = render(chart(make_day(), 14), width)
    marker = next(line for line in lines if "▼" in line and "┤" not in line)
    assert "▼11:00" in marker
    axis = next(line for line in lines if "└" in line)
    x = marker.index("▼")
    assert axis[x] == "┴"
    # The now column carries the in-progress bar or the dotted now line.
    assert any(row[x] in "┊▒█▁▂▃▄▅▆▇" for row in plot_rows(lines) if len(row) > x)


@pytest.mark.parametrize("width", [80, 160])
def test_bars_stand_where_contacts_arrived(width: int) -> None:
    # Contacts in every other completed interval: one bar each, gaps in between.
    lines = render(VolumeChart(make_day(), 14), width)
    assert bar_runs(lines) == 8
    none = make_day(actual=[0.0] * 16)
    assert bar_runs(render(VolumeChart(none, 14), width)) == 0


def test_a_tiny_volume_still_shows_a_bar() -> None:
    day = make_day(actual=[0.01 if k % 2 == 0 else 0.0 for k in range(16)])
    assert bar_runs(render(VolumeChart(day, 14), 80)) == 8


def test_hour_labels_sit_under_their_hour() -> None:
    lines = render(VolumeChart(make_day(), 14), 80)
    hours = next(line for line in lines if line.strip().startswith("07"))
    labelled = re.findall(r"\d\d", hours)
    assert labelled[:3] == ["07", "08", "09"]
    assert labelled[-1] == "19"


def test_forecast_and_reforecast_in_one_cell_cross() -> None:
    n = 20
    day = make_day(n, now=4, actual=[0.0] * 4, forecast_volume=[10.0] * n,
                   reforecast_volume=[NAN] * 4 + [10.0] * (n - 4))
    plot = "".join(plot_rows(render(VolumeChart(day, 10), 80)))
    assert "┼" in plot


@pytest.mark.parametrize("chart", CHARTS)
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_queue_without_forecast_says_so(chart: type[VolumeChart], lang: str) -> None:
    lines = render(chart(empty_day("[bold]Sales[/bold]"), 14, lang), 80)
    assert lines == [f"[bold]Sales[/bold] · {LABELS[lang]['no_forecast']}"]
    table = "\n".join(render(forecast_table(empty_day(), lang), 80))
    assert LABELS[lang]["no_forecast"] in table


def test_chinese_labels_appear_and_fit() -> None:
    for width in (80, 160):
        volume = render(VolumeChart(make_day(), 14, "zh-CN"), width)
        staffing = render(StaffingChart(make_day(), 14, "zh-CN"), width)
        for word in ("实际", "预测", "重新预测", "当前"):
            assert word in volume[-1]
        for word in ("在岗", "排班", "所需"):
            assert word in staffing[-1]
        table = render(forecast_table(make_day(), "zh-CN"), width)
        assert "缺口" in table[0] and "服务水平" in table[0]
        for lines in (volume, staffing, table):
            assert max(cell_len(line) for line in lines) <= width


def test_unknown_language_falls_back_to_english() -> None:
    assert labels("fr") is LABELS["en"]
    assert "re-forecast" in render(VolumeChart(make_day(), 14, "fr"), 80)[-1]


def test_every_language_has_every_word() -> None:
    for lang, words in LABELS.items():
        assert set(words) == set(LABELS["en"]), lang


def glyph_styles(renderable: RenderableType, glyphs: str) -> set[Style]:
    """The styles the terminal gets for the cells holding any of ``glyphs``."""
    console = Console(width=80, color_system="truecolor")
    return {
        segment.style or Style()
        for segment in console.render(renderable)
        if any(g in segment.text for g in glyphs)
    }


def test_theme_colours_style_the_series_and_missing_ones_do_not() -> None:
    colours = {"primary": "#ff0000", "secondary": "#00ff00", "warning": "#ffff00"}
    chart = VolumeChart(make_day(), 14, colours=colours)
    assert glyph_styles(chart, "█▁▂▃▄▅▆▇") == {Style.parse("#ff0000")}  # not dimmed
    assert glyph_styles(chart, "┊▼") == {Style.parse("#ffff00")}
    # No "accent" in this theme: the re-forecast's marks are drawn, unstyled.
    assert glyph_styles(chart, "+┼") == {Style()}
    plan = glyph_styles(chart, "─") - {Style.parse("dim")}  # the x axis is dim
    assert plan == {Style.parse("#00ff00")}


def required_styles(day: QueueDay) -> set[str]:
    lines = StaffingChart(day, 14, colours={"accent": "blue", "error": "red"}).lines(80)
    return {
        str(span.style)
        for line in lines[1:-3] for span in line.spans if "×" in line.plain[span.start : span.end]
    }


def test_a_shortfall_takes_the_error_colour() -> None:
    # Required 4 against 5.5 staffed before now; 7 against 6 scheduled after.
    assert required_styles(make_day()) == {"blue", "red"}
    # Before now the requirement is set against who was there (3), not the schedule (6).
    n = 52
    short_before = make_day(staffed=[3.0] * 17 + [NAN] * (n - 17))
    assert required_styles(short_before) == {"red"}


def test_table_shows_missing_as_a_dash_never_zero() -> None:
    day = make_day()
    lines = render(forecast_table(day, "en"), 160)
    header = lines[0].split()
    assert header == ["time", "forecast", "actual", "re-forecast", "required", "scheduled",
                      "staffed", "gap", "SL"]
    by_time = {line.lstrip("▶ ").split()[0]: line.lstrip("▶ ").split()[1:] for line in lines[2:]}
    assert len(by_time) == len(day.rows)
    assert by_time["07:15"] == ["11", "0", "—", "4", "6", "5.5", "-2", "85%"]  # a real 0 stays 0
    assert by_time["12:00"] == ["18", "—", "22", "7", "6", "—", "▲1", "▼≈70%"]
    assert [line[:7] for line in lines if line.startswith("▶")] == ["▶ 11:00"]


def test_table_around_now() -> None:
    lines = render(forecast_table(make_day(), "en", around=2), 80)
    times = [re.search(r"\d\d:\d\d", line).group() for line in lines[2:]]  # type: ignore[union-attr]
    assert times == ["10:30", "10:45", "11:00", "11:15", "11:30"]
    assert max(cell_len(line) for line in lines) <= 80


def test_table_names_are_never_markup() -> None:
    day = make_day(name="[red]x")
    assert "[red]x" in render(VolumeChart(empty_day("[red]x"), 10), 80)[0]
    assert isinstance(forecast_table(day, "en").columns[0].header, Text)


def test_inputs_line() -> None:
    day = make_day()
    assert inputs_line(day, "en").plain == (
        "volume ×1.12 (evidence 340 contacts) · AHT ×0.97 · shrinkage 0% · patience 95s"
    )
    unknown = dataclasses.replace(
        day, patience_s=None, volume_overridden=True, volume_ratio=1.5
    )
    assert inputs_line(unknown, "en").plain == (
        "volume ×1.50 (set by hand) · AHT ×0.97 · shrinkage 0% · patience unknown (Erlang C)"
    )
    assert inputs_line(day, "zh-CN").plain == (
        "联系量 ×1.12（依据 340 个联系） · AHT ×0.97 · 缩减率 0% · 客户耐心 95秒"
    )


async def test_the_simulated_floor_renders_at_both_widths() -> None:
    sim = Simulator(SimConfig(seed=5, start=time(11, 7)))
    transport = httpx.ASGITransport(app=create_app(sim, clock=lambda: 0.0))
    source = RestSource("sim", "http://sim.test", transport=transport)
    snap = await source.fetch_floor()
    plan = await source.fetch_plan(snap.as_of.date())
    await source.aclose()
    assert plan is not None
    for day in floor_days(snap, plan).values():
        rows = day.rows
        for width in (80, 160):
            for chart in CHARTS:
                for lang in ("en", "zh-CN"):
                    lines = render(chart(day, 16, lang), width)
                    assert max(cell_len(line) for line in lines) <= width
                    assert not any(line.endswith("…") for line in lines)
        # At 80 columns each interval of the 07:00-20:00 day has one column: a bar glyph
        # in exactly the columns of completed intervals that had contacts.
        plot = plot_rows(render(VolumeChart(day, 16), 80))
        bar_columns = sum(
            any(x < len(r) and r[x] in BARS for r in plot) for x in range(max(map(len, plot)))
        )
        completed = rows[(rows["start"] < day.interval_start) & (rows["actual_volume"] > 0)]
        assert bar_columns == len(completed) > 10
