"""What every vendor adapter shares: options, versions, and unit conversions in one place.

Adapters (amazon_connect, genesys, twilio, zendesk, rt) turn a vendor's API into the
canonical model (floorview/model.py). Units are normalised here, so "milliseconds or
seconds?" is answered once per vendor field, next to the conversion, and tested.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from floorview.sources.http import HttpLimits


@dataclass(frozen=True, slots=True)
class AdapterConfig:
    """One configured source or ticket system, as its adapter's ``from_config`` gets it.

    ``options`` holds the kind's own keys (already checked by floorview/config.py; paths
    resolved against the config file); ``environ`` is where ``*_env`` names are looked up.
    """

    name: str
    url: str | None
    options: Mapping[str, Any] = field(default_factory=dict)
    limits: HttpLimits = field(default_factory=HttpLimits)
    environ: Mapping[str, str] | None = None

    def opt(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


def membership_version(queue_ids: Iterable[str], *extra: str) -> int:
    """A version for an agent's queue membership where the vendor keeps none.

    The reassign path compares it before writing: if the membership read now differs from
    the one the supervisor saw, the write is refused as a conflict. CRC-32 of the sorted
    set is stable across processes (unlike hash()), which the collector's viewers need.
    """
    text = "\x1f".join(sorted(set(queue_ids)))
    if extra:
        text += "\x1e" + "\x1f".join(extra)
    return zlib.crc32(text.encode())


def ms_to_s(value: float | None) -> float | None:
    return None if value is None else value / 1000.0


def epoch_to_utc(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def parse_vendor_time(value: str) -> datetime:
    """An ISO 8601 timestamp as vendors write it ("Z" or an offset; fractions optional)
    as an aware UTC datetime. Raises ValueError for anything else."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a zone: {value!r}")
    return parsed.astimezone(UTC)
