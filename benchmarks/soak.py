"""A wall display left running: is memory flat after warm-up?

    python benchmarks/soak.py [--minutes 5] [--speed 600] [--agents 60] [--size 160x48]

The simulator runs in its own process at ``--speed`` floor-seconds per second (600: a
10-hour floor day in a minute) and the dashboard, in wall mode, polls it over loopback
every 0.5 s headless, as `floorview run --wall` would, turning pages every 5 s. Its resident
memory (RSS, from /proc) is printed every ``--every`` seconds; the figures to read are the
RSS after warm-up (the first floor hour) and at the end, and the growth per floor-hour
between them, and Python's allocated blocks (sys.getallocatedblocks) over the same span:
flat blocks with a creeping RSS is the allocator holding freed memory, not a leak. The
dashboard's journal is a temporary file, so timelines are saved too.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def bounded_caches() -> list[functools._lru_cache_wrapper]:
    """Rich's and Textual's module-level lru_caches: they fill for days on a wall (every new
    figure is a new text to measure and split) and stop at their maxsize, so growth while
    they fill is warm-up, not a leak. Found once: they are made at import.

    The largest, Rich's Segment._split_cells (16,384 entries), fills at about 100 entries
    a floor-hour on the simulator's floor: a week of floor time at --speed 600.
    """
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper):
            module = getattr(obj, "__module__", "") or ""
            if module.startswith(("rich", "textual")) and obj.cache_info().maxsize:
                found.append(obj)
    return found


def cache_fill(caches: list[functools._lru_cache_wrapper]) -> tuple[int, int, str]:
    infos = [(c.cache_info(), c.__qualname__) for c in caches]
    used = sum(i.currsize for i, _ in infos)
    room = sum(i.maxsize or 0 for i, _ in infos)
    info, name = max(infos, key=lambda x: x[0].currsize)
    return used, room, f"{name} {info.currsize}/{info.maxsize}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def soak(args: argparse.Namespace, url: str, journal_path: Path) -> None:
    from floorview.feed import Feed
    from floorview.journal import Journal
    from floorview.monitor import Monitor
    from floorview.sources.rest import RestSource
    from floorview.ui.app import FloorApp

    cols, rows = (int(x) for x in args.size.split("x"))
    journal = Journal(journal_path)
    feed = Feed(RestSource("sim", url), 0.5)
    app = FloorApp([feed], wall=True, page_s=5.0, monitor=Monitor(journal=journal),
                   freeze_gc=True)
    start = time.monotonic()
    samples: list[tuple[float, float, str, int, int]] = []
    async with app.run_test(size=(cols, rows)) as pilot:
        # Before the first floor: the app freezes the heap then, and gc.get_objects()
        # does not see frozen objects.
        caches = bounded_caches()
        while time.monotonic() - start < args.minutes * 60:
            await pilot.pause(args.every)
            floor = feed.latest.as_of.strftime("%H:%M") if feed.latest else "--:--"
            # Python's own live allocations: flat while RSS creeps is the allocator keeping
            # freed arenas, not objects kept alive.
            blocks = sys.getallocatedblocks()
            used, room, biggest = cache_fill(caches)
            samples.append((time.monotonic() - start, rss_mib(), floor, blocks, used))
            print(f"{samples[-1][0]:7.0f} s  floor {floor}  RSS {samples[-1][1]:7.1f} MiB  "
                  f"blocks {blocks:9,d}  lru {used:6,d}/{room:,d} ({biggest})  "
                  f"applied {app.snapshots_applied}", flush=True)
    journal.close()
    warm = next((s for s in samples if s[0] >= args.warmup_s), samples[0])
    end = samples[-1]
    hours = (end[0] - warm[0]) * args.speed / 3600
    print()
    print(f"RSS at the first sample {samples[0][1]:.1f} MiB, after warm-up ({warm[0]:.0f} s, "
          f"floor {warm[2]}) {warm[1]:.1f} MiB, at the end (floor {end[2]}) {end[1]:.1f} MiB")
    print(f"growth after warm-up: {end[1] - warm[1]:+.1f} MiB over {hours:.1f} floor-hours "
          f"({(end[1] - warm[1]) / max(hours, 1e-9):+.2f} MiB per floor-hour); "
          f"{app.snapshots_applied} snapshots applied")
    print(f"Python allocated blocks after warm-up {warm[3]:,d}, at the end {end[3]:,d} "
          f"({(end[3] - warm[3]) / max(warm[3], 1) * 100:+.1f}%)")
    print(f"entries in Rich's and Textual's bounded lru_caches after warm-up {warm[4]:,d}, "
          f"at the end {end[4]:,d}: growth while these fill is warm-up, and stops at their "
          f"maxsize")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--size", default="160x48")
    parser.add_argument("--every", type=float, default=15.0, help="seconds between samples")
    parser.add_argument("--warmup-s", type=float, default=60.0)
    args = parser.parse_args()
    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-m", "floorview", "sim", "--port", str(port), "--speed",
         str(args.speed), "--agents", str(args.agents)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2.0)
        with tempfile.TemporaryDirectory() as tmp:
            print(f"python {sys.version.split()[0]}; simulator x{args.speed:g}, "
                  f"{args.agents} agents; {args.minutes:g} min at {args.size}")
            asyncio.run(soak(args, f"http://127.0.0.1:{port}", Path(tmp) / "j.sqlite3"))
    finally:
        sim.terminate()
        sim.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
