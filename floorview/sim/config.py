"""What a simulated floor looks like: seed, day, clock, size and scenarios.

Everything the simulator does follows from one ``SimConfig``, so a test or a screenshot can
rebuild exactly the same floor from the same value.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from floorview.sim.faults import FaultSpec, parse_fault_spec

DEFAULT_DATE = dt.date(2026, 11, 23)
DEFAULT_START = dt.time(10, 0)

Channel = Literal["voice", "chat", "email"]


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """One queue's service goal and the demand it sees on an ordinary day."""

    id: str
    name: str
    channel: Channel
    sl_threshold_s: float
    aht_s: float
    daily_volume: float
    #: Mean of the exponential patience of a waiting customer; ``math.inf`` never abandons.
    patience_s: float
    sl_target: float = 0.8


@dataclass(frozen=True, slots=True)
class Surge:
    """Scale one queue's actual arrivals over a window, leaving the published forecast alone,
    so intraday re-forecasting has a real gap between plan and actuals to find."""

    queue_id: str
    start: dt.datetime
    end: dt.datetime
    factor: float = 1.4


@dataclass(frozen=True, slots=True)
class SimConfig:
    seed: int = 7
    date: dt.date = DEFAULT_DATE
    #: Time of day the simulator is fast-forwarded to when it is created.
    start: dt.time = DEFAULT_START
    #: Simulated seconds per real second when served over HTTP.
    speed: float = 1.0
    n_queues: int = 6
    n_agents: int = 60
    #: Explicit queues instead of the defaults built from ``n_queues`` and ``n_agents``.
    queues: tuple[QueueSpec, ...] | None = None
    #: Overrides every queue's mean patience; ``math.inf`` turns abandonment off.
    patience_s: float | None = None
    #: ``exponential`` makes the floor an M/M/N system, the case Erlang C describes exactly.
    handle_times: Literal["lognormal", "exponential"] = "lognormal"
    #: ``flat`` spreads each queue's daily volume evenly over all 24 hours.
    profile: Literal["intraday", "flat"] = "intraday"
    #: ``always_on`` logs every agent in at 00:00 for good, with no breaks.
    staffing: Literal["shifts", "always_on"] = "shifts"
    surges: tuple[Surge, ...] = ()
    #: Seed of the customers alone (arrivals, and each contact's patience and handle time);
    #: None follows ``seed``. Another value replays the same roster and schedule against
    #: other customers, which is how the sampling noise of a day's figures is measured.
    demand_seed: int | None = None
    tickets_per_day: float = 90.0
    site: str = "Simulated floor"
    #: HTTP faults to inject when served (``floorview.sim.faults``); None serves cleanly.
    #: They never change the floor itself, only what clients receive of it.
    faults: FaultSpec | None = None

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if self.demand_seed is not None and self.demand_seed < 0:
            raise ValueError(f"demand_seed must be >= 0, got {self.demand_seed}")
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise ValueError(f"speed must be a positive number, got {self.speed}")
        if self.n_agents < 1 or (self.queues is None and self.n_queues < 1):
            raise ValueError("a floor needs at least one queue and one agent")
        if self.queues is not None and not self.queues:
            raise ValueError("queues, when given, must not be empty")
        if self.patience_s is not None and not self.patience_s > 0:
            raise ValueError(f"patience_s must be > 0, got {self.patience_s}")
        for surge in self.surges:
            if surge.start.tzinfo is None or surge.end.tzinfo is None:
                raise ValueError(f"surge times must be timezone-aware: {surge}")
            if surge.factor < 0:
                raise ValueError(f"surge factor must be >= 0: {surge}")

    @property
    def day_start(self) -> dt.datetime:
        """00:00Z of the simulated date: the origin of the simulator's clock."""
        return dt.datetime.combine(self.date, dt.time(0), tzinfo=dt.UTC)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, tzinfo=dt.UTC)


def parse_time_of_day(text: str) -> dt.time:
    try:
        parsed = dt.time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HH:MM, got {text!r}") from None
    return parsed.replace(tzinfo=None)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_seed = _whole_number(0)


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _faults(text: str) -> FaultSpec:
    try:
        return parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options, shared by ``floorview sim`` and ``floorview demo``."""
    d = SimConfig()
    group = parser.add_argument_group("simulator")
    group.add_argument("--seed", type=_seed, default=d.seed, help=f"random seed (default {d.seed})")
    group.add_argument(
        "--speed", type=_speed, default=d.speed,
        help=f"simulated seconds per real second (default {d.speed:g})",
    )
    group.add_argument(
        "--start", type=parse_time_of_day, default=d.start, metavar="HH:MM",
        help=f"time of day (UTC) to open at; the day up to then is fast-forwarded "
        f"(default {d.start:%H:%M})",
    )
    group.add_argument(
        "--date", type=parse_date, default=d.date, metavar="YYYY-MM-DD",
        help=f"simulated date (default {d.date.isoformat()})",
    )
    group.add_argument(
        "--agents", type=_positive_int, default=d.n_agents, metavar="N",
        help=f"number of agents (default {d.n_agents})",
    )
    group.add_argument(
        "--queues", type=_positive_int, default=d.n_queues, metavar="N",
        help=f"number of queues (default {d.n_queues})",
    )
    group.add_argument(
        "--faults", type=_faults, default=None, metavar="SPEC",
        help="inject HTTP faults at given rates, e.g. 'latency=0.3:2,5xx=0.1,drop=0.05' "
        "(kinds: latency, timeout, 5xx, 429, malformed, truncated, drift, drop, trickle, "
        "huge; see docs/floor-api.md)",
    )


def config_from_args(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        seed=args.seed,
        speed=args.speed,
        start=args.start,
        date=args.date,
        n_agents=args.agents,
        n_queues=args.queues,
        faults=args.faults,
    )
