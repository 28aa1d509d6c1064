"""``floorview erlang``: the Erlang C / Erlang A staffing calculator.

One case from flags, or many from ``--batch FILE.csv`` (one case per row, columns named like
the flags). Input problems are reported on one line naming the flag, or the file, line and
column, with exit code 2: the person reading it is planning a roster, not debugging Python.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt
import pandas as pd

from floorview.analytics.erlang import (
    asa_c,
    erlang_a,
    occupancy,
    occupancy_a,
    prob_wait_c,
    required_agents_a,
    required_agents_c,
    scheduled_agents,
    service_level_c,
    traffic_erlangs,
)

PROG = "floorview erlang"


class InputError(Exception):
    """A bad input, already phrased for the user."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # CSV column and argparse dest
    help: str
    metavar: str
    valid: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.bool_]]
    rule: str  # what `valid` demands, for the error message
    required: bool = False
    default: float | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


FIELDS: tuple[Field, ...] = (
    Field("calls", "contacts offered in the interval", "N", lambda v: v >= 0, ">= 0", True),
    Field("interval_s", "interval length in seconds", "S", lambda v: v > 0, "> 0", True),
    Field("aht_s", "average handle time in seconds", "S", lambda v: v > 0, "> 0", True),
    Field(
        "target",
        "service-level target as a fraction, e.g. 0.8",
        "F",
        lambda v: (v > 0) & (v < 1),
        "a fraction between 0 and 1 (exclusive), e.g. 0.8 for 80%",
        True,
    ),
    Field(
        "threshold_s",
        "service-level threshold in seconds, e.g. 20",
        "S",
        lambda v: v >= 0,
        ">= 0",
        True,
    ),
    Field(
        "patience_s",
        "mean caller patience in seconds: switches to Erlang A (abandonment)",
        "S",
        lambda v: v > 0,
        "> 0",
    ),
    Field(
        "agents",
        "also report the figures at this many agents taking contacts (after shrinkage)",
        "N",
        lambda v: v >= 0,
        ">= 0",
    ),
    Field(
        "shrinkage",
        "fraction of scheduled time not on contacts (default 0)",
        "F",
        lambda v: (v >= 0) & (v < 1),
        "a fraction in [0, 1)",
        default=0.0,
    ),
    Field(
        "max_occupancy",
        "highest acceptable occupancy as a fraction, e.g. 0.85",
        "F",
        lambda v: (v > 0) & (v <= 1),
        "a fraction in (0, 1]",
    ),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}

