from collections.abc import Iterator

import pytest

from floorview.sim.config import SimConfig
from floorview.sim.server import RunningSim, start_in_thread


@pytest.fixture
def loopback_sim() -> Iterator[RunningSim]:
    """The simulator served over a real loopback socket, as `floorview demo` runs it."""
    running = start_in_thread(SimConfig(seed=11, speed=60.0))
    try:
        yield running
    finally:
        running.stop()
