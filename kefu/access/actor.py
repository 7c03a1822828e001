"""Who is making a request: a signed-in user or an integration token acting for its owner (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    team_id: int | None
    token_scopes: frozenset[str] | None = field(default=None)  # None: a console session, not a token
