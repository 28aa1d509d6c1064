"""Strict readers for JSON values: a wrong type is an error naming the field, never a 0.

The text and number readers first try the shape ``json.loads`` gives for valid data, with
exact type checks (``type(v) is float``; JSON never yields subclasses), and only when that
fails go through the general checks that say what is wrong. They are called for every field
of every interval row, so the common case must not pay for building error messages.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from floorview.sources.base import SourceError
from floorview.text import clean_text

_INF = math.inf
#: Whole numbers up to here survive the reader's round trip through float unchanged.
EXACT_INT = 2**53


class SchemaError(SourceError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"bad data at {where}: {problem}")
        self.where = where


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SchemaError(where, f"expected an object, got {type(value).__name__}")
    return value


def field(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise SchemaError(f"{where}.{key}", "missing")
    return data[key]


def text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if type(value) is str:
        return clean_text(value)
    value = field(data, key, where)
    if not isinstance(value, str):
        raise SchemaError(f"{where}.{key}", f"expected a string, got {type(value).__name__}")
    return clean_text(value)


def text_item(value: Any, where: str) -> str:
    """An array element that must be a string; ``where`` names it with its index."""
    if not isinstance(value, str):
        raise SchemaError(where, f"expected a string, got {type(value).__name__}")
    return clean_text(value)


def opt_text(data: dict[str, Any], key: str, where: str) -> str | None:
    return text(data, key, where) if data.get(key) is not None else None


def number(data: dict[str, Any], key: str, where: str, *, lo: float = 0.0) -> float:
    value = data.get(key)
    if type(value) is float:
        if lo <= value < _INF:
            return value
    elif type(value) is int and lo <= value < EXACT_INT:
        return float(value)
    value = field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{where}.{key}", f"expected a number, got {value!r}"[:120])
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite or value < lo:
        raise SchemaError(f"{where}.{key}", f"out of range: {value!r}"[:120])
    return float(value)


def count(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if type(value) is int and 0 <= value <= EXACT_INT:
        return value
    value = number(data, key, where)
    if value != int(value):
        raise SchemaError(f"{where}.{key}", f"expected a whole number, got {value!r}")
    return int(value)


def timestamp(data: dict[str, Any], key: str, where: str) -> datetime:
    value = field(data, key, where)
    if not isinstance(value, str):
        raise SchemaError(f"{where}.{key}", f"expected an ISO 8601 timestamp, got {value!r}"[:120])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SchemaError(f"{where}.{key}", f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise SchemaError(f"{where}.{key}", f"timestamp has no time zone: {value[:40]!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00, past datetime.max in UTC
        raise SchemaError(f"{where}.{key}", f"out of range: {value[:40]!r}") from None


def opt_timestamp(data: dict[str, Any], key: str, where: str) -> datetime | None:
    return timestamp(data, key, where) if data.get(key) is not None else None


def array(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = field(data, key, where)
    if not isinstance(value, list):
        raise SchemaError(f"{where}.{key}", f"expected a list, got {type(value).__name__}")
    return value
