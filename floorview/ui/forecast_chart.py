"""Rich renderables for the Forecast screen: one queue's day as text charts and a table.

Every series has its own glyph, so the charts read without colour (a monochrome terminal, a
screenshot pasted in a ticket, a colour-blind supervisor); theme colours go on top, by the
theme's colour names, and a name the theme lacks simply leaves the glyph unstyled.

The charts fit the width they are given: the day is cut to its working window (first to
last interval with any volume, and now), each interval gets up to three cells, and when
the window has more intervals than there are cells, intervals are added up into 30-minute,
hourly or longer buckets aligned on the clock. Every word is built as rich Text, never as
markup: queue names come from APIs and "[bold]" in one must show as typed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from floorview.analytics.dayview import QueueDay
from floorview.analytics.reforecast import INTERVAL
from floorview.ui.format import MISSING

Colours = Mapping[str, str]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "actual": "actual",
        "so_far": "so far",
        "forecast": "forecast",
        "reforecast": "re-forecast",
        "required": "required",
        "scheduled": "scheduled",
        "staffed": "staffed",
        "gap": "gap",
        "sl": "SL",
        "time": "time",
        "now": "now",
        "unit_contacts": "contacts per {span}",
        "unit_agents": "agents",
        "unit_agents_mean": "agents, mean per {span}",
        "span_minutes": "{n} min",
        "span_hour": "hour",
        "span_hours": "{n} h",
        "no_forecast": "no forecast for this queue",
        "volume": "volume",
        "evidence": " (evidence {n} contacts)",
        "set_by_hand": " (set by hand)",
        "aht": "AHT",
        "shrinkage": "shrinkage",
        "patience": "patience",
        "patience_unknown": "unknown (Erlang C)",
        "seconds": "{n}s",
    },
    "zh-CN": {
        "actual": "实际",
        "so_far": "截至目前",
        "forecast": "预测",
        "reforecast": "重新预测",
        "required": "所需",
        "scheduled": "排班",
        "staffed": "在岗",
        "gap": "缺口",
        "sl": "服务水平",
        "time": "时间",
        "now": "当前",
        "unit_contacts": "每{span}联系量",
        "unit_agents": "坐席数",
        "unit_agents_mean": "坐席数（每{span}平均）",
        "span_minutes": "{n}分钟",
        "span_hour": "小时",
        "span_hours": "{n}小时",
        "no_forecast": "该队列没有预测",
        "volume": "联系量",
        "evidence": "（依据 {n} 个联系）",
        "set_by_hand": "（手动设定）",
        "aht": "AHT",
        "shrinkage": "缩减率",
        "patience": "客户耐心",
        "patience_unknown": "未知（Erlang C）",
        "seconds": "{n}秒",
    },
}

# Glyphs: bars for what happened, a line for the plan, a mark for the model.
BAR, PARTIAL_BAR = "█", "▒"
PLAN, REFORECAST, REQUIRED = "─", "+", "×"
NOW_MARK, NOW_LINE = "▼", "┊"
_EIGHTHS = "▁▂▃▄▅▆▇"
#: Two markers in one cell: the plan's line crossed by the re-forecast's mark.
_MERGED = {(PLAN, REFORECAST): "┼", (REFORECAST, PLAN): "┼"}

#: Bucket sizes tried, in 15-minute intervals: 15 and 30 min, 1, 2, 3, 6, 12 and 24 hours.
_SPANS = (1, 2, 4, 8, 12, 24, 48, 96)
#: Wider columns than this stop helping the eye and only stretch the day.
_MAX_CELLS = 3
_MIN_WIDTH = 24
#: The fewest lines a chart takes: two plot rows, the hour labels and the legend.
_MIN_HEIGHT = 4


def labels(lang: str) -> dict[str, str]:
    """The words for ``lang``; English for a language floorview has no words for."""
    return LABELS.get(lang, LABELS["en"])


def _style(colours: Colours, key: str) -> str:
    return colours.get(key, "")


def _hhmm(when: pd.Timestamp) -> str:
    return f"{when.hour:02d}:{when.minute:02d}"


# --- buckets --------------------------------------------------------------------------------


def _working_rows(day: QueueDay) -> pd.DataFrame:
    """First to last interval with any volume (or now); the whole day if none has."""
    rows = day.rows
    busy = (
        (rows["forecast_volume"] > 0) | (rows["actual_volume"] > 0)
        | (rows["reforecast_volume"] > 0) | (rows["start"] == pd.Timestamp(day.interval_start))
    ).to_numpy()
    hits = np.flatnonzero(busy)
    return rows if not hits.size else rows.iloc[hits[0] : hits[-1] + 1]


def _bucket_keys(rows: pd.DataFrame, span: int) -> np.ndarray:
    # Keyed by slot of the day, so buckets start on the clock (hours at 07:00, not 07:15).
    start = rows["start"]
    slot = ((start - start.dt.floor("D")) // INTERVAL).to_numpy(dtype=np.int64)
    keys: np.ndarray = slot // span
    return keys


@dataclass(frozen=True, slots=True)
class _Series:
    label: str
    glyph: str
    values: np.ndarray
    #: Per bucket, so a marker can change colour (a shortfall) without changing glyph.
    styles: Sequence[str]
    #: The legend's glyph style: the series' own colour, whatever any one bucket has.
    legend_style: str
    bar: bool = False
    #: Buckets whose bar covers only part of its time (drawn with PARTIAL_BAR).
    partial: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class _Plot:
    """One chart at one width: buckets chosen, series aggregated, scale set."""

    starts: list[pd.Timestamp]
    span: int
    cells: int
    current: int | None
    series: list[_Series]
    top: int

    @property
    def gutter(self) -> int:
        return cell_len(str(self.top)) + 1

    @property
    def now_x(self) -> int:
        """The plot column (after the gutter) of the now marker: mid-bucket."""
        return (self.current or 0) * self.cells + (self.cells - 1) // 2


class _DayChart:
    """What both charts share: bucketing, the grid, the axes and the legend.

    ``height`` is the lines the chart takes in all (at least 4; see :func:`_frame` for what
    a short chart leaves out); the width is whatever the console offers.
    """

    def __init__(
        self,
        day: QueueDay,
        height: int = 12,
        lang: str = "en",
        colours: Colours | None = None,
    ) -> None:
        self.day = day
        self.height = height
        self.lang = lang
        self.colours: Colours = colours or {}
        self.words = labels(lang)

    # Each chart says which columns it draws and how they add up over a bucket.
    def _aggregate(self, rows: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
        raise NotImplementedError

    def _series(self, buckets: pd.DataFrame) -> list[_Series]:
        raise NotImplementedError

    def _unit(self, span: int) -> str:
        raise NotImplementedError

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(_MIN_WIDTH, options.max_width), options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    def lines(self, width: int) -> list[Text]:
        """The chart as lines of at most ``width`` cells."""
        if not self.day.has_forecast:
            return [self._no_forecast(width)]
        plot = self._plot(width)
        rows, with_now, with_axis = _frame(self.height)
        lines = [self._now_line(plot, width)] if with_now else []
        lines += self._grid(plot, rows)
        lines += [self._x_axis(plot)] if with_axis else []
        lines += [self._hour_labels(plot, width), self._legend(plot)]
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return lines

    def _no_forecast(self, width: int) -> Text:
        text = Text.assemble(
            (self.day.queue_name, "bold"), " · ", (self.words["no_forecast"], "italic")
        )
        text.truncate(width, overflow="ellipsis")
        return text

    def _plot(self, width: int) -> _Plot:
        rows = _working_rows(self.day)
        current_start = pd.Timestamp(self.day.interval_start)
        now_at = np.flatnonzero((rows["start"] == current_start).to_numpy())
        for span in _SPANS:
            keys = _bucket_keys(rows, span)
            buckets = self._aggregate(rows, keys)
            series = self._series(buckets)
            peak = max(np.nanmax(s.values, initial=0.0) for s in series)
            top = max(1, math.ceil(peak))
            starts = [pd.Timestamp(s) for s in buckets["start"]]
            current = None
            if now_at.size:
                current = int(np.searchsorted(np.unique(keys), keys[now_at[0]]))
            room = width - (cell_len(str(top)) + 1)
            # The last span (the whole day in one bucket) is taken whatever the width.
            if len(starts) <= room or span == _SPANS[-1]:
                cells = max(1, min(_MAX_CELLS, room // len(starts)))
                return _Plot(starts, span, cells, current, series, top)
        raise AssertionError("unreachable: the last span always returns")

    # --- drawing ---------------------------------------------------------------------------

    def _grid(self, plot: _Plot, rows: int) -> list[Text]:
        canvas = _Canvas(len(plot.starts) * plot.cells, rows)
        for series in plot.series:
            for b, value in enumerate(series.values):
                if not value > 0:  # NaN and 0 draw nothing: the axis is 0
                    continue
                columns = range(b * plot.cells, (b + 1) * plot.cells)
                if series.bar:
                    partial = series.partial is not None and bool(series.partial[b])
                    bar = _bar(value, plot.top, rows, partial)
                    for x in columns:
                        for y, glyph in enumerate(bar):
                            canvas.put(x, y, glyph, series.styles[b])
                else:
                    y = _marker_row(value, plot.top, rows)
                    for x in columns:
                        canvas.mark(x, y, series.glyph, series.styles[b])
        if plot.current is not None:
            canvas.fill_column(plot.now_x, NOW_LINE, _style(self.colours, "warning"))
        lines = []
        for y, (glyphs, styles) in enumerate(canvas.rows_top_down()):
            label = str(plot.top) if y == 0 else ""
            # The axis alone is dim: a base style on the Text would dim the bars too.
            line = Text(f"{label:>{plot.gutter - 1}}{'┤' if y == 0 else '│'}")
            line.stylize("dim")
            _append_runs(line, glyphs, styles)
            lines.append(line)
        return lines

    def _now_line(self, plot: _Plot, width: int) -> Text:
        line = Text()
        if plot.current is None:
            return line
        x = plot.gutter + plot.now_x
        when = _hhmm(pd.Timestamp(self.day.interval_start))
        style = _style(self.colours, "warning")
        if x + 1 + len(when) <= width:
            line.append(" " * x)
            line.append(NOW_MARK + when, style=style)
        else:
            line.append(" " * max(0, x - len(when)))
            line.append(when + NOW_MARK, style=style)
        return line

    def _x_axis(self, plot: _Plot) -> Text:
        axis = ["─"] * (len(plot.starts) * plot.cells)
        if plot.current is not None:
            axis[plot.now_x] = "┴"
        return Text(f"{'0':>{plot.gutter - 1}}└{''.join(axis)}", style="dim")

    def _hour_labels(self, plot: _Plot, width: int) -> Text:
        chars = [" "] * width
        free_from = 0
        for b, start in enumerate(plot.starts):
            if start.minute:
                continue
            x = plot.gutter + b * plot.cells
            label = f"{start.hour:02d}"
            # A label needs a space before the next one, and the whole of itself on screen.
            if x < free_from or x + len(label) > width:
                continue
            chars[x : x + len(label)] = label
            free_from = x + len(label) + 1
        return Text("".join(chars).rstrip(), style="dim")

    def _legend(self, plot: _Plot) -> Text:
        legend = Text()
        for series in plot.series:
            legend.append(series.glyph, style=series.legend_style)
            legend.append(f" {series.label}  ")
            if series.partial is not None and series.partial.any():
                legend.append(PARTIAL_BAR, style=series.legend_style)
                legend.append(f" {self.words['so_far']}  ")
        if plot.current is not None:
            legend.append(NOW_MARK, style=_style(self.colours, "warning"))
            when = _hhmm(pd.Timestamp(self.day.interval_start))
            legend.append(f" {self.words['now']} {when}  ")
        legend.append(self._unit(plot.span), style="dim")
        return legend

    def _span_words(self, span: int) -> str:
        minutes = span * 15
        if minutes < 60:
            return self.words["span_minutes"].format(n=minutes)
        if minutes == 60:
            return self.words["span_hour"]
        return self.words["span_hours"].format(n=minutes // 60)


def _frame(height: int) -> tuple[int, bool, bool]:
    """Plot rows, and whether the now line and the x axis fit, in ``height`` lines.

    A short chart gives up the now line first (the legend, the ┊ column and the axis' ┴
    still mark now), then the axis line; the hour labels and the legend always stay, as
    without them the chart cannot be read at all.
    """
    height = max(height, _MIN_HEIGHT)
    with_now, with_axis = height >= 7, height >= 5
    return height - 2 - with_now - with_axis, with_now, with_axis


class _Canvas:
    """The plot area: one glyph and one style per cell, rows counted from the bottom."""

    def __init__(self, width: int, rows: int) -> None:
        self._glyphs = [[" "] * width for _ in range(rows)]
        self._styles = [[""] * width for _ in range(rows)]

    def put(self, x: int, y: int, glyph: str, style: str) -> None:
        self._glyphs[y][x], self._styles[y][x] = glyph, style

    def mark(self, x: int, y: int, glyph: str, style: str) -> None:
        """A marker goes over a bar; over another marker it may merge (─ and + make ┼)."""
        self.put(x, y, _MERGED.get((self._glyphs[y][x], glyph), glyph), style)

    def fill_column(self, x: int, glyph: str, style: str) -> None:
        for y, row in enumerate(self._glyphs):
            if row[x] == " ":
                self.put(x, y, glyph, style)

    def rows_top_down(self) -> list[tuple[list[str], list[str]]]:
        return list(zip(reversed(self._glyphs), reversed(self._styles), strict=True))


def _bar(value: float, top: int, rows: int, partial: bool) -> list[str]:
    """A bar's glyphs from the bottom up, in eighths of a cell; at least one eighth, so any
    volume at all shows."""
    eighths = max(1, round(value / top * rows * 8))
    eighths = min(eighths, rows * 8)
    full, rest = divmod(eighths, 8)
    if partial:
        # A bar still filling up: whole cells of the lighter glyph, so it never looks final.
        return [PARTIAL_BAR] * (full + (1 if rest else 0))
    return [BAR] * full + ([_EIGHTHS[rest - 1]] if rest else [])


def _marker_row(value: float, top: int, rows: int) -> int:
    """The row (from the bottom) whose cell holds ``value``'s level."""
    return min(rows - 1, max(0, math.ceil(value / top * rows) - 1))


