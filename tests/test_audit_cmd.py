"""``floorview audit``: the trail as a table, JSON and CSV, from a real journal file."""

from __future__ import annotations

import csv
import io
import json
import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from floorview.audit_cmd import cell_len, parse_since, run_audit
from floorview.identity import Actor
from floorview.journal import Journal

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOST = socket.gethostname()
MARIA = Actor("maria", "maria", "203.0.113.9", HOST)
LEI = Actor("李雷", None, None, HOST)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as j:
        j.acknowledge("sl:sales", alert_title="Sales SL 61% (target 80%)", severity=3,
                      actor=MARIA, at=T0, note="moving two from chat")  # fmt: skip
        j.audit(actor=LEI, at=T0 + timedelta(hours=1), action="reassign", subject="agent-7",
                before={"queues": ["chat"]}, after={"queues": ["sales"]}, result="intent",
                correlation="c-1", detail="\x1b[31mred\x1b[0m from chat to sales for the "
                "lunchtime spike, expected back by 14:00 when chat volume returns")  # fmt: skip
        j.audit(actor=LEI, at=T0 + timedelta(hours=2), action="reassign", subject="agent-7",
                result="ok", correlation="c-1", detail="=HYPERLINK(\"http://x\")")  # fmt: skip
    return path


def run(path: Path, fmt: str, since: datetime | None = None, width: int | None = None) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert run_audit(path, since=since, fmt=fmt, out=out, err=err, width=width) == 0  # type: ignore[arg-type]
    assert err.getvalue() == ""
    return out.getvalue()


def test_table_has_the_columns_and_one_line_per_entry(path: Path) -> None:
    lines = run(path, "table").splitlines()
    assert lines[0].split() == [
        "id",
        "time",
        "(UTC)",
        "who",
        "action",
        "subject",
        "result",
        "detail",
    ]
    assert len(lines) == 2 + 3
    assert lines[2].split()[:7] == [
        "1",
        "2026-11-23",
        "09:00:00",
        "maria@203.0.113.9",
        "(ssh)",
        "ack",
        "sl:sales",
    ]
    assert "lunchtime spike, expected back by 14:00" in lines[3]  # no width: nothing cut


def test_table_fits_80_columns_and_strips_escapes(path: Path) -> None:
    text = run(path, "table", width=80)
    assert "\x1b" not in text
    for line in text.splitlines():
        assert cell_len(line) <= 80, line
    assert "…" in text  # the long detail was cut, not wrapped
    assert "李雷" in text  # two columns a character, still aligned
    starts = {line.index("reassign") for line in text.splitlines() if "reassign" in line}
    assert len(starts) == 1


def test_json_is_a_list_of_objects_with_decoded_before_and_after(path: Path) -> None:
    records = json.loads(run(path, "json"))
    assert [r["id"] for r in records] == [1, 2, 3]
    assert records[0]["at"] == "2026-11-23T09:00:00Z"
    assert records[0]["who"] == "maria@203.0.113.9 (ssh)"
    assert records[0]["after"]["note"] == "moving two from chat"
    assert records[1]["before"] == {"queues": ["chat"]}
    assert records[1]["detail"].startswith("\x1b[31mred")  # exact data, escaped in the text
    assert records[2]["correlation"] == records[1]["correlation"] == "c-1"


def test_csv_has_a_header_and_defuses_formulas(path: Path) -> None:
    rows = list(csv.reader(io.StringIO(run(path, "csv"))))
    header, *body = rows
    assert header[:3] == ["id", "at", "who"] and "before" in header and "after" in header
    assert len(body) == 3
    record = dict(zip(header, body[2], strict=True))
    assert record["detail"] == '\'=HYPERLINK("http://x")'
    assert json.loads(dict(zip(header, body[1], strict=True))["after"]) == {"queues": ["sales"]}


def test_since_leaves_out_older_entries(path: Path) -> None:
    records = json.loads(run(path, "json", since=T0 + timedelta(hours=1)))
    assert [r["id"] for r in records] == [2, 3]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("table", "no audit entries\n"), ("json", "[]\n"), ("csv", None)],
)
def test_an_empty_trail(path: Path, fmt: str, expected: str | None) -> None:
    text = run(path, fmt, since=T0 + timedelta(days=1))
    if expected is None:
        assert len(text.splitlines()) == 1 and text.startswith("id,at,who")
    else:
        assert text == expected


def test_a_missing_journal_is_one_line_on_stderr_and_status_1(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "journal.sqlite3"
    out, err = io.StringIO(), io.StringIO()
    assert run_audit(missing, since=None, fmt="table", out=out, err=err) == 1
    assert out.getvalue() == ""
    assert err.getvalue().count("\n") == 1 and str(missing) in err.getvalue()
    assert not missing.exists() and not missing.parent.exists()


def test_a_journal_from_a_newer_floorview_is_one_line_too(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    err = io.StringIO()
    assert run_audit(path, since=None, fmt="json", out=io.StringIO(), err=err) == 1
    assert err.getvalue().count("\n") == 1 and "newer" in err.getvalue()


# --- --since --------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23", datetime(2026, 11, 23, tzinfo=UTC)),
        ("2026-11-23T09:00", datetime(2026, 11, 23, 9, tzinfo=UTC)),
        ("2026-11-23T09:00Z", datetime(2026, 11, 23, 9, tzinfo=UTC)),
        ("2026-11-23T09:00:30+01:00", datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)),
        ("2h", NOW - timedelta(hours=2)),
        ("30m", NOW - timedelta(minutes=30)),
        ("1d", NOW - timedelta(days=1)),
        ("1h30m", NOW - timedelta(minutes=90)),
        (" 2H ", NOW - timedelta(hours=2)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2x", "-2h", "h", "2026-13-01", "9:00"])
def test_parse_since_explains_what_it_accepts(text: str) -> None:
    with pytest.raises(ValueError, match=r"cannot read .* such as 30m, 2h, 1d"):
        parse_since(text, NOW)


def test_parse_since_refuses_an_age_before_year_one() -> None:
    with pytest.raises(ValueError, match="before year 1"):
        parse_since("99999999w", NOW)


@given(st.integers(min_value=0, max_value=50_000), st.sampled_from("smhdw"))
def test_any_age_counts_back_from_now(n: int, unit: str) -> None:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}[unit]
    assert parse_since(f"{n}{unit}", NOW) == NOW - timedelta(seconds=n * seconds)


@given(st.datetimes(timezones=st.just(UTC)))
def test_any_printed_time_reads_back(at: datetime) -> None:
    assert parse_since(at.isoformat(), NOW) == at
