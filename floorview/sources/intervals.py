"""Interval tables (forecast and actuals) as DataFrames, from the Floor API or a CSV file.

The re-forecast works on these frames; they carry canonical column names only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from floorview.sources import parse as p

FORECAST_FIELDS = ("volume", "aht_s", "scheduled_agents")
ACTUAL_FIELDS = (
    "offered", "answered", "answered_within_sl", "abandoned", "handled",
    "handle_time_s", "wait_time_s",
)
ACTUAL_OPTIONAL = ("staffed_avg", "agents_effective")


def _frame(
    data: Any, fields: tuple[str, ...], optional: tuple[str, ...], what: str
) -> pd.DataFrame:
    d = p.obj(data, what)
    rows = []
    for i, item in enumerate(p.array(d, "intervals", what)):
        where = f"{what}.intervals[{i}]"
        row_data = p.obj(item, where)
        row: dict[str, Any] = {
            "queue": p.text(row_data, "queue", where),
            "start": p.timestamp(row_data, "start", where),
        }
        for name in fields:
            row[name] = p.number(row_data, name, where)
        for name in optional:
            row[name] = p.number(row_data, name, where) if name in row_data else float("nan")
        rows.append(row)
    columns = ["queue", "start", *fields, *optional]
    frame = pd.DataFrame(rows, columns=columns)
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    return frame


def empty_forecast() -> pd.DataFrame:
    """A forecast with no rows: a vendor source's, when the forecast comes from a CSV."""
    frame = pd.DataFrame({"queue": pd.Series(dtype=str),
                          "start": pd.Series(dtype="datetime64[ns, UTC]")})
    for name in FORECAST_FIELDS:
        frame[name] = pd.Series(dtype=float)
    return frame


def empty_actuals() -> pd.DataFrame:
    """Interval actuals with no rows: a source that keeps no interval history, so the
    re-forecast runs on the forecast alone (its volume and AHT ratios stay at 1)."""
    frame = pd.DataFrame({"queue": pd.Series(dtype=str),
                          "start": pd.Series(dtype="datetime64[ns, UTC]")})
    for name in (*ACTUAL_FIELDS, *ACTUAL_OPTIONAL):
        frame[name] = pd.Series(dtype=float)
    return frame


def parse_forecast(data: Any) -> pd.DataFrame:
    return _frame(data, FORECAST_FIELDS, (), "forecast")


def parse_actuals(data: Any) -> pd.DataFrame:
    return _frame(data, ACTUAL_FIELDS, ACTUAL_OPTIONAL, "intervals")


class ForecastFileError(Exception):
    pass


def load_forecast_csv(path: Path) -> pd.DataFrame:
    """A forecast and schedule from CSV: columns queue, start (ISO 8601 with zone), volume,
    aht_s, scheduled_agents; one row per queue per 15-minute interval."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ForecastFileError(f"{path}: cannot read forecast CSV: {exc}") from None
    missing = [c for c in ("queue", "start", *FORECAST_FIELDS) if c not in frame.columns]
    if missing:
        raise ForecastFileError(f"{path}: missing column(s): {', '.join(missing)}")
    try:
        frame["start"] = pd.to_datetime(frame["start"], utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ForecastFileError(f"{path}: column start: {exc}") from None
    for name in FORECAST_FIELDS:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            line = int(bad.to_numpy().nonzero()[0][0]) + 2  # header is line 1
            raise ForecastFileError(f"{path}:{line}: column {name}: not a number >= 0")
        frame[name] = values.astype(float)
    frame["queue"] = frame["queue"].astype(str)
    return frame[["queue", "start", *FORECAST_FIELDS]]
