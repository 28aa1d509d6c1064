import json
import socket
from pathlib import Path

import pytest

from floorview.cli import main
from floorview.sim.server import RunningSim


def _config(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "floor.toml"
    path.write_text("".join(
        f'[[sources]]\nname = "src{i}"\nkind = "rest"\nurl = "{url}"\ntimeout_s = 2\n'
        for i, url in enumerate(urls)
    ))
    return path


def _dead_url() -> str:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_markdown_snapshot_of_the_simulator(loopback_sim: RunningSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--config", str(_config(tmp_path, loopback_sim.url))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Simulated floor — 2026-11-23 10:")
    first = out.split("\n\n")[2]  # after the title and the agents line: the queue table
    table = [line for line in first.splitlines() if "---" not in line]
    assert table[0].startswith("| Queue | Waiting |")
    assert len(table) == 7  # header + 6 queues
    # What a bridge needs after it: the gap ahead, the alerts with owners, the tickets.
    assert "### Staffing gap, next two hours" in out
    assert "### Alerts" in out and "nobody has it" in out
    assert "### Escalations" in out
    # A subject that looks like markup is pasted as it was written.
    assert "- T-10001 [bold]Refund[/bold] not received: **overdue" in out
    # Worst first: the first queue's SL shortfall is the largest.
    rows = json.loads(_json(loopback_sim, tmp_path, capsys))["sources"][0]["queues"]
    gaps = [q["sl_target"] - q["service_level"] for q in rows]
    assert gaps == sorted(gaps, reverse=True)
    assert table[1].startswith(f"| {rows[0]['name']} |")


def _json(sim: RunningSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["snapshot", "--config", str(_config(tmp_path, sim.url)), "--format", "json"]) == 0
    return capsys.readouterr().out


def test_json_snapshot_has_staffing_and_the_reforecast(loopback_sim: RunningSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(_json(loopback_sim, tmp_path, capsys))
    (source,) = data["sources"]
    assert source["error"] is None and source["site"] == "Simulated floor"
    assert sum(source["agents"].values()) == 60
    for q in source["queues"]:
        assert q["offered"] > 0 and 0 <= q["service_level"] <= 1
        assert isinstance(q["required"], int) and q["gap"] == q["required"] - q["capacity_now"]


def test_dead_source_is_one_line_and_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--config", str(_config(tmp_path, _dead_url()))]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("floorview: src0: cannot reach http://127.0.0.1:")
    assert "Traceback" not in captured.err


def test_one_dead_source_of_two_still_prints_the_other(loopback_sim: RunningSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, loopback_sim.url, _dead_url())
    assert main(["snapshot", "--config", str(path)]) == 1
    captured = capsys.readouterr()
    assert "## Simulated floor" in captured.out and "## src1: SOURCE DOWN" in captured.out
    assert captured.err.startswith("floorview: src1: cannot reach")
