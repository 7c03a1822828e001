"""Tier thresholds a centre configures (KEFU_TIER_* variables), read once per app."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Depends
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import HTTPConnection

from kefu.customers.tiers import TierRules


class TierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_TIER_", extra="ignore")

    vip_value: Decimal = TierRules.vip_value
    high_value_value: Decimal = TierRules.high_value_value
    active_contacts: int = TierRules.active_contacts
    active_window_days: int = TierRules.active_window_days

    def rules(self) -> TierRules:
        return TierRules(**self.model_dump())


def get_tier_rules(request: HTTPConnection) -> TierRules:
    """Cached on the app, so a test (or an embedding program) can set `app.state.tier_rules` directly."""
    state = request.app.state
    if not hasattr(state, "tier_rules"):
        state.tier_rules = TierSettings().rules()
    return state.tier_rules


TierRulesDep = Annotated[TierRules, Depends(get_tier_rules)]
