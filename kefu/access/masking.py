"""Masking of phone numbers and e-mail addresses for roles that do not need them in full (pure).

The shapes follow the convention customers know from Chinese apps: 138****5678, z***@example.com.
A mask never keeps more than 7 digits of a phone number, so a masked value cannot identify a line.
"""

from __future__ import annotations

import phonenumbers

from kefu.customers.tiers import IdentityKind

STARS = "****"


def mask_phone(value: str) -> str:
    """+8613812345678 -> +86 138****5678; 13812345678 -> 138****5678; anything odd -> ****78."""
    text = value.strip()
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else "CN")
    except phonenumbers.NumberParseException:
        return STARS + _tail(text, 2)
    national = str(parsed.national_number)
    masked = national[:3] + STARS + national[-4:] if len(national) >= 9 else STARS + national[-2:]
    return f"+{parsed.country_code} {masked}" if text.startswith("+") else masked


def mask_email(value: str) -> str:
    """zhang.wei@example.com -> z***@example.com (the domain stays: it tells the provider, not the person)."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return STARS
    return f"{local[0]}***@{domain}"


def mask_identity(kind: str, value: str) -> str:
    if kind == IdentityKind.phone:
        return mask_phone(value)
    if kind == IdentityKind.email:
        return mask_email(value)
    return value  # visitor and external ids are opaque handles, not contact details


def _tail(text: str, count: int) -> str:
    digits = [c for c in text if c.isalnum()]
    return "".join(digits[-count:]) if len(digits) > count * 2 else ""
