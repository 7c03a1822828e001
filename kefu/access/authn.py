"""Authentication: turn an API token or a session cookie into an Actor.

Everything that decides what the actor may do (role, team, active, session version, token revocation and
expiry) is read from the database on every request, so a change takes effect on the next request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import ApiToken, User
from kefu.access.sessions import SessionData
from kefu.access.tokens import token_hash
from kefu.core import clock
from kefu.core.errors import Unauthenticated

LAST_USED_RESOLUTION = timedelta(minutes=1)


def actor_for_token(session: Session, raw_token: str, address: str | None = None) -> Actor:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(raw_token))
    ).first()
    if row is None:
        raise Unauthenticated("invalid token", code="invalid_token")
    token, user = row
    now = clock.now()
    if token.revoked_at is not None or not user.is_active:
        raise Unauthenticated("token revoked", code="invalid_token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("token expired", code="invalid_token")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        _note_use(session, token.id, now)
    return Actor(user.id, user.role, user.team_id, frozenset(token.scopes), address=address)


def _note_use(session: Session, token_id: int, now: datetime) -> None:
    """Record the token's use, to the minute and best effort.

    A write on every read would serialise all API reads on SQLite; and inside a read transaction the
    write may lose to a concurrent writer (SQLite refuses to upgrade a stale read snapshot), in which
    case a later request records the use instead of this one failing.
    """
    try:
        with session.begin_nested():
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    except OperationalError:
        pass


def actor_for_session(session: Session, data: SessionData, address: str | None = None) -> Actor:
    """The signed-in user, if the session is still valid for them."""
    user = session.get(User, data.user_id)
    if user is None or not user.is_active or user.session_version != data.session_version:
        raise Unauthenticated("signed out; sign in again", code="signed_out")
    if data.expired(clock.now()):
        raise Unauthenticated("session expired; sign in again", code="signed_out")
    return Actor(
        user.id, user.role, user.team_id, must_change_password=user.must_change_password, address=address
    )
