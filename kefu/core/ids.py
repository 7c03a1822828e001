"""Identifiers that leave the system (links, attachments, tokens) carry at least 128 bits of randomness."""

from __future__ import annotations

import secrets


def public_id() -> str:
    """An unguessable id for URLs: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)