# Figures per staffing level, in output order: (key, human label).
METRICS: tuple[tuple[str, str], ...] = (
    ("service_level", "Service level"),
    ("asa_s", "ASA"),
    ("prob_wait", "P(wait)"),
    ("prob_abandon", "P(abandon)"),
    ("occupancy", "Occupancy"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Agents needed to answer a share of contacts within a threshold (Erlang C; Erlang A "
        "with --patience-s), and the service level, ASA, P(wait), P(abandon) and occupancy "
        "that staffing gives."
    )
    parser.epilog = (
        "Service level = contacts answered within the threshold / all contacts (an abandoned "
        "contact is a miss); ASA = mean wait of answered contacts; --agents may be "
        "fractional, e.g. an interval's average staffing."
    )
    for field in FIELDS:
        need = " (required)" if field.required else ""
        parser.add_argument(
            field.flag, dest=field.name, metavar=field.metavar, help=field.help + need
        )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--batch",
        metavar="FILE.csv",
        help="one case per row, columns named like the flags (calls, interval_s, ...); "
        "writes one result row per case as CSV ('-' reads standard input)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.batch is not None:
            return _run_batch(args, sys.stdout)
        return _run_one(args, sys.stdout)
    except InputError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2


# --- one case --------------------------------------------------------------------------------


def _parse_flag(field: Field, raw: str | None) -> float | None:
    if raw is None:
        if field.required:
            raise InputError(f"{field.flag} is required (or give cases with --batch FILE.csv)")
        return field.default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{field.flag}: not a number: {raw!r}") from None
    if math.isnan(value):
        raise InputError(f"{field.flag}: not a number: {raw!r}")
    if math.isinf(value):
        raise InputError(f"{field.flag}: must be a finite number, got {raw!r}")
    if not bool(field.valid(np.asarray(value))):
        raise InputError(f"{field.flag}: must be {field.rule}, got {raw!r}")
    return value


def _run_one(args: argparse.Namespace, out: TextIO) -> int:
    case = {f.name: _parse_flag(f, getattr(args, f.name)) for f in FIELDS}
    frame = pd.DataFrame([{k: (np.nan if v is None else v) for k, v in case.items()}])
    result = _solve(frame).iloc[0]
    if args.json:
        out.write(json.dumps(_as_json(case, result), indent=2) + "\n")
    else:
        out.write(_as_text(case, result))
    return 0


def _json_number(value: Any) -> float | int | None:
    # JSON has no inf or NaN: an unbounded ASA and a figure that does not apply are null.
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


def _as_json(case: dict[str, float | None], result: pd.Series) -> dict[str, Any]:
    erlang_a_model = case["patience_s"] is not None

    def figures(prefix: str) -> dict[str, Any]:
        keys = [k for k, _ in METRICS if erlang_a_model or k != "prob_abandon"]
        return {k: _json_number(result[prefix + k]) for k in keys}

    doc: dict[str, Any] = {
        "model": result["model"],
        "erlangs": float(result["erlangs"]),
        "inputs": {k: _json_number(v) for k, v in case.items()},
        "required": {
            "agents": int(result["required_agents"]),
            "scheduled_agents": int(result["scheduled_agents"]),
            **figures(""),
        },
    }
    if case["agents"] is not None:
        doc["at_agents"] = {"agents": _json_number(case["agents"]), **figures("at_agents_")}
    return doc


def _fmt_pct(value: float) -> str:
    return f"{100.0 * value:.2f}%"


def _fmt_share(value: float) -> str:
    # Inputs as typed: 0.8 is "80%", 0.125 is "12.5%", without padding zeros.
    return f"{100.0 * value:.6g}%"


def _fmt_number(value: float) -> str:
    return f"{value:g}"


def _fmt_seconds(value: float) -> str:
    return "inf (the queue grows without bound)" if math.isinf(value) else f"{value:.2f} s"


def _as_text(case: dict[str, float | None], result: pd.Series) -> str:
    erlang_a_model = case["patience_s"] is not None
    shrinkage = case["shrinkage"] or 0.0
    model = (
        f"Erlang A (mean patience {_fmt_number(case['patience_s'] or 0.0)} s)"
        if erlang_a_model
        else "Erlang C (no abandonment)"
    )
    target = (
        f"{_fmt_share(case['target'] or 0.0)} answered within "
        f"{_fmt_number(case['threshold_s'] or 0.0)} s"
    )
    if case["max_occupancy"] is not None:
        target += f", occupancy at most {_fmt_share(case['max_occupancy'])}"
    lines: list[tuple[str, str] | None] = [
        ("Model", model),
        ("Traffic", f"{result['erlangs']:.4g} Erlangs"),
        ("Target", target),
        None,
        ("Required agents", f"{int(result['required_agents'])}"),
        (
            "Scheduled agents",
            f"{int(result['scheduled_agents'])} (shrinkage {_fmt_share(shrinkage)})",
        ),
    ]

    def figures(prefix: str) -> list[tuple[str, str] | None]:
        rows: list[tuple[str, str] | None] = []
        for key, label in METRICS:
            if key == "prob_abandon" and not erlang_a_model:
                continue
            value = float(result[prefix + key])
            rows.append((label, _fmt_seconds(value) if key == "asa_s" else _fmt_pct(value)))
        return rows

    lines += figures("")
    if case["agents"] is not None:
        lines += [None, ("At agents", _fmt_number(case["agents"])), *figures("at_agents_")]
    width = max(len(item[0]) for item in lines if item is not None) + 2
    text = [f"{item[0]:<{width}}{item[1]}" if item else "" for item in lines]
    return "\n".join(text) + "\n"


# --- batch -----------------------------------------------------------------------------------


def _read_cases(source: str) -> tuple[pd.DataFrame, str]:
    label = "<stdin>" if source == "-" else source
    try:
        handle: Any = sys.stdin if source == "-" else Path(source)
        # Everything as text: the checks below name the cell that does not parse.
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{label}: empty file (expected a header row)") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{label}: cannot read CSV: {first_line}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    # Line numbers as an editor shows them: the header is line 1 and blank lines count.
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    blank = frame.apply(lambda col: col.str.strip() == "").all(axis=1)
    return frame[~blank], label


def _parse_cases(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    unknown = [c for c in frame.columns if c not in FIELD_BY_NAME]
    if unknown:
        known = ", ".join(FIELD_BY_NAME)
        raise InputError(f"{label}: unknown column {unknown[0]!r} (columns are: {known})")
    parsed: dict[str, npt.NDArray[np.float64]] = {}
    for field in FIELDS:
        if field.name not in frame.columns:
            if field.required:
                raise InputError(f"{label}: missing required column {field.name!r}")
            parsed[field.name] = np.full(
                len(frame), np.nan if field.default is None else field.default
            )
            continue
        text = frame[field.name].str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        empty = (text == "").to_numpy()
        for i in np.flatnonzero(~empty & np.isnan(values)):
            line = frame.index[i]
            raise InputError(f"{label}:{line}: {field.name}: not a number: {text.iloc[i]!r}")
        for i in np.flatnonzero(np.isinf(values)):
            raise InputError(
                f"{label}:{frame.index[i]}: {field.name}: must be a finite number, "
                f"got {text.iloc[i]!r}"
            )
        if field.required:
            for i in np.flatnonzero(empty):
                raise InputError(f"{label}:{frame.index[i]}: {field.name}: missing value")
        elif field.default is not None:
            values = np.where(empty, field.default, values)
        with np.errstate(invalid="ignore"):
            bad = ~empty & ~field.valid(values)
        for i in np.flatnonzero(bad):
            raise InputError(
                f"{label}:{frame.index[i]}: {field.name}: must be {field.rule}, "
                f"got {text.iloc[i]!r}"
            )
        parsed[field.name] = values
    return pd.DataFrame(parsed, index=frame.index)


def _run_batch(args: argparse.Namespace, out: TextIO) -> int:
    given = [f.flag for f in FIELDS if getattr(args, f.name) is not None]
    if given:
        raise InputError(f"--batch takes every case from the file; drop {', '.join(given)}")
    frame, label = _read_cases(args.batch)
    cases = _parse_cases(frame, label)
    result = pd.concat([cases, _solve(cases)], axis=1)
    if args.json:
        records = [
            {k: _json_number(v) if k != "model" else v for k, v in row.items()}
            for row in result.to_dict(orient="records")
        ]
        out.write(json.dumps(records, indent=2) + "\n")
    else:
        result.to_csv(out, index=False, lineterminator="\n")
    return 0


# --- the sums, for one case or many ----------------------------------------------------------


def _solve(cases: pd.DataFrame) -> pd.DataFrame:
    """Required agents and the figures at that staffing (and at ``agents``), vectorised."""
    n = len(cases)
    erlangs = np.asarray(
        traffic_erlangs(
            cases["calls"].to_numpy(), cases["interval_s"].to_numpy(), cases["aht_s"].to_numpy()
        ),
        dtype=np.float64,
    ).reshape(n)
    aht = cases["aht_s"].to_numpy(dtype=np.float64)
    threshold = cases["threshold_s"].to_numpy(dtype=np.float64)
    target = cases["target"].to_numpy(dtype=np.float64)
    patience = cases["patience_s"].to_numpy(dtype=np.float64)
    max_occ = np.nan_to_num(cases["max_occupancy"].to_numpy(dtype=np.float64), nan=1.0)
    shrinkage = cases["shrinkage"].to_numpy(dtype=np.float64)
    agents = cases["agents"].to_numpy(dtype=np.float64)
    is_a = ~np.isnan(patience)
    is_c = ~is_a

    raw = np.zeros(n, dtype=np.int64)
    if is_c.any():
        raw[is_c] = required_agents_c(
            erlangs[is_c], aht[is_c], threshold[is_c], target[is_c], max_occ[is_c]
        )
    if is_a.any():
        raw[is_a] = required_agents_a(
            erlangs[is_a], aht[is_a], patience[is_a], threshold[is_a], target[is_a], max_occ[is_a]
        )
    columns: dict[str, Any] = {
        "model": np.where(is_a, "erlang_a", "erlang_c"),
        "erlangs": erlangs,
        "required_agents": raw,
        "scheduled_agents": np.asarray(scheduled_agents(raw, shrinkage)).reshape(n),
    }
    columns.update(_figures(erlangs, raw.astype(np.float64), aht, threshold, patience, ""))
    with_agents = ~np.isnan(agents)
    at = _figures(
        erlangs, np.where(with_agents, agents, 0.0), aht, threshold, patience, "at_agents_"
    )
    for key, values in at.items():
        columns[key] = np.where(with_agents, values, np.nan)
    return pd.DataFrame(columns, index=cases.index)


def _figures(
    erlangs: npt.NDArray[np.float64],
    agents: npt.NDArray[np.float64],
    aht: npt.NDArray[np.float64],
    threshold: npt.NDArray[np.float64],
    patience: npt.NDArray[np.float64],
    prefix: str,
) -> dict[str, npt.NDArray[np.float64]]:
    n = erlangs.size
    out = {prefix + key: np.full(n, np.nan) for key, _ in METRICS}
    is_a = ~np.isnan(patience)
    c, a = ~is_a, is_a
    if c.any():
        e, m, h, t = erlangs[c], agents[c], aht[c], threshold[c]
        out[prefix + "service_level"][c] = service_level_c(e, m, h, t)
        out[prefix + "asa_s"][c] = asa_c(e, m, h)
        out[prefix + "prob_wait"][c] = prob_wait_c(e, m)
        out[prefix + "occupancy"][c] = occupancy(e, m)
    if a.any():
        e, m, h, t, p = erlangs[a], agents[a], aht[a], threshold[a], patience[a]
        res = erlang_a(e, m, h, p, t)
        out[prefix + "service_level"][a] = res.service_level
        out[prefix + "asa_s"][a] = res.asa_s
        out[prefix + "prob_wait"][a] = res.prob_wait
        out[prefix + "prob_abandon"][a] = res.prob_abandon
        out[prefix + "occupancy"][a] = occupancy_a(e, m, h, p)
    return out
