"""API token format and hashing (pure).

Tokens carry 256 random bits, so a fast hash (SHA-256) is enough: nobody can brute-force the preimage,
and lookups stay one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "kefu_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
