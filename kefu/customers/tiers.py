"""Customer tiers and identity kinds of the glossary, and the rules that choose a tier (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Tier(StrEnum):
    new = "new"
    active = "active"
    high_value = "high_value"
    vip = "vip"


class IdentityKind(StrEnum):
    email = "email"
    phone = "phone"
    visitor = "visitor"  # web chat visitor id kept in the browser
    external = "external"  # an id in the company app or a social network; `namespace` says which


@dataclass(frozen=True)
class TierRules:
    """Thresholds a centre configures; value is the lifetime value the CRM pushes (in the centre's currency).

    The highest tier whose rule holds wins: value makes a customer VIP or high-value whatever their
    activity; otherwise enough recent contacts make them active.
    """

    vip_value: Decimal = Decimal(100_000)
    high_value_value: Decimal = Decimal(10_000)
    active_contacts: int = 3
    active_window_days: int = 90

    def __post_init__(self) -> None:
        if self.high_value_value < 0 or self.vip_value < self.high_value_value:
            raise ValueError("vip_value: must be at least high_value_value, and both non-negative")
        if self.active_contacts < 1:
            raise ValueError("active_contacts: must be at least 1")
        if self.active_window_days < 1:
            raise ValueError("active_window_days: must be at least 1")


def tier_for(rules: TierRules, *, lifetime_value: Decimal, recent_contacts: int) -> Tier:
    """The tier a customer's value and activity (contacts within the window) earn."""
    if lifetime_value < 0:
        raise ValueError("lifetime_value: must not be negative")
    if recent_contacts < 0:
        raise ValueError("recent_contacts: must not be negative")
    if lifetime_value >= rules.vip_value:
        return Tier.vip
    if lifetime_value >= rules.high_value_value:
        return Tier.high_value
    if recent_contacts >= rules.active_contacts:
        return Tier.active
    return Tier.new
