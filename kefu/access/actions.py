"""Writers for people and credentials. `check_*` validates, then calls `do_*`, which changes the database."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.models import ApiToken, User
from kefu.access.passwords import hash_password
from kefu.access.roles import Role
from kefu.access.tokens import new_token, token_hash
from kefu.core import clock
from kefu.core.errors import Conflict, InvalidInput

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
MIN_PASSWORD_LENGTH = 8


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"at least {MIN_PASSWORD_LENGTH} characters", field="password")
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


def do_create_api_token(
    session: Session, *, user_id: int, name: str, scopes: list[str]
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    raw = new_token()
    token = ApiToken(
        name=name,
        token_hash=token_hash(raw),
        scopes=sorted(set(scopes)),
        user_id=user_id,
        created_at=clock.now(),
    )
    session.add(token)
    session.flush()
    return token, raw
