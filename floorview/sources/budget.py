"""A token bucket: the request budget that keeps floorview inside a vendor's rate limit.

Every HTTP request to a source takes one token. Tokens refill continuously at
``rate_per_s`` up to ``burst``, so over any window of T seconds at most
``burst + rate_per_s * T`` requests leave, which is how vendors document their limits.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

#: Float refills land a hair short of a whole token after sleeping exactly the computed wait;
#: without this slack the bucket would sleep again for a few nanoseconds.
_EPSILON = 1e-9


class TokenBucket:
    """A token bucket with an injectable clock and sleep, so tests can run it on fake time."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rate_per_s > 0:
            raise ValueError(f"rate_per_s must be positive, got {rate_per_s!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst!r}")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        # Full at start: the first poll (floor, forecast and intervals) goes out at once.
        self._tokens = float(burst)
        self._updated_at = clock()

    def _refill(self) -> None:
        now = self._clock()
        # max(): a clock that steps back must not drain the bucket.
        elapsed = max(0.0, now - self._updated_at)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate_per_s)
        self._updated_at = now

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def wait_s(self) -> float:
        """Seconds until a token is available; 0 if one is available now."""
        self._refill()
        missing = 1.0 - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self.rate_per_s

    def try_take(self) -> bool:
        """Take a token if one is available now."""
        if self.wait_s() > 0:
            return False
        self._tokens -= 1.0
        return True

    async def acquire(self, max_wait_s: float = math.inf) -> bool:
        """Take a token, waiting for one if need be; False, at once and without a token, if
        none will be available within ``max_wait_s``.

        Giving up early, rather than sleeping into a deadline that will cancel the wait
        anyway, lets a failed poll be reported as soon as it is certain.
        """
        give_up_at = self._clock() + max_wait_s
        while True:
            wait = self.wait_s()
            if wait == 0:
                self._tokens -= 1.0
                return True
            if self._clock() + wait > give_up_at:
                return False
            # Looped: another waiter may have taken the token that refilled while we slept.
            await self._sleep(wait)
