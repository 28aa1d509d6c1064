"""Back-office tickets: created through the day, escalated now and then, solved eventually.

Each ticket's whole life (opened, pending, escalated, solved) is drawn when the ticket is
created, from the day's own stream; its status at any moment is then a pure function of
the time, so stepping the clock differently cannot change what a poll sees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from floorview.sim.profile import DAY_S, HOUR_S, MINUTE_S, Profile
from floorview.sim.streams import Purpose, Stream

SUBJECTS: dict[str, tuple[str, ...]] = {
    "Billing": (
        "Refund not received", "Charged twice for the same invoice", "Direct debit failed",
        "Invoice shows the wrong VAT number", "Cannot download invoice PDF",
        "Unexpected late-payment fee", "Credit note missing from statement",
    ),
    "Sales": (
        "Quote for 40 additional seats", "Upgrade to the annual plan", "Discount code rejected",
        "Request for a product demo", "Pricing for a non-profit organisation",
    ),
    "Tech Support": (
        "App crashes on login after update", "Password reset email never arrives",
        "Router keeps dropping the connection", "Two-factor code not accepted",
        "Error 502 when exporting reports", "Sync stuck at 99%", "Pedido llegó dañado",
    ),
    "Retentions": (
        "Wants to cancel after the price increase", "Contract ends: competitor offer",
        "Complaint about repeated outages", "Asks to pause the subscription",
    ),
    "General": (
        "Change of address", "Update the account holder's name",
        "Large-print statements requested", "Facture en double", "Complaint about hold music",
    ),
}
GROUPS = tuple(SUBJECTS)
_GROUP_WEIGHTS = (30, 15, 30, 10, 15)

PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_WEIGHTS = (20, 50, 22, 8)
#: Hours from creation to the SLA due time; None where no SLA policy applies.
_SLA_H: dict[str, float | None] = {"low": None, "normal": 24.0, "high": 8.0, "urgent": 2.0}
_ESCALATION_CHANCE = {"low": 0.02, "normal": 0.06, "high": 0.2, "urgent": 0.45}
#: Median hours to a solution; the spread around it is wide, as in any backlog.
_SOLVE_H = {"low": 30.0, "normal": 14.0, "high": 6.0, "urgent": 3.0}

TIERS = ("standard", "gold", "platinum")
_TIER_WEIGHTS = (75, 18, 7)

# Carried over from yesterday, escalated and never solved, so that every floor shows text the
# client must render literally: markup-like brackets and Chinese.
_CARRIED = (
    ("[bold]Refund[/bold] not received", "Billing", "urgent", "platinum", 20.0),
    ("退款申请仍未处理，请尽快回复", "Billing", "high", "gold", 15.5),
    ("Outage report: fibre down in whole street", "Tech Support", "urgent", "gold", 6.0),
)

FIRST_ID = 10_001


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket and its drawn future; times are seconds from 00:00Z of the first day."""

    id: str
    subject: str
    priority: str
    customer_tier: str
    group: str
    created_at: float
    sla_due_at: float | None
    opened_at: float
    assignee: str | None
    pending: tuple[float, float] | None
    escalated_at: float
    solved_at: float

    def status(self, t: float) -> str:
        if t >= self.solved_at:
            return "solved"
        if t < self.opened_at:
            return "new"
        if self.pending is not None and self.pending[0] <= t < self.pending[1]:
            return "pending"
        return "open"

    def escalated(self, t: float) -> bool:
        return t >= self.escalated_at


class TicketBook:
    def __init__(self, seed: int, per_day: float, profile: Profile, names: Sequence[str]):
        self._seed = seed
        self._per_day = per_day
        self._profile = profile
        self._names = names
        self._tickets: list[Ticket] = []

    def _new_id(self) -> str:
        return f"T-{FIRST_ID + len(self._tickets)}"

    def carry_over(self) -> None:
        """The backlog open at the start of the first day."""
        rng = Stream(self._seed, Purpose.TICKETS, 0)
        for subject, group, priority, tier, hours_ago in _CARRIED:
            created = -hours_ago * HOUR_S
            self._tickets.append(
                Ticket(
                    id=self._new_id(), subject=subject, priority=priority, customer_tier=tier,
                    group=group, created_at=created, sla_due_at=_sla_due(priority, created),
                    opened_at=created + 10 * MINUTE_S,
                    assignee=self._names[rng.below(len(self._names))], pending=None,
                    escalated_at=created + HOUR_S, solved_at=math.inf,
                )
            )

    def open_day(self, day: int) -> None:
        """Create the tickets of day ``day`` (0 is the first), times drawn from the profile."""
        rng = Stream(self._seed, Purpose.TICKETS, day + 1)
        times = sorted(_draw_time(rng, self._profile) for _ in range(rng.poisson(self._per_day)))
        for t in times:
            self._tickets.append(self._draw(rng, day * DAY_S + t))

    def _draw(self, rng: Stream, created: float) -> Ticket:
        group = GROUPS[rng.pick(_GROUP_WEIGHTS)]
        subjects = SUBJECTS[group]
        priority = PRIORITIES[rng.pick(_PRIORITY_WEIGHTS)]
        opened = created + rng.exponential(20 * MINUTE_S)
        solved = created + rng.lognormal(_SOLVE_H[priority] * HOUR_S, 0.9)
        pending = None
        if rng.uniform() < 0.3:
            waits_from = opened + rng.uniform() * max(solved - opened, 0.0) * 0.5
            pending = (waits_from, waits_from + rng.exponential(2 * HOUR_S))
        escalated = math.inf
        if rng.uniform() < _ESCALATION_CHANCE[priority]:
            escalated = opened + rng.exponential(HOUR_S)
            # An escalation drags the solution out.
            solved += 4 * HOUR_S
        return Ticket(
            id=self._new_id(),
            subject=subjects[rng.below(len(subjects))],
            priority=priority,
            customer_tier=TIERS[rng.pick(_TIER_WEIGHTS)],
            group=group,
            created_at=created,
            sla_due_at=_sla_due(priority, created),
            opened_at=opened,
            assignee=self._names[rng.below(len(self._names))],
            pending=pending,
            escalated_at=escalated,
            solved_at=solved,
        )

    def created(self, t: float) -> list[Ticket]:
        """Every ticket created up to ``t``, solved or not."""
        return [k for k in self._tickets if k.created_at <= t]

    def unsolved(self, t: float, escalated_only: bool = False) -> list[Ticket]:
        return [
            k for k in self.created(t)
            if t < k.solved_at and (not escalated_only or k.escalated(t))
        ]


def _sla_due(priority: str, created: float) -> float | None:
    hours = _SLA_H[priority]
    return None if hours is None else created + hours * HOUR_S


def _draw_time(rng: Stream, profile: Profile) -> float:
    """A second of the day with the profile's density, by rejection under its peak."""
    top = profile.bound(0.0, DAY_S)
    while True:
        t = rng.uniform() * DAY_S
        if rng.uniform() * top <= profile.density(t):
            return t
