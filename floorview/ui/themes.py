"""Themes are TOML files: the ones floorview ships in ``themes/`` and any a user drops in.

A broken file never stops the dashboard: it is skipped with one line saying which file and
what is wrong, and the default theme stands in.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "floorview-dark"
COLOUR_KEYS = (
    "primary", "secondary", "accent", "success", "warning", "error",
    "foreground", "background", "surface", "panel",
)
_FLAGS = ("dark", "ansi")
#: Textual's own design variables a theme may set, e.g. the ``ansi-background`` an ANSI
#: theme must define for Textual's stylesheets.
_TABLES = ("variables",)


def theme_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """Shipped themes first (the source tree, then an installed copy), the user's last, so a
    user's file of the same name wins."""
    env = os.environ if env is None else env
    here = Path(__file__).resolve().parents[2] / "themes"
    installed = Path(sys.prefix) / "share" / "floorview" / "themes"
    config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [here, installed, config_home / "floorview" / "themes"]


def parse_theme(text: str, path: Path) -> Theme:
    """A theme from one file; ValueError naming the file (and line or key) otherwise."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"name", *COLOUR_KEYS, *_FLAGS, *_TABLES}
    if unknown:
        raise ValueError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path}: name: a theme needs a name")
    if "primary" not in raw:
        raise ValueError(f"{path}: primary: missing")
    colours = {}
    for key in COLOUR_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        try:
            if not isinstance(value, str):
                raise ColorParseError(f"{value!r}")
            Color.parse(value)
        except ColorParseError:
            raise ValueError(f"{path}: {key}: not a colour: {value!r}") from None
        colours[key] = value
    for flag in _FLAGS:
        if flag in raw and not isinstance(raw[flag], bool):
            raise ValueError(f"{path}: {flag}: must be true or false")
    variables = raw.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(v, str) for v in variables.values()
    ):
        raise ValueError(f"{path}: variables: must be a table of strings")
    return Theme(name=name.strip(), dark=raw.get("dark", True), ansi=raw.get("ansi", False),
                 variables=dict(variables), **colours)


def load_themes(dirs: Iterable[Path]) -> tuple[dict[str, Theme], list[str]]:
    """Every theme in ``dirs`` by name (later directories win), and one problem line per
    file that could not be used."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(path.read_text(encoding="utf-8"), path)
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"theme {path}: cannot read: {exc}")
                continue
            except ValueError as exc:
                problems.append(f"theme {exc}")
                continue
            themes[theme.name] = theme
    return themes, problems
