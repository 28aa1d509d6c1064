"""``floorview audit``: print the journal's audit trail as a table, JSON or CSV.

The table is for a person at a terminal (maybe 80 columns over SSH); JSON and CSV are for
scripts and spreadsheets. Text in the trail came from people and vendors' systems, so the
table strips escape sequences, JSON escapes every non-ASCII character, and CSV defuses
cells a spreadsheet would run as a formula. A missing or unreadable journal is one line on
stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import shutil
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TextIO

from floorview.journal import AuditEntry, Journal, JournalError, JournalNotFound, encode_json
from floorview.text import clean_text

Format = Literal["table", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv")

# --- --since --------------------------------------------------------------------------------

_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_AGE = re.compile(r"(?:\d+[smhdw])+")
_AGE_PART = re.compile(r"(\d+)([smhdw])")
_SINCE_HELP = (
    "use a date or time such as 2026-11-23, 2026-11-23T09:00 or 2026-11-23T09:00Z "
    "(UTC unless an offset is given), or an age such as 30m, 2h, 1d or 1h30m"
)


def parse_since(text: str, now: datetime) -> datetime:
    """The start of the window ``--since`` names; ``now`` anchors ages such as "2h".

    A time without an offset is UTC, as the trail prints it. Raises ValueError with a
    message fit for the command line.
    """
    value = text.strip().lower()
    if _AGE.fullmatch(value):
        seconds = sum(int(n) * _UNIT_S[unit] for n, unit in _AGE_PART.findall(value))
        try:
            return now - timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError(f"--since {text!r} reaches back before year 1") from None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since: cannot read {text!r}: {_SINCE_HELP}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --- table ----------------------------------------------------------------------------------

_GAP = "  "
_HEADERS = ("id", "time (UTC)", "who", "action", "subject", "result", "detail")
# When the table is wider than the terminal, these give way first, down to these widths;
# id and time never shrink, they are what a reader quotes back.
_SHRINK = (("detail", 12), ("subject", 10), ("who", 10), ("action", 8), ("result", 6))


def _char_cells(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """Terminal columns ``text`` takes (CJK names are two a character)."""
    return sum(_char_cells(ch) for ch in text)


def fit(text: str, width: int) -> str:
    """``text`` cut with an ellipsis to at most ``width`` columns."""
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        cells = _char_cells(ch)
        if used + cells > width - 1:
            break
        out.append(ch)
        used += cells
    return "".join(out) + "…" if width >= 1 else ""


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


def _table_row(entry: AuditEntry) -> tuple[str, ...]:
    cells = (
        entry.who, entry.action, entry.subject, entry.result, entry.detail,
    )  # fmt: skip
    at = entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    # No length cap here: fit() cuts to the column, and only when the terminal is narrow.
    return (str(entry.id), at, *(clean_text(c, max_len=10_000) for c in cells))


def column_widths(rows: Sequence[Sequence[str]], width: int | None) -> list[int]:
    widths = [max(cell_len(row[i]) for row in (_HEADERS, *rows)) for i in range(len(_HEADERS))]
    if width is None:
        return widths
    excess = sum(widths) + len(_GAP) * (len(widths) - 1) - width
    for name, least in _SHRINK:
        if excess <= 0:
            break
        i = _HEADERS.index(name)
        give = min(excess, max(0, widths[i] - least))
        widths[i] -= give
        excess -= give
    return widths


def write_table(entries: Sequence[AuditEntry], out: TextIO, width: int | None) -> None:
    if not entries:
        out.write("no audit entries\n")
        return
    rows = [_table_row(e) for e in entries]
    widths = column_widths(rows, width)
    for row in (_HEADERS, tuple("-" * w for w in widths), *rows):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [_pad(fit(c, w), w, right=(i == 0)) for i, (c, w) in pairs]
        out.write(_GAP.join(cells).rstrip() + "\n")


# --- json and csv ---------------------------------------------------------------------------

_FIELDS = (
    "id", "at", "who", "user", "client", "host", "pid", "action", "subject", "result",
    "detail", "correlation", "before", "after",
)  # fmt: skip


def record(entry: AuditEntry) -> dict[str, Any]:
    """One entry as plain JSON values, in a fixed key order."""
    values = {name: getattr(entry, name) for name in _FIELDS}
    values["at"] = entry.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return values


def write_json(entries: Sequence[AuditEntry], out: TextIO, width: int | None) -> None:
    # ensure_ascii: control and bidi characters come out as \u escapes, harmless on a terminal.
    out.write(json.dumps([record(e) for e in entries], indent=2, ensure_ascii=True) + "\n")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: Any) -> Any:
    # A cell such as "=HYPERLINK(...)" in a note would run when the CSV is opened in a
    # spreadsheet; the leading quote makes it text (OWASP "CSV injection").
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(entries: Sequence[AuditEntry], out: TextIO, width: int | None) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_FIELDS)
    for entry in entries:
        values = record(entry)
        # before/after stay JSON text, so a cell holds exactly what the journal holds.
        values["before"] = encode_json(entry.before) or ""
        values["after"] = encode_json(entry.after) or ""
        writer.writerow(
            v if name in ("before", "after") else _spreadsheet_safe(v) for name, v in values.items()
        )


_WRITERS: dict[str, Callable[[Sequence[AuditEntry], TextIO, int | None], None]] = {
    "table": write_table,
    "json": write_json,
    "csv": write_csv,
}


# --- the command ----------------------------------------------------------------------------


def run_audit(
    journal_path: Path,
    *,
    since: datetime | None,
    fmt: Format,
    out: TextIO,
    err: TextIO | None = None,
    width: int | None = None,
) -> int:
    """Print the trail from ``since`` (all of it when None); 0 on success, 1 without a journal.

    ``width`` limits the table; by default it is the terminal's when ``out`` is one, and
    unlimited when the output goes to a file or a pipe.
    """
    err = sys.stderr if err is None else err
    try:
        with Journal(journal_path, create=False, read_only=True) as journal:
            entries = journal.audit_entries(since=since)
    except JournalNotFound:
        print(f"floorview: no journal at {journal_path}", file=err)
        return 1
    except JournalError as exc:
        print(f"floorview: {exc}", file=err)
        return 1
    if width is None and out.isatty():
        width = shutil.get_terminal_size().columns
    _WRITERS[fmt](_mark_unverified(entries), out, width)
    return 0


def _mark_unverified(entries: list[AuditEntry]) -> list[AuditEntry]:
    """An intent with no outcome row: the writer died between the two (or is writing now),
    so nobody knows whether the change reached the source. Say so instead of "intent"."""
    answered = {(e.correlation, e.subject) for e in entries if e.result != "intent"}
    return [
        dataclasses.replace(e, result="unverified")
        if e.result == "intent" and (e.correlation, e.subject) not in answered else e
        for e in entries
    ]