def _append_runs(line: Text, glyphs: list[str], styles: list[str]) -> None:
    """Append cells, one span per run of the same style (not one per cell)."""
    start = 0
    for x in range(1, len(glyphs) + 1):
        if x == len(glyphs) or styles[x] != styles[start]:
            line.append("".join(glyphs[start:x]), style=styles[start])
            start = x


class VolumeChart(_DayChart):
    """Contacts per interval: actual bars, the forecast's line and the re-forecast's marks."""

    def _aggregate(self, rows: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
        now = pd.Timestamp(self.day.interval_start)
        has_reforecast = rows["reforecast_volume"].notna()
        # A bucket's re-forecast is what it is now expected to total: the completed
        # intervals' actuals plus the re-forecast of the rest, not the rest alone.
        expected = rows["reforecast_volume"].where(
            has_reforecast, rows["actual_volume"].where(rows["start"] < now)
        )
        frame = pd.DataFrame({
            "start": rows["start"].to_numpy(),
            "forecast": rows["forecast_volume"].to_numpy(),
            "actual": rows["actual_volume"].to_numpy(),
            "partial": rows["partial"].to_numpy(),
            "expected": expected.to_numpy(),
            "has_reforecast": has_reforecast.to_numpy(),
        })
        grouped = frame.groupby(keys, sort=True)
        buckets = pd.DataFrame({
            "start": grouped["start"].min(),
            "forecast": grouped["forecast"].sum(min_count=1),
            "actual": grouped["actual"].sum(min_count=1),
            "partial": grouped["partial"].any(),
            "reforecast": grouped["expected"].sum(min_count=1).where(
                grouped["has_reforecast"].any()
            ),
        })
        return buckets.reset_index(drop=True)

    def _series(self, buckets: pd.DataFrame) -> list[_Series]:
        words = self.words

        def series(column: str, glyph: str, colour: str) -> _Series:
            style = _style(self.colours, colour)
            values = buckets[column].to_numpy(dtype=float)
            return _Series(words[column], glyph, values, [style] * len(values), style)

        actual = series("actual", BAR, "primary")
        partial = buckets["partial"].to_numpy(dtype=bool)
        return [
            _Series(actual.label, BAR, actual.values, actual.styles, actual.legend_style,
                    bar=True, partial=partial),
            series("forecast", PLAN, "secondary"),
            series("reforecast", REFORECAST, "accent"),
        ]

    def _unit(self, span: int) -> str:
        return self.words["unit_contacts"].format(span=self._span_words(span))


class StaffingChart(_DayChart):
    """Agents per interval: staffed bars, the schedule's line and the requirement's marks
    (in the theme's error colour where the requirement is above the agents there)."""

    def _aggregate(self, rows: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
        # Head counts are levels, not totals: a bucket shows its mean.
        frame = pd.DataFrame({
            "start": rows["start"].to_numpy(),
            "staffed": rows["staffed"].to_numpy(),
            "scheduled": rows["scheduled"].to_numpy(),
            "required": rows["required"].to_numpy(),
        })
        grouped = frame.groupby(keys, sort=True)
        buckets = pd.DataFrame({
            "start": grouped["start"].min(),
            "staffed": grouped["staffed"].mean(),
            "scheduled": grouped["scheduled"].mean(),
            "required": grouped["required"].mean(),
        })
        return buckets.reset_index(drop=True)

    def _series(self, buckets: pd.DataFrame) -> list[_Series]:
        n, words = len(buckets), self.words
        staffed = buckets["staffed"].to_numpy(dtype=float)
        scheduled = buckets["scheduled"].to_numpy(dtype=float)
        required = buckets["required"].to_numpy(dtype=float)
        # Short against who was there, or, ahead of now, against who is scheduled.
        against = np.where(np.isnan(staffed), scheduled, staffed)
        short = required > against
        primary, secondary = _style(self.colours, "primary"), _style(self.colours, "secondary")
        accent, error = _style(self.colours, "accent"), _style(self.colours, "error")
        return [
            _Series(words["staffed"], BAR, staffed, [primary] * n, primary, bar=True),
            _Series(words["scheduled"], PLAN, scheduled, [secondary] * n, secondary),
            _Series(words["required"], REQUIRED, required,
                    [error if s else accent for s in short], accent),
        ]

    def _unit(self, span: int) -> str:
        if span == 1:
            return self.words["unit_agents"]
        return self.words["unit_agents_mean"].format(span=self._span_words(span))


# --- the table and the inputs line ------------------------------------------------------------


def _count(value: float) -> Text:
    return Text(MISSING if math.isnan(value) else f"{value:.0f}", justify="right")


def _agents(value: float) -> str:
    if math.isnan(value):
        return MISSING
    # Interval averages (7.6 agents) keep a decimal; whole head counts do not.
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _gap(value: float, colours: Colours) -> Text:
    if math.isnan(value):
        return Text(MISSING, justify="right")
    whole = round(value)
    if whole > 0:
        # ▲ says "short" without colour, as on the queue board.
        return Text(f"▲{whole}", style=_style(colours, "error"), justify="right")
    return Text(str(whole), justify="right")


def _service_level(value: float, projected: bool, target: float, colours: Colours) -> Text:
    if math.isnan(value):
        return Text(MISSING, justify="right")
    below = value < target
    # ≈ marks a projection, ▼ a miss of the target: both readable without colour.
    text = f"{'▼' if below else ''}{'≈' if projected else ''}{value * 100:.0f}%"
    return Text(text, style=_style(colours, "error") if below else "", justify="right")


def _table_rows(day: QueueDay, around: int | None) -> pd.DataFrame:
    rows = day.rows
    if around is None:
        return rows
    now = pd.Timestamp(day.interval_start)
    # The interval in progress, or where it would be: before the first, after the last.
    centre = int(rows["start"].searchsorted(now))
    centre = min(centre, len(rows) - 1)
    return rows.iloc[max(0, centre - around) : centre + around + 1]


def _row_cells(row: Mapping[str, Any], day: QueueDay, colours: Colours) -> list[Text]:
    start = pd.Timestamp(row["start"])
    now = pd.Timestamp(day.interval_start)
    past = start < now
    actual = _count(float(row["actual_volume"]))
    if row["partial"]:
        actual.stylize("italic")
    sl = row["sl_actual"] if past else row["sl_projected"]
    return [
        Text(("▶ " if start == now else "  ") + _hhmm(start)),
        _count(float(row["forecast_volume"])),
        actual,
        _count(float(row["reforecast_volume"])),
        _count(float(row["required"])),
        Text(_agents(float(row["scheduled"])), justify="right"),
        Text(_agents(float(row["staffed"])), justify="right"),
        _gap(float(row["gap"]), colours),
        _service_level(float(sl), not past, day.target_sl, colours),
    ]


_TABLE_COLUMNS = (
    "time", "forecast", "actual", "reforecast", "required", "scheduled", "staffed", "gap", "sl",
)


def forecast_table(
    day: QueueDay,
    lang: str,
    *,
    around: int | None = None,
    colours: Colours | None = None,
) -> Table:
    """The figures under the charts, one row per interval (``around`` intervals either side
    of now when given). Past SL is actual; from now on it is projected (≈)."""
    words, colours = labels(lang), colours or {}
    # No padding: the box's blank divider alone keeps 80 columns enough for every column.
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, padding=0, pad_edge=False, header_style="bold"
    )
    for key in _TABLE_COLUMNS:
        table.add_column(
            Text(words[key]), justify="left" if key == "time" else "right", no_wrap=True
        )
    if not day.has_forecast:
        table.caption = Text(words["no_forecast"], style="italic")
        return table
    now = pd.Timestamp(day.interval_start)
    # Plain dicts: iterrows builds a Series per row, several times the cost on a 96-row day.
    for row in _table_rows(day, around).to_dict("records"):
        table.add_row(*_row_cells(row, day, colours), style="bold" if row["start"] == now else "")
    return table


def inputs_line(day: QueueDay, lang: str) -> Text:
    """What the re-forecast applies to the plan, e.g. ``volume ×1.12 (evidence 340
    contacts) · AHT ×0.97 · shrinkage 0% · patience 95s``."""
    words = labels(lang)
    volume_note = (
        words["set_by_hand"] if day.volume_overridden
        else words["evidence"].format(n=round(day.evidence_contacts))
    )
    patience = (
        words["patience_unknown"] if day.patience_s is None
        else words["seconds"].format(n=round(day.patience_s))
    )
    parts = (
        f"{words['volume']} ×{day.volume_ratio:.2f}{volume_note}",
        f"{words['aht']} ×{day.aht_ratio:.2f}",
        f"{words['shrinkage']} {day.shrinkage * 100:.0f}%",
        f"{words['patience']} {patience}",
    )
    return Text(" · ".join(parts))
