"""Authentication: turn a bearer token into an Actor, checking revocation on every request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import ApiToken, User
from kefu.access.tokens import token_hash
from kefu.core import clock
from kefu.core.errors import Unauthenticated

LAST_USED_RESOLUTION = timedelta(minutes=1)


def actor_for_token(session: Session, raw_token: str) -> Actor:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(raw_token))
    ).first()
    if row is None:
        raise Unauthenticated("invalid token", code="invalid_token")
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        raise Unauthenticated("token revoked", code="invalid_token")
    now = clock.now()
    # Recorded to the minute: a write on every read would serialise all API reads on SQLite.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return Actor(user.id, user.role, user.team_id, frozenset(token.scopes))
