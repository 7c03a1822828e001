"""Tier rules: the highest tier whose rule holds wins."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.customers.tiers import Tier, TierRules, tier_for

RULES = TierRules(
    vip_value=Decimal(1000), high_value_value=Decimal(100), active_contacts=2, active_window_days=30
)


@pytest.mark.parametrize(
    ("value", "contacts", "tier"),
    [
        (0, 0, Tier.new),
        (0, 1, Tier.new),
        (0, 2, Tier.active),
        (100, 0, Tier.high_value),
        (999, 5, Tier.high_value),
        (1000, 0, Tier.vip),
    ],
)
def test_tier_from_value_and_activity(value: int, contacts: int, tier: Tier) -> None:
    assert tier_for(RULES, lifetime_value=Decimal(value), recent_contacts=contacts) is tier


def test_inconsistent_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="vip_value"):
        TierRules(vip_value=Decimal(10), high_value_value=Decimal(100))
    with pytest.raises(ValueError, match="active_contacts"):
        TierRules(active_contacts=0)


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="lifetime_value"):
        tier_for(RULES, lifetime_value=Decimal(-1), recent_contacts=0)
