"""Priority of a waiting contact.

    priority(c, now) = tier_points[c.tier]
                     + type_points[c.ticket_type] (+ major_points when c.severity is "major")
                     + urgency_points × c.urgency
                     + max(0, now − c.enqueued_at) / ageing_seconds

Every contact ages at the same rate, so the ordering of two contacts does not depend on `now`:
p(a) > p(b)  ⇔  base(a)·T − enqueued_at(a) > base(b)·T − enqueued_at(b)  (T = ageing_seconds).
`order_key` uses that time-free form, which lets the engine keep queues sorted between events.
Among equals the longest-waiting contact comes first (then the contact id, for determinism); and a
contact waiting (base gap)·T seconds outranks any newcomer, so nobody starves behind a stream of VIPs.
With the defaults a major complaint (8 points) outranks an inquiry from a VIP (5 points).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kefu.routing.state import TICKET_TYPES, TIERS, WaitingContact, require


def _points(values: dict[str, float]) -> Mapping[str, float]:
    return MappingProxyType(values)


@dataclass(frozen=True, slots=True)
class PriorityPolicy:
    tier_points: Mapping[str, float] = field(
        default_factory=lambda: _points({"new": 0.0, "active": 1.0, "high_value": 3.0, "vip": 5.0})
    )
    type_points: Mapping[str, float] = field(
        default_factory=lambda: _points(
            {"inquiry": 0.0, "suggestion": 0.0, "repair": 1.0, "refund": 2.0, "complaint": 2.0}
        )
    )
    major_points: float = 6.0
    urgency_points: float = 2.0
    ageing_seconds: float = 60.0  # one point per minute in queue

    def __post_init__(self) -> None:
        require(set(self.tier_points) == set(TIERS), "priority.tier_points", f"needs exactly {TIERS}")
        require(
            set(self.type_points) == set(TICKET_TYPES),
            "priority.type_points",
            f"needs exactly {TICKET_TYPES}",
        )
        values = [
            *self.tier_points.values(),
            *self.type_points.values(),
            self.major_points,
            self.urgency_points,
        ]
        require(
            all(math.isfinite(v) and v >= 0 for v in values), "priority", "points must be finite and >= 0"
        )
        ok = math.isfinite(self.ageing_seconds) and self.ageing_seconds > 0
        require(ok, "priority.ageing_seconds", "must be > 0")


DEFAULT_POLICY = PriorityPolicy()


def base_points(contact: WaitingContact, policy: PriorityPolicy = DEFAULT_POLICY) -> float:
    """The time-independent part: tier, ticket type and severity, explicit urgency."""
    points = policy.tier_points[contact.tier] + policy.urgency_points * contact.urgency
    if contact.ticket_type is not None:
        points += policy.type_points[contact.ticket_type]
    if contact.severity == "major":
        points += policy.major_points
    return points


def priority(contact: WaitingContact, now: float, policy: PriorityPolicy = DEFAULT_POLICY) -> float:
    """The contact's priority at `now` (higher is served first); for display and reports."""
    return base_points(contact, policy) + max(0.0, now - contact.enqueued_at) / policy.ageing_seconds


def order_key(contact: WaitingContact, policy: PriorityPolicy = DEFAULT_POLICY) -> tuple[float, float, str]:
    """Sort key, ascending = served first, valid at every `now` (see the module docstring)."""
    return (
        contact.enqueued_at - base_points(contact, policy) * policy.ageing_seconds,
        contact.enqueued_at,
        contact.id,
    )
