"""The agents' plan: who they are, which queues they take, when they work and rest.

The plan is drawn once, when the simulator is built, and repeats every day. It is the
schedule the forecast's ``scheduled_agents`` is counted from; what agents actually do
(late breaks after a long call, reassignments) is the engine's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from floorview.sim.config import QueueSpec, SimConfig
from floorview.sim.names import agent_names
from floorview.sim.profile import HOUR_S, MINUTE_S
from floorview.sim.streams import Purpose, Stream

# Shift starts between 07:00 and 12:00, weighted towards the morning peak; the late starts
# cover the evening until the queues close at 20:00.
_STARTS_H = (7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 11.0, 12.0)
_START_WEIGHTS = (20, 12, 14, 10, 8, 6, 6, 10, 14)
_LENGTHS_H = (8.0, 8.5, 9.0)
_LENGTH_WEIGHTS = (4, 3, 3)
_LUNCH_MIN = (30, 45, 60)
_LUNCH_WEIGHTS = (5, 3, 2)


@dataclass(frozen=True, slots=True)
class AuxBlock:
    """Planned time off the queues, in seconds of the day."""

    start: float
    duration: float
    reason: str

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class AgentPlan:
    id: str
    name: str
    team: str
    skills: tuple[int, ...]
    shift_start: float
    #: None for an agent who never logs out.
    shift_end: float | None
    aux: tuple[AuxBlock, ...]

    def scheduled_at(self, t: float) -> bool:
        """On shift at second-of-day ``t`` and not on a planned break, lunch or training."""
        if t < self.shift_start or (self.shift_end is not None and t >= self.shift_end):
            return False
        return not any(b.start <= t < b.end for b in self.aux)


def _grid(seconds: float, step_min: float = 5.0) -> float:
    step = step_min * MINUTE_S
    return round(seconds / step) * step


def _jitter(rng: Stream, minutes: float) -> float:
    return (rng.uniform() * 2 - 1) * minutes * MINUTE_S


def _shift_starts(seed: int, n_agents: int) -> list[float]:
    """Start times spread over the agents in the exact proportions of the weights (each
    agent takes the slot at its own quantile), then shuffled: random draws alone leave a
    60-agent floor with no evening cover on some seeds."""
    total = sum(_START_WEIGHTS)
    starts = []
    for i in range(n_agents):
        target = (i + 0.5) / n_agents * total
        slot = 0
        while target > _START_WEIGHTS[slot]:
            target -= _START_WEIGHTS[slot]
            slot += 1
        starts.append(_STARTS_H[slot] * HOUR_S)
    Stream(seed, Purpose.ROSTER).shuffle(starts)
    return starts


def _day_plan(rng: Stream, start: float) -> tuple[float, float, tuple[AuxBlock, ...]]:
    end = start + _LENGTHS_H[rng.pick(_LENGTH_WEIGHTS)] * HOUR_S
    # Wide jitter, so the first breaks of everyone who started at 07:00 do not all land
    # on the morning peak together.
    first_break = AuxBlock(_grid(start + 2 * HOUR_S + _jitter(rng, 40)), 15 * MINUTE_S, "break")
    lunch = AuxBlock(
        _grid(start + 4 * HOUR_S + _jitter(rng, 30)),
        _LUNCH_MIN[rng.pick(_LUNCH_WEIGHTS)] * MINUTE_S,
        "lunch",
    )
    blocks = [first_break, lunch]
    roll = rng.uniform()
    if roll < 0.15:
        blocks.append(AuxBlock(lunch.end + 45 * MINUTE_S, 60 * MINUTE_S, "training"))
    elif roll < 0.25:
        blocks.append(AuxBlock(lunch.end + 45 * MINUTE_S, 30 * MINUTE_S, "coaching"))
    # The second break comes two hours before the end, but never on top of the block before.
    second = max(_grid(end - 2 * HOUR_S + _jitter(rng, 15)), blocks[-1].end + 30 * MINUTE_S)
    blocks.append(AuxBlock(second, 15 * MINUTE_S, "break"))
    return start, end, tuple(blocks)


def _primaries(queues: tuple[QueueSpec, ...], n_agents: int) -> list[int]:
    """Each agent's home queue, shared out in proportion to each queue's workload
    (largest remainder), so that every queue is someone's home when agents suffice."""
    work = [q.daily_volume * q.aht_s for q in queues]
    total = sum(work) or 1.0
    quotas = [n_agents * w / total for w in work]
    counts = [int(x) for x in quotas]
    by_remainder = sorted(range(len(queues)), key=lambda i: counts[i] - quotas[i])
    for i in by_remainder[: n_agents - sum(counts)]:
        counts[i] += 1
    return [qi for qi, c in enumerate(counts) for _ in range(c)]


def _skills(rng: Stream, home: int, queues: tuple[QueueSpec, ...]) -> tuple[int, ...]:
    """The home queue plus one to three others, more likely the busier ones."""
    work = [q.daily_volume * q.aht_s for q in queues]
    skills = [home]
    for _ in range(1 + rng.below(3)):
        weights = [0.0 if qi in skills else w for qi, w in enumerate(work)]
        if not any(weights):
            break
        skills.append(rng.pick(weights))
    return tuple(sorted(skills))


def build_roster(config: SimConfig, queues: tuple[QueueSpec, ...]) -> tuple[AgentPlan, ...]:
    names = agent_names(config.n_agents)
    width = max(3, len(str(config.n_agents)))
    starts = _shift_starts(config.seed, config.n_agents)
    plans = []
    for i, home in enumerate(_primaries(queues, config.n_agents)):
        rng = Stream(config.seed, Purpose.AGENT_PLAN, i)
        skills = _skills(rng, home, queues)
        if config.staffing == "always_on":
            start, end, aux = 0.0, None, ()
        else:
            start, end, aux = _day_plan(rng, starts[i])
        plans.append(
            AgentPlan(
                id=f"a-{i + 1:0{width}d}",
                name=names[i],
                team=f"Team {queues[home].name}",
                skills=skills,
                shift_start=start,
                shift_end=end,
                aux=aux,
            )
        )
    return tuple(plans)
