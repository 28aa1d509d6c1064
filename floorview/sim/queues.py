"""The default queues: a mix of voice and chat whose demand fits the size of the floor."""

from __future__ import annotations

import dataclasses

from floorview.sim.config import QueueSpec, SimConfig

#: Tuned for 60 agents on staggered shifts: a busy morning peak that some queues only just
#: meet, so the dashboard has service-level dips to show.
TEMPLATES: tuple[QueueSpec, ...] = (
    QueueSpec("q-billing", "Billing", "voice", 20, 280, 1230, 120),
    QueueSpec("q-sales", "Sales", "voice", 20, 240, 840, 90),
    QueueSpec("q-tech", "Tech Support", "voice", 20, 330, 780, 180),
    QueueSpec("q-retentions", "Retentions", "voice", 20, 310, 330, 150),
    QueueSpec("q-billing-chat", "Billing Chat", "chat", 60, 260, 630, 300),
    QueueSpec("q-chat", "General Chat", "chat", 60, 210, 840, 360),
)
TEMPLATE_AGENTS = 60


def _workload(queues: tuple[QueueSpec, ...]) -> float:
    return sum(q.daily_volume * q.aht_s for q in queues)


def default_queues(n_queues: int, n_agents: int) -> tuple[QueueSpec, ...]:
    """``n_queues`` queues cycling through the templates, with volumes scaled so that the
    total workload per agent matches the tuned 60-agent floor whatever the mix."""
    picked = []
    for i in range(n_queues):
        template = TEMPLATES[i % len(TEMPLATES)]
        round_ = i // len(TEMPLATES)
        if round_:
            template = dataclasses.replace(
                template, id=f"{template.id}-{round_ + 1}", name=f"{template.name} {round_ + 1}"
            )
        picked.append(template)
    target = _workload(TEMPLATES) * n_agents / TEMPLATE_AGENTS
    scale = target / _workload(tuple(picked))
    return tuple(dataclasses.replace(q, daily_volume=q.daily_volume * scale) for q in picked)


def queue_specs(config: SimConfig) -> tuple[QueueSpec, ...]:
    queues = config.queues or default_queues(config.n_queues, config.n_agents)
    if config.patience_s is not None:
        queues = tuple(dataclasses.replace(q, patience_s=config.patience_s) for q in queues)
    ids = [q.id for q in queues]
    if len(set(ids)) != len(ids):
        raise ValueError(f"queue ids must be unique: {ids}")
    return queues
