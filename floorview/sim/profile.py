"""How a day's contacts spread over the hours: the intraday arrival profile.

A profile gives the share of a queue's daily volume per second at each second of the day.
It knows its exact integral, so the published forecast is the true expectation of the
arrivals the simulator generates, not an estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

DAY_S = 86_400.0
INTERVAL_S = 900.0
INTERVALS_PER_DAY = 96
HOUR_S = 3_600.0
MINUTE_S = 60.0


class Profile(Protocol):
    def density(self, t: float) -> float:
        """Share of the daily volume per second at second-of-day ``t``."""
        ...

    def share(self, a: float, b: float) -> float:
        """Share of the daily volume arriving between seconds-of-day ``a`` and ``b``."""
        ...

    def bound(self, a: float, b: float) -> float:
        """An upper bound of ``density`` over [a, b], for thinning."""
        ...


@dataclass(frozen=True, slots=True)
class Peak:
    centre_s: float
    width_s: float
    weight: float

    def at(self, t: float) -> float:
        z = (t - self.centre_s) / self.width_s
        return self.weight * math.exp(-0.5 * z * z)

    def integral(self, a: float, b: float) -> float:
        scale = self.width_s * math.sqrt(2.0)
        half_mass = self.weight * self.width_s * math.sqrt(math.pi / 2.0)
        return half_mass * (
            math.erf((b - self.centre_s) / scale) - math.erf((a - self.centre_s) / scale)
        )


@dataclass(frozen=True, slots=True)
class IntradayProfile:
    """Open from ``open_s`` to ``close_s``: a level base plus a morning and an afternoon peak,
    nothing at night."""

    open_s: float = 7 * HOUR_S
    close_s: float = 20 * HOUR_S
    base: float = 0.25
    peaks: tuple[Peak, ...] = (
        Peak(10 * HOUR_S, 1.3 * HOUR_S, 1.0),
        Peak(14.5 * HOUR_S, 1.8 * HOUR_S, 1.0),
    )
    _total: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The thinning loop asks for the density at every candidate arrival.
        object.__setattr__(self, "_total", self._mass(0.0, DAY_S))

    def _shape(self, t: float) -> float:
        if not self.open_s <= t < self.close_s:
            return 0.0
        return self.base + sum(p.at(t) for p in self.peaks)

    def _mass(self, a: float, b: float) -> float:
        a, b = max(a, self.open_s), min(b, self.close_s)
        if b <= a:
            return 0.0
        return self.base * (b - a) + sum(p.integral(a, b) for p in self.peaks)

    def density(self, t: float) -> float:
        return self._shape(t) / self._total

    def share(self, a: float, b: float) -> float:
        return self._mass(a, b) / self._total

    def bound(self, a: float, b: float) -> float:
        a, b = max(a, self.open_s), min(b, self.close_s)
        if b <= a:
            return 0.0
        # Each peak is unimodal, so its maximum over [a, b] is at the point nearest its centre;
        # the sum of those maxima bounds the maximum of the sum.
        peaks = sum(p.at(min(max(p.centre_s, a), b)) for p in self.peaks)
        return (self.base + peaks) / self._total


@dataclass(frozen=True, slots=True)
class FlatProfile:
    """The same rate all day and night: the stationary case queueing formulas describe."""

    def density(self, t: float) -> float:
        return 1.0 / DAY_S

    def share(self, a: float, b: float) -> float:
        return (b - a) / DAY_S

    def bound(self, a: float, b: float) -> float:
        return 1.0 / DAY_S
