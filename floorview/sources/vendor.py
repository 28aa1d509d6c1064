"""What every vendor adapter shares: options, versions, and unit conversions in one place.

Adapters (amazon_connect, genesys, twilio, zendesk, rt) turn a vendor's API into the
canonical model (floorview/model.py). Units are normalised here, so "milliseconds or
seconds?" is answered once per vendor field, next to the conversion, and tested.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def zone_option(config: AdapterConfig) -> ZoneInfo:
    """The ``time_zone`` option (default UTC): where the contact centre's "today" starts.
    The config layer checks it too; an adapter built in code gets the same message."""
    name = str(config.opt("time_zone", "UTC") or "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"time_zone: unknown time zone {name!r}: not an IANA time zone "
            f"(such as Europe/London)"
        ) from None
