"""Who is making a request: a signed-in user or an integration token acting for its owner (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    team_id: int | None
    token_scopes: frozenset[str] | None = field(default=None)  # None: a console session, not a token
    # A temporary password must be replaced before anything else is allowed.
    must_change_password: bool = False
    address: str | None = None  # where the request came from, for the audit log
