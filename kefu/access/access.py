"""Reads of people and credentials for the access API (the routers build no SQL themselves)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import ApiToken, Department, Team, User
from kefu.access.scopes import user_scope
from kefu.core.errors import Unauthenticated


def access_me(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None:  # deleted between authentication and now
        raise Unauthenticated("signed out; sign in again", code="signed_out")
    return user


def list_api_tokens(session: Session) -> Sequence[ApiToken]:
    """Every token, newest last; the raw values are not stored, so none can be shown again."""
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def list_users(session: Session, actor: Actor, *, limit: int, after_id: int = 0) -> Sequence[User]:
    query = select(User).where(user_scope(actor), User.id > after_id).order_by(User.id).limit(limit)
    return session.scalars(query).all()


def display_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Names to show for people referred to by id (authors, owners, actors); unknown ids are left out."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def list_teams(session: Session) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.name, Team.id)).all()


def list_departments(session: Session) -> Sequence[Department]:
    return session.scalars(select(Department).order_by(Department.name, Department.id)).all()


def team_sizes(session: Session) -> dict[int, int]:
    """Active members per team."""
    query = select(User.team_id, func.count()).where(User.is_active, User.team_id.is_not(None))
    return {team_id: count for team_id, count in session.execute(query.group_by(User.team_id))}


def colleague_names(session: Session, actor: Actor, *, limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) of the active colleagues in the actor's scope, by name: for choosing one in a form."""
    query = (
        select(User.id, User.display_name)
        .where(user_scope(actor), User.is_active)
        .order_by(User.display_name, User.id)
        .limit(limit)
    )
    return [(user_id, name) for user_id, name in session.execute(query)]
