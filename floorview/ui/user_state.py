"""Choices a user makes on screen (the theme, so far), kept between runs.

They go to a small file of their own, written with tomli-w, never into the user's config:
rewriting a hand-commented config would lose the comments. A missing or unreadable state
file is the same as no choices made.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import tomli_w

from floorview.journal import default_path


@dataclass(frozen=True, slots=True)
class UserState:
    theme: str | None = None


def state_path(env: Mapping[str, str] | None = None) -> Path:
    return default_path(env).with_name("ui-state.toml")


def load_state(path: Path) -> UserState:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return UserState()
    theme = raw.get("theme")
    return UserState(theme=theme if isinstance(theme, str) and theme else None)


def save_state(path: Path, state: UserState) -> None:
    """Write atomically: a dashboard killed mid-write must not leave half a file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {k: v for k, v in asdict(state).items() if v is not None}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
