"""Strict readers for JSON values: a wrong type is an error naming the field, never a 0."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from floorview.sources.base import SourceError
from floorview.text import clean_text


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
    value = field(data, key, where)
    if not isinstance(value, str):
        raise SchemaError(f"{where}.{key}", f"expected a string, got {type(value).__name__}")
    return clean_text(value)


def opt_text(data: dict[str, Any], key: str, where: str) -> str | None:
    return text(data, key, where) if data.get(key) is not None else None


def number(data: dict[str, Any], key: str, where: str, *, lo: float = 0.0) -> float:
    value = field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{where}.{key}", f"expected a number, got {value!r}"[:120])
    if not math.isfinite(value) or value < lo:
        raise SchemaError(f"{where}.{key}", f"out of range: {value!r}")
    return float(value)


def count(data: dict[str, Any], key: str, where: str) -> int:
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
    return parsed.astimezone(UTC)


def opt_timestamp(data: dict[str, Any], key: str, where: str) -> datetime | None:
    return timestamp(data, key, where) if data.get(key) is not None else None


def array(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = field(data, key, where)
    if not isinstance(value, list):
        raise SchemaError(f"{where}.{key}", f"expected a list, got {type(value).__name__}")
    return value
