"""Customer tiers and identity kinds of the glossary (pure)."""

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
