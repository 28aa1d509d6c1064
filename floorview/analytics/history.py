"""Each queue's waiting count over the last hour, for the board's sparkline.

Kept per floor-minute (the most seen in that minute), not per poll: a 2-second poll would
keep 1,800 samples per queue an hour, and a sparkline cell covers minutes anyway. Times are
the floor's own, so a replayed or sped-up floor draws the same line.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from floorview.model import FloorSnapshot

WINDOW_MIN = 60
BLOCKS = "▁▂▃▄▅▆▇█"


class WaitingHistory:
    def __init__(self, window_min: int = WINDOW_MIN) -> None:
        self.window_min = window_min
        #: queue key -> (floor minute, most waiting in that minute), oldest first.
        self._minutes: dict[str, deque[tuple[int, int]]] = {}

    def observe(self, snapshot: FloorSnapshot) -> None:
        minute = _minute(snapshot.as_of)
        for q in snapshot.queues:
            key = f"{snapshot.source}/{q.id}"
            line = self._minutes.get(key)
            if line is None:
                line = self._minutes[key] = deque(maxlen=self.window_min)
            if line and line[-1][0] == minute:
                line[-1] = (minute, max(line[-1][1], q.waiting))
            elif not line or line[-1][0] < minute:
                line.append((minute, q.waiting))

    def buckets(self, key: str, now: datetime, width: int) -> list[int | None]:
        """The hour to ``now`` in ``width`` buckets, oldest first: the most waiting in each,
        None where nothing was seen (before the dashboard started, or a data gap)."""
        end = _minute(now)
        start = end - self.window_min + 1
        out: list[int | None] = [None] * width
        for minute, waiting in self._minutes.get(key, ()):
            if minute < start or minute > end:
                continue
            i = (minute - start) * width // self.window_min
            prev = out[i]
            out[i] = waiting if prev is None else max(prev, waiting)
        return out


def _minute(when: datetime) -> int:
    return int(when.timestamp() // 60)


def sparkline(values: list[int | None], top: int | None = None) -> str:
    """Blocks scaled to ``top`` (default: the largest value); a gap is a space, and a
    queue that never had anyone waiting is a flat line of the lowest block."""
    seen = [v for v in values if v is not None]
    peak = max(seen, default=0) if top is None else top
    if peak <= 0:
        return "".join(" " if v is None else BLOCKS[0] for v in values)
    last = len(BLOCKS) - 1
    return "".join(
        " " if v is None else BLOCKS[min(last, round(v / peak * last))] for v in values
    )
