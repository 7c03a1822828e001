"""Authentication: turn an API token or a session cookie into an Actor.

Everything that decides what the actor may do (role, team, active, session version, token revocation and
expiry) comes from the database. Requests read it through a small in-process cache (`cached_token_actor`,
`cached_session_actor`) so that an API call does not pay a query for it: any committed change to a user or
a token in this process empties the cache at once (the next request reads the database again), and an
entry is trusted for at most `CACHE_SECONDS`, which bounds how long a change made by another server
process (several workers) takes to apply here. Token expiry is checked against the clock on every request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from kefu.access.actor import Actor
from kefu.access.models import ApiToken, User
from kefu.access.sessions import SessionData
from kefu.access.tokens import token_hash
from kefu.core import clock
from kefu.core.errors import Unauthenticated

LAST_USED_RESOLUTION = timedelta(minutes=1)
# How long another process's change to a user or token may take to reach this one.
CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class _TokenGrant:
    user_id: int
    role: str
    team_id: int | None
    scopes: frozenset[str]
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class _SessionGrant:
    role: str
    team_id: int | None
    session_version: int
    must_change_password: bool


class _AuthCache:
    """Valid grants by token hash / user id, each with the monotonic time it was read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Any, tuple[float, Any]] = {}
        self.generation = 0  # bumped by every invalidation: a read that started before is not stored

    def get(self, key: Any) -> Any:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return entry[1]

    def put(self, key: Any, value: Any, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


_cache = _AuthCache()


def forget_cached_grants() -> None:
    """Empty the cache (done by itself whenever a user or token changes in this process)."""
    _cache.clear()


def database_of(session: Session) -> str:
    """The cache's name for the database a session talks to (one process may serve several, e.g. tests)."""
    return str(session.get_bind().url)


def cached_token_actor(database: str, raw_token: str, address: str | None = None) -> Actor | None:
    """The token's actor from the cache, or None: not cached, or its last use is due to be recorded."""
    grant: _TokenGrant | None = _cache.get((database, "token", token_hash(raw_token)))
    if grant is None:
        return None
    now = clock.now()
    if grant.expires_at is not None and grant.expires_at <= now:
        return None  # the database path refuses it with the reason
    if grant.last_used_at is None or now - grant.last_used_at > LAST_USED_RESOLUTION:
        return None
    return Actor(grant.user_id, grant.role, grant.team_id, grant.scopes, address=address)


def actor_for_token(session: Session, raw_token: str, address: str | None = None) -> Actor:
    generation = _cache.generation
    hashed = token_hash(raw_token)
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == hashed)
    ).first()
    if row is None:
        raise Unauthenticated("invalid token", code="invalid_token")
    token, user = row
    now = clock.now()
    if token.revoked_at is not None or not user.is_active:
        raise Unauthenticated("token revoked", code="invalid_token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("token expired", code="invalid_token")
    last_used = token.last_used_at
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        _note_use(session, token.id, now)
        last_used = now
    scopes = frozenset(token.scopes)
    grant = _TokenGrant(user.id, user.role, user.team_id, scopes, token.expires_at, last_used)
    _cache.put((database_of(session), "token", hashed), grant, generation)
    return Actor(user.id, user.role, user.team_id, scopes, address=address)


def _note_use(session: Session, token_id: int, now: datetime) -> None:
    """Record the token's use, to the minute and best effort.

    A write on every read would serialise all API reads on SQLite; and inside a read transaction the
    write may lose to a concurrent writer (SQLite refuses to upgrade a stale read snapshot), in which
    case a later request records the use instead of this one failing.
    """
    try:
        with session.begin_nested():
            statement = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            session.execute(statement.execution_options(**{_USE_NOTE: True}))
    except OperationalError:
        pass


def cached_session_actor(database: str, data: SessionData, address: str | None = None) -> Actor | None:
    """The signed-in user from the cache, or None when not cached (then `actor_for_session` decides)."""
    grant: _SessionGrant | None = _cache.get((database, "user", data.user_id))
    if grant is None or grant.session_version != data.session_version or data.expired(clock.now()):
        return None
    return Actor(
        data.user_id, grant.role, grant.team_id, must_change_password=grant.must_change_password,
        address=address,
    )  # fmt: skip


def actor_for_session(session: Session, data: SessionData, address: str | None = None) -> Actor:
    """The signed-in user, if the session is still valid for them."""
    generation = _cache.generation
    user = session.get(User, data.user_id)
    if user is None or not user.is_active or user.session_version != data.session_version:
        raise Unauthenticated("signed out; sign in again", code="signed_out")
    if data.expired(clock.now()):
        raise Unauthenticated("session expired; sign in again", code="signed_out")
    grant = _SessionGrant(user.role, user.team_id, user.session_version, user.must_change_password)
    _cache.put((database_of(session), "user", user.id), grant, generation)
    return Actor(
        user.id, user.role, user.team_id, must_change_password=user.must_change_password, address=address
    )


# --- invalidation: any change to users or tokens, by the ORM or by an UPDATE/DELETE statement ---------

_WATCHED = (ApiToken, User)
_USE_NOTE = "kefu_token_use"  # the last-used time changes nothing a grant holds
_CHANGED_KEY = "kefu.authn_changed"


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _WATCHED) for obj in changed):
        session.info[_CHANGED_KEY] = True
        _cache.clear()  # at once (no read of the old state is kept from now on) and again at commit


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: ORMExecuteState) -> None:
    if state.execution_options.get(_USE_NOTE):
        return
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in _WATCHED:
            state.session.info[_CHANGED_KEY] = True
            _cache.clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED_KEY, False):
        _cache.clear()
