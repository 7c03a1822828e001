"""Writers for people and credentials. `check_*` validates, then calls `do_*`, which changes the database.

Every change here that matters for security is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.audit import audit_by, do_audit
from kefu.access.models import ApiToken, Team, User
from kefu.access.passwords import HASHER, WeakPassword, check_password_policy, hash_password, verify_password
from kefu.access.permissions import parse_scopes
from kefu.access.roles import Role
from kefu.access.throttle import (
    TooManyAttempts,
    clear_account_failures,
    record_failure,
    refuse_if_locked,
    throttle_keys,
)
from kefu.access.tokens import new_token, token_hash
from kefu.core import clock, i18n
from kefu.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from kefu.core.events import Event, send_event_on_commit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


def _policy(password: str, username: str, field: str = "password") -> None:
    try:
        check_password_policy(password, username=username)
    except WeakPassword as exc:
        raise InvalidInput(str(exc).removeprefix("password: "), field=field) from exc


def check_create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    team_id: int | None = None,
    email: str | None = None,
    must_change_password: bool = False,
) -> User:
    if not USERNAME.match(username):
        raise InvalidInput("use 2–60 lower-case letters, digits, '.', '_' or '-'", field="username")
    if role not in Role.__members__:
        raise InvalidInput(f"unknown role; one of {', '.join(Role)}", field="role")
    _policy(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken", code="username_taken")
    return do_create_user(
        session,
        username=username,
        display_name=display_name,
        role=Role(role),
        password_hash=hash_password(password),
        team_id=team_id,
        email=email,
        must_change_password=must_change_password,
    )


def do_create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: Role,
    password_hash: str | None,
    team_id: int | None = None,
    email: str | None = None,
    must_change_password: bool = False,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=password_hash,
        team_id=team_id,
        email=email,
        must_change_password=must_change_password,
        is_active=True,
        session_version=1,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    return user


def sign_in(session: Session, *, username: str, password: str, address: str | None) -> User:
    """Check a password under throttling; failures and successes are audited.

    The caller must commit even when this raises Unauthenticated, so the failure is counted.
    """
    now = clock.now()
    keys = throttle_keys(username, address)
    try:
        refuse_if_locked(session, keys, now)
    except TooManyAttempts:
        do_audit(session, "sign_in.locked", address=address)
        raise
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    # verify_password costs the same for an unknown user, so timing does not reveal who exists.
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        _failed_sign_in(session, keys, now, user, address)
        raise Unauthenticated("wrong user name or password", code="sign_in_failed")
    clear_account_failures(session, username)
    if HASHER.check_needs_rehash(user.password_hash or ""):  # the cost was raised since it was hashed
        user.password_hash = hash_password(password)
    do_audit(
        session, "sign_in.success", actor_id=user.id, object_type="user", object_id=user.id, address=address
    )
    return user


def _failed_sign_in(
    session: Session, keys: list[str], now: datetime, user: User | None, address: str | None
) -> None:
    record_failure(session, keys, now)
    # The typed name is not recorded: people type passwords and phone numbers into that field.
    if user is None:
        do_audit(session, "sign_in.failure", address=address, details={"unknown_account": True})
    else:
        do_audit(session, "sign_in.failure", object_type="user", object_id=user.id, address=address)


SESSIONS_ENDED = "user.sessions_ended"


def _end_sessions(session: Session, user: User) -> None:
    """Void every console session of `user` at its next request, and tell live connections now.

    The event goes to the user's own connections: the WebSocket layer closes them when it arrives.
    """
    user.session_version += 1
    send_event_on_commit(session, Event(SESSIONS_ENDED, {"user_id": user.id}, recipients=(user.id,)))


def do_sign_out(session: Session, actor: Actor) -> None:
    """End the user's console sessions everywhere: a copied cookie must not outlive signing out."""
    user = session.get(User, actor.user_id)
    if user is not None and actor.token_scopes is None:
        _end_sessions(session, user)
        audit_by(session, actor, "sign_out", object_type="user", object_id=user.id)


