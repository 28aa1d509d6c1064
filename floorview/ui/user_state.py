"""Choices a user makes on screen (theme, language, filter, sort, columns), kept between runs.

They go to a small file of their own, written with tomli-w, never into the user's config:
rewriting a hand-commented config would lose the comments. A missing or unreadable state
file, or a value in it that no longer makes sense, is the same as no choice made.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from floorview.journal import default_path


@dataclass(frozen=True, slots=True)
class TableChoice:
    sort: str | None = None
    reverse: bool = False
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UserState:
    theme: str | None = None
    language: str | None = None
    filter: str = ""
    #: Table id (queues, agents, alerts, ...) -> its sort and hidden columns.
    tables: Mapping[str, TableChoice] = field(default_factory=dict)


def state_path(env: Mapping[str, str] | None = None) -> Path:
    return default_path(env).with_name("ui-state.toml")


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def _table(raw: Any) -> TableChoice | None:
    if not isinstance(raw, dict):
        return None
    hidden = raw.get("hidden", [])
    return TableChoice(
        sort=_text(raw, "sort"),
        reverse=raw.get("reverse") is True,
        hidden=tuple(h for h in hidden if isinstance(h, str)) if isinstance(hidden, list) else (),
    )


def load_state(path: Path) -> UserState:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return UserState()
    tables_raw = raw.get("tables", {})
    tables = {}
    if isinstance(tables_raw, dict):
        tables = {k: t for k, v in tables_raw.items() if (t := _table(v)) is not None}
    return UserState(
        theme=_text(raw, "theme"),
        language=_text(raw, "language"),
        filter=_text(raw, "filter") or "",
        tables=tables,
    )


def _as_toml(state: UserState) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("theme", "language", "filter"):
        value = getattr(state, key)
        if value:
            data[key] = value
    tables: dict[str, Any] = {}
    for name, choice in state.tables.items():
        entry: dict[str, Any] = {}
        if choice.sort:
            entry["sort"] = choice.sort
            entry["reverse"] = choice.reverse
        if choice.hidden:
            entry["hidden"] = list(choice.hidden)
        if entry:
            tables[name] = entry
    if tables:
        data["tables"] = tables
    return data


def save_state(path: Path, state: UserState) -> None:
    """Write atomically: a dashboard killed mid-write must not leave half a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(_as_toml(state)), encoding="utf-8")
    os.replace(tmp, path)
