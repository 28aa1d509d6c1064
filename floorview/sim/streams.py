"""Independent random streams, one per queue, agent and purpose.

Each stream is keyed by (purpose, index) under the run's seed rather than handed out in
creation order, so adding a queue or drawing more from one stream never shifts another.
The numbers a stream yields depend only on how many were taken from it before, which is
what makes the floor independent of how the clock is stepped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import numpy as np

# Drawing one scalar at a time from NumPy costs about a microsecond; a small batch
# converted to Python floats costs a tenth of that per number.
_BATCH = 64


class Purpose(IntEnum):
    ARRIVALS = 1
    CONTACTS = 2
    AGENT_PLAN = 3
    TICKETS = 4
    ROSTER = 5


class Stream:
    __slots__ = ("_normals", "_rng", "_uniforms")

    def __init__(self, seed: int, purpose: Purpose, index: int = 0) -> None:
        sequence = np.random.SeedSequence(seed, spawn_key=(int(purpose), index))
        self._rng = np.random.Generator(np.random.PCG64(sequence))
        self._uniforms: list[float] = []
        self._normals: list[float] = []

    def uniform(self) -> float:
        """A float in [0, 1)."""
        if not self._uniforms:
            self._uniforms = self._rng.random(_BATCH).tolist()
        return self._uniforms.pop()

    def normal(self) -> float:
        if not self._normals:
            self._normals = self._rng.standard_normal(_BATCH).tolist()
        return self._normals.pop()

    def exponential(self, mean: float) -> float:
        return -mean * math.log1p(-self.uniform())

    def lognormal(self, mean: float, sigma: float) -> float:
        """A lognormal draw whose mean (not median) is ``mean``."""
        return mean * math.exp(sigma * self.normal() - sigma * sigma / 2)

    def below(self, n: int) -> int:
        """An integer in [0, n)."""
        return min(int(self.uniform() * n), n - 1)

    def pick(self, weights: Sequence[float]) -> int:
        """An index drawn with probability proportional to its weight."""
        target = self.uniform() * sum(weights)
        for i, weight in enumerate(weights):
            target -= weight
            if target < 0:
                return i
        return len(weights) - 1

    def shuffle(self, items: list[Any]) -> None:
        """Fisher-Yates, in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def poisson(self, mean: float) -> int:
        # Counts used here are small (tickets per day); NumPy draws them directly.
        return int(self._rng.poisson(mean))