def check_change_password(session: Session, actor: Actor, *, current: str, new: str) -> User:
    """Change one's own password; every other session of the user ends (session_version is bumped).

    Wrong current passwords count toward the account's sign-in lock (a stolen session must not become a
    way to guess the password); like `sign_in`, the caller commits even when this raises.
    """
    user = session.get(User, actor.user_id)
    if user is None:
        raise Unauthenticated("signed out; sign in again", code="signed_out")
    now, keys = clock.now(), throttle_keys(user.username, None)
    refuse_if_locked(session, keys, now)
    if not verify_password(user.password_hash, current):
        record_failure(session, keys, now)
        raise InvalidInput("current password is wrong", field="current_password")
    _policy(new, user.username, field="new_password")
    if verify_password(user.password_hash, new):
        raise InvalidInput("choose a password different from the current one", field="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    _end_sessions(session, user)
    audit_by(session, actor, "password.change", object_type="user", object_id=user.id)
    return user


def do_disable_user(session: Session, actor: Actor, user_id: int) -> User:
    """Disable an account at once: its sessions and tokens stop working on their next request."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    if user.id == actor.user_id:
        raise Forbidden("you cannot disable your own account", code="self_disable")
    user.is_active = False
    _end_sessions(session, user)
    audit_by(session, actor, "user.disable", object_type="user", object_id=user.id)
    return user


def check_create_api_token(
    session: Session, actor: Actor, *, user_id: int, name: str, scopes: list[str], expires_at: datetime | None
) -> tuple[ApiToken, str]:
    if session.get(User, user_id) is None:
        raise InvalidInput(f"user {user_id} does not exist", field="user_id")
    try:
        valid = parse_scopes(scopes)
    except ValueError as exc:
        raise InvalidInput(str(exc).removeprefix("scopes: "), field="scopes") from exc
    if expires_at is not None and expires_at <= clock.now():
        raise InvalidInput("must be in the future", field="expires_at")
    token, raw = do_create_api_token(session, user_id=user_id, name=name, scopes=valid, expires_at=expires_at)
    audit_by(
        session,
        actor,
        "token.create",
        object_type="api_token",
        object_id=token.id,
        details={"user_id": user_id, "name": name, "scopes": valid},
    )
    return token, raw


def do_create_api_token(
    session: Session, *, user_id: int, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    raw = new_token()
    token = ApiToken(
        name=name,
        token_hash=token_hash(raw),
        scopes=sorted(set(scopes)),
        user_id=user_id,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, raw


def do_revoke_api_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit_by(session, actor, "token.revoke", object_type="api_token", object_id=token_id)
    return token


def check_create_agent(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    email: str | None,
    team_id: int | None,
) -> tuple[User, str]:
    """A new account starts as an agent with a temporary password (shown once, to be changed at first
    sign-in); any other role is a permission change, requested and approved like every other."""
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidInput(f"team {team_id} does not exist", field="team_id")
    temporary = secrets.token_urlsafe(12)
    user = check_create_user(
        session,
        username=username,
        display_name=display_name,
        role=Role.agent.value,
        password=temporary,
        team_id=team_id,
        email=email,
        must_change_password=True,
    )
    audit_by(
        session, actor, "user.create", object_type="user", object_id=user.id, details={"team_id": team_id}
    )
    return user, temporary


def check_set_language(session: Session, actor: Actor, language: str) -> None:
    """Store the console language of the signed-in user; it wins over the browser's Accept-Language."""
    if language not in i18n.LANGUAGES:
        raise InvalidInput(f"language: {i18n.unsupported_message(language)}", field="language")
    user = session.get(User, actor.user_id)
    if user is None:
        raise InvalidInput(f"user {actor.user_id} does not exist", field="user_id")
    user.language = language


TEAM_CODE = re.compile(r"^[a-z0-9_]{2,40}$")


def check_create_team(session: Session, actor: Actor, *, code: str, name: str, lead_id: int | None) -> Team:
    """A new team; its lead (if given) must be an active user. Audited."""
    if not TEAM_CODE.match(code):
        raise InvalidInput("use 2–40 lower-case letters, digits or _", field="code")
    if not 1 <= len(name.strip()) <= 120:
        raise InvalidInput("give a name of 1–120 characters", field="name")
    if lead_id is not None:
        lead = session.get(User, lead_id)
        if lead is None or not lead.is_active:
            raise InvalidInput(f"no active user {lead_id}", field="lead_id")
    if session.scalar(select(Team.id).where(Team.code == code)) is not None:
        raise Conflict(f"team {code!r} exists", code="team_exists", field="code")
    team = Team(code=code, name=name.strip(), lead_id=lead_id)
    session.add(team)
    session.flush()
    audit_by(session, actor, "team.create", object_type="team", object_id=team.id, details={"code": code})
    return team
