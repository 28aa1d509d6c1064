"""`floorview erlang`: the staffing calculator, one case from flags or many from a CSV."""

from __future__ import annotations

import argparse
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from floorview.cli import main
from floorview.erlang_cli import add_arguments, run

CASE = [
    "--calls",
    "100",
    "--interval-s",
    "1800",
    "--aht-s",
    "180",
    "--target",
    "0.8",
    "--threshold-s",
    "20",
]


def calc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="floorview erlang")
    add_arguments(parser)
    code = run(parser.parse_args(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fields(text: str) -> dict[str, str]:
    """`Label   value` lines as a dict; also checks every value starts in the same column."""
    lines = [line for line in text.splitlines() if line.strip()]
    starts = set()
    result = {}
    for line in lines:
        label, _, value = line.partition("  ")
        value = value.lstrip()
        starts.add(len(line) - len(value))
        result.setdefault(label.strip(), value)
    assert len(starts) == 1, text
    return result


def test_published_case_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = calc(CASE, capsys)
    assert code == 0 and err == ""
    got = fields(out)
    assert got["Model"].startswith("Erlang C")
    assert got["Traffic"] == "10 Erlangs"
    assert got["Required agents"] == "14"
    assert got["Service level"] == "88.84%"
    assert got["P(wait)"] == "17.41%"
    assert got["ASA"] == "7.84 s"
    assert got["Occupancy"] == "71.43%"
    assert "P(abandon)" not in got


def test_agents_and_shrinkage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = calc([*CASE, "--agents", "15", "--shrinkage", "0.3"], capsys)
    assert code == 0
    assert "Scheduled agents  20 (shrinkage 30%)" in out
    at = out.split("At agents")[1]
    assert "Service level     94.15%" in at


def test_erlang_a_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = calc([*CASE, "--patience-s", "120", "--agents", "9", "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["model"] == "erlang_a"
    assert doc["erlangs"] == pytest.approx(10.0)
    assert doc["required"]["agents"] == 12
    assert 0 < doc["required"]["prob_abandon"] < doc["required"]["prob_wait"] < 1
    assert doc["required"]["service_level"] >= 0.8
    assert doc["at_agents"]["agents"] == 9
    assert math.isfinite(doc["at_agents"]["asa_s"])  # Erlang A stays finite when N < A
    assert doc["inputs"]["max_occupancy"] is None


def test_overloaded_erlang_c_asa_is_null_in_json_and_inf_in_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = calc([*CASE, "--agents", "9", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["at_agents"]["asa_s"] is None
    assert doc["at_agents"]["service_level"] == 0.0
    assert "prob_abandon" not in doc["required"]
    _, out, _ = calc([*CASE, "--agents", "9"], capsys)
    assert "inf" in out.split("At agents")[1]


def test_zero_calls(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*CASE]
    argv[1] = "0"
    code, out, _ = calc([*argv, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["required"]["agents"] == 0 and doc["required"]["service_level"] == 1.0


def test_wired_into_the_floorview_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erlang", *CASE, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["required"]["agents"] == 14


BATCH = """\
calls,interval_s,aht_s,target,threshold_s,patience_s,agents,shrinkage,max_occupancy
100,1800,180,0.8,20,,14,,
100,1800,180,0.8,20,120,,0.3,0.85

0,1800,180,0.8,20,,,,
360,1800,240,0.8,20,,55,,
"""


def test_batch_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(BATCH)
    code, out, err = calc(["--batch", str(path)], capsys)
    assert code == 0 and err == ""
    rows = pd.read_csv(io.StringIO(out))
    assert len(rows) == 4  # the blank line is skipped
    assert rows["model"].tolist() == ["erlang_c", "erlang_a", "erlang_c", "erlang_c"]
    assert rows["required_agents"].tolist() == [14, 12, 0, 54]
    assert rows["scheduled_agents"].tolist() == [14, 18, 0, 54]  # 12 / 0.7 = 17.1 -> 18
    assert rows.loc[0, "service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert rows.loc[3, "at_agents_service_level"] == pytest.approx(0.8668, abs=5e-5)
    assert rows.loc[3, "at_agents_asa_s"] == pytest.approx(8.18, abs=5e-3)
    assert pd.isna(rows.loc[1, "at_agents_service_level"])  # no agents given
    assert pd.isna(rows.loc[0, "prob_abandon"])  # Erlang C: not modelled
    assert rows.loc[1, "prob_abandon"] > 0


def test_batch_minimal_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("calls,interval_s,aht_s,target,threshold_s\n100,1800,180,0.8,20\n")
    code, out, _ = calc(["--batch", str(path), "--json"], capsys)
    assert code == 0
    (row,) = json.loads(out)
    assert row["required_agents"] == 14 and row["shrinkage"] == 0.0 and row["patience_s"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--calls", "-5"], "--calls: must be >= 0, got '-5'"),
        (["--target", "80"], "--target: must be a fraction between 0 and 1 (exclusive)"),
        (["--target", "1"], "--target: must be a fraction between 0 and 1"),
        (["--aht-s", "abc"], "--aht-s: not a number: 'abc'"),
        (["--aht-s", "0"], "--aht-s: must be > 0"),
        (["--interval-s", "nan"], "--interval-s: not a number: 'nan'"),
        (["--interval-s", "inf"], "--interval-s: must be a finite number, got 'inf'"),
        (["--shrinkage", "1"], "--shrinkage: must be a fraction in [0, 1)"),
        (["--max-occupancy", "0"], "--max-occupancy: must be a fraction in (0, 1]"),
        (["--patience-s", "-3"], "--patience-s: must be > 0"),
    ],
)
def test_bad_flags(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    merged = dict(zip(CASE[::2], CASE[1::2], strict=True))
    merged.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    code, out, err = calc([item for pair in merged.items() for item in pair], capsys)
    assert code == 2 and out == ""
    assert err.startswith("floorview erlang: " + message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = calc(["--calls", "100"], capsys)
    assert code == 2
    assert (
        err == "floorview erlang: --interval-s is required (or give cases with --batch FILE.csv)\n"
    )


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (
            "calls,interval_s,aht_s,target\n100,1800,180,0.8\n",
            "cases.csv: missing required column 'threshold_s'",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s\n100,1800,180,0.8,20\n-1,1800,180,0.8,20\n",
            "cases.csv:3: calls: must be >= 0, got '-1'",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s\n100,1800,abc,0.8,20\n",
            "cases.csv:2: aht_s: not a number: 'abc'",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s\n100,1800,180,0.8,20\n\n100,1800,180,1.5,20\n",
            "cases.csv:4: target: must be a fraction between 0 and 1",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s\n100,1800,180,,20\n",
            "cases.csv:2: target: missing value",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s,patience\n100,1800,180,0.8,20,60\n",
            "cases.csv: unknown column 'patience'",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s,shrinkage\n100,1800,180,0.8,20,30%\n",
            "cases.csv:2: shrinkage: not a number: '30%'",
        ),
        (
            "calls,interval_s,aht_s,target,threshold_s\n100,inf,180,0.8,20\n",
            "cases.csv:2: interval_s: must be a finite number, got 'inf'",
        ),
        ("", "cases.csv: empty file"),
    ],
)
def test_bad_csv(
    csv: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "cases.csv").write_text(csv)
    monkeypatch.chdir(tmp_path)
    code, out, err = calc(["--batch", "cases.csv"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("floorview erlang: " + message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_batch_file_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = calc(["--batch", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and err.endswith("nope.csv: no such file\n")
    (tmp_path / "ok.csv").write_text("calls,interval_s,aht_s,target,threshold_s\n1,1,1,0.5,1\n")
    code, _, err = calc(["--batch", str(tmp_path / "ok.csv"), "--calls", "5"], capsys)
    assert code == 2 and "drop --calls" in err
